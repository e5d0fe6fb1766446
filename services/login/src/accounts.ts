// Accounts in PostgreSQL. Names are unique ignoring case (a unique index on lower(name)).
import { randomUUID } from "node:crypto";
import { StarlaneError } from "@starlane/shared";
import type pg from "pg";

export interface Account {
  id: string;
  name: string;
}

export interface AccountStore {
  nameTaken(name: string): Promise<boolean>;
  /** Rejects with NAME_TAKEN if another account has this name in any case. */
  create(name: string, passwordHash: string): Promise<Account>;
  find(name: string): Promise<(Account & { passwordHash: string }) | undefined>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
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
      const { rows } = await db.query<{ id: string; name: string; password_hash: string }>(
        "SELECT id, name, password_hash FROM login_accounts WHERE lower(name) = lower($1)",
        [name],
      );
      const row = rows[0];
      return row && { id: row.id, name: row.name, passwordHash: row.password_hash };
    },
    async setPasswordHash(id, passwordHash) {
      await db.query("UPDATE login_accounts SET password_hash = $2 WHERE id = $1", [id, passwordHash]);
    },
  };
}
