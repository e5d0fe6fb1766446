// The audit log of operator actions in PostgreSQL: who (the declared operator name and the IP),
// what (action, target, details) and when. Insert-only; read newest first.
import type pg from "pg";

export interface AuditEntry {
  actor: string;
  ip: string;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: number;
  at: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first, at most `limit`. */
  recent(limit: number): Promise<AuditRecord[]>;
}

export function createAuditLog(db: pg.Pool): AuditLog {
  return {
    async record({ actor, ip, action, target, detail }) {
      await db.query(
        "INSERT INTO login_operator_audit (actor, ip, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
        [actor, ip, action, target ?? null, JSON.stringify(detail ?? {})],
      );
    },
    async recent(limit) {
      const { rows } = await db.query<{
        id: string;
        at: Date;
        actor: string;
        ip: string;
        action: string;
        target: string | null;
        detail: Record<string, unknown>;
      }>("SELECT id, at, actor, ip, action, target, detail FROM login_operator_audit ORDER BY id DESC LIMIT $1", [
        limit,
      ]);
      return rows.map((r) => ({
        id: Number(r.id),
        at: r.at.toISOString(),
        actor: r.actor,
        ip: r.ip,
        action: r.action,
        target: r.target ?? "",
        detail: r.detail,
      }));
    },
  };
}
