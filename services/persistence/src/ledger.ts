// Trades, sales and purchases: each is applied once per the caller's idempotency key, so a retried
// request applies once and gets the same answer; those asked for together share one PostgreSQL
// transaction (group commit), each still all or nothing. Every trade writes balanced ledger rows
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
import { fenceRegion, StaleEpochError } from "./epochs.js";

type Request = Record<string, string | number>;

const insufficient = (field: string) => new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", field);

interface Movement {
  party: string;
  credits: number;
  ore: number;
}

/** One operation: applied once for `request.key`, all its movements or none. */
interface Operation {
  kind: "sell" | "trade" | "buy";
  request: Request;
  fence: { region: string; epoch: number };
  movements: Movement[];
  /** Zone holds: counted when the stored row's ledger version is the one the zone saw. */
  holds: { playerId: string; cargo: number; ledgerVersion: number }[];
  /** An upgrade bought: the player's hold level goes from `from` to `from + 1`, or the operation is refused. */
  upgrade?: { playerId: string; from: number };
}

const isStation = (party: string) => party.startsWith("station:");
const ignore = () => {};

interface Account {
  credits: number;
  cargo: number;
  holdLevel: number;
  ledgerVersion: number;
}

/**
 * Applies `ops` in one transaction (group commit): the region epochs checked under a shared lock,
 * the accounts of all of them locked at once (in player-id order, so concurrent batches cannot
 * deadlock on them), every key claimed, then each operation checked in turn against the running
 * balances, so a refused one changes nothing and does not sink the others. About six round trips
 * and one WAL flush per batch rather than per operation. Returns one outcome per operation.
 */
