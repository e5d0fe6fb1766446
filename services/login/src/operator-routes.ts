// Operator routes on the front door, under /v1/operator/, all behind the one operator credential
// (STARLANE_OPERATOR_TOKEN). A refusal says nothing about why: missing, malformed and wrong
// credentials get the same answer. Refusals count per IP; past the limit every operator request
// from that IP is 429, the right token included, so guessing costs a window per few tries.
import { type ClusterStatus, type Logger, type OperatorCheck, StarlaneError } from "@starlane/shared";
import type { AccountLifecycle } from "./account-lifecycle.js";
import type { AccountStore } from "./accounts.js";
import type { AuditLog } from "./audit.js";
import type { SigningKeys } from "./keys.js";
import { asObject, parseName } from "./names.js";
import type { RateLimiter } from "./ratelimit.js";
import type { RefreshTokens } from "./refresh.js";
import { type Handler, RetryLater, type Route } from "./routes.js";

/** Accounts per provisioning request. A load test wanting more makes several requests. */
export const MAX_PROVISION = 1000;
// 1000 names of up to 20 characters, quoted, fit with room to spare.
const PROVISION_BODY_LIMIT = 64 * 1024;
const DEFAULT_PREFIX = "bot";

export interface OperatorDeps {
  log: Logger;
  check: OperatorCheck;
  limiter: RateLimiter;
  /** Refused operator requests allowed per IP per `windowMs`. */
  refusedPerIp: number;
  windowMs: number;
  accounts: AccountStore;
  refresh: RefreshTokens;
  keys: SigningKeys;
  accessTokenTtlS: number;
  lifecycle: AccountLifecycle;
  audit: AuditLog;
  /** Without it GET /v1/operator/cluster answers 503 (no zone directory wired). */
  cluster?: () => Promise<ClusterStatus>;
}

/** Audit entries answered by GET /v1/operator/audit. */
export const AUDIT_PAGE = 200;
const MAX_REASON = 500;
// The declared operator name: short, printable; anything else is recorded as unnamed.
const ACTOR = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;
const actorOf = (raw: string) => (ACTOR.test(raw.trim()) ? raw.trim() : "unnamed");

/** The names a provisioning request asks for: `{ names: [...] }` or `{ count, prefix?, first? }`. */
export function provisionNames(input: Record<string, unknown>): string[] {
  const tooMany = (field: string) => new StarlaneError("STARLANE_ERR_OPERATOR_BATCH_TOO_LARGE", field);
  if ((input.names === undefined) === (input.count === undefined)) {
    throw new StarlaneError("STARLANE_ERR_VALIDATION", input.names === undefined ? "count" : "names");
  }
  let names: string[];
  if (input.names !== undefined) {
    if (!Array.isArray(input.names) || input.names.length === 0)
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "names");
    if (input.names.length > MAX_PROVISION) throw tooMany("names");
    names = input.names.map((n) => withField(() => parseName(n), "names"));
  } else {
    const { count, first = 0, prefix = DEFAULT_PREFIX } = input;
    if (!Number.isSafeInteger(count) || (count as number) < 1)
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "count");
    if ((count as number) > MAX_PROVISION) throw tooMany("count");
    if (!Number.isSafeInteger(first) || (first as number) < 0)
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "first");
    if (typeof prefix !== "string") throw new StarlaneError("STARLANE_ERR_VALIDATION", "prefix");
    names = Array.from({ length: count as number }, (_, i) =>
      withField(() => parseName(`${prefix}_${(first as number) + i}`), "prefix"),
    );
  }
  if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) {
    throw new StarlaneError("STARLANE_ERR_VALIDATION", "names"); // the same account twice
  }
  return names;
}

/** parseName's error, pointed at the request's field. */
function withField<T>(parse: () => T, field: string): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof StarlaneError) throw new StarlaneError(err.code, field);
    throw err;
  }
}

