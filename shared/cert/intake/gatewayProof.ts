/**
 * The trust boundary: whether a request proves it came through a configured gateway. The proof is
 * every factor the gateway has configured, together: the secret header (compared in constant time
 * with every accepted secret, so that rotation needs no downtime), the Front Door profile id in
 * `X-Azure-FDID` (front-door), and the immediate peer address inside the trusted proxy ranges. A
 * gateway with no factor configured proves nothing (fail closed).
 * May import: intake types, header names, address ranges.
 */
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
  readonly secrets: readonly string[];
  readonly secretHeader: string;
  readonly frontDoorId?: string;
  readonly frontDoorIdHeader?: string;
  readonly proxies: AddressRanges;
  readonly configuredFactors: number;
  /** Proofs already given, by outcome (see {@link proveGateway}): the same outcome is the same frozen proof. */
  readonly proofs: Map<string, GatewayProof>;
}

/** Outcomes remembered per gateway (peer addresses make the outcomes many); oldest out first. */
const PROOF_MEMO_ENTRIES = 1024;

const compiledGateways = new WeakMap<GatewayConfig, CompiledGateway>();

/**
 * Whether `presented` equals `accepted`, in a time that depends on `presented`'s length only: every code unit of it is
 * compared with the accepted text's (repeated to length), with no branch and no early exit on a difference, and the
 * lengths' difference is folded into the same result, so neither where a guess goes wrong nor the accepted length
 * shows. A loop over the text, not a SHA-256 of each side and `timingSafeEqual` (the digests only served to give the
 * buffers one length): the hash goes through OpenSSL on every request, which costs several µs per request when the
 * host has just evicted it from the caches.
 */
export function equalInConstantTime(presented: string, accepted: string): boolean {
  const length = accepted.length;
  if (length === 0) return presented.length === 0;
  let difference = presented.length ^ length;
  for (let index = 0; index < presented.length; index++)
    difference |= presented.charCodeAt(index) ^ accepted.charCodeAt(index % length);
  return difference === 0;
}

