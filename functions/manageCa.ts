/**
 * `/api/manage/cas/{thumbprint}`: read (GET), change label / enabled / revocation / crlUrls (PATCH,
 * needs `If-Match`),
 * and remove (DELETE, `If-Match` optional) one trusted CA by SHA-256 thumbprint. Function-key
 * protected. A CRL URL that is not http(s) gets `crl-url-unsupported`; new CRL URLs are fetched
 * before the answer (bounded by a deadline) and `revocation.crls` says whether each loaded.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/http/managementAuth.js'),
  () => import('../shared/composition.js'),
  () => import('../shared/http/responses.js'),
  () => import('../shared/http/management.js'),
  () => import('../shared/http/caCrlView.js'),
  () => import('../shared/trust/revocationPolicy.js'),
);

export async function manageCa(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const {
    CaChangesSchema,
    authorizeManagement,
    roleFor,
    getServices,
    managementError,
    caView,
    firstIssue,
    storeFailure,
    caWithCrls,
    unsupportedCrlUrlDetail,
    firstUnsupportedCrlUrl,
  } = modules.loaded ?? (await modules());
  const access = await authorizeManagement(request, getServices(), roleFor(request));
  if (!access.ok) return access.response;
  const thumbprint = (request.params.thumbprint ?? '').toLowerCase().replaceAll(':', '');
  if (!/^[0-9a-f]{64}$/.test(thumbprint)) return managementError('thumbprint-invalid');
  const services = getServices();
  const ifMatch = request.headers.get('if-match') ?? undefined;
  try {
    if (request.method === 'GET') {
      const ca = await services.trustedCas.get(thumbprint);
      return ca
        ? { status: 200, jsonBody: caView(ca), headers: { etag: ca.etag, 'cache-control': 'no-store' } }
        : managementError('ca-not-found');
    }
    if (request.method === 'DELETE') {
      await services.trustedCas.remove(thumbprint, ifMatch);
      services.trustAnchors.invalidate();
      context.log(JSON.stringify({ event: 'certgate.audit.ca-removed', by: access.actor, thumbprint }));
      return { status: 204 };
    }
    if (!ifMatch) return managementError('if-match-required');
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return managementError('request-body-invalid', 'the body is not valid JSON');
    }
    const unsupported = firstUnsupportedCrlUrl(
      typeof body === 'object' && body !== null ? (body as { crlUrls?: unknown }).crlUrls : undefined,
    );
    if (unsupported) return managementError('crl-url-unsupported', unsupportedCrlUrlDetail(unsupported.url));
    const changes = CaChangesSchema.safeParse(body);
    if (!changes.success) {
      return managementError('request-body-invalid', firstIssue(changes.error));
    }
    const updated = await services.trustedCas.update(thumbprint, changes.data, ifMatch);
    services.trustAnchors.invalidate();
    context.log(
      JSON.stringify({ event: 'certgate.audit.ca-changed', by: access.actor, thumbprint, changes: changes.data }),
    );
    // New CRL URLs are loaded now, so the next request does not meet a CRL that was never fetched.
    const crls = changes.data.crlUrls && updated.enabled ? await services.crls.loadNow(updated.crlUrls) : undefined;
    return {
      status: 200,
      jsonBody: crls ? caWithCrls(updated, crls) : caView(updated),
      headers: { etag: updated.etag, 'cache-control': 'no-store' },
    };
  } catch (error) {
    return storeFailure(error, context);
  }
}

app.http('manage-ca', {
  methods: ['GET', 'PATCH', 'DELETE'],
  authLevel: 'function',
  route: 'api/manage/cas/{thumbprint}',
  handler: manageCa,
});
