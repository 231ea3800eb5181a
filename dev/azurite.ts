/**
 * Azurite (tables, queues, blobs) in-process on loopback, in memory, telemetry off (its telemetry
 * client is only initialised by Azurite's own CLI, which we do not use). Port 0 picks free ports.
 * Dev and test only.
 * May import: azurite (deep imports, the documented in-process route), node built-ins.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
type ServerClass = new (config: unknown) => AzuriteServer;
type ConfigClass = new (...args: unknown[]) => unknown;

/** The well-known Azurite development account (public, documented by Microsoft; not a secret). */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Ports to listen on; 0 = any free port. */
export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

/** Running Azurite services. */
export interface Azurite {
  readonly connectionString: string;
  readonly endpoints: { readonly blob: string; readonly queue: string; readonly table: string };
  close(): Promise<void>;
}

function load(path: string): { default: unknown } {
  return require(`azurite/dist/src/${path}`) as { default: unknown };
}

/** Starts the three services on 127.0.0.1. */
export async function startAzurite(
  ports: AzuritePorts = { blob: 0, queue: 0, table: 0 },
  host = '127.0.0.1',
): Promise<Azurite> {
  const TableServer = load('table/TableServer').default as ServerClass;
  const TableConfiguration = load('table/TableConfiguration').default as ConfigClass;
  const QueueServer = load('queue/QueueServer').default as ServerClass;
  const QueueConfiguration = load('queue/QueueConfiguration').default as ConfigClass;
  const BlobServer = load('blob/BlobServer').default as ServerClass;
  const BlobConfiguration = load('blob/BlobConfiguration').default as ConfigClass;
  // Positional arguments as in Azurite's *Configuration constructors: loose, skipApiVersionCheck,
  // no TLS, no OAuth, path-style URLs, in-memory persistence.
  const table = new TableServer(
    new TableConfiguration(
      host,
      ports.table,
      undefined,
      undefined,
      false,
      false,
      undefined,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
    ),
  );
  const queue = new QueueServer(
    new QueueConfiguration(
      host,
      ports.queue,
      undefined,
      undefined,
      undefined,
      undefined,
      false,
      undefined,
      false,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
    ),
  );
  const blob = new BlobServer(
    new BlobConfiguration(
      host,
      ports.blob,
      undefined,
      undefined,
      undefined,
      undefined,
      false,
      undefined,
      false,
      undefined,
      true,
      true,
      '',
      '',
      '',
      undefined,
      false,
      true,
    ),
  );
  const servers = [table, queue, blob];
  const started: AzuriteServer[] = [];
  try {
    for (const server of servers) {
      await server.start();
      started.push(server);
    }
  } catch (error) {
    await Promise.allSettled(started.map((s) => s.close()));
    throw error;
  }
  const endpoints = {
    blob: `${blob.getHttpServerAddress()}/${AZURITE_ACCOUNT}`,
    queue: `${queue.getHttpServerAddress()}/${AZURITE_ACCOUNT}`,
    table: `${table.getHttpServerAddress()}/${AZURITE_ACCOUNT}`,
  };
  return {
    endpoints,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${AZURITE_KEY};` +
      `BlobEndpoint=${endpoints.blob};QueueEndpoint=${endpoints.queue};TableEndpoint=${endpoints.table};`,
    close: async () => {
      await Promise.allSettled(servers.map((s) => s.close()));
    },
  };
}
