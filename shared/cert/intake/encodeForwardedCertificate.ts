/**
 * The headers a gateway of each kind sends for a client certificate: the inverse of the intake's
 * decoding, used by the local gateway emulator and by round-trip tests. Each format encodes its
 * own values (formats/<kind>.ts); this module names the headers, applies overrides and adds the
 * verdict in the format's grammar. It does not add the gateway secret (the emulator adds its own
 * proof).
 * May import: the format registry and contract.
 */
import { gatewayFormatOf, verificationCodecOf, type GatewayKind } from './formats/index.js';
import type { GatewayVerification, HeaderRole } from './gatewayFormat.js';

/** Options of {@link encodeForwardedCertificate}. */
export interface ForwardedCertificateEncodingOptions {
  /** The verdict to send, for kinds with a verification header (omitted when not given). */
  readonly verification?: GatewayVerification;
  /** Header-name overrides by role, as in `GatewayConfig.headers`. */
  readonly headers?: Partial<Record<string, string>>;
}

type HeaderSetter = (role: HeaderRole, value: string) => void;

function headerSetter(
  kind: GatewayKind,
  options: ForwardedCertificateEncodingOptions,
  headers: Record<string, string>,
): HeaderSetter {
  const defaults = gatewayFormatOf(kind).headers;
  return (role, value) => {
    const name = options.headers?.[role] ?? defaults[role];
    if (name) headers[name] = value;
  };
}

function setVerification(kind: GatewayKind, verification: GatewayVerification | undefined, set: HeaderSetter): void {
  const value = verification ? verificationCodecOf(kind).format(verification) : undefined;
  if (value !== undefined) set('verification', value);
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
  const set = headerSetter(kind, options, headers);
  for (const [role, value] of Object.entries(gatewayFormatOf(kind).encode(leafDer, chainDer)) as [HeaderRole, string][])
    set(role, value);
  setVerification(kind, options.verification, set);
  return headers;
}

/**
 * The headers a gateway of `kind` sends when there is no certificate to forward: only its verdict
 * (e.g. App Gateway's `NONE`), in the format's grammar; none when the format sends nothing then.
 */
export function encodeGatewayVerification(
  kind: GatewayKind,
  verification: GatewayVerification,
  options: Pick<ForwardedCertificateEncodingOptions, 'headers'> = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  setVerification(kind, verification, headerSetter(kind, options, headers));
  return headers;
}
