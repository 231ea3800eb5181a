/**
 * What a gateway format is: the contract every file in formats/ fulfils, and the vocabulary it
 * is written in (header roles, repeat rules, the gateway's verdict, decoded certificates). A
 * format names its default headers by role, says how a repeat of each shows, decodes the header
 * values into DER and encodes DER back (for the local gateway and the tests), and carries its docs
 * line. The registry (formats/index.ts) derives the gateway kinds, the header-name and repeat-rule
 * tables and the config enum from the formats.
 * May import: intakeStep.ts (types only).
 */
import type { IntakeStep } from './intakeStep.js';

/**
 * Logical header roles a gateway kind may use; `GatewayConfig.headers` overrides their names
 * (an empty string switches the header off, e.g. a verification header the gateway cannot send).
 * - `certificate`: the main certificate header (for `aws-alb` the full chain, for `rfc9440` Client-Cert)
 * - `chain`: a separate chain header (`rfc9440` Client-Cert-Chain)
 * - `leaf`: a separate leaf-only header (`aws-alb` X-Amzn-Mtls-Clientcert-Leaf)
 * - `verification`: the gateway's own verdict (`SUCCESS` | `FAILED:<reason>` | `NONE`, unless the format says
 * otherwise)
 * - `frontDoorId`: the Front Door profile id (`X-Azure-FDID`)
 */
export type HeaderRole = 'certificate' | 'chain' | 'leaf' | 'verification' | 'frontDoorId';

/** Every header role. */
export const HEADER_ROLES: readonly HeaderRole[] = ['certificate', 'chain', 'leaf', 'verification', 'frontDoorId'];

/**
 * How a repeat of a header shows:
 * - `single-value`: one value that never holds a comma (base64, URL-encoded PEM, an RFC 8941
 *   Item). Any comma is a joined repeat, whichever separator joined it.
 * - `tight-list`: a list the gateway writes with "," and no whitespace (Traefik's `certSeparator`
 *   is ","; Envoy appends XFCC elements with ","). Base64 and Envoy's quoted, URL-encoded values
 *   never put whitespace after a separator, so a comma followed by whitespace outside a quoted
 *   string is a ", "-joined repeat. A ","-joined repeat cannot be told from the gateway's own list
 *   by syntax: the Traefik reader catches it as a second leaf (a member after the first that is an
 *   end-entity certificate); for Envoy it reads as one more element, as a second Envoy hop would
 *   append, and the configured element choice decides (`only` refuses it).
 * - `structured-list`: an RFC 8941 List (RFC 9440 `Client-Cert-Chain`). RFC 8941 §3.1: a list
 *   split over several header lines is one list, so repeated lines are legitimate, in order.
 * - `verdict`: the gateway's verification verdict, `SUCCESS` | `NONE` | `FAILED:<reason>` with a
 *   free-text reason that may hold commas: a comma followed by a second verdict is a joined repeat.
 */
export type HeaderRepeatRule = 'single-value' | 'tight-list' | 'structured-list' | 'verdict';

/** Which XFCC element describes the client when Envoy forwards several (see docs/gateways.md). */
export type XfccElementChoice = 'last' | 'first' | 'only';

/** The gateway's own verdict on the client certificate, when it sends one. */
export interface GatewayVerification {
  readonly status: 'success' | 'failed' | 'none' | 'not-provided';
  /** The gateway's failure reason (`FAILED:<reason>`), as sent. */
  readonly detail?: string;
}

/** The certificate-bearing header values of one request, by role (null: header absent or empty). */
export type CertificateHeaderValues = Readonly<Partial<Record<HeaderRole, string | null>>>;

/** Decoded certificates with a note on how they were read (for the admin trace). */
export interface DecodedCertificates {
  readonly leaf: Uint8Array;
  /** Further certificates, leaf excluded, in the order the gateway sent them. */
  readonly chain: Uint8Array[];
  readonly encoding: string;
}

/** The per-gateway settings a decoder may read (a `GatewayConfig` is one). */
export interface FormatSettings {
  /** Envoy only: which XFCC element to read (default `last`). */
  readonly xfccElement?: XfccElementChoice;
}

/** A verification header's grammar: its value → the verdict, and back. */
export interface VerificationCodec {
  /** Parses a present header value; an unknown value is `forwarded-certificate-verification-unrecognised`. */
  parse(value: string): IntakeStep<GatewayVerification>;
  /** The value a gateway sends for a verdict, or undefined when it sends no header for it. */
  format(verification: GatewayVerification): string | undefined;
}

/** One gateway format: a file in formats/ named after its kind. */
export interface GatewayFormat<K extends string = string> {
  /** The kind, as configured (`CERTGATE_GATEWAY_KIND`, `kind` of an additional gateway). */
  readonly kind: K;
  /** One line for the docs: the gateway and what it forwards, how. */
  readonly docs: string;
  /** Default header names by role (a gateway's `headers` overrides them). */
  readonly headers: Readonly<Partial<Record<HeaderRole, string>>>;
  /**
   * How a repeat of each default header shows (see {@link HeaderRepeatRule}), with the reason in a
   * comment: every role in `headers` except `frontDoorId` (part of the proof, where a repeat is no proof).
   */
  readonly repeatRules: Readonly<Partial<Record<HeaderRole, HeaderRepeatRule>>>;
  /**
   * Header values (size-checked, repeat-checked, empty ones as null, at least one present) → the
   * leaf and the chain, DER. Pure and total: every input gives a value or a reason code, never a
   * throw (the intake memoises the result per gateway and values).
   */
  decode(values: CertificateHeaderValues, settings: FormatSettings): IntakeStep<DecodedCertificates>;
  /** Leaf and chain (DER) → the header values a gateway of this kind sends, by role; the inverse of `decode`. */
  encode(leafDer: Uint8Array, chainDer: readonly Uint8Array[]): Partial<Record<HeaderRole, string>>;
  /** The verification header's grammar, when it is not nginx's `SUCCESS` / `NONE` / `FAILED:<reason>`. */
  readonly verification?: VerificationCodec;
}

/** Declares a format, keeping its kind a literal type (the registry derives `GatewayKind` from it). */
export function defineGatewayFormat<const K extends string>(format: GatewayFormat<K>): GatewayFormat<K> {
  // Frozen through: the registry hands these tables out as DEFAULT_HEADER_NAMES and HEADER_REPEAT_RULES.
  Object.freeze(format.headers);
  Object.freeze(format.repeatRules);
  return Object.freeze(format);
}
