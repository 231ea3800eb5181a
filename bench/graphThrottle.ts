/**
 * Microsoft Graph throttled for 30 s under load: the stand-in answers every Graph call with 429
 * (Retry-After: the seconds left) while four clients keep sending decisions through the local mTLS
 * gateway: users whose memberships and device are cached, and users never seen before. Counts the
 * answers by status and reason, the Graph calls made during the window (Retry-After honoured: one),
 * and how soon after the window new users are decided from Graph again. Policy fail mode: closed.
 *
 *   NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt npx tsx bench/graphThrottle.ts [--seconds 30]
 */
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { gatewayRequest } from '../dev/tour.js';

const args = process.argv.slice(2);
const at = args.indexOf('--seconds');
const throttleSeconds = at >= 0 ? Number(args[at + 1]) : 30;
const FINANCE = '2d8e4f60-7a1b-4c3d-8e9f-0a1b2c3d4e5f';

const stack = await startEphemeralStack('graphthrottle', { CERTGATE_CONFIG_REFRESH_SECONDS: '5' });
try {
  const imported = await fetch(`${stack.hostUrl}/api/manage/configuration`, {
    method: 'POST',
    headers: {
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      schemaVersion: 1,
      settings: { defaultAction: 'allow', failMode: 'closed' },
      locations: [],
      policies: [
        {
          id: 'finance-needs-compliant-device',
          name: 'Finance needs a compliant device',
          state: 'enabled',
          priority: 10,
          conditions: {
            apps: { include: [{ appId: 'finance-app' }] },
            users: { include: { groups: [FINANCE] } },
            deviceTags: { notEquals: ['compliant'] },
          },
          action: 'block',
        },
      ],
    }),
  });
  if (imported.status !== 200) throw new Error(`importing the policies failed: ${imported.status}`);
  const device = { certPath: stack.pki.users.device!.certPath, keyPath: stack.pki.users.device!.keyPath };
  const tokens = new Map<string, string>();
  const token = async (upn: string) => {
    let found = tokens.get(upn);
    if (!found) tokens.set(upn, (found = await stack.tokens.mint(upn, [], DEV_APP_AUDIENCE)));
    return found;
  };
  const decide = async (upn: string, withDevice: boolean) => {
    const result = await gatewayRequest(stack, '/api/authorize?app=finance-app', withDevice ? device : undefined, {
      authorization: `Bearer ${await token(upn)}`,
      accept: 'application/json',
    });
    return { status: result.status, reasons: (result.body as { reasons?: string[] }).reasons ?? [] };
  };
  // Warm: dave (a nested Finance member) on the compliant device, alice (not in Finance).
  await decide('dave@contoso.example', true);
  await decide('alice@contoso.example', false);

  let newUser = 0;
  const tally = new Map<string, number>();
  const count = (phase: string, result: { status: number; reasons: readonly string[] }) => {
    const key = `${phase} ${result.status} ${result.reasons[0] ?? ''}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
  };
  const workload = async (phase: string, until: number) => {
    await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        for (let i = 0; performance.now() < until; i++) {
          const pick = (i + worker) % 3;
          const result =
            pick === 0
              ? await decide('dave@contoso.example', true)
              : pick === 1
                ? await decide('alice@contoso.example', false)
                : await decide(`visitor${newUser++}@contoso.example`, false);
          count(`${phase} ${pick === 2 ? 'new user   ' : 'cached user'}`, result);
        }
      }),
    );
  };

  stack.graph.reset();
  stack.graph.faults.set({ throttle: { forSeconds: throttleSeconds } });
  const throttleStart = performance.now();
  await workload('during', throttleStart + throttleSeconds * 1000);
  const callsDuring = stack.graph.calls();
  stack.graph.faults.clear();
  // After the window: how long until a new user is decided from Graph again (Retry-After passes).
  const afterStart = performance.now();
  let recoveredAfter = Number.NaN;
  while (performance.now() - afterStart < 60_000) {
    const result = await decide(`returning${newUser++}@contoso.example`, false);
    count('after  new user   ', result);
    if (result.status === 200) {
      recoveredAfter = (performance.now() - afterStart) / 1000;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const total = [...tally.values()].reduce((a, b) => a + b, 0);
  const fiveHundreds = [...tally.entries()].filter(([key]) => / 5\d\d /.test(key)).reduce((a, [, n]) => a + n, 0);
  console.log(`Graph throttled (429) for ${throttleSeconds} s, 4 clients through the gateway, fail mode closed:`);
  for (const [key, n] of [...tally.entries()].sort()) console.log(`  ${key.padEnd(60)} ${n}`);
  console.log(`  requests ${total}, 5xx ${fiveHundreds}`);
  console.log(`  Graph calls during the window: ${callsDuring.total} (token requests ${callsDuring.token})`);
  console.log(`  after the window, new users decided from Graph again after ${recoveredAfter.toFixed(1)} s`);
} finally {
  await stack.close();
}
