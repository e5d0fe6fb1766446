// `npm run loadtest -- --target http://HOST:8080 --bots N --duration S --scenario NAME
//   [--ramp BOTS_PER_S] [--rate INPUTS_PER_S] [--json FILE] [--html FILE]
//   [--max-error-rate FRACTION] [--max-p99 MS] [--name-prefix P] [--password PW] [--first-index I]`
// Prints a live line a second, then the summary table. Ctrl-C stops early and still prints the
// summary. Exits 1 when the run failed its thresholds (or nobody could join), 2 on bad arguments.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_PASSWORD, runFleet } from "./fleet.js";
import { renderHtmlReport } from "./report-html.js";
import { SCENARIOS } from "./scenarios/index.js";
import { formatSummary } from "./summary.js";
import { checkThresholds } from "./thresholds.js";

const USAGE =
  "usage: npm run loadtest -- --target http://HOST:8080 --bots N --duration S --scenario roam|crowd|border|chat [--ramp N] [--rate N] [--json FILE] [--html FILE] [--max-error-rate F] [--max-p99 MS]";

function bad(msg: string): never {
  process.stderr.write(`loadtest: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, string | boolean | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: "string" },
      bots: { type: "string", default: "10" },
      duration: { type: "string", default: "30" },
      scenario: { type: "string", default: "roam" },
      ramp: { type: "string", default: "5" },
      rate: { type: "string", default: "10" },
      observers: { type: "string" },
      json: { type: "string" },
      html: { type: "string" },
      "max-error-rate": { type: "string", default: "0.01" },
      "max-p99": { type: "string" },
      "name-prefix": { type: "string", default: "lt" },
      "first-index": { type: "string", default: "0" },
      password: { type: "string", default: DEFAULT_PASSWORD },
      help: { type: "boolean" },
    },
  }));
} catch (err) {
  bad((err as Error).message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const num = (name: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  const raw = values[name];
  const n = Number(raw);
  if (raw === undefined || !Number.isFinite(n) || n < min || n > max)
    bad(`--${name} must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
};
const target = String(values.target ?? "");
if (!target) bad("--target is required");
let url: URL;
try {
  url = new URL(target);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
} catch {
  bad(`--target must be an http:// URL, got ${JSON.stringify(target)}`);
}
const scenario = SCENARIOS[String(values.scenario)];
if (!scenario) bad(`--scenario must be one of ${Object.keys(SCENARIOS).join(", ")}`);
const base = url.origin;
const bots = Math.floor(num("bots", 1, 100_000));
const tty = process.stderr.isTTY;

// First Ctrl-C: stop and summarise. Second: leave at once.
const abort = new AbortController();
process.on("SIGINT", () => {
  if (abort.signal.aborted) process.exit(130);
  process.stderr.write("\nloadtest: interrupted, summarising what was measured (Ctrl-C again to quit now)\n");
  abort.abort();
});
process.on("SIGTERM", () => abort.abort());

process.stderr.write(`loadtest: ${bots} bots, scenario ${scenario.name} (${scenario.description}), target ${base}\n`);
const summary = await runFleet({
  entry: {
    kind: "login",
    target: base,
    password: String(values.password),
    namePrefix: String(values["name-prefix"]),
    firstIndex: num("first-index", 0),
  },
  scenario,
  bots,
  durationS: num("duration", 0, 86_400),
  rampPerS: num("ramp", 0),
  inputRate: num("rate", 0.1, 60),
  observers: values.observers === undefined ? undefined : num("observers", 0),
  metricsUrls: [`${base}/metrics`],
  signal: abort.signal,
  onProgress: (line, s) => {
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (s.t % 5 === 0) process.stderr.write(`${line}\n`);
  },
});
if (tty) process.stderr.write("\n");
const table = formatSummary(summary);
process.stdout.write(`\n${table}\n`);
if (values.json) writeFileSync(String(values.json), `${JSON.stringify(summary, null, 2)}\n`);
if (values.html) writeFileSync(String(values.html), renderHtmlReport(summary, table));
const failures = checkThresholds(summary, {
  maxErrorRate: num("max-error-rate", 0, 1),
  maxP99: values["max-p99"] === undefined ? undefined : num("max-p99", 0),
});
for (const f of failures) process.stdout.write(`FAILED: ${f}\n`);
process.exit(failures.length ? 1 : 0);
