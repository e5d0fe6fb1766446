// Refresh tokens: 32 random bytes (base64url) given to the client once; only their SHA-256 is
// stored. Every use marks the token used and issues its successor in the same family. A used token
// presented again means it was copied: the whole family is revoked, so the thief and the owner are
// both logged out and the owner logs in again.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { StarlaneError, transaction } from "@starlane/shared";
import type pg from "pg";
import type { Account } from "./accounts.js";

const sha256 = (token: string) => createHash("sha256").update(token).digest();
const invalid = () => new StarlaneError("STARLANE_ERR_REFRESH_INVALID");
// Ours are 43 characters; anything much longer is not worth hashing.
const MAX_TOKEN_LENGTH = 128;

export interface RefreshTokens {
  /** Starts a new family (a new session) for the account and returns its first token. */
  issue(accountId: string): Promise<string>;
  /** `issue` for many accounts in one transaction (bulk provisioning); tokens in the same order. */
  issueMany(accountIds: string[]): Promise<string[]>;
  /** Spends `token` and returns its successor; rejects with REFRESH_INVALID (and revokes on reuse). */
  /** `loadTest`: the account was provisioned for load tests (its access tokens carry `lt`). */
  rotate(token: string): Promise<{ account: Account; token: string; loadTest: boolean }>;
  /** The family (session) `token` belongs to, spent or not; undefined for a token we never issued. */
  familyOf(token: string): Promise<string | undefined>;
  /** Ends the session `token` belongs to. Unknown tokens are ignored. */
  revoke(token: string): Promise<void>;
  /** Ends every session of the account. */
  revokeAll(accountId: string): Promise<void>;
  /** Deletes sessions whose every token has expired, so the tables do not grow forever. */
  purgeExpired(): Promise<number>;
}

export function createRefreshTokens(
  db: pg.Pool,
  ttlS: number,
  onReuse: (familyId: string, accountId: string) => void = () => {},
): RefreshTokens {
  const insert = async (q: pg.PoolClient, familyId: string) => {
    const token = randomBytes(32).toString("base64url");
    await q.query(
      `INSERT INTO login_refresh_tokens (token_hash, family_id, expires_at)
       VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sha256(token), familyId, ttlS],
    );
    return token;
  };

  const issueMany = (accountIds: string[]) =>
    transaction(db, async (client) => {
      const families = accountIds.map(() => randomUUID());
      const tokens = accountIds.map(() => randomBytes(32).toString("base64url"));
      await client.query(
        "INSERT INTO login_refresh_families (id, account_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])",
        [families, accountIds],
      );
      await client.query(
        `INSERT INTO login_refresh_tokens (token_hash, family_id, expires_at)
         SELECT h, f, now() + make_interval(secs => $3) FROM unnest($1::bytea[], $2::uuid[]) AS t(h, f)`,
        [tokens.map(sha256), families, ttlS],
      );
      return tokens;
    });

  return {
    issue: async (accountId) => (await issueMany([accountId]))[0]!,
    issueMany,

    async rotate(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw invalid();
      const hash = sha256(token);
      // Reuse must revoke and still answer "invalid": the revocation commits, then we throw.
      const outcome = await transaction(db, async (client) => {
        // Locking the family serialises two uses of one token, and a use against a log-out.
        const { rows } = await client.query<{
          family_id: string;
          account_id: string;
          name: string;
          loadtest: boolean;
          revoked: boolean;
        }>(
          `SELECT f.id AS family_id, f.account_id, a.name, a.loadtest, f.revoked_at IS NOT NULL AS revoked
             FROM login_refresh_tokens t
             JOIN login_refresh_families f ON f.id = t.family_id
             JOIN login_accounts a ON a.id = f.account_id
            WHERE t.token_hash = $1
              FOR UPDATE OF f`,
          [hash],
        );
        const family = rows[0];
        if (!family || family.revoked) return undefined;
        // Read the token after the lock: a concurrent rotation may have spent it meanwhile.
        const token = await client.query<{ used: boolean; expired: boolean }>(
          `SELECT used_at IS NOT NULL AS used, expires_at <= now() AS expired
             FROM login_refresh_tokens WHERE token_hash = $1`,
          [hash],
        );
        const t = token.rows[0]!;
        if (t.used) {
          await client.query("UPDATE login_refresh_families SET revoked_at = now() WHERE id = $1", [family.family_id]);
          onReuse(family.family_id, family.account_id);
          return undefined;
        }
        if (t.expired) return undefined;
        await client.query("UPDATE login_refresh_tokens SET used_at = now() WHERE token_hash = $1", [hash]);
        const next = await insert(client, family.family_id);
        return { account: { id: family.account_id, name: family.name }, token: next, loadTest: family.loadtest };
      });
      if (!outcome) throw invalid();
      return outcome;
    },

    async familyOf(token) {
      if (token.length > MAX_TOKEN_LENGTH) return undefined;
      const { rows } = await db.query<{ family_id: string }>(
        "SELECT family_id FROM login_refresh_tokens WHERE token_hash = $1",
        [sha256(token)],
      );
      return rows[0]?.family_id;
    },

    async revoke(token) {
      if (token.length > MAX_TOKEN_LENGTH) return;
      await db.query(
        `UPDATE login_refresh_families SET revoked_at = now()
          WHERE id = (SELECT family_id FROM login_refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL`,
        [sha256(token)],
      );
    },

    async revokeAll(accountId) {
      await db.query(
        "UPDATE login_refresh_families SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL",
        [accountId],
      );
    },

    async purgeExpired() {
      // A family is dead once its newest token has expired; its spent tokens go with it (cascade).
      const { rowCount } = await db.query(
        `DELETE FROM login_refresh_families f
          WHERE NOT EXISTS (SELECT 1 FROM login_refresh_tokens t WHERE t.family_id = f.id AND t.expires_at > now())`,
      );
      return rowCount ?? 0;
    },
  };
}
