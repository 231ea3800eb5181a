/** The benchmarks' and scripts' `--name <number>` options: the default when absent, a clear error for a non-number. */
import { describe, expect, it } from 'vitest';
import { numberOption } from '../../dev/commandLine.js';

describe('numberOption', () => {
  it('reads the number after the option', () => {
    expect(numberOption('seconds', 5, ['--rounds', '2', '--seconds', '1.5'])).toBe(1.5);
  });
  it('gives the default when the option is absent', () => {
    expect(numberOption('seconds', 5, ['--rounds', '2'])).toBe(5);
  });
  it.each([[['--seconds']], [['--seconds', 'fast']], [['--seconds', '']], [['--seconds', 'Infinity']]])(
    'refuses %j with the option named',
    (args) => {
      expect(() => numberOption('seconds', 5, args)).toThrow(/--seconds expects a number/);
    },
  );
});
