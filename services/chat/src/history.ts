// Each channel's last messages in PostgreSQL: written before the message is published, so a
// player joining a channel finds in its history everything published before they joined. The
// message's id is its row's sequence number: unique across instances and growing.
import type pg from "pg";
import type { Sender } from "./bus.js";

export interface StoredMessage {
  id: string;
  from: Sender;
  text: string;
  ts: number;
}

export interface History {
  /** Stores a message on `channel`; resolves its id and time. */
  append(channel: string, from: Sender, text: string): Promise<{ id: string; ts: number }>;
  /** The channel's last `size` messages, oldest first. */
  recent(channel: string): Promise<StoredMessage[]>;
}

export function createHistory(db: pg.Pool, size: number): History {
  // Trimming is a range delete per channel every so many appends (here), not per message.
  const appends = new Map<string, number>();
  const trimEvery = Math.max(10, size);
  const trim = (channel: string) =>
    db
      .query(
        `DELETE FROM chat_messages WHERE channel = $1 AND seq <=
           (SELECT seq FROM chat_messages WHERE channel = $1 ORDER BY seq DESC OFFSET $2 LIMIT 1)`,
        [channel, size],
      )
      .catch(() => {}); // the next trim catches up

  return {
    async append(channel, from, text) {
      const { rows } = await db.query<{ seq: string; ts: Date }>(
        "INSERT INTO chat_messages (channel, sender_id, sender_name, body) VALUES ($1, $2, $3, $4) RETURNING seq, sent_at AS ts",
        [channel, from.id, from.name, text],
      );
      const n = (appends.get(channel) ?? 0) + 1;
      appends.set(channel, n % trimEvery);
      if (n >= trimEvery) void trim(channel);
      return { id: String(rows[0]!.seq), ts: rows[0]!.ts.getTime() };
    },
    async recent(channel) {
      if (size === 0) return [];
      const { rows } = await db.query<{ seq: string; sender_id: string; sender_name: string; body: string; ts: Date }>(
        `SELECT seq, sender_id, sender_name, body, sent_at AS ts FROM chat_messages
          WHERE channel = $1 ORDER BY seq DESC LIMIT $2`,
        [channel, size],
      );
      return rows.reverse().map((r) => ({
        id: String(r.seq),
        from: { id: r.sender_id, name: r.sender_name },
        text: r.body,
        ts: r.ts.getTime(),
      }));
    },
  };
}
