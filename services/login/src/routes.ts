// The login HTTP API on uWebSockets.js. Each handler copies what it needs from `req` synchronously
// (uWS forbids touching it after the first await), answers through `reply()` (onAborted first,
// corked writes) and turns every failure into a code from the shared table: bad input is a 4xx,
// never a 500 or a crash.
import {
  type App,
  bearerToken,
  type HttpRequest,
  type HttpResponse,
  type Logger,
  readJson,
  reply,
  StarlaneError,
  toStarlaneError,
} from "@starlane/shared";
import type { AccountLifecycle } from "./account-lifecycle.js";
import type { AccountStore } from "./accounts.js";
import { clientIp } from "./client-ip.js";
import type { SigningKeys } from "./keys.js";
import type { LoginMetrics } from "./metrics.js";
import { asObject, parseName, parsePassword, parseRefreshToken } from "./names.js";
import type { PasswordHasher } from "./passwords.js";
import type { RateLimiter } from "./ratelimit.js";
import type { RefreshTokens } from "./refresh.js";
import { isStoreUnavailable } from "./store-errors.js";
import type { WorldEntry } from "./world-entry.js";

export const BODY_LIMIT = 16 * 1024;

export interface RouteLimits {
  windowMs: number;
  loginPerIp: number;
  loginPerAccount: number;
  registerPerIp: number;
  registerPerAccount: number;
  refreshPerIp: number;
  refreshPerFamily: number;
}

export interface RouteDeps {
  log: Logger;
  metrics: LoginMetrics;
  accounts: AccountStore;
  refresh: RefreshTokens;
  keys: SigningKeys;
  hasher: PasswordHasher;
  limiter: RateLimiter;
  lifecycle: AccountLifecycle;
  limits: RouteLimits;
  accessTokenTtlS: number;
  /** Proxies we run in front of login (X-Forwarded-For entries to trust). */
  trustedProxyHops: number;
  worldEntry: () => WorldEntry | undefined;
}

/** World entry's Retry-After while a region has no live zone or is being restored (about one takeover). */
const REGION_RETRY_AFTER_S = 1;

/** A refusal that tells the client when to come back. */
export class RetryLater extends StarlaneError {
  constructor(
    code: "STARLANE_ERR_RATE_LIMITED" | "STARLANE_ERR_UNAVAILABLE" | "STARLANE_ERR_REGION_UNAVAILABLE",
    readonly retryAfterS: number,
  ) {
    super(code);
  }
}

export interface Request {
  ip: string;
  authorization: string;
  /** X-Starlane-Operator: the name an operator gives for the audit log (declared, not proven). */
  actor: string;
  body: () => Promise<unknown>;
}

export type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
export type Handler = (request: Request) => Promise<Answer>;
/** A route: its body is read up to `bodyLimit` bytes (BODY_LIMIT when omitted) if `withBody`. */
export type Route = [
  path: string,
  method: "post" | "get" | "del",
  handler: Handler,
  withBody: boolean,
  bodyLimit?: number,
];

