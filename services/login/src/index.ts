// The login service: accounts, passwords, access tokens (ES256, JWKS), refresh tokens, rate limits
// and the world-entry endpoint. `mountLogin` adds its routes to an existing uWS app (the embedded
// front door); `createLoginServer` is the standalone process's app, which listens when told.
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AccountEvents,
  type App,
  type ClusterStatus,
  type ConfigOf,
  createApp,
  createOperatorCheck,
  createRegistry,
  createTokenVerifier,
  type Listening,
  type Logger,
  listen,
  loadMigrations,
  migrate,
  mountNotFound,
  mountOps,
  mountStatic,
  type Registry,
} from "@starlane/shared";
import type { Redis } from "ioredis";
import type { JSONWebKeySet, JWTVerifyGetKey } from "jose";
import type pg from "pg";
import { createAccountLifecycle } from "./account-lifecycle.js";
import { createAccountStore } from "./accounts.js";
import { createAuditLog } from "./audit.js";
import type { loginConfig } from "./config.js";
import { createKeyEnvelope } from "./key-envelope.js";
import { loadSigningKeys } from "./keys.js";
import { createLoginMetrics } from "./metrics.js";
import { operatorRoutes } from "./operator-routes.js";
import { createPasswordHasher } from "./passwords.js";
import { type Clock, createLocalRateLimiter, createRedisRateLimiter } from "./ratelimit.js";
import { createRefreshTokens } from "./refresh.js";
import { mountRoutes } from "./routes.js";
import type { WorldEntry } from "./world-entry.js";

export { loginConfig } from "./config.js";
export {
  DEFAULT_KEY_ENCRYPTION_KEY_FILE,
  generateKeyEncryptionKey,
  KEY_ENCRYPTION_KEY_ENV,
  KEY_ENCRYPTION_KEY_FILE_ENV,
  parseKeyEncryptionKey,
} from "./key-envelope.js";
export { MAX_PROVISION } from "./operator-routes.js";
export { createWorldEntry, type WorldEntry, type WorldEntryDeps, type WorldSeat } from "./world-entry.js";

export type LoginConfig = ConfigOf<typeof loginConfig>;

export interface LoginDeps {
  log: Logger;
  db: pg.Pool;
  /** Cluster mode: rate-limit counters shared by every login instance. Without it, in-process. */
  redis?: Redis;
  /** Omitted until the zone and persistence services are wired; world entry answers 503 meanwhile. */
  worldEntry?: WorldEntry;
  /** Where login's metrics go (the front door's or the standalone server's registry). */
  registry?: Registry;
  /** Time for the rate-limit windows (tests step it). */
  clock?: Clock;
  /**
   * Where bans and ended sessions are published for services holding live connections (the zone
   * closes them with 4180 / 4181). In-process embedded, Redis in the cluster.
   */
  accountEvents?: AccountEvents;
  /** Who owns which region, with the zones' figures: GET /v1/operator/cluster (the cluster map). */
  cluster?: () => Promise<ClusterStatus>;
}

export interface Login {
  /** The public keys now published (current and previous). */
  jwks(): JSONWebKeySet;
  /** Key lookup for a verifier in this process (`createTokenVerifier({ keys })`); follows rotations. */
  readonly verificationKeys: JWTVerifyGetKey;
  /**
   * New current signing key; the old one stays published as the previous. Returns the new kid.
   * Operators call it through `POST /v1/operator/keys/rotate`.
   */
  rotateKeys(): Promise<string>;
  /** Wires world entry after the fact (the zone may need `verificationKeys` before it exists). */
  setWorldEntry(entry: WorldEntry | undefined): void;
  /** Stops the key rotation/reload and purge timers. The pool and Redis belong to the caller. */
  close(): Promise<void>;
}

const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));
const PURGE_EVERY_MS = 3_600_000;

