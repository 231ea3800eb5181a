/**
 * The request the decision benchmarks send: alice's certificate as the local stack's gateway
 * forwards it, with the gateway's secret, for the Contoso portal (a registered app, so the demo
 * policies apply). One definition, so every benchmark measures the same request.
 * May import: the dev stack's types, the demo policies.
 */
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import type { Stack } from '../dev/stack.js';

/** The headers of a warm, allowed request for the Contoso portal through the stack's proven gateway. */
export function forwardedCertificateHeaders(stack: Stack): Record<string, string> {
  return {
    'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    'x-forwarded-host': CONTOSO_PORTAL_HOST,
  };
}
