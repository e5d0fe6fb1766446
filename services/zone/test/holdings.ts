// Committed credits and ore through a fault, for the failover tests: players' ships are rows in
// PostgreSQL (the ledger's accounts) beside their region's station, some sell their hold through the
// ledger before the fault, and after it neither their screens nor their accounts ever show less than
// what the ledger committed. The pilots neither mine nor trade after the sale, so "never less" is
// checked as "exactly": a restore that brought back an older balance, or sold ore back in the hold,
// fails it.
import assert from "node:assert/strict";
import { createShipRepository, migratePersistence } from "@starlane/persistence";
import { ClientMessage, connectPostgres, TUNING } from "@starlane/shared";
import { regionView } from "@starlane/shared/client";
import { createTestDatabase, waitFor } from "@starlane/shared/testing";
import type pg from "pg";
import type { Pilot } from "./cluster.js";

export interface Holdings {
  credits: number;
  cargo: number;
}

/** A fresh database with persistence's tables, for the zones (ZONE_DATABASE_URL) and the checks. */
export async function accountsDatabase(): Promise<{ url: string; pool: pg.Pool; drop(): Promise<void> }> {
  const db = await createTestDatabase();
  const pool = await connectPostgres(db.url, { max: 4 });
  await migratePersistence(pool);
  return {
    url: db.url,
    pool,
    async drop() {
      await pool.end();
      await db.drop();
    },
  };
}

/** Within trade range of the station at the centre of region `region-<col>-<row>` (2000-unit regions). */
export function besideStation(region: string, i: number): { x: number; y: number } {
  const [, col, row] = /^region-(\d+)-(\d+)$/.exec(region)!.map(Number);
  return { x: col! * 2000 + 1000 + 150, y: row! * 2000 + 1000 - 100 + (i % 6) * 40 };
}

/** A ship row (the account) at rest at (x, y) with `cargo` ore and `credits`, as the login service creates one. */
export async function openAccount(
  pool: pg.Pool,
  a: { id: string; region: string; x: number; y: number } & Holdings,
): Promise<void> {
  await createShipRepository(pool).createAtSpawn(a.id, a.id, a);
}

/** The players' accounts beside `region`'s station, each with some ore and credits (10 + i, 7 i). */
export async function openAccountsBesideStation(pool: pg.Pool, region: string, ids: string[]): Promise<void> {
  for (const [i, id] of ids.entries())
    await openAccount(pool, { id, region, ...besideStation(region, i), cargo: 10 + i, credits: 7 * i });
}

/** What the accounts hold now (the ledger's committed values). */
export async function accounts(pool: pg.Pool, ids: string[]): Promise<Map<string, Holdings>> {
  const { rows } = await pool.query<{ player_id: string; credits: string; cargo: string }>(
    "SELECT player_id, credits, cargo FROM characters WHERE player_id = ANY($1)",
    [ids],
  );
  return new Map(rows.map((r) => [r.player_id, { credits: Number(r.credits), cargo: Number(r.cargo) }]));
}

/**
 * The pilot (seated, its ship beside its station) sells its whole hold; resolves once its screen
 * shows the sale the ledger committed.
 */
export async function sellHold(pilot: Pilot): Promise<void> {
  const own = () => {
    const s = regionView(pilot.link?.room)?.ships.get(pilot.id);
    return s && s.ghost !== true ? s : undefined;
  };
  const before = await waitFor(`${pilot.id} on screen`, own);
  assert.ok(before.cargo > 0, `${pilot.id} has ore to sell`);
  const paid = before.credits + before.cargo * TUNING.trade.orePrice;
  pilot.link!.room.send(ClientMessage.Action, { kind: "sell" });
  await waitFor(`${pilot.id}'s sale committed and shown`, () => own()?.credits === paid && own()?.cargo === 0, 10_000);
}

/**
 * Before the fault: every other pilot (seated beside its station) sells its hold through the ledger,
 * the rest keep theirs; resolves with what the accounts hold then (what must survive the fault).
 */
export async function commitBeforeFault(pool: pg.Pool, pilots: Pilot[]): Promise<Map<string, Holdings>> {
  for (const [i, p] of pilots.entries()) if (i % 2 === 0) await sellHold(p);
  return accounts(
    pool,
    pilots.map((p) => p.id),
  );
}

/**
 * After the fault, what the ledger committed before it is kept: each pilot's account equals it, and
 * its screen never showed anything else after `since` (the fault), up to what it shows now. Resolves
 * one line per difference (none when kept); the benchmark counts them, the tests assert none.
 */
export async function holdingsChanged(
  pool: pg.Pool,
  pilots: Pilot[],
  committed: Map<string, Holdings>,
  since: number,
): Promise<string[]> {
  const now = await accounts(
    pool,
    pilots.map((p) => p.id),
  );
  const changed: string[] = [];
  const same = (a: Holdings | undefined, b: Holdings) => a?.credits === b.credits && a.cargo === b.cargo;
  for (const p of pilots) {
    const want = committed.get(p.id)!;
    const had = JSON.stringify(want);
    const account = now.get(p.id);
    if (!same(account, want))
      changed.push(`${p.id}'s account after the fault: ${JSON.stringify(account)}, committed ${had}`);
    // What the screen showed from the fault on: the last value before it, then every change.
    const shown = p.screens.filter(
      (s, i) => s.at >= since || p.screens[i + 1] === undefined || p.screens[i + 1]!.at >= since,
    );
    const s = regionView(p.link?.room)?.ships.get(p.id);
    if (s && s.ghost !== true) shown.push({ at: Date.now(), credits: s.credits, cargo: s.cargo });
    if (shown.length === 0) changed.push(`${p.id}'s screen was never seen`);
    for (const v of shown) {
      if (!same(v, want))
        changed.push(
          `${p.id}'s screen at ${v.at - since} ms after the fault: ${JSON.stringify({ credits: v.credits, cargo: v.cargo })}, committed ${had}`,
        );
    }
  }
  return changed;
}

/** holdingsChanged, asserted empty (the failover tests). */
export async function assertHoldingsKept(
  pool: pg.Pool,
  pilots: Pilot[],
  committed: Map<string, Holdings>,
  since: number,
): Promise<void> {
  assert.deepEqual(await holdingsChanged(pool, pilots, committed, since), []);
}
