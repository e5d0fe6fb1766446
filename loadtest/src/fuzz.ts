// `npm run fuzz -- --target http://HOST:8080 --frames N`: generated WebSocket frames against the zone
// through seats of load-test accounts (see fuzz/), while a bystander plays. Prints frames sent and
// frames/s, closes by code, `error` replies by code, the bystander's input-to-ack p99 idle and
// during, and exits 1 on a crash (front door or zone gone, the tick stopped) or an undocumented close.
//   [--seats 100] [--per-seat 40] [--closing 0.003] [--seed N] [--idle 10] [--max-message-bytes 1024]
//   [--operator-token T] [--json FILE]
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DEFAULT_OPERATOR_TOKEN_FILE, readOperatorTokenFile } from "@starlane/shared";
import { runFuzz } from "./fuzz/run.js";

const USAGE =
  "usage: npm run fuzz -- --target http://HOST:8080 --frames N [--seats 100] [--per-seat 40] [--closing 0.003] [--seed N] [--idle 10] [--max-message-bytes 1024] [--operator-token T] [--json FILE]";

const fail = (why: string): never => {
  process.stderr.write(`fuzz: ${why}\n${USAGE}\n`);
  process.exit(2);
};

// An unknown or malformed option is a usage error (exit 2), not a stack trace.
const values = (() => {
  try {
    return parseArgs({
      options: {
        target: { type: "string" },
        frames: { type: "string" },
        seats: { type: "string", default: "100" },
        "per-seat": { type: "string", default: "40" },
        closing: { type: "string", default: "0.003" },
        seed: { type: "string" },
        idle: { type: "string", default: "10" },
        "max-message-bytes": { type: "string", default: "1024" },
        "operator-token": { type: "string" },
        json: { type: "string" },
      },
    }).values;
  } catch (err) {
    return fail((err as Error).message);
  }
})();

const num = (name: string, min: number, max: number): number => {
  const v = Number(values[name as keyof typeof values]);
  if (!Number.isFinite(v) || v < min || v > max) fail(`--${name} must be a number in [${min}, ${max}]`);
  return v;
};
if (!values.target) fail("--target is required");
if (!values.frames) fail("--frames is required");
const target = String(values.target).replace(/\/+$/, "");

function operatorToken(): string {
  const flag = values["operator-token"];
  if (flag) return flag;
  if (process.env.STARLANE_OPERATOR_TOKEN) return process.env.STARLANE_OPERATOR_TOKEN;
  const file = process.env.STARLANE_OPERATOR_TOKEN_FILE || DEFAULT_OPERATOR_TOKEN_FILE;
  const token = readOperatorTokenFile(file);
  // Seats are load-test accounts: without the credential there are none (registering a hundred
  // players through the public API would meet its per-IP limit, as it should).
  return token ?? fail(`no --operator-token, STARLANE_OPERATOR_TOKEN or ${file}: the seats are load-test accounts`);
}

const seed = values.seed !== undefined ? num("seed", 0, 2 ** 32 - 1) : Math.floor(Math.random() * 2 ** 32);
const report = await runFuzz({
  target,
  operatorToken: operatorToken(),
  frames: num("frames", 1, 1e9),
  seats: num("seats", 1, 400),
  perSeat: num("per-seat", 1, 1000),
  closing: num("closing", 0, 1),
  seed,
  idleS: num("idle", 1, 600),
  maxMessageBytes: num("max-message-bytes", 64, 1_048_576),
  log: (line) => process.stderr.write(`${line}\n`),
});

const ms = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(1)} ms`);
const lines = [
  `frames sent        ${report.framesSent} in ${report.seconds.toFixed(1)} s (${report.framesPerS.toFixed(0)} frames/s), seed ${seed}`,
  `by kind            ${JSON.stringify(report.byKind)}`,
  `closes by code     ${JSON.stringify(report.closesByCode)} (world entries by the seats: ${report.reseats}, the first ones included)`,
  `undocumented       ${JSON.stringify(report.undocumentedCloses)}`,
  `error replies      ${JSON.stringify(report.errorsByCode)}`,
  `world entry fails  ${JSON.stringify(report.reseatFailures)}`,
  `zone ticks         ${report.zoneTicks.before} before, ${report.zoneTicks.after} after: ${report.zoneTicks.ticking ? "still ticking" : "NOT ticking"}`,
  `bystander          input-to-ack p99 idle ${ms(report.bystander.idle.p99)} (n=${report.bystander.idle.count}), during ${ms(report.bystander.during.p99)} (n=${report.bystander.during.count}), ${report.bystander.ratio === null ? "no ratio" : `${report.bystander.ratio.toFixed(2)}x`}; p50 ${ms(report.bystander.idle.p50)} / ${ms(report.bystander.during.p50)}; its closes ${JSON.stringify(report.bystander.closes)}`,
  `crashes            ${report.crashes.length}${report.crashes.length ? `: ${report.crashes.join("; ")}` : ""}`,
];
process.stdout.write(`${lines.join("\n")}\n`);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ seed, ...report }, null, 2)}\n`);
const bad = report.crashes.length > 0 || Object.keys(report.undocumentedCloses).length > 0;
process.stdout.write(
  bad ? "fuzz: FAILED (a crash or an undocumented close)\n" : "fuzz: passed (no crash, every close documented)\n",
);
process.exit(bad ? 1 : 0);
