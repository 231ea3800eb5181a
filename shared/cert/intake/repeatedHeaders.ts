/**
 * The one rule for repeated forwarded-certificate headers, per gateway format. A header that must
 * arrive once and arrives twice is `forwarded-certificate-duplicate-header` (400): two copies
 * make the certificate ambiguous, and reading either one lets an added copy choose the client.
 *
 * Repeats reach certgate in one of three shapes, and the rule must catch all three:
 *   - lines kept apart: a headers object with `getAll` (counted exactly);
 *   - joined with ", " (comma + space): Node's http server, undici and WHATWG `Headers`;
 *   - joined with "," (no space): ASP.NET `StringValues`, i.e. the Functions host, which hands
 *     the Node worker one string per header name.
 * What a joined repeat looks like depends on whether the format itself uses commas, so each role
 * of each kind has one rule (`HeaderRepeatRule`), written with its reason in the format's file
 * (formats/<kind>.ts); the registry collects them into HEADER_REPEAT_RULES.
 * May import: the format registry and contract (types).
 */
import type { HeaderRepeatRule, HeaderRole } from './gatewayFormat.js';
import { HEADER_REPEAT_RULES, type GatewayKind } from './formats/index.js';

export { HEADER_REPEAT_RULES };
export type { HeaderRepeatRule };

/**
 * The repeat rule of a role; a role a kind does not send by default (a header-name override) is `single-value`, a
 * verdict `verdict`.
 */
export function repeatRuleFor(kind: GatewayKind, role: HeaderRole): HeaderRepeatRule {
  return HEADER_REPEAT_RULES[kind][role] ?? (role === 'verification' ? 'verdict' : 'single-value');
}

/** Whether the rule allows several lines of the header (they are then one value). */
export function repeatsAllowed(rule: HeaderRepeatRule): boolean {
  return rule === 'structured-list';
}

/** A comma followed by whitespace, outside double-quoted strings (backslash escapes inside them). */
function spacedSeparatorOutsideQuotes(value: string): boolean {
  let quoted = false;
  for (let index = 0; index < value.length; index++) {
    const char = value[index];
    if (quoted) {
      if (char === '\\') index++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',' && (value[index + 1] === ' ' || value[index + 1] === '\t')) {
      return true;
    }
  }
  return false;
}

// A second verdict after a comma, in the gateways' own spelling (upper case), so that a reason
// such as "FAILED:no CRL, none matched" is not taken for one.
const SECOND_VERDICT = /,\s*(?:(?:SUCCESS|NONE)\s*(?:,|$)|FAILED(?::|\s*(?:,|$)))/;

/**
 * Why a single header value is a repeat joined by the HTTP stack, or undefined when it is not one
 * by its format's rule. (Repeats kept apart are counted by the caller with `getAll`.)
 */
export function joinedRepeatIn(rule: HeaderRepeatRule, value: string): string | undefined {
  switch (rule) {
    case 'single-value':
      return value.includes(',')
        ? 'contains a comma, which its format never does: a repeated header joined by the HTTP stack'
        : undefined;
    case 'tight-list':
      return spacedSeparatorOutsideQuotes(value)
        ? 'has ", " between members, which the gateway never writes: a repeated header joined by the HTTP stack'
        : undefined;
    case 'structured-list':
      return undefined;
    case 'verdict':
      return SECOND_VERDICT.test(value) ? 'holds two verdicts: a repeated header joined by the HTTP stack' : undefined;
  }
}
