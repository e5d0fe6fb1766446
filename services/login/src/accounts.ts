// Accounts in PostgreSQL. Names are unique ignoring case (a unique index on lower(name)).
import { randomUUID } from "node:crypto";
import { StarlaneError } from "@starlane/shared";
import type pg from "pg";

export interface Account {
  id: string;
  name: string;
}

/** What decides whether an account's access tokens still count. */
export interface Standing {
  banned: boolean;
  /** Access tokens issued (iat, seconds) before this are refused; 0 when sessions were never ended. */
  sessionsValidAfterS: number;
}

export interface Provisioned {
  /** In the order asked, without the taken names. `created` is false for a load-test account that existed. */
  accounts: (Account & { created: boolean })[];
  /** Names held by real (not load-test) accounts: nobody gets tokens for those here. */
  taken: string[];
}

export interface AccountStore {
  nameTaken(name: string): Promise<boolean>;
  /** Rejects with NAME_TAKEN if another account has this name in any case. */
  create(name: string, passwordHash: string): Promise<Account>;
  /** `passwordHash` is null for a load-test account: no password opens it. */
  find(name: string): Promise<(Account & { passwordHash: string | null; banned: boolean }) | undefined>;
  /** The same by id. */
  get(id: string): Promise<(Account & { passwordHash: string | null; banned: boolean }) | undefined>;
  standing(id: string): Promise<Standing | undefined>;
  /** Ends every session issued before `atS` (seconds): their access tokens no longer enter the world. */
  endSessions(id: string, atS: number): Promise<void>;
  /** Bans (`reason` a string) or unbans (null) the account called `name`; undefined if there is none. */
  setBan(name: string, reason: string | null): Promise<Account | undefined>;
  /** With `ifCurrent`, only while the stored hash is still that one. False when nothing changed. */
  setPasswordHash(id: string, passwordHash: string, ifCurrent?: string): Promise<boolean>;
  /** Creates the load-test accounts that do not exist yet (no password) and returns them all. */
  provisionLoadtest(names: string[]): Promise<Provisioned>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createAccountStore(db: pg.Pool): AccountStore {
  const byWhere = async (where: string, value: string) => {
    const { rows } = await db.query<{ id: string; name: string; password_hash: string | null; banned: boolean }>(
      `SELECT id, name, password_hash, banned_at IS NOT NULL AS banned FROM login_accounts WHERE ${where}`,
      [value],
    );
    const row = rows[0];
    return row && { id: row.id, name: row.name, passwordHash: row.password_hash, banned: row.banned };
  };
  return {
    async nameTaken(name) {
      const { rows } = await db.query("SELECT 1 FROM login_accounts WHERE lower(name) = lower($1)", [name]);
      return rows.length > 0;
    },
    async create(name, passwordHash) {
      const id = randomUUID();
      try {
        await db.query("INSERT INTO login_accounts (id, name, password_hash) VALUES ($1, $2, $3)", [
          id,
          name,
          passwordHash,
        ]);
      } catch (err) {
        if ((err as { code?: string }).code === "23505") throw new StarlaneError("STARLANE_ERR_NAME_TAKEN", "name");
        throw err;
      }
      return { id, name };
    },
    async find(name) {
      return byWhere("lower(name) = lower($1)", name);
    },
    async get(id) {
      return UUID.test(id) ? byWhere("id = $1", id) : undefined;
    },
    async standing(id) {
      if (!UUID.test(id)) return undefined;
      const { rows } = await db.query<{ banned: boolean; after: number | null }>(
        `SELECT banned_at IS NOT NULL AS banned, floor(extract(epoch FROM sessions_valid_after))::float8 AS after
           FROM login_accounts WHERE id = $1`,
        [id],
      );
      const row = rows[0];
      return row && { banned: row.banned, sessionsValidAfterS: row.after ?? 0 };
    },
    async endSessions(id, atS) {
      // Never moves back: two ends in a row keep the later one.
      await db.query(
        `UPDATE login_accounts SET sessions_valid_after = greatest(sessions_valid_after, to_timestamp($2))
          WHERE id = $1`,
        [id, atS],
      );
    },
    async setBan(name, reason) {
      const { rows } = await db.query<{ id: string; name: string }>(
        `UPDATE login_accounts
            SET banned_at = CASE WHEN $2::text IS NULL THEN NULL ELSE coalesce(banned_at, now()) END,
                ban_reason = $2
          WHERE lower(name) = lower($1)
          RETURNING id, name`,
        [name, reason],
      );
      return rows[0];
    },
    async setPasswordHash(id, passwordHash, ifCurrent) {
      const { rowCount } =
        ifCurrent === undefined
          ? await db.query("UPDATE login_accounts SET password_hash = $2 WHERE id = $1", [id, passwordHash])
          : await db.query("UPDATE login_accounts SET password_hash = $2 WHERE id = $1 AND password_hash = $3", [
              id,
              passwordHash,
              ifCurrent,
            ]);
      return (rowCount ?? 0) > 0;
    },
    async provisionLoadtest(names) {
      // Two statements for any number of names. A name someone registers meanwhile simply loses the
      // insert to the unique index and shows up below as taken.
      const inserted = await db.query<{ id: string }>(
        `INSERT INTO login_accounts (id, name, password_hash, loadtest)
         SELECT id, name, NULL, true FROM unnest($1::uuid[], $2::text[]) AS n(id, name)
         ON CONFLICT ((lower(name))) DO NOTHING
         RETURNING id`,
        [names.map(() => randomUUID()), names],
      );
      const created = new Set(inserted.rows.map((r) => r.id));
      const { rows } = await db.query<{ id: string; name: string; loadtest: boolean }>(
        "SELECT id, name, loadtest FROM login_accounts WHERE lower(name) = ANY($1::text[])",
        [names.map((n) => n.toLowerCase())],
      );
      const byName = new Map(rows.map((r) => [r.name.toLowerCase(), r]));
      const out: Provisioned = { accounts: [], taken: [] };
      for (const name of names) {
        const row = byName.get(name.toLowerCase());
        if (row?.loadtest) out.accounts.push({ id: row.id, name: row.name, created: created.has(row.id) });
        else out.taken.push(name); // a real account (or, in a race, one deleted meanwhile)
      }
      return out;
    },
  };
}
