/**
 * The tour: requests that show what certgate does, each with the exact curl command a user can
 * type and the outcome it should give. `npm start` runs every step against the live stack and
 * prints the observed outcome next to the expected one; the end-to-end test asserts them.
 * Dev and test only.
 * May import: node built-ins, the stack type, the certgate CLI (the decision log steps run it in-process), the gate
 * tour's steps.
 */
import { request as httpsRequest } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { main as certgateCli } from '../shared/cli/certgateCommand.js';
import { CONTOSO_PORTAL_HOST } from './demoPolicies.js';
import { gateTourSteps } from './gateTour.js';
import { DEV_APP_AUDIENCE, type Stack } from './stack.js';

/** One tour step. */
export interface TourStep {
  readonly title: string;
  readonly curl: string;
  /** What the step must answer; `deviceTags`, when given, must all be in the decision's tags. */
  readonly expected: {
    readonly status: number;
    readonly reasons: readonly string[];
    readonly deviceTags?: readonly string[];
  };
  run(): Promise<{ status: number; reasons: readonly string[]; body: unknown }>;
}

/** An HTTPS request through the gateway, optionally with a client certificate and extra headers. */
export async function gatewayRequest(
  stack: Stack,
  path: string,
  client?: { certPath: string; keyPath: string },
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, stack.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: 'GET',
        ca: stack.pki.root.certPem,
        headers,
        // A Host header (the app's host, as curl -H "Host: …" sends it) must not become the TLS server name: the
        // gateway is 127.0.0.1.
        servername: '',
        checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
          checkServerIdentity(url.hostname, certificate),
        agent: false,
        ...(localAddress ? { localAddress } : {}),
        ...(client ? { cert: readFileSync(client.certPath), key: readFileSync(client.keyPath) } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function reasonsOf(body: unknown): string[] {
  if (body && typeof body === 'object' && 'reasons' in body && Array.isArray(body.reasons))
    return body.reasons.map(String);
  return [];
}

/** The tour for a running stack; paths in curl commands are relative to `cwd`. */
export function tourSteps(stack: Stack, cwd: string): TourStep[] {
  const rel = (p: string) => relative(cwd, p) || p;
  const cacert = rel(stack.pki.root.certPath);
  const url = `${stack.gatewayUrl}/api/authorize`;
  const withCert = (name: string, expected: TourStep['expected'], title: string): TourStep => {
    const user = stack.pki.users[name];
    if (!user) throw new Error(`dev PKI has no ${name}`);
    return {
      title,
      curl: `curl -s --cacert ${cacert} --cert ${rel(user.certPath)} --key ${rel(user.keyPath)} ${url}`,
      expected,
      run: async () => {
        const r = await gatewayRequest(stack, '/api/authorize', user);
        return { ...r, reasons: reasonsOf(r.body) };
      },
    };
  };
  const secretHeader = stack.config.gateway.secretHeader;
  const alice = stack.pki.users.alice;
  const asUser = (upn: string, expected: TourStep['expected'], title: string): TourStep => ({
    title,
    curl: `curl -s --cacert ${cacert} --cert ${rel(alice?.certPath ?? '')} --key ${rel(alice?.keyPath ?? '')} -H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn ${upn} --audience ${DEV_APP_AUDIENCE} --groups '')" -H "Host: ${CONTOSO_PORTAL_HOST}" ${url}`,
    expected,
    run: async () => {
      const token = await stack.tokens.mint(upn, [], DEV_APP_AUDIENCE, []);
      const r = await gatewayRequest(stack, '/api/authorize', alice, {
        host: CONTOSO_PORTAL_HOST,
        authorization: `Bearer ${token}`,
      });
      return { ...r, reasons: reasonsOf(r.body) };
    },
  });
  const demo = (from: '127.0.0.1' | '127.0.0.2', expected: TourStep['expected'], title: string): TourStep => ({
    title,
    curl: `curl -s --cacert ${cacert}${from === '127.0.0.2' ? ' --interface 127.0.0.2' : ''} -H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn alice@contoso.example --audience ${DEV_APP_AUDIENCE} --groups '')" -H "Host: ${CONTOSO_PORTAL_HOST}" ${url}`,
    expected,
    run: async () => {
      const token = await stack.tokens.mint('alice@contoso.example', [], DEV_APP_AUDIENCE, []);
      const r = await gatewayRequest(
        stack,
        '/api/authorize',
        undefined,
        { host: CONTOSO_PORTAL_HOST, authorization: `Bearer ${token}` },
        from,
      );
      return { ...r, reasons: reasonsOf(r.body) };
    },
  });
  // Dave's token carries no groups claim (as on overage): his Finance membership, through the
  // nested group Finance Approvers, and the dev laptop's compliance come from the Graph stand-in.
  const office = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)';
  const device = stack.pki.users.device;
  const daveDesktop = (onDevice: boolean, expected: TourStep['expected'], title: string): TourStep => ({
    title,
    curl: `curl -s --cacert ${cacert}${onDevice ? ` --cert ${rel(device?.certPath ?? '')} --key ${rel(device?.keyPath ?? '')}` : ''} -A "${office}" -H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn dave@contoso.example --audience ${DEV_APP_AUDIENCE})" -H "Host: ${CONTOSO_PORTAL_HOST}" ${url}`,
    expected,
    run: async () => {
      const token = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
      const r = await gatewayRequest(stack, '/api/authorize', onDevice ? device : undefined, {
        host: CONTOSO_PORTAL_HOST,
        authorization: `Bearer ${token}`,
        'user-agent': office,
      });
      return { ...r, reasons: reasonsOf(r.body) };
    },
  });
  // The decision log: the CLI in-process, as `npx tsx shared/cli/certgate.ts decisions …` runs it, polled
  // while the worker's writer flushes (every CERTGATE_DECISION_LOG_FLUSH_MS, off the request's path).
  const readerMint = 'npx tsx dev/tokens/mint.ts --upn admin@contoso.example --roles Certgate.Reader';
  const cliFlags = `--url ${stack.hostUrl} --key ${stack.functionKey} --token "$(${readerMint})"`;
  const decisionsCli = async (
    args: readonly string[],
    done: (json: unknown) => boolean,
  ): Promise<{ code: number; json: unknown }> => {
    const token = await stack.tokens.mint('admin@contoso.example', ['Certgate.Reader']);
    for (let attempt = 0; ; attempt++) {
      let out = '';
      const code = await certgateCli(
        ['decisions', ...args, '--json', '--url', stack.hostUrl, '--key', stack.functionKey, '--token', token],
        { stdout: { write: (text: string) => (out += text) }, stderr: { write: () => true } },
      );
      const json: unknown = code === 0 ? JSON.parse(out) : undefined;
      if ((code === 0 && done(json)) || attempt >= 50) return { code, json };
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const wouldBlock = (json: unknown): number =>
    (json as { wouldBlock?: { requests: number } }).wouldBlock?.requests ?? 0;
  const reportOnlyImpact: TourStep = {
    title:
      "the report-only policy everyone-require-certificate-report-only after this traffic: whom it would have blocked (alice's certificate-less office request above), from the decision log",
    curl: `npx tsx shared/cli/certgate.ts decisions impact everyone-require-certificate-report-only ${cliFlags}`,
    expected: { status: 200, reasons: ['would-block'] },
    run: async () => {
      const { code, json } = await decisionsCli(
        ['impact', 'everyone-require-certificate-report-only'],
        (impact) => wouldBlock(impact) > 0,
      );
      return { status: code === 0 ? 200 : 500, reasons: wouldBlock(json) > 0 ? ['would-block'] : [], body: json };
    },
  };
  // The alert of a block: block-external-without-certificate has `alert`, so the block above leaves as a signed
  // CloudEvent through the outbox queue to the local webhook sink (its page lists what arrived); polled, bounded.
  const alertAtSink: TourStep = {
    title: `the alert of that block: a signed certgate.policy.blocked event (alice, block-external-without-certificate) arrived at the local webhook sink, ${stack.alertSinkUrl}`,
    curl: `curl -s ${stack.alertSinkUrl}alerts.json`,
    expected: { status: 200, reasons: ['alert-delivered'] },
    run: async () => {
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${stack.alertSinkUrl}alerts.json`);
        const { received } = (await res.json()) as {
          received: { event: { type?: string; data?: Record<string, unknown> } }[];
        };
        const event = received.find(
          (r) =>
            r.event.type === 'certgate.policy.blocked' &&
            r.event.data?.policy === 'block-external-without-certificate' &&
            r.event.data.user === 'alice@contoso.example',
        )?.event;
        if (event || attempt >= 100)
          return { status: res.status, reasons: event ? ['alert-delivered'] : [], body: event };
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
  };
  const demoSteps = stack.demoPolicies
    ? [
        demo(
          '127.0.0.2',
          { status: 200, reasons: ['policy-allow'] },
          'demo policies: alice, no certificate, the portal from the office (127.0.0.2 stands in for it): allowed',
        ),
        demo(
          '127.0.0.1',
          { status: 403, reasons: ['policy-block'] },
          'demo policies: the same from outside the office: blocked by block-external-without-certificate',
        ),
        alertAtSink,
        daveDesktop(
          false,
          { status: 403, reasons: ['policy-block'] },
          'demo policies + Graph: dave (in Finance through a nested group, read from Graph) in Outlook, no managed device: blocked by finance-apps-require-managed-device',
        ),
        daveDesktop(
          true,
          {
            status: 200,
            reasons: ['policy-allow'],
            deviceTags: ['valid-client-certificate', 'compliant', 'hybrid-joined'],
          },
          'the same from the dev laptop (its certificate names Entra device; Graph says compliant, hybrid-joined): allowed by managed-devices-allow',
        ),
        reportOnlyImpact,
        // The gate: Contoso Files behind gateway → certgate → app, with the demo session policies (dev/gateTour.ts).
        ...gateTourSteps(stack, cwd),
      ]
    : [];
  return [
    ...demoSteps,
    withCert(
      'alice',
      { status: 200, reasons: ['client-certificate-valid'] },
      "alice's certificate from the trusted dev CA: allowed",
    ),
    {
      title: 'no client certificate: blocked',
      curl: `curl -s --cacert ${cacert} ${url}`,
      expected: { status: 403, reasons: ['client-certificate-required'] },
      run: async () => {
        const r = await gatewayRequest(stack, '/api/authorize');
        return { ...r, reasons: reasonsOf(r.body) };
      },
    },
    {
      title:
        "a blocked browser's block page gives a reference: it is the correlation id, and certgate decisions show explains the decision (what was checked, which check failed)",
      curl: `REF=$(curl -s --cacert ${cacert} -H "Accept: text/html" ${url} | sed -n 's/.*reference: <code>\\([^<]*\\)<.*/\\1/p'); npx tsx shared/cli/certgate.ts decisions show $REF ${cliFlags}`,
      expected: { status: 200, reasons: ['client-certificate-required'] },
      run: async () => {
        const page = await gatewayRequest(stack, '/api/authorize', undefined, { accept: 'text/html' });
        const reference = /reference: <code>([^<]+)<\/code>/.exec(String(page.body))?.[1] ?? 'no-reference-on-the-page';
        const { code, json } = await decisionsCli(['show', reference], () => true);
        const reasons = (json as { decision?: { reasons: string[] } } | undefined)?.decision?.reasons ?? [];
        return { status: code === 0 ? 200 : 404, reasons, body: json };
      },
    },
    withCert(
      'expired',
      { status: 403, reasons: ['client-certificate-invalid', 'certificate-expired'] },
      'an expired certificate: blocked, and the reason says so',
    ),
    withCert(
      'not-yet-valid',
      { status: 403, reasons: ['client-certificate-invalid', 'certificate-not-yet-valid'] },
      'a certificate not valid yet: blocked',
    ),
    withCert(
      'untrusted',
      { status: 403, reasons: ['client-certificate-invalid', 'certificate-untrusted'] },
      'a certificate from a CA nobody trusts: blocked',
    ),
    withCert(
      'revoked',
      { status: 403, reasons: ['client-certificate-invalid', 'certificate-revoked'] },
      "a certificate on the issuing CA's CRL: blocked as revoked",
    ),
    withCert(
      'no-client-auth',
      { status: 403, reasons: ['client-certificate-invalid', 'certificate-eku-missing'] },
      'a certificate without the Client Authentication EKU: blocked',
    ),
    asUser(
      'alice@contoso.example',
      { status: 200, reasons: ['client-certificate-valid'] },
      'alice, signed in, with her own certificate: allowed',
    ),
    asUser(
      'bob@contoso.example',
      { status: 403, reasons: ['client-certificate-not-bound-to-user'] },
      "bob, signed in, presenting alice's certificate: blocked (the certificate is not his)",
    ),
    {
      title: 'a forged certificate header sent straight to the functions, without the gateway secret: refused (401)',
      curl: `curl -s -H "X-Client-Certificate: $(node -p "encodeURIComponent(require('fs').readFileSync('${rel(stack.pki.users.alice?.certPath ?? '')}','utf8'))")" ${stack.hostUrl}/api/authorize`,
      expected: {
        status: 401,
        reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-untrusted-forwarder'],
      },
      run: async () => {
        const pem = stack.pki.users.alice?.certPem ?? '';
        const res = await fetch(`${stack.hostUrl}/api/authorize`, {
          headers: { 'x-client-certificate': encodeURIComponent(pem), [secretHeader]: 'not-the-secret-0000000' },
        });
        const body: unknown = await res.json();
        return { status: res.status, reasons: reasonsOf(body), body };
      },
    },
  ];
}
