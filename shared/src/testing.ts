// Isolation for integration tests: every test file gets its own PostgreSQL database (dropped after)
// and its own Redis key prefix, so parallel runs and a crashed earlier run never collide.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connectPostgres } from "./stores.js";

export const TEST_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const TEST_ADMIN_DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Test databases are named starlane_t_<unix seconds>_<random>, so stale ones can be found by age. */
export const TEST_DB_PATTERN = /^starlane_t_(\d+)_[0-9a-f]+$/;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `starlane_t_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString("hex")}`;
  const admin = await connectPostgres(TEST_ADMIN_DATABASE_URL, { max: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const a = await connectPostgres(TEST_ADMIN_DATABASE_URL, { max: 1 });
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A Redis key prefix no other test or run uses. */
export const testRedisPrefix = (): string => `starlane:t:${randomBytes(5).toString("hex")}:`;

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5000,
  every = 10,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A service's `src/main.ts` running as its own OS process, as the cluster runs it. */
export interface ServiceProcess {
  child: ChildProcess;
  /** The JSON log line that said it was ready (its fields: port, address, ...). */
  ready: Record<string, any>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
}

/**
 * Starts `services/<service>/src/main.ts` under `root` (the repository) with `env` over this
 * process's environment, and resolves once a JSON log line contains `ready` (its message). Fails
 * if the process exits first or says nothing ready within `ms`.
 */
export function startService(
  root: string,
  service: string,
  env: Record<string, string>,
  ready: string,
  ms = 60_000,
): Promise<ServiceProcess> {
  const child = spawn(
    process.execPath,
    ["--conditions=starlane-source", "--import", "tsx", `services/${service}/src/main.ts`],
    { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${service} said no "${ready}" within ${ms} ms: ${err.slice(-2000)}`));
    }, ms);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${service} exited (${code}) before it was ready: ${err.slice(-2000)}`));
    };
    child.on("exit", onExit);
    child.stdout!.on("data", (d) => {
      out += d;
      const lines = out.split("\n");
      out = lines.pop()!;
      for (const line of lines) {
        if (!line.includes(ready)) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, any>;
          clearTimeout(timer);
          child.off("exit", onExit);
          child.stdout!.resume(); // keep draining what it logs later
          resolve({ child, ready: parsed, stderr: () => err });
          return;
        } catch {}
      }
    });
  });
}
