// Access-token verification, used by every service that accepts players (zone, chat). Tokens are
// issued by the login service; here the algorithm is pinned and issuer, audience, type and expiry
// are all checked. Keys come from the login service's JWKS, cached, with a cooldown so a flood of
// unknown `kid`s cannot make us refetch more than once per cooldown.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { StarlaneError } from "./protocol.js";

export const TOKEN_ISSUER = "starlane-login";
export const TOKEN_AUDIENCE = "starlane";
export const ACCESS_TOKEN_TYPE = "access";
/**
 * The one signing algorithm the login service issues and verifiers accept. ES256 over EdDSA: with
 * jose on Node 20 it verified faster here (services/login/bench/tokens.ts: ~131 vs ~153 µs median),
 * and verifying is the hot path (every join, every chat connection) while signing happens once per
 * login or refresh; every JOSE library and browser WebCrypto supports it.
 */
export const TOKEN_ALGORITHM = "ES256";

export interface AccessClaims {
  /** The account id. */
  sub: string;
  /** The account name, for display. */
  name: string;
  exp: number;
  /**
   * Set on tokens the operator API issued to provisioned load-test accounts: connection edges let
   * them past their per-address caps. Tokens renewed through a refresh do not carry it.
   */
  lt?: true;
  /** Issued at (s): the login service refuses tokens issued before the account's sessions ended. */
  iat: number;
}

export interface TokenVerifier {
  /**
   * Resolves the claims of a valid access token; rejects with STARLANE_ERR_UNAUTHORIZED, or with
   * STARLANE_ERR_UNAVAILABLE while it has never had the keys (login unreachable since it started).
   */
  verify(token: string | undefined): Promise<AccessClaims>;
}

export interface VerifierOptions {
  /** Where to fetch keys: the login service's JWKS URL, or a key set in this process (embedded). */
  keys: URL | JSONWebKeySet | JWTVerifyGetKey;
  /** Minimum time between two JWKS fetches triggered by unknown kids (default 30 s). */
  cooldownMs?: number;
  /** How long fetched keys are trusted without a refetch (default 10 min). */
  cacheMaxAgeMs?: number;
  /** Clock skew tolerated on exp/nbf, in seconds (default 5). */
  clockToleranceS?: number;
}

export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const getKey: JWTVerifyGetKey =
    options.keys instanceof URL
      ? remoteKeys(options.keys, options.cooldownMs ?? 30_000, options.cacheMaxAgeMs ?? 600_000)
      : typeof options.keys === "function"
        ? options.keys
        : createLocalJWKSet(options.keys);
  return {
    async verify(token) {
      if (!token || token.length > 4096) throw new StarlaneError("STARLANE_ERR_UNAUTHORIZED");
      try {
        const { payload, protectedHeader } = await jwtVerify(token, getKey, {
          algorithms: [TOKEN_ALGORITHM],
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          typ: ACCESS_TOKEN_TYPE,
          requiredClaims: ["sub", "exp", "iat"],
          clockTolerance: options.clockToleranceS ?? 5,
        });
        if (!protectedHeader.kid) throw new StarlaneError("STARLANE_ERR_UNAUTHORIZED");
        if (typeof payload.sub !== "string" || typeof payload.name !== "string") {
          throw new StarlaneError("STARLANE_ERR_UNAUTHORIZED");
        }
        const claims: AccessClaims = {
          sub: payload.sub,
          name: payload.name,
          exp: payload.exp as number,
          iat: payload.iat as number,
        };
        if (payload.lt === true) claims.lt = true;
        return claims;
      } catch (cause) {
        if (cause instanceof StarlaneError) throw cause;
        // Every JOSE failure (bad signature, alg, claims, unknown kid, expiry) looks the same to the
        // client; anything else (e.g. the JWKS fetch failing) too, but keeps its cause for the log.
        throw new StarlaneError("STARLANE_ERR_UNAUTHORIZED", undefined, {
          cause: cause instanceof errors.JOSEError ? undefined : cause,
        });
      }
    },
  };
}

/**
 * Keys from the login service's JWKS, cached for `maxAgeMs` and refetched on an unknown kid at most
 * once per `cooldownMs` (jose's remote set). On top of jose: when a fetch fails (login down or
 * restarting), the last keys we had keep verifying, and the next attempt waits a cooldown, so a
 * login outage neither rejects valid tokens nor turns every incoming token into a fetch.
 */
function remoteKeys(url: URL, cooldownMs: number, maxAgeMs: number): JWTVerifyGetKey {
  let failedAt = Number.NEGATIVE_INFINITY;
  let failures = 0;
  let failure: unknown;
  let fetched = 0;
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: cooldownMs,
    cacheMaxAge: maxAgeMs,
    timeoutDuration: 2_000,
    // Watch the fetches themselves, so a failed fetch is never confused with a bad token.
    [customFetch]: async (href, init) => {
      try {
        const res = await fetch(href, init);
        if (res.status !== 200) throw new Error(`JWKS at ${href} answered HTTP ${res.status}`);
        fetched++;
        return res;
      } catch (err) {
        failedAt = Date.now();
        failures++;
        failure = err;
        throw err;
      }
    },
  });
  let stale: { generation: number; getKey: JWTVerifyGetKey } | undefined;
  const lastKnown: JWTVerifyGetKey = (header, token) => {
    if (stale?.generation !== fetched) {
      const jwks = remote.jwks();
      // Never had a key set: we cannot tell a good token from a bad one, so it is our outage, not
      // the client's fault ("retry shortly", not "log in again").
      if (!jwks) throw new StarlaneError("STARLANE_ERR_UNAVAILABLE", undefined, { cause: failure });
      stale = { generation: fetched, getKey: createLocalJWKSet(jwks) };
    }
    return stale.getKey(header, token);
  };
  return async (header, token) => {
    if (Date.now() - failedAt < cooldownMs) return lastKnown(header, token);
    const before = failures;
    try {
      return await remote(header, token);
    } catch (err) {
      if (failures === before) throw err; // the keys were fine: the token is not
      return lastKnown(header, token);
    }
  };
}

/** Reads `Bearer <token>` from an Authorization header. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = header ? /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim()) : null;
  return m?.[1];
}
