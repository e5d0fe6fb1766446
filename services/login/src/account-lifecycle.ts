// What a player's access token is worth beyond its signature (banned? sessions ended since it was
// issued?), and ending an account's sessions: its refresh tokens are revoked, its access tokens no
// longer enter the world, and its live connections are told to close (account events).
import {
  type AccessClaims,
  type AccountEvents,
  bearerToken,
  type Logger,
  StarlaneError,
  type TokenVerifier,
} from "@starlane/shared";
import type { AccountStore } from "./accounts.js";
import type { RefreshTokens } from "./refresh.js";

export interface AccountLifecycleDeps {
  log: Logger;
  accounts: AccountStore;
  refresh: RefreshTokens;
  verifier: TokenVerifier;
  /** Where live connections learn of a ban or ended sessions; without it only world entry enforces them. */
  events?: AccountEvents;
}

export interface AccountLifecycle {
  /**
   * The claims of a Bearer access token whose account exists, is not banned, and whose sessions
   * were not ended after it was issued. Rejects with UNAUTHORIZED, ACCOUNT_BANNED or SESSIONS_REVOKED.
   */
  authenticate(authorization: string | undefined): Promise<AccessClaims>;
  /**
   * Ends every session of the account: refresh tokens revoked, access tokens issued up to now
   * refused, live connections closed (4181, or 4180 for a ban). Tokens issued in this same second
   * still pass: `iat` has one-second resolution; the refresh tokens are gone regardless.
   */
  endSessions(accountId: string, why: "sessions-revoked" | "banned"): Promise<void>;
}

export function createAccountLifecycle(deps: AccountLifecycleDeps): AccountLifecycle {
  const { accounts, refresh, events, log } = deps;
  return {
    async authenticate(authorization) {
      const claims = await deps.verifier.verify(bearerToken(authorization));
      const standing = await accounts.standing(claims.sub);
      if (!standing) throw new StarlaneError("STARLANE_ERR_UNAUTHORIZED");
      if (standing.banned) throw new StarlaneError("STARLANE_ERR_ACCOUNT_BANNED");
      if (claims.iat < standing.sessionsValidAfterS) throw new StarlaneError("STARLANE_ERR_SESSIONS_REVOKED");
      return claims;
    },
    async endSessions(accountId, why) {
      await accounts.endSessions(accountId, Math.floor(Date.now() / 1000));
      await refresh.revokeAll(accountId);
      // The decision is committed; the event only makes it immediate. A lost one is still enforced
      // at refresh and world entry, so it is logged, not failed.
      await events
        ?.publish({ kind: why, account: accountId })
        .catch((err) => log.warn({ err, player: accountId, event: why }, "account event not published"));
    },
  };
}
