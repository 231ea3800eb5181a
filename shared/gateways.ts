/**
 * Turns the gateway settings into the intake's gateway configuration, and reads the app a proven
 * gateway may name.
 * May import: config types, intake types and the gateway proof.
 */
import { APP_HINT_HEADER, APP_HINT_QUERY, type ForwardedRequest, type GatewayConfig } from './cert/intake/index.js';
import { proveGateway } from './cert/intake/gatewayProof.js';
import type { AppConfig } from './config.js';

const cache = new WeakMap<AppConfig, readonly GatewayConfig[]>();

/** The gateways certgate sits behind, as the intake expects them (built once per config). */
export function gatewayConfigs(config: AppConfig): readonly GatewayConfig[] {
  let gateways = cache.get(config);
  if (!gateways) {
    const { kind, secrets, secretHeader, mode, trustedProxies, frontDoorId, headers } = config.gateway;
    gateways = [
      { kind, secrets, secretHeader, mode, trustedProxies, headers, ...(frontDoorId ? { frontDoorId } : {}) },
      ...config.additionalGateways,
    ];
    cache.set(config, gateways);
  }
  return gateways;
}

/** Whether each gateway (in {@link gatewayConfigs} order) may name the app. */
function appHintsAllowed(config: AppConfig): readonly boolean[] {
  let allowed = hintsCache.get(config);
  if (!allowed) {
    allowed = [config.gateway.appHints, ...config.additionalGateways.map((gateway) => gateway.appHints === true)];
    hintsCache.set(config, allowed);
  }
  return allowed;
}

const hintsCache = new WeakMap<AppConfig, readonly boolean[]>();

/**
 * The app the forwarder named (`?app=` or `X-Certgate-App`), honoured only when a gateway that
 * the admin allowed to name apps (CERTGATE_GATEWAY_APP_HINTS, `appHints`) proved the request came
 * through it; otherwise undefined, and the app comes from the host and path. A repeated hint is
 * ambiguous and not honoured.
 */
export function appHintOf(
  request: ForwardedRequest,
  query: { getAll(name: string): string[] },
  gateways: readonly GatewayConfig[],
  config: AppConfig,
): string | undefined {
  const allowed = appHintsAllowed(config);
  if (!allowed.includes(true)) return undefined;
  const fromQuery = query.getAll(APP_HINT_QUERY);
  const fromHeader = request.headers.get(APP_HINT_HEADER);
  const hints = [...fromQuery, ...(fromHeader !== null ? [fromHeader] : [])];
  if (hints.length !== 1 || (fromHeader?.includes(',') ?? false)) return undefined;
  const proven = gateways.some((gateway, index) => allowed[index] === true && proveGateway(gateway, request).proven);
  return proven ? hints[0] : undefined;
}
