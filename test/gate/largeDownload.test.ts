/**
 * A 1 GiB download through the whole chain (client → local mTLS gateway → local host with HTTP
 * streams → the gate → upstream), generated as it is read and never stored: every byte arrives,
 * and the process's resident memory grows by less than 64 MiB while it flows (everything runs
 * in this one process, so a buffered body anywhere would show). One test, run once: it moves a
 * gigabyte three times over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack.js';
import { registerApp, startGateStack, startUpstream, throughGateway, type Upstream } from './gateUnderTest.js';

const GIB = 1024 * 1024 * 1024;
let stack: Stack;
let upstream: Upstream;

beforeAll(async () => {
  stack = await startGateStack('gatebig');
  upstream = await startUpstream();
  expect(
    (
      await registerApp(stack, {
        id: 'big',
        name: 'Big files',
        hosts: [{ host: 'big.gate.test' }],
        upstream: upstream.url,
      })
    ).status,
  ).toBe(201);
}, 120_000);

afterAll(async () => {
  await upstream.close();
  await stack.close();
});

describe('gate mode: a 1 GiB download', () => {
  it('arrives whole while resident memory grows by less than 64 MiB', async () => {
    // Warm the path (first decision, first connections) before the baseline is taken.
    await throughGateway(stack, { host: 'big.gate.test', path: '/download?bytes=1048576', certificate: 'alice' });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      const answer = await throughGateway(stack, {
        host: 'big.gate.test',
        path: `/download?bytes=${GIB}`,
        certificate: 'alice',
        discardBody: true,
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-length']).toBe(String(GIB));
      expect(answer.length).toBe(GIB);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - baseline;
    console.info(`1 GiB through the gate: resident memory grew by ${(growth / 1024 / 1024).toFixed(1)} MiB at most`);
    expect(growth).toBeLessThan(64 * 1024 * 1024);
  }, 300_000);
});
