// A self-contained HTML report of a run: the summary table and plots over time (latency
// percentiles, connected bots, bytes per second, zone tick time) as inline SVG. No scripts, no
// external files: it opens anywhere and can be attached to an issue.
import type { SecondSample, Summary } from "./summary.js";

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

interface Series {
  label: string;
  color: string;
  values: (number | null)[];
}

function chart(title: string, unit: string, ts: number[], series: Series[]): string {
  const W = 720;
  const H = 220;
  const L = 60;
  const B = 30;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const max = Math.max(1e-9, ...all) * 1.1;
  const tMax = Math.max(1, ...ts);
  const x = (t: number) => L + ((W - L - 10) * t) / tMax;
  const y = (v: number) => H - B - ((H - B - 10) * v) / max;
  const paths = series
    .map((s) => {
      let d = "";
      let pen = false;
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) {
          pen = false;
          return;
        }
        d += `${pen ? "L" : "M"}${x(ts[i]!).toFixed(1)},${y(v).toFixed(1)} `;
        pen = true;
      });
      return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`;
    })
    .join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const v = (max / 1.1) * f;
      return `<line x1="${L}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${L - 5}" y="${y(v) + 4}" text-anchor="end">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`;
    })
    .join("");
  const legend = series
    .map((s, i) => `<text x="${L + 10 + i * 140}" y="14" fill="${s.color}">■ ${esc(s.label)}</text>`)
    .join("");
  return `<h2>${esc(title)}</h2><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-size="11" font-family="sans-serif">${ticks}${paths}${legend}
<line x1="${L}" x2="${W - 10}" y1="${H - B}" y2="${H - B}" stroke="#999"/><text x="${W - 10}" y="${H - 8}" text-anchor="end">seconds</text><text x="4" y="${H / 2}">${esc(unit)}</text></svg>`;
}

export function renderHtmlReport(s: Summary, table: string): string {
  const tl: SecondSample[] = s.timeline;
  const ts = tl.map((p) => p.t);
  const col = (f: (p: SecondSample) => number | null) => tl.map(f);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Starlane load test: ${esc(s.scenario)}, ${s.bots} bots</title>
<style>body{font-family:sans-serif;max-width:760px;margin:2em auto;color:#222}pre{background:#f6f6f6;padding:1em;overflow-x:auto}h2{font-size:1em;margin-top:2em}</style></head><body>
<h1>Starlane load test: ${esc(s.scenario)}, ${s.bots} bots</h1>
<pre>${esc(table)}</pre>
${chart("Latency percentiles (per second)", "ms", ts, [
  { label: "input→ack p50", color: "#1f77b4", values: col((p) => p.rttP50) },
  { label: "input→ack p99", color: "#aec7e8", values: col((p) => p.rttP99) },
  { label: "input→observer p50", color: "#d62728", values: col((p) => p.observerP50) },
  { label: "input→observer p99", color: "#ff9896", values: col((p) => p.observerP99) },
])}
${chart("Connected bots", "bots", ts, [{ label: "connected", color: "#2ca02c", values: col((p) => p.connected) }])}
${chart("Bytes received per second (all bots)", "KB/s", ts, [{ label: "KB/s", color: "#9467bd", values: col((p) => p.bytesPerS / 1024) }])}
${chart("Zone tick time p99 (scraped /metrics)", "ms", ts, [{ label: "tick p99", color: "#ff7f0e", values: col((p) => p.tickP99) }])}
<h2>Summary (JSON)</h2><pre>${esc(JSON.stringify({ ...s, timeline: undefined, perBot: undefined }, null, 2))}</pre>
</body></html>`;
}
