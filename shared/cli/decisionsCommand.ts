/**
 * `certgate decisions list|show|impact`: the decision log through the management API.
 *   certgate decisions list [--user U] [--device D] [--app A] [--decision allow|block] [--reason R]
 *                           [--from ISO] [--to ISO] [--limit N] [--all] [--json]
 *   certgate decisions show <correlation id> [--json]    (the block page's reference)
 *   certgate decisions impact <policy id> [--from ISO] [--to ISO] [--json]
 * Where and as whom: --url (CERTGATE_URL, default http://127.0.0.1:7071), --key (the function
 * key, CERTGATE_FUNCTION_KEY), --token (an Entra bearer token with Certgate.Reader,
 * CERTGATE_TOKEN). Exit 0 on an answer, 1 when the API refused or found nothing, 2 on a usage error.
 * May import: node built-ins, the modules of this folder.
 */
import { parseArgs } from 'node:util';
import { EXIT_CODES, type CommandIo, type ExitCode } from './commandIo.js';
import { messageOf } from '../errors.js';

/** The usage text of `certgate decisions`. */
export const DECISIONS_USAGE = `Usage: certgate decisions <list|show|impact> [options]

  list                    decisions, newest first
    --user UPN|OBJECT-ID  --device THUMBPRINT|DEVICE-ID  --app ID  --decision allow|block
    --reason CODE         --from ISO-8601  --to ISO-8601 (default the last 24 hours)
    --limit N             per page (default 50, at most 200)
    --all                 follow continuation tokens to the end of the range
  show CORRELATION-ID     one decision: what was checked, in order, and which check failed
                          (the reference on the block page is the correlation id)
  impact POLICY-ID        what a report-only policy would have blocked or allowed
    --from ISO-8601  --to ISO-8601 (default the last 7 days)

  --json                  print the API's JSON instead of text
  --url URL               the certgate functions (CERTGATE_URL, default http://127.0.0.1:7071)
  --key KEY               function key (CERTGATE_FUNCTION_KEY)
  --token TOKEN           bearer token with the Certgate.Reader role (CERTGATE_TOKEN)
`;

const OPTIONS = {
  user: { type: 'string' },
  device: { type: 'string' },
  app: { type: 'string' },
  decision: { type: 'string' },
  reason: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  json: { type: 'boolean' },
  url: { type: 'string' },
  key: { type: 'string' },
  token: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Most pages `--all` follows (a safety stop; the API bounds each page's work). */
const MAX_PAGES = 1000;

interface Connection {
  readonly url: string;
  readonly headers: Record<string, string>;
}

async function call(connection: Connection, path: string, accept = 'application/json'): Promise<Response> {
  return fetch(`${connection.url}${path}`, { headers: { ...connection.headers, accept } });
}

async function failure(io: CommandIo, response: Response): Promise<ExitCode> {
  const text = await response.text();
  let shown = text;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; detail?: string } };
    if (body.error)
      shown = `${body.error.code ?? 'error'}: ${body.error.message ?? ''}${body.error.detail ? ` (${body.error.detail})` : ''}`;
  } catch {
    // not JSON: show the text
  }
  io.stderr.write(`certgate decisions: ${response.status} ${shown || response.statusText}\n`);
  return response.status === 400 ? EXIT_CODES.usage : EXIT_CODES.invalid;
}

interface ListItem {
  readonly at: string;
  readonly correlationId: string;
  readonly decision: string;
  readonly reasons: readonly string[];
  readonly app?: string;
  readonly user?: string;
  readonly certificateThumbprint?: string;
  readonly clientIp?: string;
  readonly decidedBy?: string;
}

function listLine(item: ListItem): string {
  const device = item.certificateThumbprint ? item.certificateThumbprint.slice(0, 16) : '-';
  return `${item.at}  ${item.decision.padEnd(5)}  ${item.correlationId}  app=${item.app ?? '-'}  user=${item.user ?? '-'}  device=${device}  ip=${item.clientIp ?? '-'}  ${item.reasons.join(',')}${item.decidedBy ? `  by=${item.decidedBy}` : ''}\n`;
}

async function list(io: CommandIo, connection: Connection, values: Record<string, string | boolean | undefined>) {
  const query = new URLSearchParams();
  for (const name of ['user', 'device', 'app', 'decision', 'reason', 'from', 'to', 'limit'] as const) {
    const value = values[name];
    if (typeof value === 'string') query.set(name, value);
  }
  const items: ListItem[] = [];
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await call(connection, `/api/manage/decisions?${query.toString()}`);
    if (!response.ok) return failure(io, response);
    const body = (await response.json()) as { items: ListItem[]; continuation?: string };
    items.push(...body.items);
    if (!values.json) for (const item of body.items) io.stdout.write(listLine(item));
    if (!values.all || body.continuation === undefined) {
      if (!values.all && body.continuation !== undefined && !values.json)
        io.stdout.write(`(more: run again with --all, or narrow --from / --to)\n`);
      if (values.json)
        io.stdout.write(
          `${JSON.stringify({ items, ...(values.all || body.continuation === undefined ? {} : { continuation: body.continuation }) }, null, 2)}\n`,
        );
      return EXIT_CODES.valid;
    }
    query.set('continuation', body.continuation);
  }
  return EXIT_CODES.valid;
}

