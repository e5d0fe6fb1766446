// Dev A/B: one zone trial (ours or stock) at N bots, with memory, printed as the capacity steps are.
//   node --conditions=starlane-source --import tsx loadtest/src/trial-cli.ts ours 1000 [windowS]
import { cellFor, describeTrial, trial, type ZoneSystem } from "./bench/zone-trial.js";

const [system = "ours", n = "1000", w = "5"] = process.argv.slice(2);
const bots = Number(n);
const t = await trial(system as ZoneSystem, bots, {
  cell: cellFor(bots),
  windowS: Number(w),
  memory: system === "ours",
});
console.log(describeTrial(t));
const m = t.memory;
if (m?.loaded) {
  const kb = (a: number, b: number) => ((b - a) / m.loaded!.clients / 1024).toFixed(1);
  console.log(
    `memory: empty rss ${(m.empty.rss / 2 ** 20).toFixed(1)} MB heap ${(m.empty.heapUsed / 2 ** 20).toFixed(1)} MB; loaded (${m.loaded.clients} clients, afterGc ${m.afterGc}) rss ${(m.loaded.rss / 2 ** 20).toFixed(1)} MB heap ${(m.loaded.heapUsed / 2 ** 20).toFixed(1)} MB; per bot rss ${kb(m.empty.rss, m.loaded.rss)} kB heap ${kb(m.empty.heapUsed, m.loaded.heapUsed)} kB`,
  );
}
const mb = (x?: number) => ((x ?? 0) / 2 ** 20).toFixed(1);
for (const [k, z] of Object.entries({ empty: m?.empty, loaded: m?.loaded }))
  if (z)
    console.log(
      `${k}: rss ${mb(z.rss)} heapTotal ${mb(z.heapTotal)} used ${mb(z.heapUsed)} external ${mb(z.external)} arrayBuffers ${mb(z.arrayBuffers)} spaces ${Object.entries(
        z.spaces ?? {},
      )
        .map(([n, v]) => `${n} ${mb(v)}`)
        .join(", ")} resident ${Object.entries(z.resident ?? {})
        .map(([n, v]) => `${n} ${mb(v)}`)
        .join(", ")} rssFirst ${mb(z.rssFirst)} gcs ${JSON.stringify(z.gcs)}`,
    );
process.exit(0);
