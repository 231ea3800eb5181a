/**
 * The decision pipeline shared by `authorize` and the what-if endpoint: validate a client
 * certificate against the current CAs, CRLs and OCSP answers (through the verdict cache), and
 * evaluate the access policies for a request. Triggers translate HTTP into these inputs.
 * May import: the cert and policy cores, the worker caches, the composition types.
 */
import { createHash } from 'node:crypto';
import type { ClientContext } from './cert/intake/index.js';
import {
  parseCertificates,
  validateCertificatePath,
  type CertificateSummary,
  type ParsedCertificate,
  type ValidationResult,
} from './cert/validation/index.js';
import type { Services } from './composition.js';
import type { Decision } from './policy/certificateDecision.js';
import type { AlertSink } from './ports.js';
import type { DirectoryTrace } from './policy/directoryNeeds.js';
import type { DeviceTag } from './policy/model.js';
import { gatherDirectoryFacts } from './directoryFacts.js';
import { evaluatePolicySets, sharedSet } from './access/policyEvaluations.js';
import { decideBaseline, type AccessRequest, type PolicyDecision } from './policy/evaluateAccess.js';
import { resolveApp, type AppResolution } from './policy/registeredApps.js';
import type { SessionControls } from './session/sessionPolicies.js';
import { OcspCache } from './trust/ocspCache.js';
import {
  alertsOnUnknown,
  crlUrlsForPath,
  crlUrlsOf,
  revocationModeResolver,
  thumbprintOf,
} from './trust/revocationPolicy.js';
import type { TrustAnchors } from './trust/trustAnchorCache.js';
import { VerdictCache } from './trust/verdictCache.js';
import {
  BINDING_RULE_KINDS,
  bindCertificateToUser,
  deviceIdOf,
  principalFromAppServiceHeaders,
  DEFAULT_BINDING_RULES,
  type BindingRuleKind,
  type Principal,
  type TokenReason,
} from './identity/index.js';

/** A certificate to validate, with what the pipeline reports through. */
export interface CertificateInput {
  readonly leaf: Uint8Array;
  readonly chain: Uint8Array[];
  readonly now: Date;
  readonly correlationId: string;
  /** Where alerts go (a certificate allowed with its revocation status unknown). */
  readonly alerts: AlertSink;
  /** Skip the verdict cache (what-if at another time). */
  readonly fresh?: boolean;
}

/** What the policies look at besides the certificate decision. */
export interface PolicyInput {
  /**
   * An app id the proven gateway named (only when hints are enabled for it); otherwise the app comes from the client
   * context's host and path.
   */
  readonly appHint?: string;
  readonly client: ClientContext;
  /** When the request is decided (the certificate decision's time, which it defaults to). */
  readonly at?: Date;
  /** The user; without `groups` (no token listing them all) memberships come from Graph by `id`. */
  readonly user?: { readonly id?: string; readonly upn?: string; readonly groups?: readonly string[] };
}

/** The access policies' verdict (or the baseline's), with the app and the directory facts it used. */
export interface PolicyOutcome {
  /** Undefined only when the request never reached a certificate decision (bad input, malfunction). */
  readonly policy?: PolicyDecision;
  /** Which registered app the request is for, or why none. */
  readonly app?: AppResolution;
  /** Where the memberships and device state came from, when policies needed them. */
  readonly directory?: DirectoryTrace;
  /** Device tags the directory gave the device (`compliant`, `hybrid-joined`). */
  readonly deviceTags: readonly DeviceTag[];
  /** The session policies considered for an allowed request (absent when none are configured). */
  readonly session?: SessionControls | undefined;
}

/** Validates through the verdict cache; throws when the trusted CAs cannot be loaded (callers fail closed). */
export async function validateClientCertificate(
  services: Services,
  input: CertificateInput,
): Promise<ValidationResult> {
  const anchors = services.trustAnchors.fresh() ?? (await services.trustAnchors.get());
  services.crls.track(anchors.crlUrls);
  services.crls.refreshInBackground();
  if (input.fresh) return validateFresh(services, anchors, input);
  const key = VerdictCache.keyOf(input.leaf, input.chain);
  const scope = `${anchors.version}|${services.crls.generation}`;
  let validation = services.verdicts.get(key, scope, input.now);
  if (!validation) {
    validation = await validateFresh(services, anchors, input);
    services.verdicts.set(key, scope, input.now, validation);
  }
  return validation;
}