/** Migrates the schema, loads the keys and registers the login routes on `app`. */
export async function mountLogin(app: App, deps: LoginDeps, config: LoginConfig): Promise<Login> {
  await migrate(deps.db, "login", loadMigrations(MIGRATIONS));
  if (!config.keyEncryptionKey) {
    deps.log.warn("no STARLANE_LOGIN_KEY_ENCRYPTION_KEY: signing keys are stored unencrypted in PostgreSQL");
  }
  const keys = await loadSigningKeys(
    deps.db,
    config.keyEncryptionKey ? createKeyEnvelope(config.keyEncryptionKey) : undefined,
  );
  const limiter = deps.redis
    ? createRedisRateLimiter(deps.redis, config.redisPrefix, deps.clock)
    : createLocalRateLimiter(deps.clock);
  let worldEntry = deps.worldEntry;
  const log = deps.log.child({ component: "login" });
  const hasher = createPasswordHasher({
    argon2: {
      memoryKiB: config.argon2MemoryKiB,
      timeCost: config.argon2TimeCost,
      parallelism: config.argon2Parallelism,
    },
    concurrency: config.hashConcurrency,
    queue: config.hashQueue,
  });
  const metrics = createLoginMetrics(deps.registry, hasher);
  const refresh = createRefreshTokens(deps.db, config.refreshTokenTtlS, (family, player) => {
    metrics.refreshReuse();
    log.warn({ family, player }, "spent refresh token presented again: session revoked");
  });
  const accounts = createAccountStore(deps.db);
  const lifecycle = createAccountLifecycle({
    log,
    accounts,
    refresh,
    verifier: createTokenVerifier({ keys: keys.getKey }),
    ...(deps.accountEvents ? { events: deps.accountEvents } : {}),
  });
  const windowMs = config.rateWindowS * 1000;
  const operator = operatorRoutes({
    log,
    // No token configured (a test or a composition that serves no operator): every operator request is refused.
    check: createOperatorCheck(config.operatorToken),
    limiter,
    refusedPerIp: config.operatorRefusedPerIp,
    windowMs,
    accounts,
    refresh,
    keys,
    accessTokenTtlS: config.accessTokenTtlS,
    lifecycle,
    audit: createAuditLog(deps.db),
    ...(deps.cluster ? { cluster: deps.cluster } : {}),
  });
  mountRoutes(
    app,
    {
      log,
      metrics,
      accounts,
      refresh,
      keys,
      hasher,
      limiter,
      lifecycle,
      limits: {
        windowMs,
        loginPerIp: config.loginPerIp,
        loginPerAccount: config.loginPerAccount,
        registerPerIp: config.registerPerIp,
        registerPerAccount: config.registerPerAccount,
        refreshPerIp: config.refreshPerIp,
        refreshPerFamily: config.refreshPerFamily,
      },
      accessTokenTtlS: config.accessTokenTtlS,
      trustedProxyHops: config.trustedProxyHops,
      worldEntry: () => worldEntry,
    },
    operator,
  );
  // Rotate when due (one instance does it), and pick up another instance's rotation so our JWKS
  // publishes its keys and we sign with them.
  const reload = setInterval(() => {
    const rotation =
      config.keyRotationH > 0 ? keys.rotateIfDue(config.keyRotationH * 3600) : Promise.resolve(undefined);
    rotation
      .then((kid) => {
        if (kid) log.info({ kid }, "signing key rotated");
        return keys.reload();
      })
      .catch((err) => log.warn({ err }, "signing key rotation or reload failed"));
  }, config.keyReloadMs);
  reload.unref();
  const purge = setInterval(() => {
    refresh.purgeExpired().catch((err) => log.warn({ err }, "expired session purge failed"));
  }, PURGE_EVERY_MS);
  purge.unref();
  return {
    jwks: keys.jwks,
    verificationKeys: keys.getKey,
    rotateKeys: keys.rotate,
    setWorldEntry: (entry) => {
      worldEntry = entry;
    },
    async close() {
      clearInterval(reload);
      clearInterval(purge);
      await limiter.close();
    },
  };
}

export interface LoginServer extends Login {
  readonly app: App;
  readonly registry: Registry;
  /** Listens on config.host:config.port (0 picks a free port). */
  listen(): Listening;
}

/** The standalone login process: the API plus /healthz, /readyz, /metrics and a JSON 404. */
export async function createLoginServer(deps: LoginDeps, config: LoginConfig): Promise<LoginServer> {
  const app = createApp();
  const registry = deps.registry ?? createRegistry("login");
  mountOps(app, { registry, notReadyReason: () => null });
  const login = await mountLogin(app, { ...deps, registry }, config);
  if (config.clientDir) mountStatic(app, resolve(config.clientDir));
  mountNotFound(app);
  let listening: Listening | undefined;
  return {
    ...login,
    app,
    registry,
    listen() {
      listening = listen(app, config.host, config.port);
      return listening;
    },
    async close() {
      listening?.close();
      await login.close();
    },
  };
}
