// Accounts in PostgreSQL. Names are unique ignoring case (a unique index on lower(name)).
import { randomUUID } from "node:crypto";
import { StarlaneError } from "@starlane/shared";
import type pg from "pg";

export interface Account {
  id: string;
  name: string;
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
  find(name: string): Promise<(Account & { passwordHash: string | null }) | undefined>;
  /** With `ifCurrent`, only while the stored hash is still that one. False when nothing changed. */
  setPasswordHash(id: string, passwordHash: string, ifCurrent?: string): Promise<boolean>;
  /** Creates the load-test accounts that do not exist yet (no password) and returns them all. */
  provisionLoadtest(names: string[]): Promise<Provisioned>;
}

export function createAccountStore(db: pg.Pool): AccountStore {
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
      const { rows } = await db.query<{ id: string; name: string; password_hash: string | null }>(
        "SELECT id, name, password_hash FROM login_accounts WHERE lower(name) = lower($1)",
        [name],
      );
      const row = rows[0];
      return row && { id: row.id, name: row.name, passwordHash: row.password_hash };
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
