/**
 * The `locations` condition: the client IP against named locations (by id or `tag:<tag>`, or
 * `any`), resolved to address ranges when the configuration is compiled.
 * May import: zod, the condition contract, the field schemas, the intake's address matcher.
 */
import { z } from 'zod';
import { compileAddressRanges, parseIpAddress, type AddressRanges } from '../../cert/intake/addressRanges.js';
import { defineCondition, defineFact, type LocationRanges, type ReferenceIssue } from '../condition.js';
import { checked, SLUG } from '../fieldSchemas.js';

const locationReference = checked(
  z.string(),
  (value) =>
    value === 'any' ||
    (value.startsWith('tag:')
      ? SLUG.test(value.slice(4)) && value.length <= 68
      : SLUG.test(value) && value.length <= 64),
  'invalid-location-reference',
  'expected a named-location id, tag:<tag> or any',
);

/** What `locations` reads. */
export interface LocationsRequest {
  readonly clientIp?: string;
}

/** The client IP; undefined when absent or not an IP address. */
const ip = defineFact('ip', (request: LocationsRequest) =>
  request.clientIp === undefined ? undefined : parseIpAddress(request.clientIp),
);

function resolveLocations(
  references: readonly string[],
  locations: readonly LocationRanges[],
): { any: boolean; ranges: AddressRanges } {
  if (references.includes('any')) return { any: true, ranges: compileAddressRanges([]) };
  const cidrs: string[] = [];
  for (const reference of references) {
    const chosen = reference.startsWith('tag:')
      ? locations.filter((location) => location.tags.includes(reference.slice(4)))
      : locations.filter((location) => location.id === reference);
    for (const location of chosen) cidrs.push(...location.ranges);
  }
  return { any: false, ranges: compileAddressRanges(cidrs) };
}

/** The `locations` condition. */
export const locations = defineCondition<LocationsRequest>()({
  name: 'locations',
  schema: z
    .strictObject({
      include: z.array(locationReference).min(1).max(100).optional(),
      exclude: z.array(locationReference).min(1).max(100).optional(),
    })
    .refine((where) => where.include !== undefined || where.exclude !== undefined, {
      message: 'locations needs include or exclude',
      params: { code: 'too-short' },
    }),
  reads: ['clientIp'],
  compile(condition, context) {
    const include =
      condition.include === undefined
        ? { any: true, ranges: compileAddressRanges([]) }
        : resolveLocations(condition.include, context.locations);
    const exclude =
      condition.exclude === undefined ? undefined : resolveLocations(condition.exclude, context.locations);
    const includeText = condition.include?.join(', ') ?? 'any';
    const excludeText = condition.exclude?.join(', ') ?? '';
    return (facts) => {
      const address = facts.get(ip);
      if (address === undefined) {
        return {
          result: 'unknown',
          detail: facts.request.clientIp === undefined ? 'client IP absent' : 'client IP is not an IP address',
        };
      }
      if (!include.any && !include.ranges.contains(address))
        return { result: 'no-match', detail: `${address.address} is not in ${includeText}` };
      if (exclude && (exclude.any || exclude.ranges.contains(address)))
        return { result: 'no-match', detail: `${address.address} is in excluded ${excludeText}` };
      return {
        result: 'match',
        detail: `${address.address} is in ${includeText}${exclude ? ` and not in ${excludeText}` : ''}`,
      };
    };
  },
  references(condition, catalogue) {
    const issues: ReferenceIssue[] = [];
    for (const side of ['include', 'exclude'] as const) {
      (condition[side] ?? []).forEach((reference, index) => {
        const path = `${side}[${index}]`;
        if (reference === 'any') return;
        if (reference.startsWith('tag:')) {
          if (!catalogue.tags.has(reference.slice(4)))
            issues.push({
              path,
              code: 'unknown-location-tag',
              message: `no named location has the tag ${reference.slice(4)}`,
            });
        } else if (!catalogue.ids.has(reference)) {
          issues.push({ path, code: 'unknown-location', message: `no named location has the id ${reference}` });
        }
      });
    }
    return issues;
  },
  example: { include: ['any'], exclude: ['tag:corporate'] },
  docs: {
    shape: '`{ include?: ref[], exclude?: ref[] }`, `ref` = location id, `tag:<tag>` or `any`',
    matchesWhen: 'the client IP is in an included location (no include = any) and in no excluded one',
  },
});