function compile(gateway: GatewayConfig): CompiledGateway {
  const cached = compiledGateways.get(gateway);
  if (cached) return cached;
  const secrets = (gateway.secrets ?? []).filter((secret) => secret.length > 0);
  const frontDoorId = gateway.kind === 'front-door' ? gateway.frontDoorId?.trim().toLowerCase() : undefined;
  const frontDoorIdHeader = frontDoorId ? headerNameFor(gateway, 'frontDoorId') : undefined;
  const proxies = compileAddressRanges(gateway.trustedProxies ?? []);
  const compiled: CompiledGateway = {
    secrets,
    secretHeader: secretHeaderFor(gateway),
    ...(frontDoorId && frontDoorIdHeader ? { frontDoorId, frontDoorIdHeader } : {}),
    proxies,
    proofs: new Map(),
    configuredFactors:
      (secrets.length > 0 ? 1 : 0) +
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
function matchSecret(presented: string, secrets: readonly string[]): number {
  let matched = 0;
  // no early exit: the time taken does not depend on which secret matched
  for (let index = 0; index < secrets.length; index++) {
    if (equalInConstantTime(presented, secrets[index] as string) && matched === 0) matched = index + 1;
  }
  return matched;
}

/**
 * Checks whether a request carries the proof the gateway is configured to give. Each factor's
 * outcome is found first (secret: which one matched, or missing / wrong; Front Door id: matches,
 * missing, differs; peer: trusted or not, by address); the proof with its notes is a function of
 * those outcomes, so it is built once per outcome and shared, frozen, between requests.
 */
export function proveGateway(gateway: GatewayConfig, request: ForwardedRequest): GatewayProof {
  const compiled = compile(gateway);
  if (compiled.configuredFactors === 0)
    return { proven: false, notes: [`${gateway.kind}: no proof configured (secrets, frontDoorId or trustedProxies)`] };
  let secret = 0; // matched secret (1-based), 0 missing or repeated, -1 wrong
  if (compiled.secrets.length > 0) {
    const presented = singleHeader(request, compiled.secretHeader);
    secret = presented === null ? 0 : matchSecret(presented, compiled.secrets) || -1;
  }
  let frontDoor = ''; // '' not configured, '=' matches, '0' missing or repeated, '!' does not match
  if (compiled.frontDoorId && compiled.frontDoorIdHeader) {
    const presented = singleHeader(request, compiled.frontDoorIdHeader);
    frontDoor =
      presented === null ? '0' : equalInConstantTime(presented.trim().toLowerCase(), compiled.frontDoorId) ? '=' : '!';
  }
  let peer: IpAddress | undefined;
  let peerTrusted = false;
  const checksPeer = (gateway.trustedProxies ?? []).length > 0;
  if (checksPeer) {
    peer = request.remoteAddress === undefined ? undefined : parseIpAddress(request.remoteAddress);
    peerTrusted = peer !== undefined && compiled.proxies.contains(peer);
  }
  const key = `${secret}|${frontDoor}|${checksPeer ? `${peerTrusted ? '+' : '-'}${peer?.address ?? ''}` : ''}`;
  const known = compiled.proofs.get(key);
  if (known) return known;
  const proof = proofOf(gateway.kind, compiled, secret, frontDoor, checksPeer, peer, peerTrusted);
  if (compiled.proofs.size >= PROOF_MEMO_ENTRIES) compiled.proofs.delete(compiled.proofs.keys().next().value as string);
  compiled.proofs.set(key, proof);
  return proof;
}

/** The proof and its notes for the outcomes {@link proveGateway} found (frozen: it is shared). */
function proofOf(
  kind: GatewayConfig['kind'],
  compiled: CompiledGateway,
  secret: number,
  frontDoor: string,
  checksPeer: boolean,
  peer: IpAddress | undefined,
  peerTrusted: boolean,
): GatewayProof {
  const notes: string[] = [];
  let proven = true;
  if (compiled.secrets.length > 0) {
    if (secret > 0) notes.push(`${kind}: gateway secret #${secret} of ${compiled.secrets.length} accepted`);
    else {
      proven = false;
      notes.push(`${kind}: gateway secret ${secret === 0 ? 'missing or repeated' : 'wrong'}`);
    }
  }
  if (frontDoor !== '') {
    if (frontDoor === '=') notes.push(`${kind}: Front Door id matches`);
    else {
      proven = false;
      notes.push(`${kind}: Front Door id ${frontDoor === '0' ? 'missing or repeated' : 'does not match'}`);
    }
  }
  if (checksPeer) {
    if (peer && peerTrusted) notes.push(`${kind}: peer ${peer.address} is a trusted proxy`);
    else {
      proven = false;
      notes.push(`${kind}: peer ${peer ? `${peer.address} is not a trusted proxy` : 'address unknown'}`);
    }
  }
  return Object.freeze({ proven, notes: Object.freeze(notes) });
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
  // A loop, not map's closure: this runs per request.
  const checked: CheckedGateway[] = [];
  for (const gateway of gateways)
    checked.push({
      gateway,
      proof: proveGateway(gateway, request),
      headers: presentCertificateHeaders(request, gateway),
    });
  return checked;
}

/**
 * The gateway the request came through: the first proven one whose certificate header is
 * present, else the first proven one; undefined when none proved itself. Every forwarded fact
 * (certificate, client IP, original host and URL) is read on this one proof.
 */
export function chosenGateway(checked: readonly CheckedGateway[]): CheckedGateway | undefined {
  let firstProven: CheckedGateway | undefined;
  for (const entry of checked) {
    if (!entry.proof.proven) continue;
    if (entry.headers.length > 0) return entry;
    firstProven ??= entry;
  }
  return firstProven;
}
