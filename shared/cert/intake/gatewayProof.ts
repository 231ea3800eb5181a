/**
 * The trust boundary: whether a request proves it came through a configured gateway. The proof is
 * every factor the gateway has configured, together: the secret header (compared in constant time
 * over SHA-256 digests, any of the accepted secrets so that rotation needs no downtime), the Front
 * Door profile id in `X-Azure-FDID` (front-door), and the immediate peer address inside the
 * trusted proxy ranges. A gateway with no factor configured proves nothing (fail closed).
 * May import: intake types, header names, address ranges, node:crypto.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import { compileAddressRanges, parseIpAddress, type AddressRanges, type IpAddress } from './addressRanges.js';
import { CERTIFICATE_ROLES, headerNameFor, secretHeaderFor } from './headerNames.js';
import type { ForwardedRequest, GatewayConfig } from './types.js';

/** The outcome of checking one gateway's proof. */
export interface GatewayProof {
  readonly proven: boolean;
  /** What held or failed, for the trace and the untrusted-forwarder log line (never secret values). */
  readonly notes: readonly string[];
}

interface CompiledGateway {
  readonly secretDigests: readonly Buffer[];
  readonly secretHeader: string;
  readonly frontDoorIdDigest?: Buffer;
  readonly frontDoorIdHeader?: string;
  readonly proxies: AddressRanges;
  readonly configuredFactors: number;
}

const compiledGateways = new WeakMap<GatewayConfig, CompiledGateway>();

const digest = (value: string): Buffer => hash('sha256', value, 'buffer');

function compile(gateway: GatewayConfig): CompiledGateway {
  const cached = compiledGateways.get(gateway);
  if (cached) return cached;
  const secretDigests = (gateway.secrets ?? []).filter((secret) => secret.length > 0).map(digest);
  const frontDoorId = gateway.kind === 'front-door' ? gateway.frontDoorId?.trim().toLowerCase() : undefined;
  const frontDoorIdHeader = frontDoorId ? headerNameFor(gateway, 'frontDoorId') : undefined;
  const proxies = compileAddressRanges(gateway.trustedProxies ?? []);
  const compiled: CompiledGateway = {
    secretDigests,
    secretHeader: secretHeaderFor(gateway),
    ...(frontDoorId && frontDoorIdHeader ? { frontDoorIdDigest: digest(frontDoorId), frontDoorIdHeader } : {}),
    proxies,
    configuredFactors:
      (secretDigests.length > 0 ? 1 : 0) +
      (frontDoorId && frontDoorIdHeader ? 1 : 0) +
      ((gateway.trustedProxies ?? []).length > 0 ? 1 : 0),
  };
  compiledGateways.set(gateway, compiled);
  return compiled;
}

function singleHeader(request: ForwardedRequest, name: string): string | null {
  const all = request.headers.getAll?.(name);
  if (all && all.length > 1) return null;
  return request.headers.get(name);
}

/** Index (1-based) of the accepted secret matching the presented one, or 0. Runs over every secret. */
function matchSecret(presented: string, secretDigests: readonly Buffer[]): number {
  const presentedDigest = digest(presented);
  let matched = 0;
  secretDigests.forEach((secretDigest, index) => {
    // no early exit: the time taken does not depend on which secret matched
    if (timingSafeEqual(presentedDigest, secretDigest) && matched === 0) matched = index + 1;
  });
  return matched;
}

/** Checks whether a request carries the proof the gateway is configured to give. */
export function proveGateway(gateway: GatewayConfig, request: ForwardedRequest): GatewayProof {
  const compiled = compile(gateway);
  const notes: string[] = [];
  if (compiled.configuredFactors === 0)
    return { proven: false, notes: [`${gateway.kind}: no proof configured (secrets, frontDoorId or trustedProxies)`] };
  let proven = true;
  if (compiled.secretDigests.length > 0) {
    const presented = singleHeader(request, compiled.secretHeader);
    const matched = presented === null ? 0 : matchSecret(presented, compiled.secretDigests);
    if (matched > 0)
      notes.push(`${gateway.kind}: gateway secret #${matched} of ${compiled.secretDigests.length} accepted`);
    else {
      proven = false;
      notes.push(`${gateway.kind}: gateway secret ${presented === null ? 'missing or repeated' : 'wrong'}`);
    }
  }
  if (compiled.frontDoorIdDigest && compiled.frontDoorIdHeader) {
    const presented = singleHeader(request, compiled.frontDoorIdHeader);
    if (presented !== null && timingSafeEqual(digest(presented.trim().toLowerCase()), compiled.frontDoorIdDigest)) {
      notes.push(`${gateway.kind}: Front Door id matches`);
    } else {
      proven = false;
      notes.push(`${gateway.kind}: Front Door id ${presented === null ? 'missing or repeated' : 'does not match'}`);
    }
  }
  if ((gateway.trustedProxies ?? []).length > 0) {
    const peer = request.remoteAddress === undefined ? undefined : parseIpAddress(request.remoteAddress);
    if (peer && compiled.proxies.contains(peer)) notes.push(`${gateway.kind}: peer ${peer.address} is a trusted proxy`);
    else {
      proven = false;
      notes.push(`${gateway.kind}: peer ${peer ? `${peer.address} is not a trusted proxy` : 'address unknown'}`);
    }
  }
  return { proven, notes };
}

/** Whether a peer or hop address lies in any gateway's trusted proxy ranges. */
export function isTrustedProxyAddress(gateways: readonly GatewayConfig[], address: string | IpAddress): boolean {
  const parsed = typeof address === 'string' ? parseIpAddress(address) : address;
  return parsed !== undefined && gateways.some((gateway) => compile(gateway).proxies.contains(parsed));
}

/**
 * One configured gateway checked against a request: its proof and the certificate headers of its kind the request
 * carries.
 */
export interface CheckedGateway {
  readonly gateway: GatewayConfig;
  readonly proof: GatewayProof;
  readonly headers: readonly string[];
}

/** The certificate header names of a gateway that the request carries. */
function presentCertificateHeaders(request: ForwardedRequest, gateway: GatewayConfig): string[] {
  const names: string[] = [];
  for (const role of CERTIFICATE_ROLES) {
    const name = headerNameFor(gateway, role);
    if (name !== undefined && request.headers.get(name) !== null) names.push(name);
  }
  return names;
}

/** Checks every configured gateway against the request, once (may throw if the headers object does). */
export function checkGateways(request: ForwardedRequest, gateways: readonly GatewayConfig[]): CheckedGateway[] {
  return gateways.map((gateway) => ({
    gateway,
    proof: proveGateway(gateway, request),
    headers: presentCertificateHeaders(request, gateway),
  }));
}

/**
 * The gateway the request came through: the first proven one whose certificate header is
 * present, else the first proven one; undefined when none proved itself. Every forwarded fact
 * (certificate, client IP, original host and URL) is read on this one proof.
 */
export function chosenGateway(checked: readonly CheckedGateway[]): CheckedGateway | undefined {
  const proven = checked.filter((entry) => entry.proof.proven);
  return proven.find((entry) => entry.headers.length > 0) ?? proven[0];
}
