/**
 * Composition at start-up: the app's `appStart` hook builds the services when the worker starts,
 * a bad setting fails the start naming the setting, and a host that serves anyway answers 503
 * `config-invalid` from the kept failure (not by building again per request).
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { installFunctionsCore, registeredFunctions, runAppStartHooks } from '../../dev/host/functionsCore.js';
import { ConfigError } from '../../shared/config.js';

const saved = { ...process.env };

beforeAll(() => {
  installFunctionsCore();
  Object.assign(process.env, {
    CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
    CERTGATE_GATEWAY_SECRETS: 'start-up-test-secret-0123456789',
    CERTGATE_OCSP_TIMEOUT_MS: 'three seconds',
  });
});
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, saved);
});

function context(lines: string[]): InvocationContext {
  return new InvocationContext({
    invocationId: 'start-up',
    functionName: 'test',
    logHandler: (level, ...args) => lines.push(`${level}: ${args.map(String).join(' ')}`),
  });
}

describe('start-up', () => {
  it('fails the start with the setting named, and the host that serves anyway answers 503 config-invalid', async () => {
    await import('../../functions/appStart.js');
    await import('../../functions/health.js');
    await import('../../functions/authorize.js');
    const failure = await runAppStartHooks().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).setting).toBe('CERTGATE_OCSP_TIMEOUT_MS');
    expect((failure as ConfigError).code).toBe('config-invalid');

    // Fixing the environment afterwards changes nothing: the worker started with what it had.
    process.env.CERTGATE_OCSP_TIMEOUT_MS = '3000';
    const handler = (name: string) =>
      registeredFunctions().find((fn) => fn.name === name)!.handler as (
        request: HttpRequest,
        context: InvocationContext,
      ) => Promise<{ status?: number; jsonBody?: unknown }>;
    const lines: string[] = [];
    const health = await handler('health')(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
      context(lines),
    );
    expect(health.status).toBe(503);
    expect(health.jsonBody).toMatchObject({ status: 'unhealthy', config: { ok: false, code: 'config-invalid' } });
    const decision = await handler('authorize')(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/authorize' }),
      context(lines),
    );
    expect(decision.status).toBe(503);
    expect(decision.jsonBody).toMatchObject({ decision: 'block', reasons: ['decision-unavailable'] });
    expect(lines.filter((line) => line.includes('CERTGATE_OCSP_TIMEOUT_MS'))).toHaveLength(2);
  });

  it('builds the services once, at start, and hands the same ones to every trigger', async () => {
    vi.resetModules();
    const { getServices, startServices } = await import('../../shared/composition.js');
    const services = startServices();
    expect(services.config.ocsp.timeoutMs).toBe(3000);
    expect(getServices()).toBe(services);
    expect(startServices()).toBe(services);
  });
});
