// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, by module (our source file,
// or the package / Node internals it is in) and by file, the largest first, as a share of the busy
// (non-idle) time and as ms per 20 Hz tick of wall time. `--last S` keeps only the samples of the
// profile's last S seconds (a bench zone's measured windows are the end of its life; the start is
// module loading and the bots' ramp).
//   node --import tsx loadtest/src/profile-summary.ts FILE.cpuprofile [--top 25] [--last 10]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string" }, last: { type: "string" } },
});
const file = positionals[0];
if (!file) {
  console.error("usage: profile-summary FILE.cpuprofile [--top N] [--last SECONDS]");
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, "utf8")) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  endTime: number;
};
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const from = values.last ? prof.endTime - Number(values.last) * 1e6 : Number.NEGATIVE_INFINITY;
const self = new Map<number, number>();
let t = (prof as unknown as { startTime: number }).startTime;
let wallUs = 0;
prof.samples.forEach((id, i) => {
  const d = prof.timeDeltas[i] ?? 0;
  t += d;
  if (t < from) return;
  wallUs += d;
  self.set(id, (self.get(id) ?? 0) + d);
});

/** Our source file (services/zone/src/mirror.ts), a package (@colyseus/core), or node:internal/x. */
function moduleOf(url: string): string {
  if (!url) return "(native: V8 builtins, C++ and the calls into uWS)";
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return url.replace(/^(node:internal\/[^/]+|node:[^/]+).*$/, "$1");
  return url.replace(`file://${process.cwd()}/`, "").replace(/^file:\/\//, "");
}

const fn = new Map<string, number>();
const modules = new Map<string, number>();
let busy = 0;
const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || "(anonymous)";
  if (name === "(idle)") continue;
  busy += us;
  if (name === "(program)" || name === "(garbage collector)") {
    add(fn, name, us);
    add(modules, name, us);
    continue;
  }
  const where = moduleOf(n.callFrame.url);
  add(fn, `${name} ${where.replace(/^.*\//, "")}:${n.callFrame.lineNumber + 1}`, us);
  add(modules, where, us);
}
const top = Number(values.top ?? 25);
const ticks = (wallUs / 1e6) * 20;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`.padStart(6);
const perTick = (us: number) => `${(us / 1000 / ticks).toFixed(2)} ms/tick`.padStart(14);
console.log(
  `busy ${(busy / 1e6).toFixed(1)} s of ${(wallUs / 1e6).toFixed(1)} s sampled (${perTick(busy).trim()} at 20 Hz)`,
);
console.log("\nself time by function:");
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us)} ${perTick(us)}  ${k}`);
console.log("\nself time by module:");
for (const [k, us] of [...modules].sort((a, b) => b[1] - a[1]).slice(0, 20))
  console.log(`  ${pct(us)} ${perTick(us)}  ${k}`);
