/**
 * `npm start`: the whole local stack on loopback with embedded defaults, then the tour, each step
 * run once against the live stack so the printed outcomes are the observed ones. Ctrl-C stops
 * everything. Settings: the app's from `local.settings.json` (else the sample); the stack's own
 * from the CERTGATE_DEV_* variables below.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStack } from './stack.js';
import { tourSteps } from './tour.js';
import { messageOf } from '../shared/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const port = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    console.error(`Setting ${name}: expected a port number, got "${raw}"`);
    process.exit(2);
  }
  return value;
};

const started = performance.now();
const log =
  env.CERTGATE_DEV_VERBOSE === '1'
    ? (line: string) => {
        console.log(line);
      }
    : (line: string) => {
        if (line.includes('error') || line.includes('unhandled')) console.error(line);
      };

let stack;
try {
  stack = await startStack({
    root,
    pkiDir: join(root, '.certgate', 'dev', 'pki'),
    tokenDir: join(root, '.certgate', 'dev', 'tokens'),
    demoPolicies: env.CERTGATE_DEV_DEMO_POLICIES !== '0',
    ports: {
      host: port('CERTGATE_DEV_HOST_PORT', 7071),
      gateway: port('CERTGATE_DEV_GATEWAY_PORT', 8443),
      pki: port('CERTGATE_DEV_PKI_PORT', 7080),
      sampleApp: port('CERTGATE_DEV_SAMPLE_APP_PORT', 7090),
      nginx: port('CERTGATE_DEV_NGINX_PORT', 8444),
      azurite: {
        blob: port('CERTGATE_DEV_AZURITE_BLOB_PORT', 10000),
        queue: port('CERTGATE_DEV_AZURITE_QUEUE_PORT', 10001),
        table: port('CERTGATE_DEV_AZURITE_TABLE_PORT', 10002),
      },
    },
    functionKey: env.CERTGATE_DEV_FUNCTION_KEY ?? 'dev-function-key',
    masterKey: env.CERTGATE_DEV_MASTER_KEY ?? 'dev-master-key',
    timerSeconds: port('CERTGATE_DEV_TIMER_SECONDS', 60),
    // The forward-auth path through a real nginx, when it is installed (CERTGATE_DEV_NGINX=0: off).
    nginx: env.CERTGATE_DEV_NGINX !== '0',
    log,
  });
} catch (error) {
  console.error(`certgate local stack failed to start: ${messageOf(error)}`);
  if (error instanceof Error && 'code' in error && error.code === 'EADDRINUSE') {
    console.error(
      'A port is taken: set CERTGATE_DEV_HOST_PORT / CERTGATE_DEV_GATEWAY_PORT / CERTGATE_DEV_PKI_PORT / CERTGATE_DEV_SAMPLE_APP_PORT / CERTGATE_DEV_AZURITE_*_PORT.',
    );
  }
  process.exit(1);
}

const running = stack;
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack…`);
  void running.close().then(() => process.exit(0));
};
process.on('SIGINT', () => {
  stop('SIGINT');
});
process.on('SIGTERM', () => {
  stop('SIGTERM');
});

const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`
certgate local stack is up (${seconds} s)
  functions  ${running.hostUrl}/api/<route>   (function key for manage/*: ${running.functionKey})
  gateway    ${running.gatewayUrl}/            (mTLS, App Gateway style: ${running.config.gateway.kind}, ${running.config.gateway.mode})
  dev PKI    ${join('.certgate', 'dev', 'pki')}/    (CRLs and CA certificates served at ${running.pkiUrl}/)
  storage    Azurite (in memory) ${running.azurite.endpoints.table}
  app        Contoso Files ${running.contosoFiles.url}/ (only through the gate: https://files.contoso.example via the gateway)
  nginx      ${running.nginxUrl ? `${running.nginxUrl}/            (auth_request to certgate in front of Contoso Files)` : 'not started (nginx is not installed, or CERTGATE_DEV_NGINX=0)'}

Tour: each command below was just run; the result is what it returned.
`);
let failures = 0;
for (const [index, step] of tourSteps(running, process.cwd()).entries()) {
  let observed: string;
  let ok = false;
  try {
    const result = await step.run();
    const tags = (result.body as { deviceTags?: string[] } | undefined)?.deviceTags ?? [];
    ok =
      result.status === step.expected.status &&
      step.expected.reasons.every((r) => result.reasons.includes(r)) &&
      (step.expected.deviceTags ?? []).every((t) => tags.includes(t));
    observed = `${result.status} ${result.reasons.join(', ')}${step.expected.deviceTags ? `; device tags ${tags.join(', ')}` : ''}`;
  } catch (error) {
    observed = `error: ${messageOf(error)}`;
  }
  if (!ok) failures++;
  console.log(`${index + 1}. ${step.title}`);
  console.log(`   $ ${step.curl}`);
  console.log(
    `   ${ok ? 'ok' : 'UNEXPECTED'}: ${observed}${ok ? '' : `   (expected ${step.expected.status} ${step.expected.reasons.join(', ')})`}\n`,
  );
}
console.log(`Also: curl -s ${running.hostUrl}/api/health`);
console.log(
  `      the management API takes a function key and an Entra-style token from the local issuer (${running.tokens.issuer}):`,
);
console.log(
  `      curl -s -H "x-functions-key: ${running.functionKey}" -H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn admin@contoso.example --roles Certgate.Admin)" ${running.hostUrl}/api/manage/cas`,
);
console.log(
  failures === 0
    ? '\nAll tour steps behaved as stated. Ctrl-C stops the stack.'
    : `\n${failures} tour step(s) did not behave as stated (see above). Ctrl-C stops the stack.`,
);