// The request's sets and certificate facts are shared between requests when what they are built
// from is (frozen lists of cached facts and memoised decisions, a cached validation's summary):
// built once, not per request. Shared values are read-only (ReadonlySet, frozen objects).
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The set of a list: one per frozen list (it cannot change), a new one otherwise. */
function setOf<T extends string>(list: readonly T[]): ReadonlySet<T> {
  if (!Object.isFrozen(list)) return new Set(list);
  let set = sets.get(list) as ReadonlySet<T> | undefined;
  if (set === undefined) sets.set(list, (set = sharedSet(new Set(list))));
  return set;
}

const tagUnions = new WeakMap<readonly DeviceTag[], WeakMap<readonly DeviceTag[], ReadonlySet<DeviceTag>>>();

/** The device's tags: the certificate decision's and the directory's (one set per pair of frozen lists). */
function deviceTagSetOf(
  fromCertificate: readonly DeviceTag[],
  fromDirectory: readonly DeviceTag[],
): ReadonlySet<DeviceTag> {
  if (fromDirectory.length === 0) return setOf(fromCertificate);
  const shared = Object.isFrozen(fromCertificate) && Object.isFrozen(fromDirectory);
  let byDirectory = shared ? tagUnions.get(fromCertificate) : undefined;
  let set = byDirectory?.get(fromDirectory);
  if (set !== undefined) return set;
  set = new Set([...fromCertificate, ...fromDirectory]);
  if (shared) {
    sharedSet(set);
    if (!byDirectory) tagUnions.set(fromCertificate, (byDirectory = new WeakMap()));
    byDirectory.set(fromDirectory, set);
  }
  return set;
}

type CertificateFacts = NonNullable<AccessRequest['certificate']>;
const certificateFacts = new WeakMap<
  CertificateSummary,
  { readonly path: readonly string[] | undefined; readonly facts: CertificateFacts }
>();

/** What the certificate condition reads of a valid certificate: once per (cached) summary and CA path. */
function certificateFactsOf(summary: CertificateSummary, path: readonly string[] | undefined): CertificateFacts {
  const known = certificateFacts.get(summary);
  if (known !== undefined && known.path === path) return known.facts;
  const facts: CertificateFacts = Object.freeze({
    issuerThumbprints: path ?? [],
    policyOids: summary.validatedPolicyOids ?? summary.policyOids,
    subject: summary.subject,
    subjectAltNames: summary.subjectAltNames,
  });
  certificateFacts.set(summary, { path, facts });
  return facts;
}

/**
 * The verdict for this request: the registered app it is for (from the host and path the gateway
 * saw, or the gateway's hint), then, for a registered app, the access policies after reading what
 * they need from the directory (group memberships, device state); for an unregistered app, or
 * when no enforced policy decides, the baseline. No verdict when the request never got as far as a
 * certificate decision (bad input, malfunction): that decision stands.
 */
export async function evaluatePolicies(
  services: Services,
  input: PolicyInput,
  certificate: Decision,
): Promise<PolicyOutcome> {
  const { client } = input;
  const [outcome] = certificate.reasons;
  if (outcome === 'forwarded-certificate-rejected' || outcome === 'decision-unavailable') return { deviceTags: [] };
  const snapshot = services.policies.fresh() ?? (await services.policies.get());
  // Literals with undefined for what is absent, not conditional spreads: this runs per request.
  const app = resolveApp(snapshot.compiled.apps, { host: client.host, path: client.path, hint: input.appHint });
  if (app.status === 'app-unregistered')
    return { policy: decideBaseline(snapshot.compiled.settings, setOf(certificate.deviceTags)), app, deviceTags: [] };
  const summary = certificate.certificate;
  const validCertificate = summary && certificate.deviceTags.includes('valid-client-certificate') ? summary : undefined;
  const user = input.user;
  const facts = await gatherDirectoryFacts(services.directoryCache, {
    needs: snapshot.needs,
    user,
    validCertificate,
    deviceIdSources: services.config.deviceIdSources,
  });
  const unknownFromCertificate = certificate.unknownDeviceTags;
  const request: AccessRequest = {
    app: { id: app.id, host: client.host, path: client.path },
    userAgent: client.userAgent,
    clientIp: client.clientIp,
    user: user
      ? {
          id: user.id,
          upn: user.upn,
          groups: facts.groups ? setOf(facts.groups) : undefined,
          groupsUnknown: facts.groupsUnknown,
        }
      : undefined,
    at: input.at ?? new Date(certificate.decidedAt),
    deviceTags: deviceTagSetOf(certificate.deviceTags, facts.deviceTags),
    unknownDeviceTags:
      facts.unknownDeviceTags.length > 0 || unknownFromCertificate
        ? new Set([...(unknownFromCertificate ?? []), ...facts.unknownDeviceTags])
        : undefined,
    certificate: validCertificate ? certificateFactsOf(validCertificate, certificate.pathThumbprints) : undefined,
  };
  // Session controls act on allowed requests only; none configured → undefined, nothing allocated.
  const { policy, session } = evaluatePolicySets(snapshot, request);
  const traced = facts.trace.groups !== undefined || facts.trace.device !== undefined;
  return { policy, app, deviceTags: facts.deviceTags, directory: traced ? facts.trace : undefined, session };
}

