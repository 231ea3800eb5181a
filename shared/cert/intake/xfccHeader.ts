/**
 * Parser and writer for Envoy's `x-forwarded-client-cert` (XFCC) header: comma-separated elements
 * (one per proxy hop that appended one), each `key=value;key=value`. Values may be double-quoted
 * and then contain `,` `;` `=` and backslash-escaped `"` / `\`. Keys are compared
 * case-insensitively; `URI` and `DNS` may repeat within an element.
 * May import: intakeStep.ts.
 */
import { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

/** One XFCC element: lower-cased key → its values in order. */
export type XfccElement = ReadonlyMap<string, readonly string[]>;

const malformed = (detail: string): IntakeStep<never> =>
  stepFail('forwarded-certificate-malformed-encoding', `XFCC: ${detail}`);

/** Parses a whole XFCC header value into its elements, in header order. */
export function parseXfcc(value: string): IntakeStep<XfccElement[]> {
  const elements: XfccElement[] = [];
  let current = new Map<string, string[]>();
  let index = 0;
  const length = value.length;
  const skipSpaces = (): void => {
    while (index < length && (value[index] === ' ' || value[index] === '\t')) index++;
  };
  for (;;) {
    skipSpaces();
    const keyStart = index;
    while (index < length && value[index] !== '=' && value[index] !== ';' && value[index] !== ',') index++;
    const key = value.slice(keyStart, index).trim().toLowerCase();
    if (value[index] !== '=' || key === '') return malformed('expected key=value');
    index++;
    let item = '';
    if (value[index] === '"') {
      index++;
      let closed = false;
      while (index < length) {
        const char = value.charAt(index);
        if (char === '\\') {
          const escaped = value[index + 1];
          if (escaped === undefined) return malformed('dangling escape');
          item += escaped;
          index += 2;
        } else if (char === '"') {
          closed = true;
          index++;
          break;
        } else {
          item += char;
          index++;
        }
      }
      if (!closed) return malformed('unterminated quoted value');
      skipSpaces();
    } else {
      const valueStart = index;
      while (index < length && value[index] !== ';' && value[index] !== ',') index++;
      item = value.slice(valueStart, index).trim();
      if (item.includes('"')) return malformed('quote inside an unquoted value');
    }
    const values = current.get(key);
    if (values) values.push(item);
    else current.set(key, [item]);
    if (index >= length) {
      elements.push(current);
      return stepOk(elements);
    }
    const separator = value[index];
    index++;
    if (separator === ',') {
      elements.push(current);
      current = new Map<string, string[]>();
    } else if (separator !== ';') {
      return malformed('expected ; or , after a value');
    } else {
      skipSpaces();
      if (index >= length) {
        // a trailing `;` closes the last element
        elements.push(current);
        return stepOk(elements);
      }
    }
  }
}

/** Quotes an XFCC value (always, so that `,` `;` `=` inside it stay inside). */
export function quoteXfccValue(value: string): string {
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}
