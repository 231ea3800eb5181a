/**
 * The comparison the gateway proof makes of a presented secret (and Front Door id) with the
 * accepted ones: equal exactly when the texts are equal, whatever their lengths, with every
 * character of the presented text read (no early exit on the first difference).
 */
import { describe, expect, it } from 'vitest';
import { equalInConstantTime } from '../../../shared/cert/intake/gatewayProof.js';

describe('equalInConstantTime', () => {
  const secret = 'secret-2025-rotating-in';
  it.each([
    { label: 'the same text', presented: secret, expected: true },
    { label: 'one character different (last)', presented: `${secret.slice(0, -1)}N`, expected: false },
    { label: 'one character different (first)', presented: `S${secret.slice(1)}`, expected: false },
    { label: 'a prefix', presented: secret.slice(0, -1), expected: false },
    { label: 'the secret and more', presented: `${secret}x`, expected: false },
    { label: 'the secret twice (a multiple of its length)', presented: secret + secret, expected: false },
    { label: 'empty', presented: '', expected: false },
    { label: 'other case', presented: secret.toUpperCase(), expected: false },
    { label: 'a character beyond Latin-1', presented: `${secret.slice(0, -1)}\u0100`, expected: false },
    // 'n' is U+006E; U+016E differs only above the low byte: the whole code unit is compared.
    { label: 'a code unit equal in its low byte only', presented: `${secret.slice(0, -1)}\u016e`, expected: false },
  ])('$label', ({ presented, expected }) => {
    expect(equalInConstantTime(presented, secret)).toBe(expected);
  });

  it('an empty accepted text equals only the empty text', () => {
    expect(equalInConstantTime('', '')).toBe(true);
    expect(equalInConstantTime('x', '')).toBe(false);
  });

  it('is symmetric in its answer', () => {
    for (const [a, b] of [
      ['abc', 'abc'],
      ['abc', 'abcd'],
      ['abcd', 'abc'],
      ['', 'a'],
    ] as const)
      expect(equalInConstantTime(a, b)).toBe(equalInConstantTime(b, a));
  });
});
