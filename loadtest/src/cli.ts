// `npm run loadtest -- --target http://HOST:8080 --bots N --duration S --scenario NAME
//   [--ramp BOTS_PER_S] [--rate INPUTS_PER_S] [--json FILE] [--html FILE]
//   [--max-error-rate FRACTION] [--max-p99 MS] [--name-prefix P] [--password PW] [--first-index I]
//   [--operator-token TOKEN] [--accounts-file PATH]`
// Bots get their accounts from the operator API when a credential is at hand: --operator-token,
// else STARLANE_OPERATOR_TOKEN, else the file `npm start` generates (STARLANE_OPERATOR_TOKEN_FILE,
// default .starlane/operator-token); without one they register through the public API.
// Prints a live line a second, then the summary table. Ctrl-C stops early and still prints the
// summary. Exits 1 when the run failed its thresholds (or nobody could join), 2 on bad arguments.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_OPERATOR_TOKEN_FILE, readOperatorTokenFile } from "@starlane/shared";
import { DEFAULT_PASSWORD, runFleet } from "./fleet.js";
import { renderHtmlReport } from "./report-html.js";
import { SCENARIOS } from "./scenarios/index.js";
import { formatSummary } from "./summary.js";
import { checkThresholds } from "./thresholds.js";

const USAGE =
  "usage: npm run loadtest -- --target http://HOST:8080 --bots N --duration S --scenario roam|crowd|border|chat [--ramp N] [--rate N] [--json FILE] [--html FILE] [--max-error-rate F] [--max-p99 MS] [--operator-token T] [--accounts-file PATH]";

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
      "operator-token": { type: "string" },
      "accounts-file": { type: "string" },
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

/** The operator credential and where it came from, or why there is none (said once). */
function operatorCredential(): { token?: string; said: string } {
  const flag = values["operator-token"];
  if (typeof flag === "string" && flag) return { token: flag, said: "--operator-token" };
  if (process.env.STARLANE_OPERATOR_TOKEN)
    return { token: process.env.STARLANE_OPERATOR_TOKEN, said: "STARLANE_OPERATOR_TOKEN" };
  const file = process.env.STARLANE_OPERATOR_TOKEN_FILE || DEFAULT_OPERATOR_TOKEN_FILE;
  let token: string | undefined;
  try {
    token = readOperatorTokenFile(file);
  } catch (err) {
    return { said: `${(err as Error).message.replace(/^config /, "")}; ` };
  }
  return token ? { token, said: file } : { said: `no --operator-token, STARLANE_OPERATOR_TOKEN or ${file}; ` };
}
const operator = operatorCredential();
process.stderr.write(
  operator.token
    ? `loadtest: bot accounts from the operator API (credential: ${operator.said})\n`
    : `loadtest: ${operator.said}bots register through the public API, where the per-IP registration limit applies (10 a minute by default)\n`,
);
process.stderr.write(`loadtest: ${bots} bots, scenario ${scenario.name} (${scenario.description}), target ${base}\n`);
const summary = await runFleet({
  entry: {
    kind: "login",
    target: base,
    password: String(values.password),
    namePrefix: String(values["name-prefix"]),
    firstIndex: num("first-index", 0),
    operatorToken: operator.token,
    accountsFile: typeof values["accounts-file"] === "string" ? values["accounts-file"] : undefined,
  },
  scenario,
  bots,
  durationS: num("duration", 0, 86_400),
  rampPerS: num("ramp", 0),
  inputRate: num("rate", 0.1, 60),
  observers: values.observers === undefined ? undefined : num("observers", 0),
  metricsUrls: [`${base}/metrics`],
  signal: abort.signal,
  onNote: (note) => process.stderr.write(`loadtest: ${note}\n`),
  onProgress: (line, s) => {
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (s.t % 5 === 0) process.stderr.write(`${line}\n`);
  },
}).catch((err: Error) => {
  // An unreadable accounts file, say: one line, not a stack trace.
  process.stderr.write(`loadtest: ${err.message}\n`);
  process.exit(1);
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
