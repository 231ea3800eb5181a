/**
 * The V8 CPU profiler around a piece of work, and its report: self time per unit of work (a
 * decision, a request) by module and by function, ours first in the names. Used by the profiling
 * tools (profileDecision.ts, profileHost.ts); a tool for finding what to cut, not a benchmark.
 * May import: node built-ins.
 */
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Runs `work` under the profiler (50 µs sampling); resolves with its result and the profile. */
export async function profiled<T>(work: () => Promise<T>): Promise<{ result: T; profile: Profile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  try {
    const result = await work();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    return { result, profile };
  } finally {
    session.disconnect();
  }
}

/** Prints self time per unit (`units` of work during the profile) by module and by function. */
export function printSelfTime(profile: Profile, units: number, unitName: string, top = 30): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByFunction = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    const delta = profile.timeDeltas[index] ?? 0;
    if (!node) return;
    total += delta;
    const module =
      node.callFrame.url
        .replace(/^.*\/node_modules\//, 'npm:')
        .replace(/^.*\/work\/[^/]+\//, '')
        .replace(/^file:\/\/.*\/(shared|functions|dev|bench)\//, '$1/') || '(native)';
    const name = `${node.callFrame.functionName || '(anonymous)'} ${module}:${node.callFrame.lineNumber + 1}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + delta);
    selfByModule.set(module, (selfByModule.get(module) ?? 0) + delta);
  });
  const per = (part: number) => (part / units).toFixed(2).padStart(7);
  console.log(`${units} ${unitName}s: ${(total / units).toFixed(1)} µs of samples per ${unitName}`);
  console.log(`self time by module, µs per ${unitName}:`);
  for (const [module, time] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${per(time)}  ${module}`);
  console.log(`self time by function, µs per ${unitName}:`);
  for (const [name, time] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${per(time)}  ${name}`);
}

/**
 * Prints the self time of the functions whose name starts with `name` (or any of a comma-separated list), per
 * unit, by calling function.
 */
export function printCallers(profile: Profile, units: number, unitName: string, name: string, top = 30): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  const frame = (node: ProfileNode | undefined) =>
    node
      ? `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*\/(node_modules|shared|functions|dev|bench)\//, '$1/')}:${node.callFrame.lineNumber + 1}`
      : '(root)';
  const byCaller = new Map<string, number>();
  profile.samples.forEach((id, index) => {
    const node = byId.get(id);
    if (!node || !name.split(',').some((prefix) => frame(node).startsWith(prefix))) return;
    const caller = `${frame(node)} <- ${frame(parentOf.get(id))} <- ${frame(parentOf.get(parentOf.get(id)?.id ?? -1))}`;
    byCaller.set(caller, (byCaller.get(caller) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  console.log(`callers of ${name}*, µs per ${unitName}:`);
  for (const [caller, time] of [...byCaller].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`  ${(time / units).toFixed(2).padStart(7)}  ${caller}`);
}
