// Region ownership epochs: the fence that stops a zone which lost its region from overwriting the
// new owner's work. Epochs only grow; every write carries its writer's epoch.
import type { RegionFencing } from "@starlane/shared";
import type pg from "pg";

/** A write carried an epoch older than its region's current one: the writer no longer owns it. */
export class StaleEpochError extends Error {
  override name = "StaleEpochError";
  constructor(
    readonly region: string,
    readonly epoch: number,
    readonly current: number,
  ) {
    super(`region ${region}: epoch ${epoch} is older than the current epoch ${current}`);
  }
}

type Queryable = Pick<pg.Pool | pg.PoolClient, "query">;

/**
 * Raises the region's epoch to `epoch` (a zone taking the region calls this before it writes) and
 * returns the current epoch. Throws StaleEpochError if the region already has a newer epoch.
 * Inside a transaction it also locks the region's row until commit, serialising with batches.
 */
export async function fenceRegion(db: Queryable, region: string, epoch: number): Promise<number> {
  const { rows } = await db.query<{ epoch: string }>(
    `INSERT INTO region_epochs (region, epoch) VALUES ($1, $2)
     ON CONFLICT (region) DO UPDATE SET epoch = GREATEST(region_epochs.epoch, EXCLUDED.epoch), updated_at = now()
     RETURNING epoch`,
    [region, epoch],
  );
  const current = Number(rows[0]!.epoch);
  if (current > epoch) throw new StaleEpochError(region, epoch, current);
  return current;
}

/** The region's current epoch, 0 if no one has written to it yet. */
export async function currentEpoch(db: Queryable, region: string): Promise<number> {
  const { rows } = await db.query<{ epoch: string }>("SELECT epoch FROM region_epochs WHERE region = $1", [region]);
  return rows[0] ? Number(rows[0].epoch) : 0;
}

/** The RegionFencing contract over PostgreSQL (`fence` rejects with StaleEpochError). */
export function createRegionFencing(db: Queryable): RegionFencing {
  return {
    fence: (region, epoch) => fenceRegion(db, region, epoch),
    current: (region) => currentEpoch(db, region),
  };
}
