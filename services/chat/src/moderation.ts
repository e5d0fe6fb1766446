// Mute and block lists of players, and operator mutes, in PostgreSQL. Names are lower case.
// A player's own list is read when they connect and kept on the connection; an operator mute is
// read at connect too and then announced on the bus to every instance.
import type pg from "pg";

export type Relation = "mute" | "block";

export interface Moderation {
  /** Whom `owner` mutes or blocks. */
  relations(owner: string): Promise<Map<string, Relation>>;
  set(owner: string, target: string, kind: Relation): Promise<void>;
  /** Removes `kind` (unblock leaves nothing; unmute of a block leaves nothing either). */
  clear(owner: string, target: string): Promise<void>;
  /** Does `owner` block `target`? */
  blocks(owner: string, target: string): Promise<boolean>;
  /** The end of `name`'s operator mute (ms), or 0. */
  mutedUntil(name: string): Promise<number>;
  muteByOperator(name: string, until: number): Promise<void>;
}

export function createModeration(db: pg.Pool): Moderation {
  return {
    async relations(owner) {
      const { rows } = await db.query<{ target: string; kind: Relation }>(
        "SELECT target, kind FROM chat_relations WHERE owner = $1",
        [owner],
      );
      return new Map(rows.map((r) => [r.target, r.kind]));
    },
    async set(owner, target, kind) {
      await db.query(
        `INSERT INTO chat_relations (owner, target, kind) VALUES ($1, $2, $3)
         ON CONFLICT (owner, target) DO UPDATE SET kind = EXCLUDED.kind`,
        [owner, target, kind],
      );
    },
    async clear(owner, target) {
      await db.query("DELETE FROM chat_relations WHERE owner = $1 AND target = $2", [owner, target]);
    },
    async blocks(owner, target) {
      const { rowCount } = await db.query(
        "SELECT 1 FROM chat_relations WHERE owner = $1 AND target = $2 AND kind = 'block'",
        [owner, target],
      );
      return (rowCount ?? 0) > 0;
    },
    async mutedUntil(name) {
      const { rows } = await db.query<{ until: Date }>("SELECT until FROM chat_operator_mutes WHERE name = $1", [name]);
      return rows[0]?.until.getTime() ?? 0;
    },
    async muteByOperator(name, until) {
      await db.query(
        `INSERT INTO chat_operator_mutes (name, until) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET until = EXCLUDED.until`,
        [name, new Date(until)],
      );
    },
  };
}
