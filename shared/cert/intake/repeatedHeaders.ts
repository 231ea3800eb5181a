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
 * of each kind has one rule in {@link HEADER_REPEAT_RULES}, and the reason is written next to it.
 * May import: intake types.
 */
import type { GatewayKind, HeaderRole } from './types.js';

/**
 * How a repeat of a header shows:
 * - `single-value`: one value that never holds a comma (base64, URL-encoded PEM, an RFC 8941
 *   Item). Any comma is a joined repeat, whichever separator joined it.
 * - `tight-list`: a list the gateway writes with "," and no whitespace (Traefik's `certSeparator`
 *   is ","; Envoy appends XFCC elements with ","). Base64 and Envoy's quoted, URL-encoded values
 *   never put whitespace after a separator, so a comma followed by whitespace outside a quoted
 *   string is a ", "-joined repeat. A ","-joined repeat cannot be told from the gateway's own list
 *   by syntax: the Traefik reader catches it as a second leaf (a member after the first that is an
 *   end-entity certificate); for Envoy it reads as one more element, as a second Envoy hop would
 *   append, and the configured element choice decides (`only` refuses it).
 * - `structured-list`: an RFC 8941 List (RFC 9440 `Client-Cert-Chain`). RFC 8941 §3.1: a list
 *   split over several header lines is one list, so repeated lines are legitimate, in order.
 * - `verdict`: the gateway's verification verdict, `SUCCESS` | `NONE` | `FAILED:<reason>` with a
 *   free-text reason that may hold commas: a comma followed by a second verdict is a joined repeat.
 */
export type HeaderRepeatRule = 'single-value' | 'tight-list' | 'structured-list' | 'verdict';

/** The repeat rule of every role each gateway kind sends by default (see {@link HeaderRepeatRule}). */
export const HEADER_REPEAT_RULES: Readonly<Record<GatewayKind, Partial<Record<HeaderRole, HeaderRepeatRule>>>> = {
  // URL-encoded PEM (nginx $ssl_client_escaped_cert grammar): a comma would be %2C.
  'app-gateway': { certificate: 'single-value', verification: 'verdict' },
  // URL-encoded PEM, folded PEM or base64 DER: none holds a comma.
  'front-door': { certificate: 'single-value', verification: 'verdict' },
  // base64 DER.
  'app-service': { certificate: 'single-value' },
  // XFCC: elements separated by "," (Envoy: appendForwardedClientCert(details, ",")); values quoted.
  envoy: { certificate: 'tight-list' },
  nginx: { certificate: 'single-value', verification: 'verdict' },
  // base64 DER members joined with certSeparator "," (traefik pass_tls_client_cert.go), leaf first.
  traefik: { certificate: 'tight-list' },
  // URL-encoded PEM, chain and leaf.
  'aws-alb': { certificate: 'single-value', leaf: 'single-value' },
  // base64 DER.
  cloudflare: { certificate: 'single-value' },
  // Client-Cert is one Item; Client-Cert-Chain a List.
  rfc9440: { certificate: 'single-value', chain: 'structured-list' },
};

/** The repeat rule of a role; a role a kind does not send by default (a header-name override) is `single-value`, a verdict `verdict`. */
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
      return value.includes(',') ? 'contains a comma, which its format never does: a repeated header joined by the HTTP stack' : undefined;
    case 'tight-list':
      return spacedSeparatorOutsideQuotes(value) ? 'has ", " between members, which the gateway never writes: a repeated header joined by the HTTP stack' : undefined;
    case 'structured-list':
      return undefined;
    case 'verdict':
      return SECOND_VERDICT.test(value) ? 'holds two verdicts: a repeated header joined by the HTTP stack' : undefined;
  }
}
