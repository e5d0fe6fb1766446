// Ship rows: the batched write-behind upsert, and the ShipRepository (shared contract) zones and
// world entry load ships through.
import {
  fromShipRow,
  SHIP_COLUMNS,
  type ShipRepository,
  type ShipRow,
  type ShipState,
  SPAWN_DEFAULTS,
  type Spawn,
  toShipRow,
} from "@starlane/shared";
import type pg from "pg";

export interface BatchOutcome {
  /** Rows inserted or replaced. */
  applied: number;
  /** Entries refused because their epoch is older than their region's current epoch. */
  stale: number;
  /** Entries that lost to a newer version (already in the table or later in the same batch). */
  superseded: number;
}

// The batch's regions' epochs under a shared lock: batches, sales and trades of one region commit
// side by side, while an ownership change (fenceRegion's update) waits for them, so the epoch check
// in the UPSERT cannot race with it. In a fixed order, so two persistence instances never deadlock.
const SHARE_EPOCHS = `SELECT region, epoch FROM region_epochs WHERE region = ANY($1::text[]) ORDER BY region FOR SHARE`;

// Raises the regions whose epoch the batch is the first to carry (rare: once per ownership change).
const RAISE_EPOCHS = `
INSERT INTO region_epochs (region, epoch)
SELECT region, max(epoch) FROM unnest($1::text[], $2::bigint[]) AS t(region, epoch)
GROUP BY region ORDER BY region
ON CONFLICT (region) DO UPDATE SET epoch = EXCLUDED.epoch, updated_at = now()
WHERE region_epochs.epoch < EXCLUDED.epoch`;

// One set-based statement for the whole batch. Only a newer version replaces a row, so a replayed
// or late batch never moves a player back in time. Credits and cargo are taken only from a writer
// that has seen every trade applied to the row (same ledger_version); otherwise the row keeps its
// own, so write-behind never undoes a committed trade. Upgrade levels are the ledger's alone: a new
// row takes the entry's, an existing one is never changed by the batch.
const UPSERT = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[], $7::float8[],
                       $8::float8[], $9::float8[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[],
                       $15::int[])
    AS t(player_id, name, region, x, y, vx, vy, heading, hull, cargo, credits, version, epoch, ledger_version, hold_level)
), fenced AS (
  SELECT i.*, i.epoch >= e.epoch AS owner FROM input i JOIN region_epochs e USING (region)
), latest AS (
  SELECT DISTINCT ON (player_id) * FROM fenced WHERE owner ORDER BY player_id, version DESC
), written AS (
  INSERT INTO characters AS c (player_id, name, region, x, y, vx, vy, heading, hull, cargo, credits, version, epoch, ledger_version, hold_level)
  SELECT player_id, name, region, x, y, vx, vy, heading, hull, cargo, credits, version, epoch, ledger_version, hold_level FROM latest
  ON CONFLICT (player_id) DO UPDATE SET
    name = EXCLUDED.name, region = EXCLUDED.region, x = EXCLUDED.x, y = EXCLUDED.y, vx = EXCLUDED.vx, vy = EXCLUDED.vy,
    heading = EXCLUDED.heading, hull = EXCLUDED.hull,
    cargo = CASE WHEN EXCLUDED.ledger_version = c.ledger_version THEN EXCLUDED.cargo ELSE c.cargo END,
    credits = CASE WHEN EXCLUDED.ledger_version = c.ledger_version THEN EXCLUDED.credits ELSE c.credits END,
    version = EXCLUDED.version, epoch = EXCLUDED.epoch, updated_at = now()
  WHERE c.version < EXCLUDED.version
  RETURNING 1
)
SELECT (SELECT count(*) FROM fenced WHERE NOT owner)::int AS stale, (SELECT count(*) FROM written)::int AS applied`;

/** Column arrays for unnest(), in the UPSERT's parameter order (SHIP_COLUMNS). */
function columns(states: readonly ShipState[]): unknown[][] {
  const cols: unknown[][] = SHIP_COLUMNS.map(() => new Array(states.length));
  states.forEach((s, i) => {
    toShipRow(s).forEach((v, c) => {
      cols[c]![i] = v;
    });
  });
  return cols;
}

/** Writes a batch of ship states in one transaction (two statements). Commits or throws. */
export async function writeShipBatch(pool: pg.Pool, states: readonly ShipState[]): Promise<BatchOutcome> {
  if (states.length === 0) return { applied: 0, stale: 0, superseded: 0 };
  const cols = columns(states);
  const client = await pool.connect();
  // A connection killed between queries (PostgreSQL shutting down) emits "error" on the checked-out
  // client; unheard, it would crash the process. The next query rejects, which is what we act on.
  client.on("error", ignore);
  let broken = false;
  try {
    await client.query("BEGIN");
    const newest = new Map<string, number>();
    for (const st of states) newest.set(st.region, Math.max(newest.get(st.region) ?? 0, st.epoch));
    const { rows: held } = await client.query<{ region: string; epoch: string }>(SHARE_EPOCHS, [[...newest.keys()]]);
    const current = new Map(held.map((r) => [r.region, Number(r.epoch)]));
    const raise = [...newest].filter(([region, epoch]) => (current.get(region) ?? -1) < epoch);
    if (raise.length > 0) await client.query(RAISE_EPOCHS, [raise.map(([r]) => r), raise.map(([, e]) => e)]);
    const { rows } = await client.query<{ stale: number; applied: number }>(UPSERT, cols);
    await client.query("COMMIT");
    const { stale, applied } = rows[0]!;
    return { applied, stale, superseded: states.length - stale - applied };
  } catch (err) {
    // A connection that died mid-transaction must not go back to the pool.
    broken = await client.query("ROLLBACK").then(
      () => false,
      () => true,
    );
    throw err;
  } finally {
    client.off("error", ignore);
    client.release(broken);
  }
}

const ignore = () => {};

const SELECT_SHIP = `SELECT ${SHIP_COLUMNS.join(", ")} FROM characters WHERE player_id = $1`;

/** The PostgreSQL ShipRepository; it answers whole ShipStates (the contract asks for less). */
export function createShipRepository(pool: pg.Pool) {
  const load = async (playerId: string): Promise<ShipState | null> => {
    const { rows } = await pool.query<ShipRow>(SELECT_SHIP, [playerId]);
    return rows[0] ? fromShipRow(rows[0]) : null;
  };
  return {
    load,
    async createAtSpawn(playerId: string, name: string, spawn: Spawn): Promise<ShipState> {
      await pool.query(
        `INSERT INTO characters (player_id, name, region, x, y, heading, hull, cargo, credits, version, epoch)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, 0) ON CONFLICT (player_id) DO NOTHING`,
        [
          playerId,
          name,
          spawn.region,
          spawn.x,
          spawn.y,
          spawn.heading ?? 0,
          spawn.hull ?? SPAWN_DEFAULTS.hull,
          spawn.cargo ?? SPAWN_DEFAULTS.cargo,
          spawn.credits ?? SPAWN_DEFAULTS.credits,
        ],
      );
      const ship = await load(playerId);
      if (!ship) throw new Error(`ship of ${playerId} vanished right after creation`);
      return ship;
    },
  } satisfies ShipRepository;
}
