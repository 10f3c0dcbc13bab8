// `node dist/bench/profile.js FILE.cpuprofile [N]`: the functions with the most self time in a V8
// CPU profile (from `npm run bench -- --profile DIR`), with their share of all samples, and the
// same summed per file, so that the hot path can be read without a flame-graph viewer.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
}

export function topSelfTime(profile: CpuProfile, count: number): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, n] of hits) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += n;
    if (frame.functionName === '(idle)') idle += n;
    const file = frame.url.replace(/^.*\/(node_modules\/|dist\/)/, '$1') || '(native)';
    const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + n);
    byFile.set(file, (byFile.get(file) ?? 0) + n);
  }
  const pct = (n: number): string => `${((n * 100) / total).toFixed(1).padStart(5)} %`;
  const top = (map: Map<string, number>): string[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, n]) => `${pct(n)}  ${key}`);
  return [
    `${total} samples, ${pct(idle).trim()} idle`,
    '',
    'self time by function:',
    ...top(byFunction),
    '',
    'self time by file:',
    ...top(byFile),
  ];
}

if (process.argv[2] !== undefined) {
  const profile = JSON.parse(readFileSync(process.argv[2], 'utf8')) as CpuProfile;
  console.log(topSelfTime(profile, Number(process.argv[3] ?? 30)).join('\n'));
}
