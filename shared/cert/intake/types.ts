/**
 * The intake's public types: which gateways certgate sits behind, how they prove themselves, what
 * a forwarded request looks like to the intake and what the intake returns. Everything the intake
 * returns is *unvalidated* input: a `present` certificate has only been decoded, not trusted.
 * The gateway kinds come from the format registry (formats/index.ts); the vocabulary of a format
 * (header roles, the gateway verdict) from its contract (gatewayFormat.ts).
 * May import: intake reasons, intakeStep.ts, the format contract and registry.
 */
import type { GatewayKind } from './formats/index.js';
import type { GatewayVerification, XfccElementChoice } from './gatewayFormat.js';
import type { IntakeReason } from './reasons.js';

export { GATEWAY_KINDS, type GatewayKind } from './formats/index.js';
export type { GatewayVerification, HeaderRole, XfccElementChoice } from './gatewayFormat.js';
export { stepFail, stepOk, type IntakeStep } from './intakeStep.js';

/**
 * One gateway certgate sits behind. Its proof is every configured factor together: the secret
 * header (when `secrets` is non-empty), `X-Azure-FDID` (front-door with `frontDoorId`) and the
 * peer address (when `trustedProxies` is non-empty). A gateway with no factor configured is never
 * trusted.
 */
export interface GatewayConfig {
  readonly kind: GatewayKind;
  /** Accepted gateway secrets; two during a rotation. Empty strings are ignored. */
  readonly secrets?: readonly string[];
  /** Header carrying the secret (default `X-Certgate-Gateway-Secret`). */
  readonly secretHeader?: string;
  /** Front Door profile id that `X-Azure-FDID` must equal (front-door only). */
  readonly frontDoorId?: string;
  /** CIDR ranges (IPv4 / IPv6, a bare address means a single host) of the gateway hops. */
  readonly trustedProxies?: readonly string[];
  /** `strict`: a gateway FAILED verdict rejects at intake; `passthrough` (default): it is reported. */
  readonly mode?: 'passthrough' | 'strict';
  /** Header-name overrides by role (see {@link HeaderRole}). */
  readonly headers?: Partial<Record<string, string>>;
  /** Envoy only: which XFCC element to read (default `last`). */
  readonly xfccElement?: XfccElementChoice;
}

/** Caps on what the intake will decode. */
export interface IntakeLimits {
  /** Largest accepted header value, in UTF-8 bytes (default 16 KiB). */
  readonly maxHeaderBytes: number;
  /** Most certificates accepted in the forwarded chain besides the leaf (default 8). */
  readonly maxChainLength: number;
}

/** The default {@link IntakeLimits}. */
export const DEFAULT_INTAKE_LIMITS: IntakeLimits = Object.freeze({ maxHeaderBytes: 16 * 1024, maxChainLength: 8 });

/**
 * A request as the intake sees it. `headers.get` must be case-insensitive and join repeated
 * headers (Fetch `Headers` joins with ", ", ASP.NET with ","); when `getAll` is available it is
 * used to detect repeats exactly. `remoteAddress` is the immediate peer (may carry a port). Build
 * it with `forwardedRequestOf` from what the Functions host hands over.
 */
export interface ForwardedRequest {
  readonly headers: { get(name: string): string | null; getAll?(name: string): string[] };
  readonly remoteAddress?: string;
  /**
   * The X-Forwarded-For entries the peer forwarded, oldest first, when the caller has already
   * split the peer off the header (the Functions host appends the peer as the last entry;
   * `forwardedRequestOf` splits it). When absent, the X-Forwarded-For header is the whole chain
   * and `remoteAddress` the peer.
   */
  readonly forwardedFor?: readonly string[];
}

/** What the intake found. `present` bytes are unvalidated: the validator decides trust. */
export type IntakeResult =
  | {
      readonly kind: 'absent';
      readonly gateway?: GatewayKind;
      readonly trusted: boolean;
      readonly gatewayVerification?: GatewayVerification;
    }
  | {
      readonly kind: 'present';
      readonly gateway: GatewayKind;
      /** The client certificate, DER. */
      readonly leaf: Uint8Array;
      /** Further certificates the gateway forwarded, DER, leaf excluded, untrusted. */
      readonly chain: Uint8Array[];
      readonly gatewayVerification: GatewayVerification;
      /** How the intake reached this result, for the admin trace. */
      readonly trace: string[];
    }
  | {
      readonly kind: 'rejected';
      readonly reason: IntakeReason;
      readonly gateway?: GatewayKind;
      readonly detail: string;
    };
