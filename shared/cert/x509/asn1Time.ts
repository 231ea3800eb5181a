/**
 * UTCTime / GeneralizedTime decoding with the DER profile of RFC 5280 §4.1.2.5 (seconds present,
 * `Z` suffix, no fractions).
 * May import: ./derNodes.js.
 */
import { DerStructureError, UniversalTag, readAsciiContent, type DerNode } from './derNodes.js';

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/u;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/u;

/** Decode a Time node (UTCTime or GeneralizedTime) to a Date. Throws DerStructureError. */
export function readTime(node: DerNode | undefined, what: string): Date {
  if (node?.tagClass !== 'universal') throw new DerStructureError(`${what}: not a time`);
  const text = readAsciiContent(node.content);
  let match: RegExpExecArray | null;
  let year: number;
  if (node.tag === UniversalTag.utcTime) {
    match = UTC_TIME.exec(text);
    if (match === null) throw new DerStructureError(`${what}: malformed UTCTime`);
    const shortYear = Number(match[1]);
    year = shortYear >= 50 ? 1900 + shortYear : 2000 + shortYear;
  } else if (node.tag === UniversalTag.generalizedTime) {
    match = GENERALIZED_TIME.exec(text);
    if (match === null) throw new DerStructureError(`${what}: malformed GeneralizedTime`);
    year = Number(match[1]);
  } else {
    throw new DerStructureError(`${what}: not a time`);
  }
  const [month, day, hour, minute, second] = [match[2], match[3], match[4], match[5], match[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new DerStructureError(`${what}: out-of-range time field`);
  }
  const time = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(time);
  if (date.getUTCDate() !== day) throw new DerStructureError(`${what}: invalid calendar date`);
  return date;
}