/**
 * Full validation against the current CAs, CRLs and OCSP answers. When the CRLs say nothing about
 * a certificate of the path (the leaf or an intermediate) and it names an OCSP responder, the
 * responder is asked (see {@link resolveByOcsp}) and the path validated again; the leaf's CRL URLs
 * are learnt for the next refresh.
 */
async function validateFresh(
  services: Services,
  anchors: TrustAnchors,
  input: CertificateInput,
): Promise<ValidationResult> {
  const { leaf, chain, now, correlationId } = input;
  const { config } = services;
  const resolveMode = revocationModeResolver(anchors.byThumbprint);
  let alertingIssuers: ParsedCertificate[] = [];
  const run = (): ValidationResult => {
    alertingIssuers = [];
    return validateCertificatePath({
      leaf,
      intermediates: chain,
      trustStore: anchors.store,
      time: now,
      clockSkewSeconds: config.clockSkewSeconds,
      requiredEkus: [...config.requiredEkus],
      parsedCrls: services.crls.current(),
      crlGraceSeconds: config.crlGraceSeconds,
      revocationModeFor: (certificate, issuer) => {
        if (alertsOnUnknown(anchors.byThumbprint, issuer)) alertingIssuers.push(issuer);
        return resolveMode(certificate, issuer);
      },
      revocationStatusFor: (certificate, issuer) => services.ocsp.lookup(certificate.der, issuer.der, now),
    });
  };
  const ocsp = { ocsp: services.ocsp, derOf: derByThumbprint(leaf, chain, anchors), asked: new Set<string>(), now };
  let validation = await resolveByOcsp(run(), run, ocsp);
  if (validation.trace.some((entry) => entry.reason === 'certificate-revocation-unknown')) {
    // A CRL this worker never fetched (a CA just added, perhaps through another worker; a CDP first
    // named by this leaf) is waited for, briefly and once per URL, instead of deciding without it.
    const parsed = parseCertificates(leaf);
    const path = (validation.path ?? []).map((certificate) => certificate.sha256Thumbprint);
    const urls = crlUrlsForPath(
      parsed.ok ? parsed.certificates[0] : undefined,
      path,
      anchors.byThumbprint,
      anchors.store.anchors,
    );
    // With that CRL, the path may go further (under `required` it stopped at the unknown): ask OCSP for what shows up.
    if (await services.crls.awaitFirstFetch(urls)) validation = await resolveByOcsp(run(), run, ocsp);
  }
  if (validation.trace.some((entry) => entry.reason === 'certificate-revocation-unknown')) {
    // Learn the leaf's distribution points so the next refresh fetches them.
    const parsed = parseCertificates(leaf);
    if (parsed.ok && parsed.certificates[0] && services.crls.track(crlUrlsOf(parsed.certificates[0])))
      services.crls.refreshInBackground();
    if (validation.ok && alertingIssuers.length > 0) {
      input.alerts.raise({
        event: 'certgate.alert.revocation-unknown',
        correlationId,
        certificate: validation.leaf?.sha256Thumbprint,
      });
    }
  }
  return validation;
}

/** What {@link resolveByOcsp} needs, kept across the rounds of one validation. */
interface OcspRounds {
  readonly ocsp: OcspCache;
  /** DER of a certificate of the path, by SHA-256 thumbprint. */
  readonly derOf: (thumbprint: string) => Uint8Array | undefined;
  /** Thumbprints of the certificates already asked about during this validation. */
  readonly asked: Set<string>;
  readonly now: Date;
}

