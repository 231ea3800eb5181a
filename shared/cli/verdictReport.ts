/**
 * The human-readable report of `certgate verify`: the verdict with its reason code and
 * description, the leaf, the chosen path (subjects, leaf first, the trusted CA marked) and the
 * ordered trace as a table (check, certificate, outcome, reason, detail).
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
  return rows.map((row) => `${indent}${row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ')}`.trimEnd());
}

/** Render a validation result for a terminal; ends with a newline. */
export function formatVerdictReport(result: ValidationResult, context: VerdictReportContext): string {
  const lines: string[] = [];
  lines.push(`${result.ok ? 'VALID' : 'INVALID'}  ${result.reason}`);
  lines.push(`  ${CERTIFICATE_REASONS[result.reason]}`);
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
  lines.push('');
  const path = result.path ?? [];
  if (path.length === 0) {
    lines.push('path   none');
  } else {
    lines.push(result.ok ? 'path (leaf first)' : 'path (leaf first; the best path found, which failed)');
    lines.push(
      ...table(
        path.map((certificate, index) => [String(index), `${certificate.subject}${context.trustedThumbprints.has(certificate.sha256Thumbprint) ? '  [trusted CA]' : ''}`]),
        '  ',
      ),
    );
  }
  lines.push('');
  lines.push('trace');
  lines.push(...table([TRACE_HEADINGS, ...result.trace.map((entry) => [entry.check, entry.certificate, entry.outcome, entry.reason ?? '-', entry.detail ?? ''])], '  '));
  return `${lines.join('\n')}\n`;
}
