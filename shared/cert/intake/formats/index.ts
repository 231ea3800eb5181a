/**
 * The gateway-format registry: every format certgate reads, one file each in this folder, in
 * documentation order. The gateway kinds (`GatewayKind`, `GATEWAY_KINDS`, the config enum), the
 * default header names and the repeat rules are derived from it; nothing else lists them.
 * Adding a format: write `formats/<kind>.ts` (see `GatewayFormat` in ../gatewayFormat.ts) and its
 * test, and add it to `GATEWAY_FORMATS` below; test/cert/intake/registry.test.ts fails until the
 * file is listed here and docs/gateways.md and the README name the kind.
 * May import: the format files, the format contract, the default verdict grammar.
 */
import type {
  CertificateHeaderValues,
  DecodedCertificates,
  FormatSettings,
  GatewayFormat,
  HeaderRepeatRule,
  HeaderRole,
  VerificationCodec,
} from '../gatewayFormat.js';
import { NGINX_VERDICTS } from '../gatewayVerification.js';
import type { IntakeStep } from '../intakeStep.js';
import { appGatewayFormat } from './app-gateway.js';
import { appServiceFormat } from './app-service.js';
import { awsAlbFormat } from './aws-alb.js';
import { cloudflareFormat } from './cloudflare.js';
import { envoyFormat } from './envoy.js';
import { frontDoorFormat } from './front-door.js';
import { haproxyFormat } from './haproxy.js';
import { nginxFormat } from './nginx.js';
import { rfc9440Format } from './rfc9440.js';
import { traefikFormat } from './traefik.js';

/** Every gateway format, in documentation order. */
export const GATEWAY_FORMATS = [
  appGatewayFormat,
  frontDoorFormat,
  appServiceFormat,
  envoyFormat,
  nginxFormat,
  traefikFormat,
  awsAlbFormat,
  cloudflareFormat,
  rfc9440Format,
  haproxyFormat,
] as const;

/** The gateways whose forwarded-certificate formats certgate reads. */
export type GatewayKind = (typeof GATEWAY_FORMATS)[number]['kind'];

/** Every gateway kind, in documentation order (a non-empty tuple, as `z.enum` takes it). */
export const GATEWAY_KINDS = Object.freeze(GATEWAY_FORMATS.map((format) => format.kind)) as unknown as readonly [
  GatewayKind,
  ...GatewayKind[],
];

const FORMAT_BY_KIND: ReadonlyMap<string, GatewayFormat<GatewayKind>> = new Map(
  GATEWAY_FORMATS.map((format) => [format.kind, format]),
);

/** The format of a gateway kind. */
export function gatewayFormatOf(kind: GatewayKind): GatewayFormat<GatewayKind> {
  const format = FORMAT_BY_KIND.get(kind);
  // Only a caller outside the type system (an unchecked config) gets here; the intake turns it into a rejection.
  if (format === undefined) throw new TypeError(`unknown gateway kind "${kind}"`);
  return format;
}

function tableOf<T>(pick: (format: GatewayFormat<GatewayKind>) => T): Readonly<Record<GatewayKind, T>> {
  return Object.freeze(
    Object.fromEntries(GATEWAY_FORMATS.map((format) => [format.kind, pick(format)])) as Record<GatewayKind, T>,
  );
}

/** Default header names per gateway kind and role. */
export const DEFAULT_HEADER_NAMES: Readonly<Record<GatewayKind, Readonly<Partial<Record<HeaderRole, string>>>>> =
  tableOf((format) => format.headers);

/**
 * The repeat rule of every role each gateway kind sends by default (see `HeaderRepeatRule`; the reasons are in the
 * format files).
 */
export const HEADER_REPEAT_RULES: Readonly<
  Record<GatewayKind, Readonly<Partial<Record<HeaderRole, HeaderRepeatRule>>>>
> = tableOf((format) => format.repeatRules);

/** The grammar of a kind's verification header: its own, or nginx's SUCCESS / NONE / FAILED:<reason>. */
export function verificationCodecOf(kind: GatewayKind): VerificationCodec {
  return gatewayFormatOf(kind).verification ?? NGINX_VERDICTS;
}

/** Decodes the certificate headers of one gateway with its kind's format. */
export function decodeCertificateHeaders(
  gateway: FormatSettings & { readonly kind: GatewayKind },
  values: CertificateHeaderValues,
): IntakeStep<DecodedCertificates> {
  return gatewayFormatOf(gateway.kind).decode(values, gateway);
}
