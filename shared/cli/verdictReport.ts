/**
 * The human-readable report of `certgate verify`: the verdict with its reason code and
 * description; for a rejected path, the rule that failed (the RFC 5280 step, or the certgate
 * policy beyond it) and the certificate it failed on (position and subject); the leaf; the
 * validated certificate policies of a valid path; the chosen path (subjects, leaf first, the
 * trusted CA marked) and the ordered trace as a table (check, certificate, outcome, reason,
 * detail).
 * May import: ../cert/validation/index.js.
 */
import { CERTIFICATE_REASONS, type ValidationResult } from '../cert/validation/index.js';

/** What the report needs besides the result. */
export interface VerdictReportContext {
  /** The time the path was validated at. */
  readonly time: Date;
  /** SHA-256 thumbprints (lowercase hex) of the trusted CAs, to mark the anchor in the path. */
  readonly trustedThumbprints: ReadonlySet<string>;
}

const TRACE_HEADINGS = ['CHECK', 'CERTIFICATE', 'OUTCOME', 'REASON', 'DETAIL'] as const;

function table(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    `${indent}${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')}`.trimEnd(),
  );
}

/** The subject at a trace position label (`leaf`, `intermediate[2]`, `anchor`) of `path`, when known. */
function subjectAt(label: string, path: ValidationResult['path']): string | undefined {
  if (path === undefined || path.length === 0) return undefined;
  if (label === 'leaf') return path[0]?.subject;
  if (label === 'anchor') return path.length > 1 ? path[path.length - 1]?.subject : undefined;
  const index = /^intermediate\[(\d+)\]$/u.exec(label)?.[1];
  return index === undefined ? undefined : path[Number(index)]?.subject;
}

/** Render a validation result for a terminal; ends with a newline. */
export function formatVerdictReport(result: ValidationResult, context: VerdictReportContext): string {
  const lines: string[] = [];
  lines.push(`${result.ok ? 'VALID' : 'INVALID'}  ${result.reason}`);
  lines.push(`  ${CERTIFICATE_REASONS[result.reason]}`);
  const failure = result.ok
    ? undefined
    : result.trace.find((entry) => entry.outcome === 'fail' && entry.reason === result.reason);
  if (failure !== undefined) {
    const subject = subjectAt(failure.certificate, result.path);
    lines.push(
      `failed  ${failure.rule ?? failure.check}: ${failure.check} at ${failure.certificate}${subject === undefined ? '' : ` ${subject}`}`,
    );
    if (failure.detail !== undefined && failure.detail.length > 0) lines.push(`        ${failure.detail}`);
  }
  lines.push('');
  lines.push(`time   ${context.time.toISOString()}`);
  if (result.leaf !== undefined) {
    const leaf = result.leaf;
    lines.push(`leaf   ${leaf.subject}`);
    lines.push(`       issuer ${leaf.issuer}, serial ${leaf.serialNumber}`);
    lines.push(`       valid ${leaf.notBefore} to ${leaf.notAfter}`);
    if (leaf.subjectAltNames.length > 0) lines.push(`       SAN ${leaf.subjectAltNames.join(', ')}`);
    lines.push(`       sha256 ${leaf.sha256Thumbprint}`);
  }
  if (result.userConstrainedPolicySet !== undefined) {
    const policies = result.userConstrainedPolicySet;
    lines.push(`policies ${policies.length === 0 ? 'none' : policies.join(', ')} (user-constrained)`);
  }
  lines.push('');
  const path = result.path ?? [];
  if (path.length === 0) {
    lines.push('path   none');
  } else {
    lines.push(result.ok ? 'path (leaf first)' : 'path (leaf first; the best path found, which failed)');
    lines.push(
      ...table(
        path.map((certificate, index) => [
          String(index),
          `${certificate.subject}${context.trustedThumbprints.has(certificate.sha256Thumbprint) ? '  [trusted CA]' : ''}`,
        ]),
        '  ',
      ),
    );
  }
  lines.push('');
  lines.push('trace');
  lines.push(
    ...table(
      [
        TRACE_HEADINGS,
        ...result.trace.map((entry) => [
          entry.check,
          entry.certificate,
          entry.outcome,
          entry.reason ?? '-',
          entry.detail ?? '',
        ]),
      ],
      '  ',
    ),
  );
  return `${lines.join('\n')}\n`;
}