export function operatorRoutes(deps: OperatorDeps): Route[] {
  const { log, limiter, refusedPerIp, windowMs } = deps;

  const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const counted = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      log.warn({ err }, "rate limiter unavailable");
      throw new RetryLater("STARLANE_ERR_UNAVAILABLE", 1); // no counters, no guessing
    }
  };

  const guarded =
    (action: string, handler: Handler): Handler =>
    async (request) => {
      // The whole body is in before any answer (the connection stays usable), and its faults
      // (bad JSON, too large) are only reported to a caller with the credential.
      await request.body().catch(() => {});
      const key = `operator:refused:ip:${request.ip}`;
      // Checked before the credential: once an IP is over, even the right token is not looked at,
      // so a guess past the limit learns nothing.
      const gate = await counted(() => limiter.peek(key, refusedPerIp, windowMs));
      if (!gate.allowed) throw new RetryLater("STARLANE_ERR_RATE_LIMITED", retryAfter(gate.retryAfterMs));
      if (!deps.check(request.authorization)) {
        const d = await counted(() => limiter.hit(key, refusedPerIp, windowMs));
        log.warn({ ip: request.ip, action }, "operator credential refused");
        if (!d.allowed) throw new RetryLater("STARLANE_ERR_RATE_LIMITED", retryAfter(d.retryAfterMs));
        throw new StarlaneError("STARLANE_ERR_OPERATOR_UNAUTHORIZED");
      }
      return handler(request);
    };

  const rotateKeys: Handler = async ({ ip, actor }) => {
    const kid = await deps.keys.rotate();
    log.info({ ip, kid }, "operator rotated the signing key");
    await deps.audit.record({ actor: actorOf(actor), ip, action: "keys.rotate", detail: { kid } });
    return { status: 200, body: { kid } };
  };

  const ban: Handler = async ({ ip, actor, body }) => {
    const input = asObject(await body());
    const name = withField(() => parseName(input.name), "name");
    const reason = input.reason ?? "";
    if (typeof reason !== "string" || reason.length > MAX_REASON) {
      throw new StarlaneError("STARLANE_ERR_VALIDATION", "reason");
    }
    const account = await deps.accounts.setBan(name, reason);
    if (!account) throw new StarlaneError("STARLANE_ERR_OPERATOR_UNKNOWN_ACCOUNT", "name");
    await deps.lifecycle.endSessions(account.id, "banned");
    const who = actorOf(actor);
    await deps.audit.record({
      actor: who,
      ip,
      action: "account.ban",
      target: account.id,
      detail: { name: account.name, reason },
    });
    log.info({ ip, actor: who, player: account.id }, "operator banned an account");
    return { status: 200, body: { account, banned: true, reason } };
  };

  const unban: Handler = async ({ ip, actor, body }) => {
    const input = asObject(await body());
    const name = withField(() => parseName(input.name), "name");
    const account = await deps.accounts.setBan(name, null);
    if (!account) throw new StarlaneError("STARLANE_ERR_OPERATOR_UNKNOWN_ACCOUNT", "name");
    const who = actorOf(actor);
    await deps.audit.record({
      actor: who,
      ip,
      action: "account.unban",
      target: account.id,
      detail: { name: account.name },
    });
    log.info({ ip, actor: who, player: account.id }, "operator unbanned an account");
    return { status: 200, body: { account, banned: false } };
  };

  const cluster: Handler = async () => {
    if (!deps.cluster) throw new StarlaneError("STARLANE_ERR_UNAVAILABLE");
    return { status: 200, body: await deps.cluster() };
  };

  const audit: Handler = async () => ({ status: 200, body: { entries: await deps.audit.recent(AUDIT_PAGE) } });

  const provision: Handler = async ({ ip, actor, body }) => {
    const names = provisionNames(asObject(await body()));
    const { accounts, taken } = await deps.accounts.provisionLoadtest(names);
    const refreshTokens = await deps.refresh.issueMany(accounts.map((a) => a.id));
    const issued = await Promise.all(
      accounts.map(async (a, i) => ({
        accountId: a.id,
        name: a.name,
        created: a.created,
        // `lt`: the connection edges (chat, zone) exempt these from their per-address caps, so a
        // load test's thousand bots from one machine are not refused as a flood.
        accessToken: await deps.keys.signAccess(a, deps.accessTokenTtlS, { loadTest: true }),
        refreshToken: refreshTokens[i]!,
      })),
    );
    const created = accounts.filter((a) => a.created).length;
    log.info(
      { ip, created, reused: accounts.length - created, taken: taken.length },
      "operator provisioned load-test accounts",
    );
    await deps.audit.record({
      actor: actorOf(actor),
      ip,
      action: "accounts.provision",
      detail: { created, reused: accounts.length - created, taken: taken.length },
    });
    return {
      status: 200,
      body: { accounts: issued, taken, tokenType: "Bearer", expiresIn: deps.accessTokenTtlS },
    };
  };

  return [
    ["/v1/operator/keys/rotate", "post", guarded("rotate keys", rotateKeys), false],
    ["/v1/operator/accounts", "post", guarded("provision accounts", provision), true, PROVISION_BODY_LIMIT],
    ["/v1/operator/accounts/ban", "post", guarded("ban", ban), true],
    ["/v1/operator/accounts/unban", "post", guarded("unban", unban), true],
    ["/v1/operator/audit", "get", guarded("read audit", audit), false],
    ["/v1/operator/cluster", "get", guarded("read cluster", cluster), false],
  ];
}
