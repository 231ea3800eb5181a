/**
 * Turns the gateway settings into the intake's gateway configuration.
 * May import: config types, intake types.
 */
import type { GatewayConfig } from './cert/intake/index.js';
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
