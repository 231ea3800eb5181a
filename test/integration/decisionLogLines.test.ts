/**
 * authorize writes its decision log and alerts through the ports, and the ports write through the
 * invocation's logger: the same `certgate.decision` / `certgate.alert.*` JSON lines as before, at
 * the same levels, tagged with the invocation (real HttpRequest / InvocationContext, Azurite).
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { installFunctionsCore } from '../../dev/host/functionsCore.js';

let azurite: Azurite;
let authorize: (request: HttpRequest, context: InvocationContext) => Promise<{ status?: number }>;

beforeAll(async () => {
  installFunctionsCore();
  azurite = await startAzurite();
  Object.assign(process.env, {
    CERTGATE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    CERTGATE_TABLE_PREFIX: 'decisionlines',
    CERTGATE_GATEWAY_SECRETS: 'decision-lines-secret-0123456789',
    CERTGATE_GRAPH_ENABLED: 'false',
  });
  ({ authorize } = await import('../../functions/authorize.js'));
});
afterAll(async () => {
  await azurite.close();
});

/** Calls authorize; the lines its invocation logged, as `level event` with the parsed JSON. */
async function linesOf(headers: Record<string, string>): Promise<{ level: string; line: Record<string, unknown> }[]> {
  const logged: { level: string; line: Record<string, unknown> }[] = [];
  const context = new InvocationContext({
    invocationId: 'decision-lines',
    functionName: 'authorize',
    logHandler: (level, ...args) => {
      const text = args.map(String).join(' ');
      if (text.startsWith('{')) logged.push({ level, line: JSON.parse(text) as Record<string, unknown> });
    },
  });
  await authorize(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/authorize/', headers }), context);
  return logged;
}

describe('decision log and alerts through the invocation', () => {
  it('logs a block as a warning certgate.decision line with the whole decision', async () => {
    const lines = await linesOf({ 'x-certgate-gateway-secret': 'decision-lines-secret-0123456789' });
    expect(lines).toEqual([
      {
        level: 'warning',
        line: expect.objectContaining({
          event: 'certgate.decision',
          effect: 'block',
          reasons: expect.arrayContaining(['client-certificate-required']),
          trace: [],
          correlationId: expect.any(String),
          client: expect.any(Object),
        }),
      },
    ]);
  });

  it('raises the untrusted-forwarder alert for a certificate header without the gateway proof', async () => {
    const lines = await linesOf({ 'x-client-certificate': 'not-a-certificate' });
    expect(lines.map(({ level, line }) => `${level} ${String(line.event)}`)).toEqual([
      'warning certgate.alert',
      'warning certgate.decision',
    ]);
    // The alert's line is the CloudEvent the outbox sends: its type, id and data (docs/alerts.md).
    expect(Object.keys(lines[0]!.line)).toEqual(['event', 'type', 'id', 'data']);
    expect(lines[0]!.line).toMatchObject({ type: 'certgate.forwarder.untrusted' });
    expect(lines[1]!.line).toMatchObject({
      reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-untrusted-forwarder'],
    });
  });
});
