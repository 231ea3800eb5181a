/**
 * The headers a gateway of each kind sends for a client certificate: the inverse of the intake's
 * decoding, used by the local gateway emulator and by round-trip tests. It does not add the
 * gateway secret (the emulator adds its own proof).
 * May import: intake types and encoding modules, node:crypto.
 */
import { createHash } from 'node:crypto';
import { encodeBase64 } from './base64Der.js';
import { formatGatewayVerification } from './gatewayVerification.js';
import { DEFAULT_HEADER_NAMES } from './headerNames.js';
import { encodePemCertificate } from './pemCertificates.js';
import { encodePercentNginxStyle } from './percentDecoding.js';
import { serialiseByteSequence } from './structuredFieldBytes.js';
import type { GatewayKind, GatewayVerification, HeaderRole } from './types.js';
import { quoteXfccValue } from './xfccHeader.js';

/** Options of {@link encodeForwardedCertificate}. */
export interface ForwardedCertificateEncodingOptions {
  /** The verdict to send, for kinds with a verification header (omitted when not given). */
  readonly verification?: GatewayVerification;
  /** Header-name overrides by role, as in `GatewayConfig.headers`. */
  readonly headers?: Partial<Record<string, string>>;
}

/**
 * The headers a gateway of `kind` would send for this leaf and chain (DER). Leaf-only formats
 * (app-gateway, nginx, front-door, app-service, cloudflare) drop the chain, as the gateways do.
 */
export function encodeForwardedCertificate(
  kind: GatewayKind,
  leafDer: Uint8Array,
  chainDer: readonly Uint8Array[] = [],
  options: ForwardedCertificateEncodingOptions = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  const set = (role: HeaderRole, value: string): void => {
    const name = options.headers?.[role] ?? DEFAULT_HEADER_NAMES[kind][role];
    if (name) headers[name] = value;
  };
  const leafPem = encodePemCertificate(leafDer);
  const chainPem = [leafDer, ...chainDer].map(encodePemCertificate).join('');
  switch (kind) {
    case 'app-gateway':
    case 'nginx':
    case 'front-door':
      set('certificate', encodePercentNginxStyle(leafPem));
      break;
    case 'app-service':
    case 'cloudflare':
      set('certificate', encodeBase64(leafDer));
      break;
    case 'traefik':
      set('certificate', [leafDer, ...chainDer].map(encodeBase64).join(','));
      break;
    case 'aws-alb':
      set('certificate', encodePercentNginxStyle(chainPem));
      break;
    case 'envoy': {
      const hash = createHash('sha256').update(leafDer).digest('hex');
      const parts = [`Hash=${hash}`, `Cert=${quoteXfccValue(encodeURIComponent(leafPem))}`];
      if (chainDer.length > 0) parts.push(`Chain=${quoteXfccValue(encodeURIComponent(chainPem))}`);
      set('certificate', parts.join(';'));
      break;
    }
    case 'rfc9440':
      set('certificate', serialiseByteSequence(leafDer));
      if (chainDer.length > 0) set('chain', chainDer.map(serialiseByteSequence).join(', '));
      break;
  }
  const verification = options.verification ? formatGatewayVerification(options.verification) : undefined;
  if (verification !== undefined) set('verification', verification);
  return headers;
}
