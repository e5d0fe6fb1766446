// Stale writes accepted by PostgreSQL, for the failover benchmark: triggers in the run's own database
// log every ship row (write-behind) and every trade (ledger) committed under an epoch below its
// region's epoch in region_epochs at that moment. Both writers hold the region's epoch row FOR SHARE
// while they write (a takeover's fence needs it exclusively and waits), so the epoch the trigger
// reads is the fence at the time of the write. The stores refuse such writes; a row here is one
// they let through. Persistence's own tables are not changed: the triggers and the log are added
// to this run's database only.
import type pg from "pg";

export async function auditStaleWrites(pool: pg.Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE bench_stale_writes (
      kind text NOT NULL, region text NOT NULL, epoch bigint NOT NULL, fence bigint NOT NULL, what text NOT NULL,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE FUNCTION bench_stale_ship() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE fence bigint;
    BEGIN
      SELECT epoch INTO fence FROM region_epochs WHERE region = NEW.region;
      IF fence IS NOT NULL AND NEW.epoch < fence THEN
        INSERT INTO bench_stale_writes (kind, region, epoch, fence, what) VALUES ('ship', NEW.region, NEW.epoch, fence, NEW.player_id);
      END IF;
      RETURN NULL;
    END $$;
    -- A write-behind write bumps the row's version; a ledger update (credits, cargo) does not and
    -- carries no epoch of its own (its trade row does).
    CREATE TRIGGER bench_stale_ship_update AFTER UPDATE ON characters FOR EACH ROW
      WHEN (NEW.version <> OLD.version) EXECUTE FUNCTION bench_stale_ship();
    CREATE TRIGGER bench_stale_ship_insert AFTER INSERT ON characters FOR EACH ROW
      WHEN (NEW.version > 0) EXECUTE FUNCTION bench_stale_ship();
    CREATE FUNCTION bench_stale_trade() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE fence bigint;
    BEGIN
      SELECT epoch INTO fence FROM region_epochs WHERE region = NEW.region;
      IF fence IS NOT NULL AND NEW.epoch < fence THEN
        INSERT INTO bench_stale_writes (kind, region, epoch, fence, what) VALUES ('trade', NEW.region, NEW.epoch, fence, NEW.key);
      END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER bench_stale_trade AFTER INSERT ON trades FOR EACH ROW EXECUTE FUNCTION bench_stale_trade();
  `);
}

/** Ship rows and trades PostgreSQL committed under a stale epoch during the run. */
export async function staleWritesAccepted(pool: pg.Pool): Promise<{ shipRows: number; trades: number }> {
  const { rows } = await pool.query<{ kind: string; n: string }>(
    "SELECT kind, count(*) AS n FROM bench_stale_writes GROUP BY kind",
  );
  const n = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
  return { shipRows: n("ship"), trades: n("trade") };
}
