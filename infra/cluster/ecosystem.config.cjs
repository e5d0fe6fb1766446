// PM2 ecosystem of `npm run cluster`: every Starlane service as its own OS process, restarted when
// it crashes, one log file per process. `npm run cluster` writes the settings this file reads
// (cluster.json in the cluster folder, default .starlane/cluster) and then runs
// `pm2 start infra/cluster/ecosystem.config.cjs`; `npm run zonectl -- scale` starts or deletes
// zone slots with the same file. Zones are named by slot (zone-1, zone-2, ...): a process PM2
// restarts keeps the name but is a new zone (new random id) that claims through the normal path.
const { readFileSync } = require("node:fs");
const { join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "../..");
const dir = resolve(ROOT, process.env.STARLANE_CLUSTER_DIR || ".starlane/cluster");
const c = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8"));
// zonectl scale sets this for the zones it adds; otherwise the count the cluster was started with.
const zones = Number(process.env.STARLANE_CLUSTER_ZONES || c.zones);

/** Zone slot k (1-based) of n: a contiguous run of the grid in row-major order, as even as can be. */
function share(k, n) {
  const out = [];
  const total = c.cols * c.rows;
  for (let i = 0; i < total; i++) {
    if (Math.floor((i * n) / total) === k - 1) out.push(`${i % c.cols}-${Math.floor(i / c.cols)}`);
  }
  return out.join(",");
}

const common = {
  REDIS_URL: c.redisUrl,
  DATABASE_URL: c.databaseUrl,
  STARLANE_KEY_PREFIX: c.keyPrefix,
  STARLANE_HOST: c.host,
  STARLANE_PUBLIC_HOST: c.publicHost,
  STARLANE_REGION_COLS: String(c.cols),
  STARLANE_REGION_ROWS: String(c.rows),
  STARLANE_OPERATOR_TOKEN: readFileSync(c.operatorTokenFile, "utf8").trim(),
  STARLANE_LOG_LEVEL: c.logLevel,
};
const jwks = `http://${c.host}:${c.port}/.well-known/jwks.json`;
const frontDoor = `http://${c.publicHost}:${c.port}`;

// The zone's own Node flags (its young-generation size), from its package.json.
const zoneFlags = require("../../services/zone/package.json").starlane.nodeFlags;

const app = (name, service, env, extra = {}) => ({
  name,
  cwd: ROOT,
  script: `services/${service}/src/main.ts`,
  interpreter: process.execPath,
  node_args: [...(service === "zone" ? zoneFlags : []), "--conditions=starlane-source", "--import", "tsx"],
  exec_mode: "fork",
  autorestart: true,
  // SIGTERM first: services save ships and give regions back; PM2 kills after kill_timeout.
  kill_timeout: 15_000,
  restart_delay: 1000,
  max_restarts: 50,
  out_file: join(dir, "logs", `${name}.log`),
  error_file: join(dir, "logs", `${name}.err.log`),
  time: false,
  env: { ...common, ...env },
  ...extra,
});

const chats = [c.port + 1, c.port + 3];
const apps = [
  app("login", "login", {
    STARLANE_LOGIN_PORT: String(c.port),
    STARLANE_CLIENT_DIR: join(ROOT, "client-demo/public"),
    STARLANE_LOGIN_KEY_ENCRYPTION_KEY_FILE: c.keyEncryptionKeyFile,
    // Both chat instances share everything through Redis; clients are sent to the first.
    STARLANE_CHAT_URL: `ws://${c.publicHost}:${chats[0]}/v1/chat`,
  }),
  app("persistence", "persistence", { STARLANE_PERSISTENCE_PORT: String(c.port + 2) }),
  ...chats.map((port, i) =>
    app(`chat-${i + 1}`, "chat", {
      STARLANE_CHAT_PORT: String(port),
      STARLANE_JWKS_URL: jwks,
      STARLANE_FRONT_DOOR_ORIGIN: frontDoor,
    }),
  ),
];
for (let k = 1; k <= zones; k++) {
  const port = c.zonePort + k - 1;
  apps.push(
    app(
      `zone-${k}`,
      "zone",
      {
        STARLANE_ZONE_NAME: `zone-${k}`,
        STARLANE_ZONE_PORT: String(port),
        STARLANE_ZONE_PUBLIC_ADDRESS: `${c.publicHost}:${port}`,
        STARLANE_ZONE_REGIONS: share(k, zones) || "all",
        STARLANE_ZONE_LEASE_TTL_MS: String(c.leaseTtlMs),
        STARLANE_JWKS_URL: jwks,
      },
      // A crashed zone's leases run out before its successor starts, so the successor can claim
      // its slot's regions through the normal path (a live lease is never taken over here).
      { restart_delay: c.leaseTtlMs + 1000 },
    ),
  );
}

module.exports = { apps };
