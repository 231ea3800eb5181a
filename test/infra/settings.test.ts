/**
 * One list of settings: the settings shared/config.ts reads (SETTINGS), local.settings.sample.json,
 * the README's settings table and the Function App's app settings in infra/app/app-settings.bicep
 * (`certgateSettings`) name the same settings. Also runs on mutated copies to show it can fail.
 */
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../shared/config.js';
import { bicepParser, objectKeys, parse, readRepoFile, variable } from './bicepSource.js';

const parser = await bicepParser();
const APP_SETTINGS = 'infra/app/app-settings.bicep';

interface SettingLists {
  code: readonly string[];
  sample: readonly string[];
  readme: readonly string[];
  infra: readonly string[];
}

function infraSettings(source: string): string[] {
  const list = variable(parse(parser, source), 'certgateSettings');
  if (list?.type !== 'object') throw new Error('infra/app/app-settings.bicep has no certgateSettings object');
  return objectKeys(list);
}

/** A name that belongs in the lists: certgate's own, or a platform name the code reads (SETTINGS). */
const isSetting = (name: string): boolean => name.startsWith('CERTGATE_') || name in SETTINGS;

function sampleSettings(json: string): string[] {
  const sample = JSON.parse(json) as { Values: Record<string, string> };
  return Object.keys(sample.Values).filter(isSetting);
}

const readmeSettings = (markdown: string): string[] => [
  ...new Set([...markdown.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((match) => match[1]!).filter(isSetting)),
];

/** Where each list differs from the settings the code reads ("missing" / "extra" per list). */
function disagreements(lists: SettingLists): string[] {
  const code = new Set(lists.code);
  return (['sample', 'readme', 'infra'] as const).flatMap((where) => {
    const listed = lists[where];
    const duplicates = listed.filter((name, index) => listed.indexOf(name) !== index);
    return [
      ...[...code].filter((name) => !listed.includes(name)).map((name) => `${where} lacks ${name}`),
      ...listed.filter((name) => !code.has(name)).map((name) => `${where} has ${name}, which the code does not read`),
      ...duplicates.map((name) => `${where} lists ${name} twice`),
    ];
  });
}

const real = (): SettingLists => ({
  code: Object.keys(SETTINGS),
  sample: sampleSettings(readRepoFile('local.settings.sample.json')),
  readme: readmeSettings(readRepoFile('README.md')),
  infra: infraSettings(readRepoFile(APP_SETTINGS)),
});

describe('one list of settings', () => {
  it('SETTINGS, local.settings.sample.json, the README table and the infra app settings agree', () => {
    expect(disagreements(real())).toEqual([]);
  });

  it('the infra list is the one written to the Function App, and no platform setting shadows it', () => {
    const source = readRepoFile(APP_SETTINGS);
    expect(source).toMatch(/properties: union\(platformSettings, certgateSettings\)/);
    const platform = variable(parse(parser, source), 'platformSettings');
    if (platform?.type !== 'object') throw new Error('no platformSettings object');
    expect(objectKeys(platform).filter((name) => infraSettings(source).includes(name))).toEqual([]);
  });

  it.each([
    {
      label: 'a setting missing from the infra list',
      mutate: (lists: SettingLists) => ({
        ...lists,
        infra: infraSettings(readRepoFile(APP_SETTINGS).replace(/^\s+CERTGATE_OCSP_TIMEOUT_MS: ''\n/m, '')),
      }),
      expected: 'infra lacks CERTGATE_OCSP_TIMEOUT_MS',
    },
    {
      label: 'an infra setting the code does not read',
      mutate: (lists: SettingLists) => ({
        ...lists,
        infra: infraSettings(
          readRepoFile(APP_SETTINGS).replace(
            'var certgateSettings = {',
            "var certgateSettings = {\n  CERTGATE_NOT_A_SETTING: ''",
          ),
        ),
      }),
      expected: 'infra has CERTGATE_NOT_A_SETTING, which the code does not read',
    },
    {
      label: 'a setting missing from the sample file',
      mutate: (lists: SettingLists) => ({
        ...lists,
        sample: lists.sample.filter((name) => name !== 'CERTGATE_GRAPH_ENABLED'),
      }),
      expected: 'sample lacks CERTGATE_GRAPH_ENABLED',
    },
    {
      label: 'a README row for a setting the code does not read',
      mutate: (lists: SettingLists) => ({
        ...lists,
        readme: readmeSettings(`${readRepoFile('README.md')}\n| \`CERTGATE_OLD_NAME\` | gone |\n`),
      }),
      expected: 'readme has CERTGATE_OLD_NAME, which the code does not read',
    },
  ])('fails on $label', ({ mutate, expected }) => {
    expect(disagreements(mutate(real()))).toContain(expected);
  });
});
