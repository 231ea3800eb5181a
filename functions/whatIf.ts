/**
 * `POST /api/manage/whatif`: evaluate a hypothetical request, like Conditional Access What If:
 * a certificate (PEM, optional chain), a time, the app, client IP, user agent and user, through
 * the same pipeline as `authorize` (without the verdict cache), answered with the full decision:
 * reason codes, the certificate validation trace and every policy considered with every
 * condition. For an allowed request it also shows the session policies considered and the
 * controls in force, and, when `session` describes the request's method and headers and/or the
 * response's status and headers, the session verdict for them (`checkRequest` with the body
 * inspected as the gate does, `checkResponse`). Function-key protected.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import type { IntakeResult } from '../shared/cert/intake/index.js';
import type { SessionControls } from '../shared/session/index.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/access/decideAccess.js'),
  () => import('../shared/cert/validation/index.js'),
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/management.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/session/index.js'),
  async () => schemas((await import('zod')).z),
);

/** The request body's schemas, built on first use (zod is not loaded when the host imports the app). */
function schemas(zod: typeof z) {
  const HeaderMap = zod
    .record(zod.string().min(1).max(100), zod.string().max(8192))
    .refine((map) => Object.keys(map).length <= 100, {
      message: 'at most 100 headers',
    });

  /** A request / response shape to check the session controls against. */
  const SessionShape = zod.strictObject({
    method: zod
      .string()
      .regex(/^[A-Za-z]{1,20}$/)
      .optional(),
    headers: HeaderMap.optional(),
    response: zod.strictObject({ status: zod.int().min(100).max(599), headers: HeaderMap.optional() }).optional(),
  });

  const WhatIf = zod.strictObject({
    certificate: zod
      .string()
      .max(64 * 1024)
      .optional(),
    chain: zod
      .array(zod.string().max(64 * 1024))
      .max(8)
      .optional(),
    time: zod.iso.datetime({ offset: true }).optional(),
    app: zod
      .strictObject({
        id: zod.string().max(200).optional(),
        host: zod.string().max(255).optional(),
        path: zod.string().max(2048).optional(),
      })
      .optional(),
    clientIp: zod.union([zod.ipv4(), zod.ipv6()]).optional(),
    userAgent: zod.string().max(1024).optional(),
    user: zod
      .strictObject({
        id: zod.string().max(200).optional(),
        upn: zod.string().max(320).optional(),
        groups: zod.array(zod.string().max(100)).max(500).optional(),
      })
      .optional(),
    session: SessionShape.optional(),
  });
  return { WhatIf, SessionShape };
}

type SessionShapeInput = z.infer<ReturnType<typeof schemas>['SessionShape']>;

/** What what-if shows about session controls for an allowed request. */
function sessionView(
  controls: SessionControls | undefined,
  shape: SessionShapeInput | undefined,
  path: string | undefined,
  { checkRequest, checkResponse }: Pick<typeof import('../shared/session/index.js'), 'checkRequest' | 'checkResponse'>,
): Record<string, unknown> {
  const view: Record<string, unknown> = {
    policies: controls?.trace ?? [],
    inForce: (controls?.policies ?? []).map((policy) => ({
      policyId: policy.policyId,
      name: policy.name,
      enforced: policy.enforced,
      outcome: policy.outcome,
      controls: policy.controls.map((control) => control.type),
    })),
  };
  if (!shape) return view;
  let headers: Headers;
  let responseHeaders: Headers;
  try {
    headers = new Headers(shape.headers ?? {});
    responseHeaders = new Headers(shape.response?.headers ?? {});
  } catch {
    return { ...view, error: 'session: a header name or value is not valid HTTP' };
  }
  const request = { method: (shape.method ?? 'GET').toUpperCase(), url: path ?? '/', headers };
  return {
    ...view,
    request: checkRequest(controls, request),
    ...(shape.response
      ? { response: checkResponse(controls, request, { status: shape.response.status, headers: responseHeaders }) }
      : {}),
  };
}

export async function whatIf(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const loaded = modules.loaded ?? (await modules());
  const { WhatIf, decideAccess, parseCertificates, authorizeManagement, getServices, firstIssue, managementError } =
    loaded;
  const access = await authorizeManagement(request, getServices(), 'reader');
  if (!access.ok) return access.response;
  let body: unknown;
  try {
    body = await request.json();
  } catch {
    return managementError('request-body-invalid', 'the body is not valid JSON');
  }
  const parsed = WhatIf.safeParse(body);
  if (!parsed.success) return managementError('request-body-invalid', firstIssue(parsed.error));
  const input = parsed.data;
  const services = getServices();
  const now = input.time ? new Date(input.time) : services.clock.now();
  const correlationId = `whatif-${context.invocationId}`;
  let intake: IntakeResult = { kind: 'absent', trusted: true };
  if (input.certificate) {
    const certificates = parseCertificates(input.certificate);
    const chain = (input.chain ?? []).flatMap((pem) => {
      const parsedChain = parseCertificates(pem);
      return parsedChain.ok ? parsedChain.certificates.map((c) => c.der) : [];
    });
    if (!certificates.ok || !certificates.certificates[0])
      return managementError(
        'request-body-invalid',
        `certificate: ${certificates.ok ? 'no certificate' : certificates.detail}`,
      );
    const [leaf, ...rest] = certificates.certificates;
    intake = {
      kind: 'present',
      gateway: services.config.gateway.kind,
      leaf: leaf.der,
      chain: [...rest.map((c) => c.der), ...chain],
      gatewayVerification: { status: 'not-provided' },
      trace: ['what-if'],
    };
  }
  const client = {
    ...(input.clientIp ? { clientIp: input.clientIp } : {}),
    ...(input.app?.host ? { host: input.app.host } : {}),
    ...(input.app?.path ? { path: input.app.path } : {}),
    ...(input.userAgent ? { userAgent: input.userAgent } : {}),
  };
  // The admin asking may name the app outright (a hint); otherwise it is resolved from host and path as authorize does.
  const { decision, session } = await decideAccess(
    services,
    {
      intake,
      client,
      ...(input.app?.id ? { appHint: input.app.id } : {}),
      identity: input.user ? { user: input.user } : {},
      correlationId,
      now,
      fresh: true,
    },
    // A hypothetical request raises no alerts: nothing happened.
    {
      alerts: { raise: () => undefined },
      error: (line) => {
        context.error(`whatif: ${line}`);
      },
    },
  );
  return {
    status: 200,
    jsonBody: {
      ...decision,
      evaluatedAt: now.toISOString(),
      // Session controls act on allowed requests only.
      ...(decision.effect === 'allow' ? { session: sessionView(session, input.session, input.app?.path, loaded) } : {}),
    },
    headers: { 'cache-control': 'no-store' },
  };
}

app.http('manage-whatif', { methods: ['POST'], authLevel: 'function', route: 'api/manage/whatif', handler: whatIf });
