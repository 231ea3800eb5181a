/**
 * Structure checks of infra/*.bicep from the tree-sitter-bicep parse tree (no Bicep compiler can be
 * installed here; infra/README.md says what an admin runs to compile and what-if it). Each check
 * also runs once on a mutated copy of a real file, to show it can fail.
 */
import { describe, expect, it } from 'vitest';
import { appGatewayFormat } from '../../shared/cert/intake/formats/app-gateway.js';
import { DEFAULT_SECRET_HEADER, FORWARDED_FACT_HEADERS } from '../../shared/cert/intake/headerNames.js';
import {
  apiVersionProblems,
  bicepFiles,
  bicepParser,
  modulePathProblems,
  parameterProblems,
  parse,
  parseProblems,
  readRepoFile,
  resourceTypes,
  rewriteHeaders,
  roleAssignmentProblems,
  routingProblems,
  secureOutputProblems,
} from './bicepSource.js';

const parser = await bicepParser();
const files = bicepFiles();
const tree = (source: string) => parse(parser, source);
const APP_GATEWAY = 'infra/core/gateway/application-gateway.bicep';
const FRONT_DOOR = 'infra/core/gateway/front-door.bicep';

describe('infra/*.bicep', () => {
  it('has the entry point and its modules', () => {
    expect(files).toContain('infra/main.bicep');
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s parses without error or missing nodes', (file) => {
    expect(parseProblems(tree(readRepoFile(file)))).toEqual([]);
  });

  it.each(files)('%s: every module path exists', (file) => {
    expect(modulePathProblems(tree(readRepoFile(file)), file)).toEqual([]);
  });

  it.each(files)('%s: every parameter is described and used', (file) => {
    expect(parameterProblems(tree(readRepoFile(file)))).toEqual([]);
  });

  it.each(files)('%s: no secure parameter reaches an output', (file) => {
    expect(secureOutputProblems(tree(readRepoFile(file)))).toEqual([]);
  });

  it.each(files)('%s: API versions pinned, preview only where listed', (file) => {
    expect(apiVersionProblems(tree(readRepoFile(file)))).toEqual([]);
  });

  it.each(files)('%s: role assignments are documented data-plane roles on their one resource', (file) => {
    expect(roleAssignmentProblems(tree(readRepoFile(file)))).toEqual([]);
  });

  it('assigns roles in one file only (core/security/rbac.bicep), and assigns some', () => {
    const assigning = files.filter((file) =>
      resourceTypes(tree(readRepoFile(file))).some((r) => r.type === 'Microsoft.Authorization/roleAssignments'),
    );
    expect(assigning).toEqual(['infra/core/security/rbac.bicep']);
  });

  it('the App Gateway rewrite writes the headers the app-gateway intake reads, from the server variables it expects', () => {
    const headers = rewriteHeaders(tree(readRepoFile(APP_GATEWAY)));
    const { certificate, verification } = appGatewayFormat.headers;
    expect(headers.get(certificate!.toLowerCase())).toBe('{var_client_certificate}');
    expect(headers.get(verification!.toLowerCase())).toBe('{var_client_certificate_verification}');
    expect(headers.get(DEFAULT_SECRET_HEADER.toLowerCase())).toBe('gatewaySecret');
  });

  it('the App Gateway rewrite sets or deletes every forwarded fact a client could forge (the gateway appends X-Forwarded-For)', () => {
    const headers = rewriteHeaders(tree(readRepoFile(APP_GATEWAY)));
    const forgeable = FORWARDED_FACT_HEADERS.filter((name) => name !== 'x-forwarded-for');
    expect(forgeable.filter((name) => !headers.has(name))).toEqual([]);
  });

  it('every App Gateway routing rule to a backend goes through the rewrite', () => {
    expect(routingProblems(tree(readRepoFile(APP_GATEWAY)))).toEqual([]);
  });

  it('Front Door overwrites the gateway secret header certgate reads', () => {
    const source = readRepoFile(FRONT_DOOR);
    expect(source).toContain(`var secretHeaderName = '${DEFAULT_SECRET_HEADER}'`);
    expect(source).toMatch(/headerAction: 'Overwrite'\s+headerName: secretHeaderName\s+value: gatewaySecret/);
  });
});

