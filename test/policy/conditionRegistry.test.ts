/**
 * The policy-condition registry: one file per condition in shared/policy/conditions/, and the
 * conditions schema, the condition names and the compile loop derived from it, so that adding a
 * condition is one new file (plus its registry entry, test and docs row). These tests fail when a
 * condition file is not registered, when the historical evaluation and trace order changes, when
 * a derived table drifts from the files, or when docs/policies.md misses or misquotes a row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONDITION_NAMES, POLICY_CONDITIONS, PolicyConditionsSchema } from '../../shared/policy/conditions/index.js';
import { compilePolicyConfiguration, evaluateAccess } from '../../shared/policy/evaluateAccess.js';
import { validateAccessPolicy } from '../../shared/policy/model.js';
import { accessRequest } from './accessRequests.js';

const conditionsDirectory = new URL('../../shared/policy/conditions/', import.meta.url);
const examples = Object.fromEntries(POLICY_CONDITIONS.map((condition) => [condition.name, condition.example]));
const locations = [{ id: 'office', name: 'Office', ranges: ['10.20.0.0/16'], tags: ['corporate'] }];

describe('policy condition registry', () => {
  it('every file in conditions/ is a registered condition named after its key', () => {
    const files = readdirSync(conditionsDirectory).filter((name) => name.endsWith('.ts') && name !== 'index.ts');
    expect(files.map((name) => name.replace(/\.ts$/, '')).sort()).toEqual([...CONDITION_NAMES].sort());
  });

  it('the seven original conditions keep their evaluation order; new ones come after', () => {
    expect(CONDITION_NAMES.slice(0, 7)).toEqual([
      'apps',
      'clientApps',
      'users',
      'deviceTags',
      'locations',
      'userAgents',
      'certificate',
    ]);
    expect(new Set(CONDITION_NAMES).size).toBe(CONDITION_NAMES.length);
  });

  it('the conditions schema has exactly the registered keys, in registry order', () => {
    expect(Object.keys(PolicyConditionsSchema.shape)).toEqual(CONDITION_NAMES);
  });

  it.each(POLICY_CONDITIONS.map((condition) => ({ name: condition.name, condition })))(
    '$name: its example validates and its docs are filled in',
    ({ name, condition }) => {
      expect(condition.schema.safeParse(condition.example).success).toBe(true);
      expect(
        validateAccessPolicy({
          id: 'p',
          name: 'P',
          state: 'enabled',
          priority: 1,
          conditions: { [name]: condition.example },
          action: 'block',
        }).ok,
      ).toBe(true);
      expect(condition.docs.shape.trim()).not.toBe('');
      expect(condition.docs.matchesWhen.trim()).not.toBe('');
      expect(condition.reads.length).toBeGreaterThan(0);
    },
  );

  it('a policy listing every condition traces them in registry order, whatever the document order', () => {
    const reversed = Object.fromEntries(Object.entries(examples).reverse());
    const compiled = compilePolicyConfiguration({
      schemaVersion: 1,
      locations,
      policies: [
        {
          id: 'every-condition',
          name: 'Every condition',
          state: 'enabled',
          priority: 1,
          conditions: reversed,
          action: 'block',
        },
      ],
    });
    const [trace] = evaluateAccess(accessRequest(), compiled).policies;
    expect(trace?.conditions.map((entry) => entry.condition)).toEqual(CONDITION_NAMES);
  });

  it("docs/policies.md has each condition's row, as its file states it, and no other", () => {
    const doc = readFileSync(new URL('../../docs/policies.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('| condition | shape | matches when |'));
    const lines = table.split('\n');
    const rows = lines.slice(
      2,
      lines.findIndex((line) => !line.startsWith('|')),
    );
    for (const condition of POLICY_CONDITIONS) {
      expect(rows, condition.name).toContain(
        `| \`${condition.name}\` | ${condition.docs.shape} | ${condition.docs.matchesWhen} |`,
      );
    }
    expect(rows.map((row) => /^\| `([A-Za-z]+)`/.exec(row)?.[1])).toEqual(CONDITION_NAMES);
  });
});
