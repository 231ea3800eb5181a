/**
 * Shutdown: when the worker is about to stop (the Functions `appTerminate` hook: scale-in, a
 * deployment, a restart), the decisions still in the decision log's buffer are written to Table
 * Storage (Azurite over a socket), not lost with the process. The flush interval is set far away,
 * so only the hook can have written them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { installFunctionsCore, runAppStartHooks, runAppTerminateHooks } from '../../dev/host/functionsCore.js';
import { recordOf } from '../decisionLog/records.js';

const saved = { ...process.env };
let azurite: Azurite;

beforeAll(async () => {
  azurite = await startAzurite();
  installFunctionsCore();
  Object.assign(process.env, {
    CERTGATE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    CERTGATE_TABLE_PREFIX: 'terminate',
    CERTGATE_GATEWAY_SECRETS: 'terminate-test-secret-0123456789',
    CERTGATE_DECISION_LOG_FLUSH_MS: '60000',
    CERTGATE_ALERT_SINKS: 'log',
  });
});
afterAll(async () => {
  for (const name of Object.keys(process.env)) if (!(name in saved)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, saved);
  await azurite.close();
});

describe('shutdown', () => {
  it('writes the buffered decisions when the worker terminates', async () => {
    await import('../../functions/appStart.js');
    await runAppStartHooks();
    const { getServices } = await import('../../shared/composition.js');
    const services = getServices();
    const at = new Date();
    for (const correlationId of ['terminate-1', 'terminate-2', 'terminate-3'])
      services.decisionLogWriter.record(recordOf({ at, correlationId, effect: 'block', reasons: ['no-certificate'] }));
    expect(services.decisionLogWriter.stats()).toMatchObject({ buffered: 3, written: 0 });

    await runAppTerminateHooks();

    expect(services.decisionLogWriter.stats()).toMatchObject({ buffered: 0, written: 3 });
    const stored = await services.decisionRecords.get('terminate-2');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ correlationId: 'terminate-2', decision: 'block' });
  });
});
