/**
 * Reads the Bicep under infra/ with tree-sitter-bicep (no Bicep compiler can be installed here) and
 * checks what can be checked from the parse tree. Every check is a pure function from source text
 * to a list of problems, so a test can run it on the real files and on a mutated copy.
 * May import: web-tree-sitter, node built-ins.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Language, Parser, type Node } from 'web-tree-sitter';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const INFRA = join(ROOT, 'infra');

/**
 * tree-sitter-bicep 1.1.0 predates Bicep's `extension <alias>` statement (it knows the older
 * `import` / `provider` forms), so the one extension alias infra/ uses is blanked before parsing.
 * Any other `extension` line stays and shows up as a parse error.
 */
const KNOWN_EXTENSION_ALIASES = ['microsoftGraphV1'];

/** Resource types that need a preview API version, and why. Anything else must be a dated GA version. */
export const PREVIEW_ALLOWED: Record<string, string> = {
  'Microsoft.Cdn/profiles/customDomains':
    'mutual TLS on a Front Door custom domain (mtlsSettings) exists only in preview API versions',
};

/** Documented built-in role definition ids (learn.microsoft.com, "Azure built-in roles"). */
export const BUILT_IN_ROLES = {
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'EventGrid Data Sender': 'd5a91429-5739-47e2-a06b-3470a27159e7',
} as const;

/** Which roles may be assigned on which resource type: data plane, on that one resource only. */
export const ROLES_BY_SCOPE_TYPE: Record<string, readonly string[]> = {
  'Microsoft.Storage/storageAccounts': [
    BUILT_IN_ROLES['Storage Blob Data Contributor'],
    BUILT_IN_ROLES['Storage Queue Data Contributor'],
    BUILT_IN_ROLES['Storage Table Data Contributor'],
  ],
  'Microsoft.KeyVault/vaults': [BUILT_IN_ROLES['Key Vault Secrets User']],
  // The optional alert topic: the app publishes CloudEvents to it, nothing else.
  'Microsoft.EventGrid/topics': [BUILT_IN_ROLES['EventGrid Data Sender']],
};

let parser: Parser | undefined;

/** The Bicep parser (loaded once). */
export async function bicepParser(): Promise<Parser> {
  if (parser) return parser;
  await Parser.init();
  const require = createRequire(import.meta.url);
  const wasm = join(dirname(require.resolve('tree-sitter-bicep/package.json')), 'tree-sitter-bicep.wasm');
  const language = await Language.load(wasm);
  parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** Every .bicep file under infra/, relative to the repository. */
export function bicepFiles(directory = INFRA): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith('.bicep') ? [relative(ROOT, path)] : [];
  });
}

export const readRepoFile = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** The parse tree's root of some Bicep source. */
export function parse(p: Parser, source: string): Node {
  const blanked = source.replace(/^extension\s+([A-Za-z][A-Za-z0-9]*)\s*$/gm, (line, alias: string) =>
    KNOWN_EXTENSION_ALIASES.includes(alias) ? ' '.repeat(line.length) : line,
  );
  const tree = p.parse(blanked);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree.rootNode;
}

function descendants(node: Node): Node[] {
  const out: Node[] = [];
  const walk = (n: Node): void => {
    out.push(n);
    for (const child of n.children) walk(child);
  };
  walk(node);
  return out;
}

const ofType = (node: Node, type: string): Node[] => descendants(node).filter((n) => n.type === type);