async function applyBatch(client: pg.PoolClient, ops: Operation[]): Promise<(TradeResult | StarlaneError)[]> {
  const out: (TradeResult | StarlaneError | undefined)[] = ops.map(() => undefined);
  // Epochs first, as write-behind batches take them (region order, shared lock): batches of a region
  // run side by side; an ownership change (fenceRegion's update) waits for them, and they for it.
  // Only a newer epoch takes the row exclusively.
  const regions = [...new Set(ops.map((op) => op.fence.region))].sort();
  const { rows: epochRows } = await client.query<{ region: string; epoch: string }>(
    "SELECT region, epoch FROM region_epochs WHERE region = ANY($1) ORDER BY region FOR SHARE",
    [regions],
  );
  const epochs = new Map(epochRows.map((r) => [r.region, Number(r.epoch)]));
  for (const region of regions) {
    const newest = Math.max(...ops.filter((op) => op.fence.region === region).map((op) => op.fence.epoch));
    const now = epochs.get(region);
    if (now !== undefined && newest <= now) continue;
    const raised = await fenceRegion(client, region, newest).catch((err) => {
      if (err instanceof StaleEpochError) return err.current;
      throw err;
    });
    epochs.set(region, raised);
  }
  const players = [...new Set(ops.flatMap((op) => op.movements.map((m) => m.party).filter((p) => !isStation(p))))];
  const locked = await client.query<{
    player_id: string;
    credits: string;
    cargo: string;
    ledger_version: string;
    hold_level: number;
  }>(
    `SELECT player_id, credits, cargo, ledger_version, hold_level FROM characters WHERE player_id = ANY($1)
     ORDER BY player_id FOR UPDATE`,
    [players.sort()],
  );
  const accounts = new Map<string, Account>(
    locked.rows.map((r) => [
      r.player_id,
      {
        credits: Number(r.credits),
        cargo: Number(r.cargo),
        holdLevel: r.hold_level,
        ledgerVersion: Number(r.ledger_version),
      },
    ]),
  );
  // Claim the keys: a concurrent transaction with one of them makes us wait for its commit.
  const claimed = await client.query<{ key: string }>(
    `INSERT INTO trades (key, kind, request, result, region, epoch)
     SELECT k, kd, r::jsonb, '{}', rg, e FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
       AS x (k, kd, r, rg, e)
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [
      ops.map((op) => op.request.key),
      ops.map((op) => op.kind),
      ops.map((op) => JSON.stringify(op.request)),
      ops.map((op) => op.fence.region),
      ops.map((op) => op.fence.epoch),
    ],
  );
  const mine = new Set(claimed.rows.map((r) => r.key));
  const priorKeys = ops.map((op) => op.request.key as string).filter((k) => !mine.has(k));
  if (priorKeys.length > 0) {
    const { rows } = await client.query<{
      key: string;
      kind: string;
      request: Request;
      result: { balances: Balance[] };
    }>("SELECT key, kind, request, result FROM trades WHERE key = ANY($1)", [priorKeys]);
    const prior = new Map(rows.map((r) => [r.key, r]));
    ops.forEach((op, i) => {
      const key = op.request.key as string;
      if (mine.has(key)) return;
      const p = prior.get(key);
      const same =
        p !== undefined &&
        p.kind === op.kind &&
        Object.keys(op.request).length === Object.keys(p.request).length &&
        Object.keys(op.request).every((k) => p.request[k] === op.request[k]);
      out[i] = same
        ? { key, replayed: true, balances: p.result.balances }
        : new StarlaneError("STARLANE_ERR_LEDGER_KEY_REUSED", "key");
    });
  }
  // A replayed key answers what it committed; a new one from a zone whose epoch is not current is refused.
  ops.forEach((op, i) => {
    if (!out[i] && op.fence.epoch < epochs.get(op.fence.region)!) {
      out[i] = new StarlaneError("STARLANE_ERR_LEDGER_STALE_EPOCH", "epoch");
    }
  });

  // Each operation in turn against the running balances (all of it or nothing of it).
  const touched = new Set<string>();
  const entries: { key: string; movement: Movement }[] = [];
  const results: { key: string; result: string }[] = [];
  ops.forEach((op, i) => {
    if (out[i]) return;
    const key = op.request.key as string;
    const refused = check(op, accounts);
    if (refused) {
      out[i] = refused;
      return;
    }
    const balances: Balance[] = [];
    for (const m of op.movements) {
      if (isStation(m.party)) continue;
      const a = accounts.get(m.party)!;
      a.credits += m.credits;
      a.cargo += m.ore;
      if (op.upgrade?.playerId === m.party) a.holdLevel += 1;
      a.ledgerVersion += 1;
      touched.add(m.party);
      balances.push({ playerId: m.party, ...a });
    }
    for (const movement of op.movements) entries.push({ key, movement });
    results.push({ key, result: JSON.stringify({ balances }) });
    out[i] = { key, replayed: false, balances };
  });
  // A refused operation's claim is taken back: its key is free again.
  const freed = ops
    .map((op, i) => (out[i] instanceof StarlaneError && mine.has(op.request.key as string) ? op.request.key : null))
    .filter((k) => k !== null);
  if (results.length > 0 || freed.length > 0) {
    const rows = [...touched].map((p) => ({ p, ...accounts.get(p)! }));
    await client.query(
      `WITH moved AS (
         UPDATE characters c SET credits = b.credits, cargo = b.cargo, hold_level = b.hold_level,
           ledger_version = b.ledger_version, updated_at = now()
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[], $5::bigint[])
           AS b (player_id, credits, cargo, hold_level, ledger_version)
         WHERE c.player_id = b.player_id
       ), entries AS (
         INSERT INTO ledger (trade_key, party, credits_delta, ore_delta)
         SELECT * FROM unnest($6::text[], $7::text[], $8::bigint[], $9::bigint[])
       ), freed AS (
         DELETE FROM trades WHERE key = ANY($12::text[])
       )
       UPDATE trades t SET result = r.result::jsonb FROM unnest($10::text[], $11::text[]) AS r (key, result)
       WHERE t.key = r.key`,
      [
        rows.map((r) => r.p),
        rows.map((r) => r.credits),
        rows.map((r) => r.cargo),
        rows.map((r) => r.holdLevel),
        rows.map((r) => r.ledgerVersion),
        entries.map((e) => e.key),
        entries.map((e) => e.movement.party),
        entries.map((e) => e.movement.credits),
        entries.map((e) => e.movement.ore),
        results.map((r) => r.key),
        results.map((r) => r.result),
        freed,
      ],
    );
  }
  return out as (TradeResult | StarlaneError)[];
}

/** Why `op` cannot apply to the running `accounts` (null: it can); changes nothing. */
function check(op: Operation, accounts: Map<string, Account>): StarlaneError | null {
  const have = new Map<string, { credits: number; cargo: number }>();
  for (const m of op.movements) {
    if (isStation(m.party)) continue;
    const a = accounts.get(m.party);
    const field = m.party === op.request.buyer ? "buyer" : m.party === op.request.seller ? "seller" : "playerId";
    if (!a) return insufficient(field);
    // Ore mined since the last committed write-behind entry: the zone's hold counts when it has seen
    // every ledger operation on the row.
    const hold = op.holds.find((h) => h.playerId === m.party);
    have.set(m.party, {
      credits: a.credits,
      cargo: hold && hold.ledgerVersion === a.ledgerVersion ? hold.cargo : a.cargo,
    });
  }
  if (op.upgrade && accounts.get(op.upgrade.playerId)?.holdLevel !== op.upgrade.from) {
    return new StarlaneError("STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE", "level");
  }
  for (const m of op.movements) {
    const h = have.get(m.party);
    if (!h) continue;
    if (h.credits + m.credits < 0) return insufficient("credits");
    if (h.cargo + m.ore < 0) return insufficient("ore");
  }
  // The hold's cargo becomes the stored cargo before the movements apply.
  for (const [p, h] of have) accounts.get(p)!.cargo = h.cargo;
  return null;
}

async function transact<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
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
      // Accounts are locked in player-id order, but a deadlock with a write-behind batch or another
      // zone's batch (keys) is still possible: the loser retries.
      if ((err as { code?: string }).code === "40P01" && attempt < 3) continue;
      throw err;
    } finally {
      client.off("error", ignore);
      client.release(broken);
    }
  }
}

/** Applies one operation in its own transaction (the functions below; tests). */
async function applyOne(pool: pg.Pool, op: Operation): Promise<TradeResult> {
  const [r] = await transact(pool, (client) => applyBatch(client, [op]));
  if (r instanceof StarlaneError) throw r;
  return r!;
}

/**
 * Group commit: operations asked for while a batch is in flight wait and go together in the next
 * one (at most `maxBatches` transactions at once, `maxBatch` operations each). An operation asked
 * for when a slot is free goes at once: no waiting for company. One key is never in two batches at
 * once. A batch failing for another reason than a refusal (store down, a bug) is tried again one
 * operation at a time, so one bad operation cannot sink the others; what still fails is rejected
 * with that error (outcome unknown: the caller retries with the same key).
 */
interface Waiting {
  op: Operation;
  resolve(r: TradeResult): void;
  reject(e: unknown): void;
}

class GroupCommit {
  readonly #queue: Waiting[] = [];
  readonly #keys = new Set<string>();
  #running = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBatches: number,
    private readonly maxBatch: number,
  ) {}

  apply(op: Operation): Promise<TradeResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.maxBatches && this.#queue.length > 0) {
      const batch: Waiting[] = [];
      for (let i = 0; i < this.#queue.length && batch.length < this.maxBatch; ) {
        const key = this.#queue[i]!.op.request.key as string;
        if (this.#keys.has(key)) {
          i++;
          continue;
        }
        this.#keys.add(key);
        batch.push(...this.#queue.splice(i, 1));
      }
      if (batch.length === 0) return;
      this.#running++;
      void this.#run(batch).finally(() => {
        for (const b of batch) this.#keys.delete(b.op.request.key as string);
        this.#running--;
        this.#pump();
      });
    }
  }

  async #run(batch: Waiting[]): Promise<void> {
    let outcomes: (TradeResult | StarlaneError)[];
    try {
      outcomes = await transact(this.pool, (client) =>
        applyBatch(
          client,
          batch.map((b) => b.op),
        ),
      );
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      await Promise.all(
        batch.map((b) =>
          transact(this.pool, (client) => applyBatch(client, [b.op])).then(
            ([r]) => (r instanceof StarlaneError ? b.reject(r) : b.resolve(r!)),
            (e) => b.reject(e),
          ),
        ),
      );
      return;
    }
    batch.forEach((b, i) => {
      const r = outcomes[i]!;
      if (r instanceof StarlaneError) b.reject(r);
      else b.resolve(r);
    });
  }
}

function saleOp(req: SellOre): Operation {
  const credits = checkSale(req);
  const { hold, ...rest } = req;
  const request: Request = hold ? { ...rest, holdCargo: hold.cargo, holdLedgerVersion: hold.ledgerVersion } : rest;
  return {
    kind: "sell",
    request,
    fence: req,
    movements: [
      { party: req.playerId, credits, ore: -req.ore },
      { party: `station:${req.station}`, credits: -credits, ore: req.ore },
    ],
    holds: hold ? [{ playerId: req.playerId, ...hold }] : [],
  };
}

function buyOp(req: BuyUpgrade): Operation {
  checkBuy(req);
  return {
    kind: "buy",
    request: { ...req },
    fence: req,
    movements: [
      { party: req.playerId, credits: -req.price, ore: 0 },
      { party: `station:${req.station}`, credits: req.price, ore: 0 },
    ],
    holds: [],
    upgrade: { playerId: req.playerId, from: req.level - 1 },
  };
}

function tradeOp(req: Trade): Operation {
  checkTrade(req);
  return {
    kind: "trade",
    request: flattenTrade(req),
    fence: req,
    movements: [
      { party: req.buyer, credits: -req.credits, ore: req.ore },
      { party: req.seller, credits: req.credits, ore: -req.ore },
    ],
    holds: [
      ...(req.buyerHold ? [{ playerId: req.buyer, ...req.buyerHold }] : []),
      ...(req.sellerHold ? [{ playerId: req.seller, ...req.sellerHold }] : []),
    ],
  };
}

/** Sells `ore` units at `pricePerOre` to a station: the player's cargo goes down, credits up. */
export async function sellOre(pool: pg.Pool, req: SellOre): Promise<TradeResult> {
  return applyOne(pool, saleOp(req));
}

/** Buys the next level of an upgrade at a station: credits go to the station, the level up by one. */
export async function buyUpgrade(pool: pg.Pool, req: BuyUpgrade): Promise<TradeResult> {
  return applyOne(pool, buyOp(req));
}

/** A trade between two players: `buyer` pays `credits` and receives `ore` from `seller`. */
export async function trade(pool: pg.Pool, req: Trade): Promise<TradeResult> {
  return applyOne(pool, tradeOp(req));
}

/** The committed result of `key`, or null (never claimed, or claimed by a transaction not committed). */
export async function settled(pool: pg.Pool, key: string): Promise<TradeResult | null> {
  const { rows } = await pool.query<{ result: { balances?: Balance[] } }>("SELECT result FROM trades WHERE key = $1", [
    key,
  ]);
  const balances = rows[0]?.result.balances;
  return balances ? { key, replayed: true, balances } : null;
}

export interface LedgerOptions {
  /** Operations per transaction (default 64; 1: a transaction per operation). */
  maxBatch?: number;
  /** Transactions at once (default 2). */
  maxBatches?: number;
}

/** The Ledger contract over PostgreSQL, committing operations asked for together in one transaction. */
export function createLedger(pool: pg.Pool, options: LedgerOptions = {}): Ledger {
  // Callers switch on codes, not on this package's classes.
  const coded = (err: unknown): never => {
    if (err instanceof StaleEpochError)
      throw new StarlaneError("STARLANE_ERR_LEDGER_STALE_EPOCH", "epoch", { cause: err });
    throw err;
  };
  const group = new GroupCommit(pool, options.maxBatches ?? 2, options.maxBatch ?? 64);
  // Validation throws before anything is queued: a bad request is refused as it is.
  const apply = (op: () => Operation) =>
    Promise.resolve()
      .then(() => group.apply(op()))
      .catch(coded);
  return {
    sell: (req) => apply(() => saleOp(req)),
    buy: (req) => apply(() => buyOp(req)),
    trade: (req) => apply(() => tradeOp(req)),
    settled: (key) => settled(pool, key),
  };
}