describe('each check fails on a mutated input', () => {
  const rbac = readRepoFile('infra/core/security/rbac.bicep');
  const gatewaySource = readRepoFile(APP_GATEWAY);
  const cases: { label: string; problems: () => string[] }[] = [
    {
      label: 'a syntax error',
      problems: () =>
        parseProblems(tree(readRepoFile('infra/main.bicep').replace("targetScope = 'resourceGroup'", 'targetScope ='))),
    },
    {
      label: 'an extension alias the parser is not told about',
      problems: () =>
        parseProblems(tree(`extension someOtherExtension\n${readRepoFile('infra/app/graph-permissions.bicep')}`)),
    },
    {
      label: 'a module path that does not exist',
      problems: () =>
        modulePathProblems(
          tree(readRepoFile('infra/main.bicep').replace("'core/security/rbac.bicep'", "'core/security/roles.bicep'")),
          'infra/main.bicep',
        ),
    },
    {
      label: 'a parameter without @description',
      problems: () =>
        parameterProblems(
          tree(readRepoFile('infra/core/security/key-vault.bicep').replace("@description('Optional. Tags.')\n", '')),
        ),
    },
    {
      label: 'an unused parameter',
      problems: () =>
        parameterProblems(
          tree(`${readRepoFile('infra/core/security/key-vault.bicep')}\n@description('x')\nparam unused string\n`),
        ),
    },
    {
      label: 'a secure parameter in an output, through a variable',
      problems: () =>
        secureOutputProblems(
          tree(
            `${readRepoFile('infra/core/security/key-vault-secret.bicep')}\nvar leaked = toUpper(value)\noutput oops string = leaked\n`,
          ),
        ),
    },
    {
      label: 'a preview API version that is not listed',
      problems: () =>
        apiVersionProblems(tree(rbac.replace('roleAssignments@2022-04-01', 'roleAssignments@2022-04-01-preview'))),
    },
    {
      label: 'an unpinned API version',
      problems: () => apiVersionProblems(tree(rbac.replace('vaults@2023-07-01', 'vaults@latest'))),
    },
    {
      label: 'Owner instead of a data role',
      problems: () =>
        roleAssignmentProblems(
          tree(
            rbac.replace(
              "storageBlobDataContributor = 'ba92f5b4",
              "storageBlobDataContributor = '8e3af657-a8ff-443c-a75c-2fe8c4bcb635'//",
            ),
          ),
        ),
    },
    {
      label: 'a storage role given on the vault',
      problems: () =>
        roleAssignmentProblems(
          tree(
            rbac.replace(
              "var keyVaultSecretsUser = '4633458b",
              "var keyVaultSecretsUser = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'\nvar unusedVar = '4633458b",
            ),
          ),
        ),
    },
    {
      label: 'a role assignment on the resource group',
      problems: () => roleAssignmentProblems(tree(rbac.replace('  scope: vault\n', ''))),
    },
    {
      label: 'the rewrite reading another server variable',
      problems: () => {
        const headers = rewriteHeaders(
          tree(gatewaySource.replace("'{var_client_certificate}'", "'{var_client_certificate_fingerprint}'")),
        );
        return headers.get('x-client-certificate') === '{var_client_certificate}'
          ? []
          : ['certificate header from the wrong variable'];
      },
    },
    {
      label: 'a forwarded fact the rewrite leaves alone',
      problems: () => {
        const headers = rewriteHeaders(
          tree(gatewaySource.replace("{ headerName: 'X-Original-URL', headerValue: '{var_request_uri}' }\n", '')),
        );
        return headers.has('x-original-url') ? [] : ['x-original-url not rewritten'];
      },
    },
    {
      label: 'a routing rule without the rewrite',
      problems: () => routingProblems(tree(gatewaySource.replace(/\n\s+rewriteRuleSet: \{ id: [^\n]+/, ''))),
    },
  ];
  it.each(cases)('$label', ({ problems }) => {
    expect(problems().length).toBeGreaterThan(0);
  });
});
