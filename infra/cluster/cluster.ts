// `npm run cluster [-- --zones N]`: a real cluster on this machine. Login (its front door also
// serves the browser client and the operator map), persistence, two chat instances and N zones, each
// its own OS process under PM2 (infra/cluster/ecosystem.config.cjs), against REDIS_URL and
// DATABASE_URL (defaults: the local Redis and PostgreSQL; the database is created when missing).
// Prints the URLs once every process answers /readyz. `npm run cluster:stop` stops it.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateKeyEncryptionKey, parseKeyEncryptionKey } from "@starlane/login";
import {
  connectPostgres,
  connectRedis,
  DEFAULT_OPERATOR_TOKEN_FILE,
  ensureOperatorTokenFile,
  ensureSecretFile,
} from "@starlane/shared";
import { type ClusterSettings, clusterDir, ECOSYSTEM, pm2, pm2List } from "./pm2.js";

const USAGE =
  "usage: npm run cluster [-- --zones N] [--port 8080] [--zone-port 2567]  (env: REDIS_URL, DATABASE_URL, STARLANE_KEY_PREFIX, STARLANE_CLUSTER_DIR)";
const DEFAULT_REDIS = "redis://127.0.0.1:6379";
const DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/starlane";

function fail(message: string, code = 1): never {
  process.stderr.write(`cluster: ${message}\n`);
  process.exit(code);
}

function intOption(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name}: expected a whole number ${min}..${max}, got "${raw}"\n${USAGE}`, 2);
  return n;
}

/** Creates the database named in `url` when it does not exist (through the server's `postgres` database). */
async function ensureDatabase(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) fail(`DATABASE_URL: database name "${name}" is not a plain name`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const pool = await connectPostgres(admin.toString(), { max: 1 });
  try {
    const found = await pool.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    await pool.query(`CREATE DATABASE "${name}"`);
    return true;
  } finally {
    await pool.end();
  }
}

/** The first of `ports` something already listens on (on `host`), or undefined. */
async function portInUse(host: string, ports: number[]): Promise<number | undefined> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once("error", () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    });
    if (!free) return port;
  }
  return undefined;
}

async function waitReady(urls: [string, string][], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let waiting = urls;
  while (waiting.length > 0 && Date.now() < deadline) {
    const answers = await Promise.all(
      waiting.map(([, url]) =>
        fetch(url, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        ),
      ),
    );
    waiting = waiting.filter((_, i) => !answers[i]);
    if (waiting.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  return waiting.map(([name]) => name);
}

async function main() {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: { zones: { type: "string" }, port: { type: "string" }, "zone-port": { type: "string" } },
      strict: true,
    }) as { values: Record<string, string | undefined> });
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`, 2);
  }
  const env = process.env;
  const dir = clusterDir(env);
  const port = intOption(values.port, "port", 8080, 1, 65_530);
  const settings: ClusterSettings = {
    zones: intOption(values.zones, "zones", 2, 1, 64),
    redisUrl: env.REDIS_URL || DEFAULT_REDIS,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE,
    keyPrefix: env.STARLANE_KEY_PREFIX || "starlane:",
    host: env.STARLANE_HOST || "127.0.0.1",
    publicHost: env.STARLANE_PUBLIC_HOST || "localhost",
    port,
    zonePort: intOption(values["zone-port"], "zone-port", 2567, 1, 65_000),
    cols: intOption(env.STARLANE_REGION_COLS, "STARLANE_REGION_COLS", 4, 1, 64),
    rows: intOption(env.STARLANE_REGION_ROWS, "STARLANE_REGION_ROWS", 4, 1, 64),
    leaseTtlMs: intOption(env.STARLANE_ZONE_LEASE_TTL_MS, "STARLANE_ZONE_LEASE_TTL_MS", 2000, 300, 600_000),
    operatorTokenFile: "",
    keyEncryptionKeyFile: "",
    logLevel: env.STARLANE_LOG_LEVEL || "info",
  };
  if (pm2List(dir).length > 0) fail(`a cluster is already running from ${dir}; stop it first: npm run cluster:stop`);
  // A taken port would only show as a process crash-looping under PM2: say so now.
  const ports = [
    port,
    port + 1,
    port + 2,
    port + 3,
    ...Array.from({ length: settings.zones }, (_, i) => settings.zonePort + i),
  ];
  const taken = await portInUse(settings.host, ports);
  if (taken !== undefined)
    fail(
      `port ${taken} on ${settings.host} is in use (the cluster needs ${ports.join(", ")}; --port and --zone-port move them)`,
    );

  // Both stores first: a cluster that cannot reach them would only crash-loop under PM2.
  try {
    const redis = await connectRedis(settings.redisUrl, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.disconnect();
    if (await ensureDatabase(settings.databaseUrl))
      process.stdout.write(`created database ${new URL(settings.databaseUrl).pathname.slice(1)}\n`);
  } catch (err) {
    fail((err as Error).message);
  }
  // The same credential files as npm start, so npm run loadtest and zonectl find them.
  const operator = ensureOperatorTokenFile(env.STARLANE_OPERATOR_TOKEN_FILE || DEFAULT_OPERATOR_TOKEN_FILE);
  const kek = ensureSecretFile(
    env.STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE || ".starlane/key-encryption-key",
    "STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE",
    "key",
    parseKeyEncryptionKey,
    generateKeyEncryptionKey,
  );
  settings.operatorTokenFile = operator.path;
  settings.keyEncryptionKeyFile = kek.path;
  mkdirSync(join(dir, "logs"), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "cluster.json"), `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });

  const started = pm2(dir, ["start", ECOSYSTEM]);
  if (started.status !== 0) fail(`pm2 start failed: ${started.stderr.trim() || started.stdout.trim()}`);

  const h = settings.host;
  const zones = Array.from({ length: settings.zones }, (_, i) => settings.zonePort + i);
  const probes: [string, string][] = [
    ["login", `http://${h}:${port}/readyz`],
    ["persistence", `http://${h}:${port + 2}/readyz`],
    ["chat-1", `http://${h}:${port + 1}/readyz`],
    ["chat-2", `http://${h}:${port + 3}/readyz`],
    ...zones.map((p, i): [string, string] => [`zone-${i + 1}`, `http://${h}:${p}/readyz`]),
  ];
  const late = await waitReady(probes, 120_000);
  const base = `http://${settings.publicHost}:${port}`;
  const ph = settings.publicHost;
  process.stdout.write(
    [
      "",
      `Starlane cluster is running under PM2 (${settings.zones} zones, Redis ${redact(settings.redisUrl)}, PostgreSQL ${redact(settings.databaseUrl)}).`,
      `  browser client   ${base}/`,
      `  cluster map      ${base}/operator/map.html (asks for the operator token)`,
      `  login            ${base}/healthz /readyz /metrics`,
      `  persistence      http://${ph}:${port + 2}/metrics`,
      `  chat             ws://${ph}:${port + 1}/v1/chat   ws://${ph}:${port + 3}/v1/chat`,
      ...zones.map((p, i) => `  zone-${i + 1}           ws://${ph}:${p}   http://${ph}:${p}/metrics`),
      `  operator token   ${operator.path}${operator.created ? " (new)" : ""}`,
      `  logs             ${join(dir, "logs")}/<process>.log   (npm run cluster:logs: all of them, readable)`,
      "  status           npm run zonectl -- status",
      "  stop             npm run cluster:stop",
      "",
    ].join("\n"),
  );
  if (late.length > 0) fail(`not ready after 120 s: ${late.join(", ")} (see their logs in ${join(dir, "logs")})`);
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

main().catch((err) => fail((err as Error).message));