/** Runs `certgate decisions …` (`argv` after `decisions`); `env` supplies the connection defaults. */
export async function runDecisionsCommand(
  argv: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ExitCode> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.stderr.write(`certgate decisions: ${messageOf(error)}\n${DECISIONS_USAGE}`);
    return EXIT_CODES.usage;
  }
  const { values, positionals } = parsed;
  const [sub, target, ...extra] = positionals;
  if (values.help || sub === 'help') {
    io.stdout.write(DECISIONS_USAGE);
    return EXIT_CODES.valid;
  }
  const needsTarget = sub === 'show' || sub === 'impact';
  if (
    sub === undefined ||
    !['list', 'show', 'impact'].includes(sub) ||
    (needsTarget && !target) ||
    (!needsTarget && target) ||
    extra.length > 0
  ) {
    io.stderr.write(
      `certgate decisions: expected list, show <correlation id> or impact <policy id>\n${DECISIONS_USAGE}`,
    );
    return EXIT_CODES.usage;
  }
  const key = values.key ?? env.CERTGATE_FUNCTION_KEY;
  const token = values.token ?? env.CERTGATE_TOKEN;
  const connection: Connection = {
    url: (values.url ?? env.CERTGATE_URL ?? 'http://127.0.0.1:7071').replace(/\/+$/, ''),
    headers: {
      ...(key ? { 'x-functions-key': key } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  };
  try {
    if (sub === 'list') return await list(io, connection, values);
    const id = encodeURIComponent(target ?? '');
    if (sub === 'show') {
      const response = await call(
        connection,
        `/api/manage/decisions/${id}${values.json ? '' : '?format=text'}`,
        values.json ? 'application/json' : 'text/plain',
      );
      if (!response.ok) return await failure(io, response);
      io.stdout.write(values.json ? `${JSON.stringify(await response.json(), null, 2)}\n` : await response.text());
      return EXIT_CODES.valid;
    }
    const query = new URLSearchParams();
    if (values.from) query.set('from', values.from);
    if (values.to) query.set('to', values.to);
    const response = await call(connection, `/api/manage/policies/${id}/impact?${query.toString()}`);
    if (!response.ok) return await failure(io, response);
    const impact = (await response.json()) as ImpactView;
    io.stdout.write(values.json ? `${JSON.stringify(impact, null, 2)}\n` : impactText(impact));
    return EXIT_CODES.valid;
  } catch (error) {
    io.stderr.write(`certgate decisions: cannot reach ${connection.url}: ${messageOf(error)}\n`);
    return EXIT_CODES.invalid;
  }
}

interface Counts {
  readonly requests: number;
  readonly users: number;
  readonly devices: number;
}
interface ImpactView {
  readonly policyId: string;
  readonly policy: { readonly state: string };
  readonly from: string;
  readonly to: string;
  readonly applied: Counts;
  readonly unknown: Counts;
  readonly wouldBlock: Counts;
  readonly wouldAllow: Counts;
  readonly topUsers: readonly { readonly user: string; readonly requests: number }[];
  readonly topApps: readonly { readonly app: string; readonly requests: number }[];
  readonly samples: readonly string[];
  readonly truncated: boolean;
}

function impactText(impact: ImpactView): string {
  const counts = (c: Counts) => `${c.requests} requests, ${c.users} users, ${c.devices} devices`;
  return [
    `Policy ${impact.policyId} (${impact.policy.state}), ${impact.from} to ${impact.to}${impact.truncated ? ' (partial: row limit reached)' : ''}`,
    `  applied to          ${counts(impact.applied)}`,
    `  would have blocked  ${counts(impact.wouldBlock)}`,
    `  would have allowed  ${counts(impact.wouldAllow)}`,
    `  unknown (fail mode) ${counts(impact.unknown)}`,
    `  top users: ${impact.topUsers.map((u) => `${u.user} (${u.requests})`).join(', ') || '-'}`,
    `  top apps:  ${impact.topApps.map((a) => `${a.app} (${a.requests})`).join(', ') || '-'}`,
    `  samples (certgate decisions show <id>): ${impact.samples.join(' ') || '-'}`,
    '',
  ].join('\n');
}
