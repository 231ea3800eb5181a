/**
 * Reads the client certificate a gateway forwarded, behind the trust boundary. Checks run in a
 * fixed order, and the first failure decides the reason:
 *   1. gateway proof: a certificate header of any configured kind without any gateway's proof is
 *      `forwarded-certificate-untrusted-forwarder`; no header and no proof is `absent`;
 *   2. for the proven gateway (the first whose certificate header is present, else the first
 *      proven): each header read once under its format's repeat rule (repeats, whether kept
 *      apart or joined by the HTTP stack → duplicate-header; repeatedHeaders.ts), size cap;
 *   3. the gateway verification header, in its format's grammar (SUCCESS / NONE / FAILED:<reason>
 *      unless the format brings its own);
 *   4. decoding by the gateway's format (formats/<kind>.ts: percent-encoding, base64, PEM armour,
 *      DER SEQUENCE, leaf count), chain cap;
 *   5. strict mode: a FAILED gateway verdict rejects.
 * Never throws: any input gives a result.
 * May import: intake types and modules, the format registry, node:buffer.
 */
import { Buffer } from 'node:buffer';
import { clientContextOf, UNREADABLE_CONTEXT, type ForwardedClientContext } from './clientContext.js';
import { decodeCertificateHeaders, verificationCodecOf } from './formats/index.js';
import type { CertificateHeaderValues, DecodedCertificates } from './gatewayFormat.js';
import { checkGateways, chosenGateway, type CheckedGateway, type GatewayProof } from './gatewayProof.js';
import { VERIFICATION_NOT_PROVIDED } from './gatewayVerification.js';
import { CERTIFICATE_ROLES, headerNameFor } from './headerNames.js';
import type { IntakeReason } from './reasons.js';
import { joinedRepeatIn, repeatRuleFor, repeatsAllowed } from './repeatedHeaders.js';
import {
  DEFAULT_INTAKE_LIMITS,
  stepFail,
  stepOk,
  type ForwardedRequest,
  type GatewayConfig,
  type GatewayVerification,
  type HeaderRole,
  type IntakeLimits,
  type IntakeResult,
  type IntakeStep,
} from './types.js';
import { messageOf } from '../../errors.js';

function pickLimit(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? Math.floor(value) : fallback;
}

// No closure and no object per request for the common call without limits.
function effectiveLimits(limits: Partial<IntakeLimits> | undefined): IntakeLimits {
  if (limits === undefined) return DEFAULT_INTAKE_LIMITS;
  return {
    maxHeaderBytes: pickLimit(limits.maxHeaderBytes, DEFAULT_INTAKE_LIMITS.maxHeaderBytes),
    maxChainLength: pickLimit(limits.maxChainLength, DEFAULT_INTAKE_LIMITS.maxChainLength),
  };
}

/**
 * Reads one header for a role under its format's repeat rule (repeatedHeaders.ts): lines kept
 * apart are counted, a joined repeat is recognised by the rule; then the size cap.
 */
function readHeader(
  request: ForwardedRequest,
  gateway: GatewayConfig,
  role: HeaderRole,
  limits: IntakeLimits,
): IntakeStep<string | null> {
  const name = headerNameFor(gateway, role);
  if (name === undefined) return stepOk(null);
  const rule = repeatRuleFor(gateway.kind, role);
  const all = request.headers.getAll?.(name);
  if (all && all.length > 1 && !repeatsAllowed(rule))
    return stepFail('forwarded-certificate-duplicate-header', `${name} appears ${all.length} times`);
  const value = request.headers.get(name);
  if (value === null) return stepOk(null);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limits.maxHeaderBytes)
    return stepFail(
      'forwarded-certificate-header-too-large',
      `${name} is ${bytes} bytes, over the cap of ${limits.maxHeaderBytes}`,
    );
  const joined = joinedRepeatIn(rule, value);
  if (joined !== undefined) return stepFail('forwarded-certificate-duplicate-header', `${name} ${joined}`);
  return stepOk(value);
}

/**
 * Decoded header values, per gateway, most recent first out: the same device sends the same
 * header on every request, and decoding (percent-decoding, PEM, DER framing) is most of the
 * intake's cost. Decoding is a pure function of the values, so a hit is exact; the results are
 * frozen because they are shared between requests. Bounded, oldest entry evicted.
 */
const DECODED_MEMO_ENTRIES = 512;
const decodedMemo = new WeakMap<GatewayConfig, Map<string, IntakeStep<DecodedCertificates>>>();

