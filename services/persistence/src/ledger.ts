// Trades and sales: each is one PostgreSQL transaction keyed by the caller's idempotency key, so a
// retried request applies once and gets the same answer. Every trade writes balanced ledger rows
// (credits and ore each sum to zero across the parties), so money and ore are conserved.
import {
  type Balance,
  type BuyUpgrade,
  checkBuy,
  checkSale,
  checkTrade,
  flattenTrade,
  type Ledger,
  type SellOre,
  StarlaneError,
  type Trade,
  type TradeResult,
} from "@starlane/shared";
import type pg from "pg";
import { checkEpoch, StaleEpochError } from "./epochs.js";

type Request = Record<string, string | number>;

const insufficient = (field: string) => new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", field);

interface Movement {
  party: string;
  credits: number;
  ore: number;
}

async function transact(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<TradeResult>): Promise<TradeResult> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    client.on("error", ignore); // see writeShipBatch: the rejected query is what we act on
    let broken = false;
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      broken = await client.query("ROLLBACK").then(
        () => false,
        () => true,
      );
      // Row locks are taken in player-id order, but a deadlock with a concurrent batch is still
      // possible in principle: the loser retries.
      if ((err as { code?: string }).code === "40P01" && attempt < 3) continue;
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  }
}

const ignore = () => {};

/**
 * Applies `movements` (player parties must exist and stay non-negative) once for `key`. A second
 * call with the same key and request returns the first result with `replayed: true`; the same key
 * with a different request is refused.
 */
