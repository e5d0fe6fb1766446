// A login server on a fresh database for one test file, and a small HTTP client for it.
import { connectPostgres, createLogger, loadConfig } from "@starlane/shared";
import { createTestDatabase, type TestDatabase } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { createLoginServer, type LoginDeps, type LoginServer, loginConfig } from "../src/index.js";

/** The key-encryption key every test server seals its signing keys with. */
export const TEST_KEY_ENCRYPTION_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/** The operator credential every test server is started with. */
export const OPERATOR_TOKEN = "test-operator-token-0123456789abcdef";

// Cheap Argon2id in tests (the cost itself is tested once in passwords.test.ts) and limits high
// enough that only the rate-limit tests meet them.
export const TEST_ENV = {
  STARLANE_LOGIN_PORT: "0",
  STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
  STARLANE_LOGIN_ARGON2_TIME_COST: "1",
  STARLANE_LOG_LEVEL: "silent",
  STARLANE_LOGIN_RATE_LOGIN_PER_IP: "100000",
  STARLANE_LOGIN_RATE_LOGIN_PER_ACCOUNT: "100000",
  STARLANE_LOGIN_RATE_REGISTER_PER_IP: "100000",
  STARLANE_LOGIN_RATE_REGISTER_PER_ACCOUNT: "100000",
  STARLANE_LOGIN_RATE_REFRESH_PER_IP: "100000",
  STARLANE_LOGIN_RATE_REFRESH_PER_SESSION: "100000",
  STARLANE_OPERATOR_TOKEN: OPERATOR_TOKEN,
  // Signing keys sealed at rest, as in production.
  STARLANE_LOGIN_KEY_ENCRYPTION_KEY: TEST_KEY_ENCRYPTION_KEY,
};

export interface Running {
  server: LoginServer;
  base: string;
  close(): Promise<void>;
}

export async function startLogin(
  db: pg.Pool,
  env: Record<string, string> = {},
  deps: Partial<LoginDeps> = {},
): Promise<Running> {
  const config = loadConfig(loginConfig, { ...TEST_ENV, ...env });
  const server = await createLoginServer({ log: createLogger("login", "silent"), db, ...deps }, config);
  const { port } = server.listen();
  return { server, base: `http://127.0.0.1:${port}`, close: () => server.close() };
}

export interface Fixture {
  database: TestDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function databaseFixture(): Promise<Fixture> {
  const database = await createTestDatabase();
  const pool = await connectPostgres(database.url, { max: 8 });
  return {
    database,
    pool,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly and assert them
  body: any;
}

/** One request; JSON bodies are sent as application/json unless `raw` says otherwise. */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  options: { headers?: Record<string, string>; raw?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let payload: string | undefined = options.raw;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(base + path, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

export type { Redis };