/** The text of a string literal without quotes, or undefined for an interpolated string. */
function literal(node: Node | null | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  if (node.namedChildren.some((c) => c.type === 'interpolation')) return undefined;
  return node.text.slice(1, -1).replace(/\\'/g, "'");
}

/** An object's property value by key. */
export function property(object: Node | null | undefined, key: string): Node | undefined {
  if (object?.type !== 'object') return undefined;
  for (const prop of object.namedChildren) {
    if (prop.type !== 'object_property') continue;
    const keyNode = prop.namedChildren[0];
    const name = keyNode?.type === 'string' ? literal(keyNode) : keyNode?.text;
    if (name === key) return prop.namedChildren[prop.namedChildren.length - 1] ?? undefined;
  }
  return undefined;
}

/** Keys of an object literal. */
export function objectKeys(object: Node): string[] {
  return object.namedChildren
    .filter((c) => c.type === 'object_property')
    .map((prop) => {
      const keyNode = prop.namedChildren[0];
      return (keyNode?.type === 'string' ? literal(keyNode) : keyNode?.text) ?? '';
    });
}

/** Top-level declarations with the decorators written above them. */
function declarations(root: Node, type: string): { node: Node; name: string; decorators: string[] }[] {
  const statements = root.namedChildren;
  return statements.flatMap((node, index) => {
    if (node.type !== type) return [];
    const previous = statements[index - 1];
    const decorators =
      previous?.type === 'decorators'
        ? ofType(previous, 'decorator').map(
            (d) => d.namedChildren[0]?.childForFieldName('function')?.text ?? d.namedChildren[0]?.text ?? '',
          )
        : [];
    return [{ node, name: node.namedChildren[0]?.text ?? '', decorators }];
  });
}

/** The value node of a top-level `var`. */
export function variable(root: Node, name: string): Node | undefined {
  const found = declarations(root, 'variable_declaration').find((v) => v.name === name);
  return found?.node.namedChildren[found.node.namedChildren.length - 1] ?? undefined;
}

/** Identifiers that refer to something (not object keys, not the declared names themselves). */
function references(node: Node): Node[] {
  return ofType(node, 'identifier').filter((id) => {
    const parent = id.parent;
    if (!parent) return true;
    if (parent.type === 'object_property' && parent.namedChildren[0]?.equals(id)) return false;
    if (
      [
        'parameter_declaration',
        'variable_declaration',
        'resource_declaration',
        'module_declaration',
        'output_declaration',
        'type_declaration',
      ].includes(parent.type) &&
      parent.namedChildren[0]?.equals(id)
    )
      return false;
    return true;
  });
}

/** Syntax: ERROR and MISSING nodes. */
export function parseProblems(root: Node): string[] {
  return descendants(root)
    .filter((n) => n.type === 'ERROR' || n.isMissing)
    .map((n) => `${n.isMissing ? 'missing' : 'error'} at ${n.startPosition.row + 1}:${n.startPosition.column + 1}`);
}

/** Every module path names a file that exists (relative to the declaring file). */
export function modulePathProblems(root: Node, file: string): string[] {
  return ofType(root, 'module_declaration').flatMap((m) => {
    const path = literal(m.namedChildren[1]);
    if (path === undefined) return [`module ${m.namedChildren[0]?.text ?? '?'}: path is not a literal`];
    return existsSync(join(ROOT, dirname(file), path)) ? [] : [`module path ${path} does not exist`];
  });
}

/** Every parameter has @description and is used. */
export function parameterProblems(root: Node): string[] {
  const used = new Set(references(root).map((id) => id.text));
  return declarations(root, 'parameter_declaration').flatMap(({ name, decorators }) => [
    ...(decorators.includes('description') ? [] : [`param ${name} has no @description`]),
    ...(used.has(name) ? [] : [`param ${name} is never used`]),
  ]);
}

/** No output carries a @secure() parameter, directly or through variables. */
export function secureOutputProblems(root: Node): string[] {
  const tainted = new Set(
    declarations(root, 'parameter_declaration')
      .filter((p) => p.decorators.includes('secure'))
      .map((p) => p.name),
  );
  const variables = declarations(root, 'variable_declaration');
  for (let changed = true; changed;) {
    changed = false;
    for (const v of variables) {
      if (!tainted.has(v.name) && references(v.node).some((id) => tainted.has(id.text))) {
        tainted.add(v.name);
        changed = true;
      }
    }
  }
  return declarations(root, 'output_declaration').flatMap(({ node, name }) =>
    references(node).some((id) => tainted.has(id.text)) ? [`output ${name} carries a secure value`] : [],
  );
}

/** Resource types with their API versions. */
export function resourceTypes(root: Node): { type: string; version: string; nested: boolean }[] {
  return ofType(root, 'resource_declaration').map((r) => {
    const [type = '', version = ''] = (literal(r.namedChildren[1]) ?? '').split('@');
    let nested = false;
    for (let up = r.parent; up; up = up.parent) if (up.type === 'resource_declaration') nested = true;
    return { type, version, nested };
  });
}

/** API versions pinned to a date (Graph: v1.0), no -preview outside PREVIEW_ALLOWED; nested children inherit theirs. */
export function apiVersionProblems(root: Node): string[] {
  return resourceTypes(root).flatMap(({ type, version, nested }) => {
    // A child declared inside its parent ('blobServices') takes the parent's version.
    if (nested && version === '' && !type.includes('/')) return [];
    if (type.startsWith('Microsoft.Graph/')) return version === 'v1.0' ? [] : [`${type}@${version}: use v1.0`];
    const match = /^\d{4}-\d{2}-\d{2}(-preview)?$/.exec(version);
    if (!match) return [`${type}@${version}: not a pinned API version`];
    if (match[1] && !(type in PREVIEW_ALLOWED)) return [`${type}@${version}: preview API version not allowed`];
    return [];
  });
}

/** The strings an expression stands for: literals, variables, arrays of them. */
function resolveStrings(root: Node, node: Node | null | undefined, loopVars: Map<string, Node>): string[] | undefined {
  if (!node) return undefined;
  const text = literal(node);
  if (text !== undefined) return [text];
  if (node.type === 'identifier') {
    const loop = loopVars.get(node.text);
    if (loop) return resolveStrings(root, loop, new Map());
    return resolveStrings(root, variable(root, node.text), loopVars);
  }
  if (node.type === 'array') {
    const items = node.namedChildren.map((c) => resolveStrings(root, c, loopVars));
    return items.every((i) => i !== undefined) ? items.flat() : undefined;
  }
  return undefined;
}

/** Role assignments: documented built-in ids only, each on a resource its role is for. */
export function roleAssignmentProblems(root: Node): string[] {
  const resources = new Map(
    ofType(root, 'resource_declaration').map((r) => [
      r.namedChildren[0]?.text ?? '',
      literal(r.namedChildren[1]) ?? '',
    ]),
  );
  const documented = new Set<string>(Object.values(BUILT_IN_ROLES));
  return ofType(root, 'resource_declaration').flatMap((r) => {
    if (!(literal(r.namedChildren[1]) ?? '').startsWith('Microsoft.Authorization/roleAssignments@')) return [];
    const name = r.namedChildren[0]?.text ?? '?';
    const loopVars = new Map<string, Node>();
    let body = r.namedChildren[2];
    if (body?.type === 'if_statement') body = body.namedChildren[1];
    if (body?.type === 'for_statement') {
      const initializer = body.childForFieldName('initializer');
      const loopBody = body.childForFieldName('body');
      const source = body.namedChildren.find(
        (c) => !(initializer && c.equals(initializer)) && !(loopBody && c.equals(loopBody)),
      );
      if (initializer && source) loopVars.set(initializer.text, source);
      body = loopBody ?? undefined;
    }
    const scope = property(body, 'scope')?.text;
    const scopeType = scope ? resources.get(scope)?.split('@')[0] : undefined;
    if (!scopeType || !(scopeType in ROLES_BY_SCOPE_TYPE))
      return [`${name}: scope ${scope ?? '(resource group)'} is not one of the resources a role may be given on`];
    const definition = property(property(body, 'properties'), 'roleDefinitionId');
    const call = definition?.type === 'call_expression' ? definition : undefined;
    const args = call?.childForFieldName('arguments')?.namedChildren ?? [];
    const ids = resolveStrings(root, args[1], loopVars);
    if (literal(args[0]) !== 'Microsoft.Authorization/roleDefinitions' || !ids)
      return [
        `${name}: roleDefinitionId is not subscriptionResourceId('Microsoft.Authorization/roleDefinitions', <known id>)`,
      ];
    return ids.flatMap((id) => [
      ...(documented.has(id) ? [] : [`${name}: ${id} is not a documented built-in role`]),
      ...(ROLES_BY_SCOPE_TYPE[scopeType]?.includes(id) ? [] : [`${name}: role ${id} is not allowed on ${scopeType}`]),
    ]);
  });
}

/** The request headers an App Gateway rewrite sets, name → value expression (literals unquoted). */
export function rewriteHeaders(root: Node): Map<string, string> {
  const headers = new Map<string, string>();
  for (const object of ofType(root, 'object')) {
    const name = property(object, 'headerName');
    const value = property(object, 'headerValue');
    if (!name || !value) continue;
    const headerName = resolveStrings(root, name, new Map())?.[0] ?? name.text;
    headers.set(headerName.toLowerCase(), literal(value) ?? value.text);
  }
  return headers;
}

/** Every routing rule that sends traffic to a backend goes through a rewrite rule set. */
export function routingProblems(root: Node): string[] {
  return ofType(root, 'object').flatMap((object) => {
    const props = property(object, 'properties');
    if (!property(props, 'backendAddressPool') || !property(props, 'httpListener')) return [];
    return property(props, 'rewriteRuleSet')
      ? []
      : [`routing rule ${property(object, 'name')?.text ?? '?'} has no rewrite rule set`];
  });
}
