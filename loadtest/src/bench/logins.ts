// `logins`: log-ins per second at OWASP's Argon2id cost (services/login/bench/logins.ts), and what a
// burst of log-ins does to the zone's tick when both run in one process, as `npm start` runs them.
import { type BenchGroup, rowOf } from "./group.js";
import { loginBurst } from "./login-burst.js";
import { runScript } from "./script.js";

const ROWS = [
  { name: "logins_per_s", unit: "logins/s" },
  { name: "login_burst_tick_p99_ms", unit: "ms" },
];
const row = (name: string) => rowOf(ROWS, name);

export const loginsGroup: BenchGroup = {
  name: "logins",
  description:
    "log-ins/s at OWASP Argon2id cost; the zone's tick p99 during a log-in burst in the same process (npm start)",
  rows: ROWS,
  async run(ctx) {
    ctx.log("log-ins/s at OWASP cost ...");
    const out = await runScript(["services/login/bench/logins.ts", ctx.quick ? "6" : "10", "8"], 180_000);
    const rate = /logins\/s ([\d.]+)/.exec(out)?.[1];
    const raw = /baseline raw Argon2id hashes\/s at concurrency \d+: ([\d.]+)/.exec(out)?.[1];
    if (!rate) ctx.log(`services/login/bench/logins.ts gave no figure:\n${out.slice(-800)}`);
    const logins = {
      ...row("logins_per_s"),
      value: rate ? Number(rate) : null,
      baseline: raw ? Number(raw) : null,
      note: `HTTP log-ins at OWASP Argon2id cost (m=19 MiB, t=2, p=1), 8 clients (services/login/bench/logins.ts, local PostgreSQL); baseline: raw Argon2id hashes/s at the same concurrency, same run${rate ? "" : "; the script gave no figure"}`,
    };
    ctx.log("the zone's tick during a burst of log-ins, npm start ...");
    const burst = await loginBurst(ctx);
    return [logins, { ...row("login_burst_tick_p99_ms"), ...burst }];
  },
};
