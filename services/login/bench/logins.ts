// Sustained log-ins per second through the real HTTP API at the default Argon2id cost (OWASP: m =
// 19 MiB, t = 2, p = 1), with the hash concurrency cap, against the real PostgreSQL. While the
// burst runs, /healthz is probed to show the event loop stays responsive. Baseline in the same run:
// raw Argon2id hashes/s at the same concurrency, and /healthz latency with no load.
//   node --conditions=starlane-source --import tsx services/login/bench/logins.ts [seconds] [clients]
import { type Algorithm, hash } from "@node-rs/argon2";
import { connectPostgres, createLogger, loadConfig } from "@starlane/shared";
import { createTestDatabase } from "@starlane/shared/testing";
import { createLoginServer, loginConfig } from "../src/index.js";

const SECONDS = Number(process.argv[2] ?? 20);
const CLIENTS = Number(process.argv[3] ?? 16);
const ACCOUNTS = 8;

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;

const config = loadConfig(loginConfig, {
  STARLANE_LOGIN_PORT: "0",
  STARLANE_LOGIN_HASH_QUEUE: "1000",
  STARLANE_LOGIN_RATE_LOGIN_PER_IP: "1000000",
  STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT: "1000000",
  STARLANE_LOGIN_RATE_REGISTER_PER_IP: "1000000",
});

async function probe(base: string, until: () => boolean): Promise<number[]> {
  const out: number[] = [];
  while (until()) {
    const t = process.hrtime.bigint();
    await (await fetch(`${base}/healthz`)).text();
    out.push(ms(t));
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

async function rawArgon2(seconds: number, concurrency: number): Promise<number> {
  const options = {
    algorithm: 2 as Algorithm, // Argon2id (a const enum, not importable as a value here)
    memoryCost: config.argon2MemoryKiB,
    timeCost: config.argon2TimeCost,
    parallelism: config.argon2Parallelism,
  };
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await hash("correct horse", options);
        done++;
      }
    }),
  );
  return done / seconds;
}

const database = await createTestDatabase();
const db = await connectPostgres(database.url, { max: 8 });
const server = await createLoginServer({ log: createLogger("login", "silent"), db }, config);
const base = `http://127.0.0.1:${server.listen().port}`;
try {
  const post = (path: string, body: unknown) =>
    fetch(base + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  await Promise.all(
    Array.from({ length: ACCOUNTS }, (_, i) => post("/v1/accounts", { name: `bench_${i}`, password: "correct horse" })),
  );

  let idleDone = false;
  setTimeout(() => (idleDone = true), 2000);
  const idle = await probe(base, () => !idleDone);

  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  const started = Date.now();
  setTimeout(() => (running = false), SECONDS * 1000);
  const [loaded] = await Promise.all([
    probe(base, () => running),
    ...Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; running; i++) {
        const t = process.hrtime.bigint();
        const r = await post("/v1/sessions", { name: `bench_${(c + i) % ACCOUNTS}`, password: "correct horse" });
        await r.text();
        if (r.status === 200) latencies.push(ms(t));
        else failures++;
      }
    }),
  ]);
  const elapsed = (Date.now() - started) / 1000;
  const raw = await rawArgon2(Math.min(10, SECONDS), config.hashConcurrency);

  // Unknown account vs wrong password, one at a time and interleaved: the answer must not say
  // which (the dummy hash makes both cost one hash).
  const timing = { unknown: [] as number[], wrong: [] as number[] };
  for (let i = 0; i < 8; i++) {
    for (const kind of ["unknown", "wrong"] as const) {
      const t = process.hrtime.bigint();
      const name = kind === "unknown" ? `nobody_${i}` : `bench_${i % ACCOUNTS}`;
      await (await post("/v1/sessions", { name, password: "wrong horse" })).text();
      timing[kind].push(ms(t));
    }
  }

  console.log(
    `Argon2id m=${config.argon2MemoryKiB} KiB t=${config.argon2TimeCost} p=${config.argon2Parallelism}, hash concurrency ${config.hashConcurrency}, ${CLIENTS} clients, ${SECONDS} s; machine shared with other work`,
  );
  console.log(
    `logins/s ${(latencies.length / elapsed).toFixed(2)} (${latencies.length} ok, ${failures} failed)   latency ms p50 ${pct(latencies, 0.5).toFixed(0)} p99 ${pct(latencies, 0.99).toFixed(0)}`,
  );
  console.log(
    `failed login ms, one at a time: unknown account p50 ${pct(timing.unknown, 0.5).toFixed(0)}   wrong password p50 ${pct(timing.wrong, 0.5).toFixed(0)}`,
  );
  console.log(`baseline raw Argon2id hashes/s at concurrency ${config.hashConcurrency}: ${raw.toFixed(2)}`);
  console.log(
    `/healthz ms idle p50 ${pct(idle, 0.5).toFixed(2)} p99 ${pct(idle, 0.99).toFixed(2)}   during burst p50 ${pct(loaded, 0.5).toFixed(2)} p99 ${pct(loaded, 0.99).toFixed(2)} (${loaded.length} probes)`,
  );
} finally {
  await server.close();
  await db.end();
  await database.drop();
}