/**
 * OCSP for every certificate of the path whose status the CRLs left unknown: each revocation trace
 * entry `certificate-revocation-unknown` names a position (`leaf`, `intermediate[i]`) of
 * `validation.path`, whose issuer is the next certificate of the path. Those that name a responder
 * are asked in parallel, each at most once per validation (a responder that is down is not asked
 * again by the next round), and the path is validated again. Rounds repeat while new unknowns show
 * up, at most the path's length: under `required` a path stops at its first unknown status, so the
 * certificates below it (down to the leaf) show up only once it is resolved.
 */
async function resolveByOcsp(
  first: ValidationResult,
  run: () => ValidationResult,
  rounds: OcspRounds,
): Promise<ValidationResult> {
  let validation = first;
  for (let round = 0; round < (validation.path?.length ?? 1) - 1; round++) {
    const questions = unknownRevocations(validation).flatMap((position) => {
      const thumbprint = validation.path?.[position]?.sha256Thumbprint;
      const issuerThumbprint = validation.path?.[position + 1]?.sha256Thumbprint;
      if (thumbprint === undefined || issuerThumbprint === undefined || rounds.asked.has(thumbprint)) return [];
      const certificate = rounds.derOf(thumbprint);
      const issuer = rounds.derOf(issuerThumbprint);
      if (!certificate || !issuer || !OcspCache.hasResponder(certificate)) return [];
      rounds.asked.add(thumbprint);
      return [{ certificate, issuer }];
    });
    if (questions.length === 0) break;
    await Promise.all(
      questions.map(({ certificate, issuer }) => rounds.ocsp.prefetch(certificate, issuer, rounds.now)),
    );
    validation = run();
  }
  return validation;
}

/** Positions in the path (0 = leaf) whose revocation status is unknown, from the trace. */
function unknownRevocations(validation: ValidationResult): number[] {
  return validation.trace.flatMap((entry) => {
    if (entry.check !== 'revocation' || entry.reason !== 'certificate-revocation-unknown') return [];
    if (entry.certificate === 'leaf') return [0];
    const index = /^intermediate\[(\d+)\]$/u.exec(entry.certificate)?.[1];
    return index === undefined ? [] : [Number(index)];
  });
}

/**
 * DER of any certificate a path can hold, by SHA-256 thumbprint: the leaf, a forwarded intermediate or a trusted CA.
 */
function derByThumbprint(
  leaf: Uint8Array,
  chain: readonly Uint8Array[],
  anchors: TrustAnchors,
): (thumbprint: string) => Uint8Array | undefined {
  let forwarded: Map<string, Uint8Array> | undefined;
  return (thumbprint) => {
    forwarded ??= new Map([leaf, ...chain].map((der) => [createHash('sha256').update(der).digest('hex'), der]));
    return (
      forwarded.get(thumbprint) ??
      anchors.store.anchors.find((candidate) => thumbprintOf(candidate) === thumbprint)?.der
    );
  };
}

/** The signed-in user, when the request carries a bearer token certgate accepts. */
export interface UserIdentity {
  readonly principal?: Principal;
  /** Why a bearer token that was present was not accepted. */
  readonly tokenReason?: TokenReason;
}

/**
 * Reads the user from `Authorization: Bearer …` (user tokens configured) or, without a bearer
 * token and behind App Service Authentication (configured), from its principal headers. A valid
 * token gives the principal; a missing or invalid one gives no user (conditions on users then
 * evaluate as unknown and block policies fail closed), with the token's reason for the log.
 */
export async function identifyUser(
  services: Services,
  headers: { get(name: string): string | null },
  now: Date,
  options: { readonly forwardedTrusted?: boolean } = { forwardedTrusted: true },
): Promise<UserIdentity> {
  const authorization = headers.get('authorization');
  // The scheme only, not the whole token lower-cased (a kilobyte per request).
  const bearer = authorization !== null && authorization.slice(0, 7).toLowerCase() === 'bearer ';
  // App Service Authentication's principal headers are a forwarded fact: believed only under the gateway proof.
  if (!bearer && services.config.trustAppServiceAuth && options.forwardedTrusted === true) {
    const fromAppService = principalFromAppServiceHeaders(headers, { trustAppServiceAuthentication: true });
    return fromAppService.ok ? { principal: fromAppService.principal } : {};
  }
  if (!services.userTokens || !bearer) return {};
  const result = await services.userTokens.verify(authorization, now);
  return result.ok ? { principal: result.principal } : { tokenReason: result.reason };
}