async function applyOnce(
  pool: pg.Pool,
  kind: "sell" | "trade" | "buy",
  request: Request,
  fence: { region: string; epoch: number },
  movements: Movement[],
  holds: { playerId: string; cargo: number; ledgerVersion: number }[] = [],
  /** An upgrade bought: the player's hold level goes from `from` to `from + 1`, or the call is refused. */
  upgrade?: { playerId: string; from: number },
): Promise<TradeResult> {
  const key = request.key as string;
  return transact(pool, async (client) => {
    // Claim the key first: a concurrent call with the same key waits here for our commit.
    const claimed = await client.query(
      `INSERT INTO trades (key, kind, request, result, region, epoch) VALUES ($1, $2, $3, '{}', $4, $5)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, kind, request, fence.region, fence.epoch],
    );
    if (claimed.rowCount === 0) {
      const { rows } = await client.query<{ kind: string; request: Request; result: { balances: Balance[] } }>(
        "SELECT kind, request, result FROM trades WHERE key = $1",
        [key],
      );
      const prior = rows[0]!;
      const same =
        prior.kind === kind &&
        Object.keys(request).length === Object.keys(prior.request).length &&
        Object.keys(request).every((k) => prior.request[k] === request[k]);
      if (!same) throw new StarlaneError("STARLANE_ERR_LEDGER_KEY_REUSED", "key");
      return { key, replayed: true, balances: prior.result.balances };
    }
    await checkEpoch(client, fence.region, fence.epoch);

    const players = movements.filter((m) => !m.party.startsWith("station:")).map((m) => m.party);
    const locked = await client.query<{
      player_id: string;
      credits: string;
      cargo: string;
      ledger_version: string;
      hold_level: number;
    }>(
      `SELECT player_id, credits, cargo, ledger_version, hold_level FROM characters WHERE player_id = ANY($1)
       ORDER BY player_id FOR UPDATE`,
      [players],
    );
    const have = new Map(locked.rows.map((r) => [r.player_id, { credits: Number(r.credits), cargo: Number(r.cargo) }]));
    // Ore mined since the last committed write-behind entry: the zone's hold counts when it has seen
    // every ledger operation on the row.
    for (const hold of holds) {
      const row = locked.rows.find((r) => r.player_id === hold.playerId);
      if (row && Number(row.ledger_version) === hold.ledgerVersion) have.get(hold.playerId)!.cargo = hold.cargo;
    }
    if (upgrade) {
      const row = locked.rows.find((r) => r.player_id === upgrade.playerId);
      if (row && row.hold_level !== upgrade.from) {
        throw new StarlaneError("STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE", "level");
      }
    }
    for (const m of movements) {
      if (m.party.startsWith("station:")) continue;
      const h = have.get(m.party);
      if (!h)
        throw insufficient(m.party === request.buyer ? "buyer" : m.party === request.seller ? "seller" : "playerId");
      if (h.credits + m.credits < 0) throw insufficient("credits");
      if (h.cargo + m.ore < 0) throw insufficient("ore");
    }

    // The rows are locked: their new balances are known here, and written with the ledger's rows
    // and the answer in one statement (each round trip to PostgreSQL is waited for under a lock).
    const balances: Balance[] = movements
      .filter((m) => !m.party.startsWith("station:"))
      .map((m) => {
        const row = locked.rows.find((r) => r.player_id === m.party)!;
        const h = have.get(m.party)!;
        return {
          playerId: m.party,
          credits: h.credits + m.credits,
          cargo: h.cargo + m.ore,
          holdLevel: row.hold_level + (upgrade?.playerId === m.party ? 1 : 0),
          ledgerVersion: Number(row.ledger_version) + 1,
        };
      });
    await client.query(
      `WITH moved AS (
         UPDATE characters c SET credits = b.credits, cargo = b.cargo, hold_level = b.hold_level,
           ledger_version = b.ledger_version, updated_at = now()
         FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::int[], $6::bigint[])
           AS b (player_id, credits, cargo, hold_level, ledger_version)
         WHERE c.player_id = b.player_id
       ), entries AS (
         INSERT INTO ledger (trade_key, party, credits_delta, ore_delta)
         SELECT $1, * FROM unnest($7::text[], $8::bigint[], $9::bigint[])
       )
       UPDATE trades SET result = $10 WHERE key = $1`,
      [
        key,
        balances.map((b) => b.playerId),
        balances.map((b) => b.credits),
        balances.map((b) => b.cargo),
        balances.map((b) => b.holdLevel),
        balances.map((b) => b.ledgerVersion),
        movements.map((m) => m.party),
        movements.map((m) => m.credits),
        movements.map((m) => m.ore),
        { balances },
      ],
    );
    return { key, replayed: false, balances };
  });
}

/** Sells `ore` units at `pricePerOre` to a station: the player's cargo goes down, credits up. */
export async function sellOre(pool: pg.Pool, req: SellOre): Promise<TradeResult> {
  const credits = checkSale(req);
  const { hold, ...rest } = req;
  const request: Request = hold ? { ...rest, holdCargo: hold.cargo, holdLedgerVersion: hold.ledgerVersion } : rest;
  return applyOnce(
    pool,
    "sell",
    request,
    req,
    [
      { party: req.playerId, credits, ore: -req.ore },
      { party: `station:${req.station}`, credits: -credits, ore: req.ore },
    ],
    hold ? [{ playerId: req.playerId, ...hold }] : [],
  );
}

/** Buys the next level of an upgrade at a station: credits go to the station, the level up by one. */
export async function buyUpgrade(pool: pg.Pool, req: BuyUpgrade): Promise<TradeResult> {
  checkBuy(req);
  return applyOnce(
    pool,
    "buy",
    { ...req },
    req,
    [
      { party: req.playerId, credits: -req.price, ore: 0 },
      { party: `station:${req.station}`, credits: req.price, ore: 0 },
    ],
    [],
    { playerId: req.playerId, from: req.level - 1 },
  );
}

/** A trade between two players: `buyer` pays `credits` and receives `ore` from `seller`. */
export async function trade(pool: pg.Pool, req: Trade): Promise<TradeResult> {
  checkTrade(req);
  const holds = [
    ...(req.buyerHold ? [{ playerId: req.buyer, ...req.buyerHold }] : []),
    ...(req.sellerHold ? [{ playerId: req.seller, ...req.sellerHold }] : []),
  ];
  return applyOnce(
    pool,
    "trade",
    flattenTrade(req),
    req,
    [
      { party: req.buyer, credits: -req.credits, ore: req.ore },
      { party: req.seller, credits: req.credits, ore: -req.ore },
    ],
    holds,
  );
}

/** The committed result of `key`, or null (never claimed, or claimed by a transaction not committed). */
export async function settled(pool: pg.Pool, key: string): Promise<TradeResult | null> {
  const { rows } = await pool.query<{ result: { balances?: Balance[] } }>("SELECT result FROM trades WHERE key = $1", [
    key,
  ]);
  const balances = rows[0]?.result.balances;
  return balances ? { key, replayed: true, balances } : null;
}

/** The Ledger contract over PostgreSQL. */
export function createLedger(pool: pg.Pool): Ledger {
  // Callers switch on codes, not on this package's classes.
  const coded = (err: unknown): never => {
    if (err instanceof StaleEpochError)
      throw new StarlaneError("STARLANE_ERR_LEDGER_STALE_EPOCH", "epoch", { cause: err });
    throw err;
  };
  return {
    sell: (req) => sellOre(pool, req).catch(coded),
    buy: (req) => buyUpgrade(pool, req).catch(coded),
    trade: (req) => trade(pool, req).catch(coded),
    settled: (key) => settled(pool, key),
  };
}
