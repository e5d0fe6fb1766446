// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by file, the largest
// first, as a share of the profile's busy (non-idle) time.
//   node --import tsx loadtest/src/profile-summary.ts FILE.cpuprofile [top=25]
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: profile-summary FILE.cpuprofile [top]");
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, "utf8")) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
});
const fn = new Map<string, number>();
const files = new Map<string, number>();
let busy = 0;
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || "(anonymous)";
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") {
    if (name !== "(idle)") fn.set(name, (fn.get(name) ?? 0) + us);
    if (name !== "(idle)") busy += us;
    continue;
  }
  busy += us;
  const where = n.callFrame.url.replace(/^.*\/(node_modules\/)?/, "").replace(/^file:\/\//, "");
  const key = `${name} ${where}:${n.callFrame.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const f = n.callFrame.url ? n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules\/|wt-[^/]+\/)?/, "") : "(native)";
  files.set(f, (files.get(f) ?? 0) + us);
}
const top = Number(topArg ?? 25);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1)}%`;
console.log(`busy ${(busy / 1e6).toFixed(1)} s of samples`);
console.log("\nself time by function:");
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(6)}  ${k}`);
console.log("\nself time by file:");
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15))
  console.log(`  ${pct(us).padStart(6)}  ${k}`);
