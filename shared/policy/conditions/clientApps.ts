/**
 * The `clientApps` condition: browser or mobile/desktop app, as `classifyClientApp` sorts the
 * User-Agent.
 * May import: zod, the condition contract, the client-app classifier.
 */
import { z } from 'zod';
import { CLIENT_APP_KINDS, classifyClientApp } from '../clientApp.js';
import { defineCondition, defineFact } from '../condition.js';

/** What `clientApps` reads. */
export interface ClientAppsRequest {
  readonly userAgent?: string;
}

const clientApp = defineFact('clientApp', (request: ClientAppsRequest) => classifyClientApp(request.userAgent));

/** The `clientApps` condition. */
export const clientApps = defineCondition<ClientAppsRequest>()({
  name: 'clientApps',
  schema: z.array(z.enum(CLIENT_APP_KINDS)).min(1),
  reads: ['userAgent'],
  compile(kinds) {
    const wanted = new Set(kinds);
    const wantedText = kinds.join(' or ');
    return (facts) => {
      const kind = facts.get(clientApp);
      return wanted.has(kind)
        ? { result: 'match', detail: `client app is ${kind}` }
        : { result: 'no-match', detail: `client app is ${kind}, not ${wantedText}` };
    };
  },
  example: ['browser'],
  docs: { shape: '`("browser" \\| "mobile-desktop")[]`', matchesWhen: 'the client app (see below) is listed' },
});