/** Whether the certificate is bound to the user: yes, no, or unknown (the directory could not be read). */
export interface UserBinding {
  readonly bound: boolean | 'unknown';
  readonly detail: string;
}

/**
 * Whether a binding rule ties the leaf certificate to the signed-in user (Entra CBA's rules), using
 * the rules of the trusted CA that issued it (or anchors its path, for a forwarded intermediate).
 * The user's name is tried first; when that binds nothing, the user's `certificateUserIds` are read
 * from the directory (cached) and the rules tried again with them. When the directory cannot
 * answer, the binding is unknown; with Graph turned off, the name is all there is. A device
 * certificate (one that names, where CERTGATE_DEVICE_ID_SOURCES looks, a device Entra ID knows) is
 * bound to its device, not to a user: it counts for whoever signs in on that device.
 */
export async function bindLeafToUser(
  services: Services,
  leaf: Uint8Array,
  validation: ValidationResult | undefined,
  principal: Principal,
): Promise<UserBinding> {
  const deviceId = validation?.leaf ? deviceIdOf(validation.leaf, services.config.deviceIdSources) : undefined;
  if (deviceId) {
    // A computer certificate proves the device (its key never leaves it), whoever signs in on it;
    // but only a device Entra knows makes it one (a user certificate may carry a GUID too).
    // A fresh cached answer without the promise and closures of the asking path (the warm decision).
    const device =
      services.directoryCache.cachedDevice(deviceId.deviceId) ??
      (await services.directoryCache.device(deviceId.deviceId));
    if (device.value)
      return {
        bound: true,
        detail: `a device certificate (Entra device ${deviceId.deviceId} in ${deviceId.source}): bound to the device, not to a user`,
      };
    if (device.value === undefined && device.source !== 'disabled') {
      return {
        bound: 'unknown',
        detail: `the certificate names Entra device ${deviceId.deviceId}, which could not be looked up (${device.source}${device.detail ? `: ${device.detail}` : ''})`,
      };
    }
  }
  const parsed = parseCertificates(leaf);
  const certificate = parsed.ok ? parsed.certificates[0] : undefined;
  if (!certificate) return { bound: false, detail: 'the leaf certificate did not parse' };
  const anchors = await services.trustAnchors.get();
  const path = validation?.path ?? [];
  const ca = [path[1], path.at(-1)]
    .map((summary) => (summary ? anchors.byThumbprint.get(summary.sha256Thumbprint) : undefined))
    .find((found) => found !== undefined);
  const kinds = new Set<string>(BINDING_RULE_KINDS);
  const rules = ca
    ? ca.bindingRules.filter((rule): rule is BindingRuleKind => kinds.has(rule)).map((kind) => ({ kind }))
    : DEFAULT_BINDING_RULES;
  const byName = bindCertificateToUser(certificate, { ...(principal.upn ? { upn: principal.upn } : {}) }, rules);
  if (byName.bound) return { bound: true, detail: byName.detail };
  const triedByName = byName.tried.map((t) => `${t.rule}: ${t.detail}`).join('; ');
  const ids = await services.directoryCache.certificateUserIds(principal.objectId);
  if (ids.source === 'disabled')
    return { bound: false, detail: `${triedByName}; certificateUserIds not read (Microsoft Graph is turned off)` };
  if (ids.value === undefined) {
    return {
      bound: 'unknown',
      detail: `${triedByName}; the user's certificateUserIds could not be read (${ids.source}${ids.detail ? `: ${ids.detail}` : ''})`,
    };
  }
  if (ids.value === null || ids.value.length === 0)
    return {
      bound: false,
      detail: `${triedByName}; the user has no certificateUserIds${ids.value === null ? ' (unknown to the directory)' : ''}`,
    };
  const byIds = bindCertificateToUser(
    certificate,
    { ...(principal.upn ? { upn: principal.upn } : {}), certificateUserIds: ids.value },
    rules,
  );
  return {
    bound: byIds.bound,
    detail: byIds.bound
      ? `${byIds.detail} (certificateUserIds, ${ids.source})`
      : byIds.tried.map((t) => `${t.rule}: ${t.detail}`).join('; '),
  };
}
