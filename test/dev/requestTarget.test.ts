import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readRequestTarget } from '../../dev/httpInput.js';

/** What readRequestTarget reads of a request: the raw header lines, the target and the version. */
function requestOf(url: string, hosts: readonly string[], version: '1.0' | '1.1' = '1.1'): IncomingMessage {
  return {
    rawHeaders: hosts.flatMap((host) => ['Host', host]),
    url,
    httpVersionMajor: 1,
    httpVersionMinor: version === '1.0' ? 0 : 1,
  } as unknown as IncomingMessage;
}

const answer = (url: string, hosts: readonly string[], version?: '1.0' | '1.1') => {
  const target = readRequestTarget(requestOf(url, hosts, version));
  return target.ok ? { host: target.host, path: target.path, search: target.search } : target.refusal.code;
};

describe('readRequestTarget: accepted (Host, target) pairs answered from memory', () => {
  // Pairs that differ only in the Host or only in the target, asked twice each (the second answer may come from
  // memory): a memory keyed by less than both would answer one of them with the other's result.
  const cases = [
    {
      label: 'origin form',
      url: '/api/a/../b?x=1',
      hosts: ['h.example'],
      expected: { host: 'h.example', path: '/api/b', search: '?x=1' },
    },
    {
      label: 'another Host, same target',
      url: '/api/a/../b?x=1',
      hosts: ['h.example:8080'],
      expected: { host: 'h.example:8080', path: '/api/b', search: '?x=1' },
    },
    {
      label: 'same Host, another target',
      url: '/api/a/b?x=1',
      hosts: ['h.example'],
      expected: { host: 'h.example', path: '/api/a/b', search: '?x=1' },
    },
    {
      label: 'absolute form naming the Host',
      url: 'http://a.example/p',
      hosts: ['a.example'],
      expected: { host: 'a.example', path: '/p', search: '' },
    },
    {
      label: 'absolute form naming another authority',
      url: 'http://a.example/p',
      hosts: ['b.example'],
      expected: 'host-header-mismatch',
    },
    { label: 'a Host the URL parser refuses', url: '/p', hosts: ['1.2.3.4.5'], expected: 'invalid-host-header' },
    {
      label: 'a valid IPv4 Host',
      url: '/p',
      hosts: ['1.2.3.4'],
      expected: { host: '1.2.3.4', path: '/p', search: '' },
    },
    { label: 'a port past 65535', url: '/p', hosts: ['h:65536'], expected: 'invalid-host-header' },
    { label: 'a malformed percent-encoding', url: '/p%zz', hosts: ['h'], expected: 'invalid-percent-encoding' },
    { label: 'two Host headers', url: '/p', hosts: ['h', 'h'], expected: 'duplicate-host-header' },
    { label: 'no Host on HTTP/1.1', url: '/p', hosts: [], expected: 'missing-host-header' },
  ] as const;

  it.each(cases)('$label', ({ url, hosts, expected }) => {
    expect(answer(url, hosts)).toEqual(expected);
    expect(answer(url, hosts)).toEqual(expected);
  });

  it('the version still decides a request without Host (never remembered)', () => {
    expect(answer('/p', [], '1.0')).toEqual({ host: '', path: '/p', search: '' });
    expect(answer('/p', [], '1.1')).toBe('missing-host-header');
  });

  it('more distinct pairs than it remembers: every answer stays right', () => {
    for (let round = 0; round < 2; round++)
      for (let i = 0; i < 600; i++) {
        expect(answer(`/n/${i}`, [`h${i % 7}.example`])).toEqual({
          host: `h${i % 7}.example`,
          path: `/n/${i}`,
          search: '',
        });
        expect(answer(`http://h${i}.example/n`, [`g${i}.example`])).toBe('host-header-mismatch');
      }
  });

  it('a remembered answer cannot be changed by a caller', () => {
    const first = readRequestTarget(requestOf('/frozen', ['h']));
    expect(Object.isFrozen(first)).toBe(true);
  });
});
