/**
 * The `userAgents` condition: the User-Agent header against globs.
 * May import: zod, the condition contract, the field schemas, the globs.
 */
import { z } from 'zod';
import { defineCondition, defineFact } from '../condition.js';
import { pattern } from '../fieldSchemas.js';
import { compileGlob, firstGlobMatch } from '../glob.js';

/** What `userAgents` reads. */
export interface UserAgentsRequest {
  readonly userAgent?: string;
}

/** Lower-cased User-Agent; '' when the client sent none. */
const userAgent = defineFact('userAgent', (request: UserAgentsRequest) => (request.userAgent ?? '').toLowerCase());

/** The `userAgents` condition. */
export const userAgents = defineCondition<UserAgentsRequest>()({
  name: 'userAgents',
  schema: z
    .strictObject({
      include: z.array(pattern).min(1).max(100).optional(),
      exclude: z.array(pattern).min(1).max(100).optional(),
    })
    .refine((agents) => agents.include !== undefined || agents.exclude !== undefined, {
      message: 'userAgents needs include or exclude',
      params: { code: 'too-short' },
    }),
  reads: ['userAgent'],
  compile(condition) {
    const include = condition.include?.map(compileGlob);
    const exclude = condition.exclude?.map(compileGlob) ?? [];
    return (facts) => {
      const agent = facts.get(userAgent);
      let detail = 'user agent is not excluded';
      if (include) {
        const hit = firstGlobMatch(include, agent);
        if (!hit) return { result: 'no-match', detail: 'user agent matches no included pattern' };
        detail = `user agent matches ${hit.source}`;
      }
      const excluded = firstGlobMatch(exclude, agent);
      if (excluded) return { result: 'no-match', detail: `user agent matches excluded ${excluded.source}` };
      return { result: 'match', detail };
    };
  },
  example: { exclude: ['*teams/*'] },
  docs: {
    shape: '`{ include?: glob[], exclude?: glob[] }`',
    matchesWhen:
      'the User-Agent matches an include glob (if any) and no exclude glob. `*` is the only wildcard; case-insensitive; whole-string match; a missing header is the empty string.',
  },
});