/** Mounts the public API and `more` (the operator routes) with the same error handling and 405s. */
export function mountRoutes(app: App, deps: RouteDeps, more: Route[] = []): void {
  const { log, accounts, refresh, keys, hasher, limiter, limits, lifecycle } = deps;

  const handle =
    (route: string, handler: Handler, withBody: boolean, bodyLimit = BODY_LIMIT) =>
    (res: HttpResponse, req: HttpRequest): void => {
      const r = reply(res);
      // Everything from req and the socket is read now, before any await.
      const ip = clientIp(
        Buffer.from(res.getRemoteAddressAsText()).toString(),
        req.getHeader("x-forwarded-for"),
        deps.trustedProxyHops,
      );
      const authorization = req.getHeader("authorization");
      const actor = req.getHeader("x-starlane-operator");
      const body = withBody ? readJson(res, req, bodyLimit) : Promise.resolve(undefined);
      body.catch(() => {}); // a handler that fails before reading the body must not leave it unhandled
      handler({ ip, authorization, actor, body: () => body })
        .then(({ status, body, headers }) => {
          if (body === undefined) r.text(status, "", undefined, headers);
          else r.json(status, body, headers); // may throw (an unserialisable body): answered below
          deps.metrics.answered(route, "ok");
        })
        .catch((caught: unknown) => {
          let err = caught;
          if (!(err instanceof StarlaneError) && isStoreUnavailable(err)) {
            log.warn({ err }, "PostgreSQL unavailable");
            err = new RetryLater("STARLANE_ERR_UNAVAILABLE", 1);
          }
          const e = toStarlaneError(err);
          deps.metrics.answered(route, e.code);
          if (e.status >= 500 && e.code !== "STARLANE_ERR_UNAVAILABLE") log.error({ err }, "request failed");
          r.error(e, err instanceof RetryLater ? { "retry-after": String(err.retryAfterS) } : undefined);
        });
    };

  const limit = async (what: string, key: string, max: number) => {
    let d: Awaited<ReturnType<RateLimiter["hit"]>>;
    try {
      d = await limiter.hit(`${what}:${key}`, max, limits.windowMs);
    } catch (err) {
      // No counters, no guessing: refuse (a brute force must not get through while Redis is
      // away) but as "retry shortly", since it is our fault, not the client's.
      log.warn({ err }, "rate limiter unavailable");
      throw new RetryLater("STARLANE_ERR_UNAVAILABLE", 1);
    }
    if (!d.allowed) throw new RetryLater("STARLANE_ERR_RATE_LIMITED", Math.max(1, Math.ceil(d.retryAfterMs / 1000)));
  };

  // Hash queue full: the burst is ours to absorb, so ask the client to come back shortly.
  const busy = (err: unknown): never => {
    if (err instanceof StarlaneError && err.code === "STARLANE_ERR_UNAVAILABLE" && !(err instanceof RetryLater)) {
      throw new RetryLater("STARLANE_ERR_UNAVAILABLE", 1);
    }
    throw err;
  };

  const session = async (account: { id: string; name: string }) => ({
    account: { id: account.id, name: account.name },
    accessToken: await keys.signAccess(account, deps.accessTokenTtlS),
    tokenType: "Bearer",
    expiresIn: deps.accessTokenTtlS,
    refreshToken: await refresh.issue(account.id),
  });

  const register: Handler = async ({ ip, body }) => {
    const input = asObject(await body());
    await limit("register:ip", ip, limits.registerPerIp);
    const name = parseName(input.name);
    const password = parsePassword(input.password);
    await limit("register:name", name.toLowerCase(), limits.registerPerAccount);
    // Checked before hashing so a taken name costs a query, not a password hash; the unique
    // index still decides a race between two registrations.
    if (await accounts.nameTaken(name)) throw new StarlaneError("STARLANE_ERR_NAME_TAKEN", "name");
    const hash = await hasher.hash(password).catch(busy);
    const account = await accounts.create(name, hash);
    log.info({ player: account.id }, "account registered");
    return { status: 201, body: await session(account) };
  };

  const login: Handler = async ({ ip, body }) => {
    const input = asObject(await body());
    if (typeof input.name !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", "name");
    if (typeof input.password !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", "password");
    await limit("login:ip", ip, limits.loginPerIp);
    let name: string;
    try {
      name = parseName(input.name);
    } catch {
      // No account can have this name; say the same thing as for any unknown account.
      throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS");
    }
    await limit("login:name", name.toLowerCase(), limits.loginPerAccount);
    const password = input.password.normalize("NFKC");
    if (password.length > 1024) throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS");
    const account = await accounts.find(name);
    const stored = account?.passwordHash;
    // Unknown account, load-test account (no password) or wrong password: the same error after
    // the same amount of work.
    const ok = stored
      ? await hasher.verify(password, stored).catch(busy)
      : await hasher.verifyDummy(password).catch(busy);
    if (!account || !stored || !ok) throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS");
    // Only now, so the ban is told to whoever knows the password and to no guesser.
    if (account.banned) throw new StarlaneError("STARLANE_ERR_ACCOUNT_BANNED");
    if (hasher.needsRehash(stored)) {
      // Older algorithm (scrypt) or other Argon2id settings: upgrade it now that we know the
      // password. Only if unchanged meanwhile, so a password change in between is not undone.
      hasher
        .hash(password)
        .then((h) => accounts.setPasswordHash(account.id, h, stored))
        .catch((err) => log.warn({ err, player: account.id }, "password rehash failed; kept the old hash"));
    }
    return { status: 200, body: await session(account) };
  };

  const refreshSession: Handler = async ({ ip, body }) => {
    const token = parseRefreshToken(asObject(await body()).refreshToken);
    // Per IP first (guessing tokens costs a lookup each), then per session: a stolen token
    // replayed from many addresses, or a client stuck in a refresh loop, is held to a few a window.
    await limit("refresh:ip", ip, limits.refreshPerIp);
    const family = await refresh.familyOf(token);
    if (family) await limit("refresh:family", family, limits.refreshPerFamily);
    const { account, token: next, loadTest } = await refresh.rotate(token);
    return {
      status: 200,
      body: {
        account,
        // A load-test account stays one through refreshes: connection edges keep exempting it.
        accessToken: await keys.signAccess(account, deps.accessTokenTtlS, { loadTest }),
        tokenType: "Bearer",
        expiresIn: deps.accessTokenTtlS,
        refreshToken: next,
      },
    };
  };

  const logout: Handler = async ({ body }) => {
    await refresh.revoke(parseRefreshToken(asObject(await body()).refreshToken));
    return { status: 204 };
  };

  const enterWorld: Handler = async ({ authorization }) => {
    const claims = await lifecycle.authenticate(authorization);
    const entry = deps.worldEntry();
    if (!entry) throw new StarlaneError("STARLANE_ERR_UNAVAILABLE");
    const seat = await entry.enter(claims, bearerToken(authorization)!).catch((err: unknown) => {
      // The region has no live zone, or its new owner is still restoring it (failover): a whole
      // dead zone's players come back at once, each told when to retry (they add full jitter).
      if (err instanceof StarlaneError && err.code === "STARLANE_ERR_REGION_UNAVAILABLE") {
        throw new RetryLater("STARLANE_ERR_REGION_UNAVAILABLE", REGION_RETRY_AFTER_S);
      }
      throw err;
    });
    const body = {
      roomId: seat.roomId,
      reservation: seat.reservation,
      address: seat.address,
      ...(seat.world ? { world: seat.world } : {}),
      ...(seat.chat ? { chat: seat.chat } : {}),
    };
    return { status: 200, body };
  };

  // Public: which zone process owns each region (the browser client's minimap). Zone addresses are
  // what world entry tells every player anyway.
  const worldMap: Handler = async () => {
    const entry = deps.worldEntry();
    if (!entry) throw new StarlaneError("STARLANE_ERR_UNAVAILABLE");
    return { status: 200, body: await entry.map(), headers: { "cache-control": "public, max-age=1" } };
  };

  // Needs the current password as well as a live access token, and spends the log-in budget of
  // the IP and the account, so a stolen access token cannot guess its way to a password change.
  const changePassword: Handler = async ({ ip, authorization, body }) => {
    const input = asObject(await body());
    const claims = await lifecycle.authenticate(authorization);
    if (typeof input.password !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", "password");
    if (input.password.length > 1024) throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS", "password");
    const next = parsePassword(input.newPassword, "newPassword");
    await limit("login:ip", ip, limits.loginPerIp);
    await limit("login:name", claims.name.toLowerCase(), limits.loginPerAccount);
    const account = await accounts.get(claims.sub);
    const stored = account?.passwordHash;
    const ok = stored ? await hasher.verify(input.password.normalize("NFKC"), stored).catch(busy) : false;
    if (!account || !stored || !ok) throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS", "password");
    const hash = await hasher.hash(next).catch(busy);
    // Changed meanwhile by another request: the password we checked is no longer the password.
    if (!(await accounts.setPasswordHash(account.id, hash, stored))) {
      throw new StarlaneError("STARLANE_ERR_BAD_CREDENTIALS", "password");
    }
    await lifecycle.endSessions(account.id, "sessions-revoked");
    log.info({ player: account.id }, "password changed; every other session ended");
    // The device that changed it carries on with a session of its own, issued after the cut.
    return { status: 200, body: await session(account) };
  };

  const logOutEverywhere: Handler = async ({ authorization }) => {
    const claims = await lifecycle.authenticate(authorization);
    await lifecycle.endSessions(claims.sub, "sessions-revoked");
    log.info({ player: claims.sub }, "logged out everywhere");
    return { status: 204 };
  };

  // Verifiers cache keys themselves (and refetch on an unknown kid); a short HTTP max-age keeps
  // a CDN or proxy from serving a key set from before a rotation for long.
  const jwks: Handler = async () => ({
    status: 200,
    body: keys.jwks(),
    headers: { "cache-control": "public, max-age=60" },
  });

  const routes: Route[] = [
    ["/v1/accounts", "post", register, true],
    ["/v1/sessions", "post", login, true],
    ["/v1/sessions", "del", logout, true],
    ["/v1/sessions/refresh", "post", refreshSession, true],
    ["/v1/world/enter", "post", enterWorld, false],
    ["/v1/world/map", "get", worldMap, false],
    ["/v1/account/password", "post", changePassword, true],
    ["/v1/account/sessions", "del", logOutEverywhere, false],
    ["/.well-known/jwks.json", "get", jwks, false],
    ...more,
  ];
  for (const [path, method, handler, withBody, bodyLimit] of routes) {
    app[method](
      path,
      handle(`${method === "del" ? "DELETE" : method.toUpperCase()} ${path}`, handler, withBody, bodyLimit),
    );
  }
  // 405 for the other methods, registered per method: uWS prefers a method's own wildcard (the
  // front door's GET /* for the browser client) to an `any` route, even on an exact path.
  const notAllowed = (res: HttpResponse) => reply(res).error(new StarlaneError("STARLANE_ERR_METHOD_NOT_ALLOWED"));
  for (const path of new Set(routes.map(([p]) => p))) {
    const taken = new Set<string>(routes.filter(([p]) => p === path).map(([, m]) => m));
    for (const method of ["get", "post", "put", "patch", "del", "head", "options"] as const) {
      if (!taken.has(method)) app[method](path, notAllowed);
    }
    app.any(path, notAllowed);
  }
}