/**
 * The memo key: the one certificate header itself when it is the only one (most formats, most
 * requests: no copy of a kilobyte of header text per request), else every role's value, joined.
 * The two forms cannot collide: a joined key holds newlines, which no header value does.
 */
function memoKeyOf(values: CertificateHeaderValues): string {
  let only: string | undefined;
  let count = 0;
  for (const role of CERTIFICATE_ROLES) {
    const value = values[role];
    if (value !== null && value !== undefined) {
      only = value;
      count++;
    }
  }
  if (count === 1 && only !== undefined && values.certificate === only) return only;
  return CERTIFICATE_ROLES.map((role) => values[role] ?? '').join('\n');
}

function decodeMemoised(gateway: GatewayConfig, values: CertificateHeaderValues): IntakeStep<DecodedCertificates> {
  let memo = decodedMemo.get(gateway);
  if (!memo) {
    memo = new Map();
    decodedMemo.set(gateway, memo);
  }
  const key = memoKeyOf(values);
  const hit = memo.get(key);
  if (hit) return hit;
  const decoded = decodeCertificateHeaders(gateway, values);
  if (decoded.ok) {
    Object.freeze(decoded.value.chain);
    Object.freeze(decoded.value);
  }
  if (memo.size >= DECODED_MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
  memo.set(key, Object.freeze(decoded));
  return decoded;
}

function rejected(kind: GatewayConfig['kind'], step: { readonly reason: IntakeReason; readonly detail: string }) {
  return { kind: 'rejected', reason: step.reason, gateway: kind, detail: step.detail } satisfies IntakeResult;
}

/**
 * `present` results already given, per decoded header values, proof and gateway verdict: the same
 * device through the same gateway gets the same frozen result (its trace included) instead of a
 * new one per request. Decoded values and proofs are themselves memoised, so the keys repeat.
 */
const presentMemo = new WeakMap<DecodedCertificates, WeakMap<GatewayProof, Map<string, IntakeResult>>>();

function presentResult(
  kind: GatewayConfig['kind'],
  decoded: DecodedCertificates,
  proof: GatewayProof,
  gatewayVerification: GatewayVerification,
): IntakeResult {
  let byProof = presentMemo.get(decoded);
  if (!byProof) {
    byProof = new WeakMap();
    presentMemo.set(decoded, byProof);
  }
  let byVerification = byProof.get(proof);
  if (!byVerification) {
    byVerification = new Map();
    byProof.set(proof, byVerification);
  }
  const key = `${gatewayVerification.status}\n${gatewayVerification.detail ?? ''}`;
  const known = byVerification.get(key);
  if (known) return known;
  const { leaf, chain, encoding } = decoded;
  // Frozen like the decoded chain (shared between requests): a push would throw, not leak into other requests.
  const trace = Object.freeze([
    ...proof.notes,
    `${kind}: decoded ${encoding}: leaf ${leaf.length} bytes, ${chain.length} chain certificate(s)`,
    `${kind}: gateway verification ${gatewayVerification.status}${gatewayVerification.detail ? ` (${gatewayVerification.detail})` : ''}`,
  ]) as string[];
  const result: IntakeResult = Object.freeze({
    kind: 'present',
    gateway: kind,
    leaf,
    chain,
    gatewayVerification,
    trace,
  });
  // Few verdict spellings per device and proof; a bound all the same.
  if (byVerification.size >= 16) byVerification.clear();
  byVerification.set(key, result);
  return result;
}

function readFromGateway(
  request: ForwardedRequest,
  gateway: GatewayConfig,
  proof: GatewayProof,
  limits: IntakeLimits,
): IntakeResult {
  const kind = gateway.kind;
  const verificationHeader = readHeader(request, gateway, 'verification', limits);
  if (!verificationHeader.ok) return rejected(kind, verificationHeader);
  const values: Partial<Record<HeaderRole, string | null>> = {};
  let supplied = 0;
  let nonEmptyCount = 0;
  for (const role of CERTIFICATE_ROLES) {
    const value = readHeader(request, gateway, role, limits);
    if (!value.ok) return rejected(kind, value);
    values[role] = value.value;
    if (value.value !== null) {
      supplied++;
      if (value.value.trim() !== '') nonEmptyCount++;
    }
  }
  const verification =
    verificationHeader.value === null
      ? stepOk(VERIFICATION_NOT_PROVIDED)
      : verificationCodecOf(kind).parse(verificationHeader.value);
  if (!verification.ok) return rejected(kind, verification);
  const gatewayVerification = verification.value;
  if (gateway.mode === 'strict' && gatewayVerification.status === 'failed') {
    return rejected(kind, {
      reason: 'forwarded-certificate-gateway-verification-failed',
      detail: `gateway verdict FAILED${gatewayVerification.detail ? `: ${gatewayVerification.detail}` : ''}`,
    });
  }

  if (supplied === 0) return { kind: 'absent', gateway: kind, trusted: true, gatewayVerification };
  if (nonEmptyCount === 0) {
    // App Gateway sends an empty certificate variable with NONE when the client sent no certificate.
    if (gatewayVerification.status === 'none')
      return { kind: 'absent', gateway: kind, trusted: true, gatewayVerification };
    return rejected(kind, {
      reason: 'forwarded-certificate-empty',
      detail: 'the certificate header is present but empty',
    });
  }
  const nonEmpty: Partial<Record<HeaderRole, string | null>> = {};
  for (const role of CERTIFICATE_ROLES) {
    const value = values[role];
    nonEmpty[role] = value === null || value === undefined || value.trim() === '' ? null : value;
  }

  const decoded = decodeMemoised(gateway, nonEmpty);
  if (!decoded.ok) return rejected(kind, decoded);
  const { chain } = decoded.value;
  if (chain.length > limits.maxChainLength) {
    return rejected(kind, {
      reason: 'forwarded-certificate-chain-too-long',
      detail: `${chain.length} chain certificates, over the cap of ${limits.maxChainLength}`,
    });
  }
  return presentResult(kind, decoded.value, proof, gatewayVerification);
}

function readUnguarded(
  request: ForwardedRequest,
  checked: readonly CheckedGateway[],
  limits: IntakeLimits,
): IntakeResult {
  const chosen = chosenGateway(checked);
  if (chosen) return readFromGateway(request, chosen.gateway, chosen.proof, limits);
  const spoofed = checked.find((entry) => entry.headers.length > 0);
  if (!spoofed) return { kind: 'absent', trusted: false };
  return {
    kind: 'rejected',
    reason: 'forwarded-certificate-untrusted-forwarder',
    gateway: spoofed.gateway.kind,
    detail: `${spoofed.headers.join(', ')} present without gateway proof: ${checked.flatMap((entry) => entry.proof.notes).join('; ')}`,
  };
}

/**
 * Reads the forwarded client certificate of a request behind the configured gateways. The bytes
 * of a `present` result are unvalidated; a `rejected` result carries a stable reason code.
 */
export function readForwardedCertificate(
  request: ForwardedRequest,
  gateways: readonly GatewayConfig[],
  limits?: Partial<IntakeLimits>,
): IntakeResult {
  try {
    return readUnguarded(request, checkGateways(request, gateways), effectiveLimits(limits));
  } catch (error) {
    return unreadableHeaders(error);
  }
}

// Only a caller-supplied headers object that throws can get here; the request is refused, not crashed.
function unreadableHeaders(error: unknown): IntakeResult {
  return {
    kind: 'rejected',
    reason: 'forwarded-certificate-malformed-encoding',
    detail: `unreadable request headers: ${messageOf(error)}`,
  };
}

/**
 * The forwarded certificate and the client context of one request, with each gateway's proof
 * checked once for both (what `authorize` needs; the same results as {@link readForwardedCertificate}
 * and `readClientContext` called separately). One proof for everything forwarded: the gateway the
 * certificate is read from is the one whose proof lets the client context believe X-Forwarded-For
 * and the original host and URL (`client.provenBy`); without proof `client.dropped` names what
 * was ignored. In a Functions trigger pass `forwardedRequestOf(request.headers, request.url)`.
 */
export function readForwardedRequest(
  request: ForwardedRequest & { readonly url: string },
  gateways: readonly GatewayConfig[],
  limits?: Partial<IntakeLimits>,
): { readonly intake: IntakeResult; readonly client: ForwardedClientContext } {
  let checked: CheckedGateway[];
  try {
    checked = checkGateways(request, gateways);
  } catch (error) {
    return { intake: unreadableHeaders(error), client: UNREADABLE_CONTEXT };
  }
  let intake: IntakeResult;
  try {
    intake = readUnguarded(request, checked, effectiveLimits(limits));
  } catch (error) {
    intake = unreadableHeaders(error);
  }
  return { intake, client: clientContextOf(request, gateways, checked) };
}
