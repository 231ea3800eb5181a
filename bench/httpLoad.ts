/**
 * HTTP load for the benches: `wrk` (the Debian package) when it is installed, else a keep-alive
 * Node client as the fallback; requests per second and non-2xx answers. Loopback only.
 * May import: node built-ins.
 */
import { execFile, execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';

/** Whether `wrk` is on the PATH (`wrk --version` exits 1 after printing its version). */
export const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return (error as { status?: number }).status === 1;
  }
})();

/** What one load run measured. */
export interface Load {
  readonly rps: number;
  readonly non2xx: number;
  /** The 99th percentile latency in ms (wrk only). */
  readonly p99Ms?: number;
}

const LATENCY_UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, ms: 1, s: 1000 };

/** Loads `url` with `concurrency` connections for about `durationMs`. */
export function httpLoad(
  url: string,
  headers: Record<string, string>,
  durationMs: number,
  concurrency: number,
): Promise<Load> {
  return hasWrk ? wrk(url, headers, durationMs, concurrency) : nodeLoad(url, headers, durationMs, concurrency);
}

function wrk(url: string, headers: Record<string, string>, durationMs: number, concurrency: number): Promise<Load> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]);
  return new Promise((resolve, reject) => {
    execFile(
      'wrk',
      ['-t1', `-c${concurrency}`, `-d${Math.max(1, Math.round(durationMs / 1000))}s`, '--latency', ...headerArgs, url],
      (error: Error | null, stdout) => {
        if (error) {
          reject(error);
          return;
        }
        const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
        const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
        const p99 = /^\s*99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(stdout);
        const p99Ms = p99 ? Number(p99[1]) * (LATENCY_UNIT_MS[p99[2]!] ?? Number.NaN) : undefined;
        resolve(p99Ms === undefined ? { rps, non2xx } : { rps, non2xx, p99Ms });
      },
    );
  });
}

async function nodeLoad(
  url: string,
  headers: Record<string, string>,
  durationMs: number,
  concurrency: number,
): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let done = 0;
  let non2xx = 0;
  const end = performance.now() + durationMs;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 300) non2xx++;
          resolve();
        });
      });
      req.on('error', reject);
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, 16) }, async () => {
      while (performance.now() < end) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return { rps: done / ((performance.now() - started) / 1000), non2xx };
}
