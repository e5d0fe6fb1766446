// The ledger: the one authority for credits and ore. A zone asks it to sell or trade; the ledger
// commits (once per idempotency key, fenced by the zone's region epoch) and answers the balances the
// zone then shows. Persistence implements it over PostgreSQL (`createLedger(pool)` in
// @starlane/persistence); `MemoryLedger` stands in for it in tests, over a MemoryShipRepository.
import { StarlaneError } from "./protocol.js";
import type { MemoryShipRepository } from "./ships.js";

/** A player sells ore to a station. */
export interface SellOre {
  /** Idempotency key: the same key and request apply once; a retry gets the first answer. */
  key: string;
  playerId: string;
  station: string;
  ore: number;
  pricePerOre: number;
  /** The zone doing it: its region and ownership epoch (fenced like every write). */
  region: string;
  epoch: number;
  /**
   * The zone's hold right now, with the ledgerVersion its state carries. Ore mined since the last
   * committed write-behind entry is not in the store yet; when `ledgerVersion` matches the stored
   * one, the stored cargo is first set to `cargo` (the zone is authoritative for mining).
   */
  hold?: Hold;
}

/** Upgrades a station sells (the zone's rules give each level's price and effect). */
export const UPGRADES = ["hold"] as const;
export type Upgrade = (typeof UPGRADES)[number];

/** A player buys the next level of an upgrade at a station. */
export interface BuyUpgrade {
  key: string;
  playerId: string;
  station: string;
  item: Upgrade;
  /** The level bought: the player must own exactly `level - 1`. */
  level: number;
  price: number;
  region: string;
  epoch: number;
}

/** A party's hold as its zone sees it (see `SellOre.hold`). */
export interface Hold {
  cargo: number;
  ledgerVersion: number;
}

/** `buyer` pays `credits` to `seller` for `ore` units. */
export interface Trade {
  key: string;
  buyer: string;
  seller: string;
  ore: number;
  credits: number;
  region: string;
  epoch: number;
  /** The parties' holds, when the zone asking holds their ships (as for a sale). */
  buyerHold?: Hold;
  sellerHold?: Hold;
}

export interface Balance {
  playerId: string;
  credits: number;
  cargo: number;
  holdLevel: number;
  /** Give this to the ship's saver so later write-behind entries carry the operation. */
  ledgerVersion: number;
}

export interface TradeResult {
  key: string;
  /** True when the key had already been applied: nothing changed, this is the first answer. */
  replayed: boolean;
  balances: Balance[];
}

/**
 * Rejects with a StarlaneError: STARLANE_ERR_VALIDATION (bad request, `field` names it),
 * STARLANE_ERR_LEDGER_INSUFFICIENT, STARLANE_ERR_LEDGER_KEY_REUSED, STARLANE_ERR_LEDGER_STALE_EPOCH;
 * anything else (store down) is a failure whose outcome is unknown: retry with the same key.
 */
export interface Ledger {
  sell(req: SellOre): Promise<TradeResult>;
  /** Refused with STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE when the player does not own exactly `level - 1`. */
  buy(req: BuyUpgrade): Promise<TradeResult>;
  trade(req: Trade): Promise<TradeResult>;
  /**
   * What the operation with idempotency key `key` committed (`replayed: true`), or null when nothing
   * committed under it (yet). For a party that did not make the call: a trade accepted from another
   * room whose answer was lost with the room that made it.
   */
  settled(key: string): Promise<TradeResult | null>;
}

export const MAX_LEDGER_KEY = 128;
export const MAX_LEDGER_AMOUNT = 1e12;

type Request = Record<string, unknown>;

/** Checks text fields and whole amounts (`positive` ones at least 1); throws STARLANE_ERR_VALIDATION naming the field. */
export function checkLedgerRequest(req: Request, text: string[], amounts: string[], positive: string[]): void {
  for (const f of text) {
    const v = req[f];
    if (typeof v !== "string" || v.length === 0 || v.length > MAX_LEDGER_KEY)
      throw new StarlaneError("STARLANE_ERR_VALIDATION", f);
  }
  for (const f of amounts) {
    const v = req[f];
    const min = positive.includes(f) ? 1 : 0;
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > MAX_LEDGER_AMOUNT) {
      throw new StarlaneError("STARLANE_ERR_VALIDATION", f);
    }
  }
}

/** Validates a sale and returns the credits it pays. */
export function checkSale(req: SellOre): number {
  const flat: Request = { ...req, holdCargo: req.hold?.cargo ?? 0, holdLedgerVersion: req.hold?.ledgerVersion ?? 0 };
  checkLedgerRequest(
    flat,
    ["key", "playerId", "station", "region"],
    ["ore", "pricePerOre", "epoch", "holdCargo", "holdLedgerVersion"],
    ["ore", "pricePerOre"],
  );
  if (req.playerId.startsWith("station:")) throw new StarlaneError("STARLANE_ERR_VALIDATION", "playerId");
  const credits = req.ore * req.pricePerOre;
  if (!Number.isSafeInteger(credits) || credits > MAX_LEDGER_AMOUNT)
    throw new StarlaneError("STARLANE_ERR_VALIDATION", "ore");
  return credits;
}

export function checkBuy(req: BuyUpgrade): void {
  checkLedgerRequest({ ...req }, ["key", "playerId", "station", "region"], ["level", "price", "epoch"], ["level"]);
  if (!(UPGRADES as readonly string[]).includes(req.item)) throw new StarlaneError("STARLANE_ERR_VALIDATION", "item");
  if (req.playerId.startsWith("station:")) throw new StarlaneError("STARLANE_ERR_VALIDATION", "playerId");
}

export function checkTrade(req: Trade): void {
  checkLedgerRequest(flattenTrade(req), ["key", "buyer", "seller", "region"], ["ore", "credits", "epoch"], ["ore"]);
  for (const [f, h] of [
    ["buyerHold", req.buyerHold],
    ["sellerHold", req.sellerHold],
  ] as const) {
    if (h === undefined) continue;
    if (
      !Number.isSafeInteger(h?.cargo) ||
      !Number.isSafeInteger(h?.ledgerVersion) ||
      h.cargo < 0 ||
      h.ledgerVersion < 0
    )
      throw new StarlaneError("STARLANE_ERR_VALIDATION", f);
  }
  if (req.buyer === req.seller) throw new StarlaneError("STARLANE_ERR_VALIDATION", "seller");
  if (req.buyer.startsWith("station:") || req.seller.startsWith("station:")) {
    throw new StarlaneError("STARLANE_ERR_VALIDATION", "buyer");
  }
}

/** A trade as flat fields (how its request is stored and compared for idempotency). */
export function flattenTrade(req: Trade): Record<string, string | number> {
  const { buyerHold, sellerHold, ...rest } = req;
  return {
    ...rest,
    ...(buyerHold ? { buyerHoldCargo: buyerHold.cargo, buyerHoldLedgerVersion: buyerHold.ledgerVersion } : {}),
    ...(sellerHold ? { sellerHoldCargo: sellerHold.cargo, sellerHoldLedgerVersion: sellerHold.ledgerVersion } : {}),
  };
}

const sameRequest = (a: Request, b: Request) =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

const flatten = (kind: string, req: Request): Request => {
  const { hold, ...rest } = req as { hold?: { cargo: number; ledgerVersion: number } };
  return hold ? { kind, ...rest, holdCargo: hold.cargo, holdLedgerVersion: hold.ledgerVersion } : { kind, ...rest };
};

/**
 * In-process ledger over a MemoryShipRepository (its stored ships are the accounts). Same rules as
 * the PostgreSQL one: idempotent by key, fenced by region epoch, never negative.
 */
export class MemoryLedger implements Ledger {
  readonly #done = new Map<string, { request: Request; result: Promise<TradeResult> }>();
  readonly #epochs = new Map<string, number>();
  /** Operations apply one after the other, as row locks order them in PostgreSQL (no lost update). */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly ships: MemoryShipRepository) {}

  /** A region changes owner (what RegionFencing.fence does in PostgreSQL): older epochs are refused from now on. */
  fence(region: string, epoch: number): void {
    this.#epochs.set(region, Math.max(this.#epochs.get(region) ?? 0, epoch));
  }

  async sell(req: SellOre): Promise<TradeResult> {
    const credits = checkSale(req);
    return this.#once(req.key, flatten("sell", { ...req }), req, async () => {
      const s = await this.#account(req.playerId);
      if (req.hold && (s.ledgerVersion ?? 0) === req.hold.ledgerVersion) s.cargo = req.hold.cargo;
      if (s.cargo < req.ore) throw new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", "ore");
      s.cargo -= req.ore;
      s.credits += credits;
      return [s];
    });
  }

  async buy(req: BuyUpgrade): Promise<TradeResult> {
    checkBuy(req);
    return this.#once(req.key, flatten("buy", { ...req }), req, async () => {
      const s = await this.#account(req.playerId);
      if ((s.holdLevel ?? 0) !== req.level - 1)
        throw new StarlaneError("STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE", "level");
      if (s.credits < req.price) throw new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", "credits");
      s.credits -= req.price;
      s.holdLevel = req.level;
      return [s];
    });
  }

  async trade(req: Trade): Promise<TradeResult> {
    checkTrade(req);
    return this.#once(req.key, { kind: "trade", ...flattenTrade(req) }, req, async () => {
      const buyer = await this.#account(req.buyer);
      const seller = await this.#account(req.seller);
      if (req.buyerHold && (buyer.ledgerVersion ?? 0) === req.buyerHold.ledgerVersion)
        buyer.cargo = req.buyerHold.cargo;
      if (req.sellerHold && (seller.ledgerVersion ?? 0) === req.sellerHold.ledgerVersion)
        seller.cargo = req.sellerHold.cargo;
      if (buyer.credits < req.credits) throw new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", "credits");
      if (seller.cargo < req.ore) throw new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", "ore");
      buyer.credits -= req.credits;
      buyer.cargo += req.ore;
      seller.credits += req.credits;
      seller.cargo -= req.ore;
      return [buyer, seller];
    });
  }

  async settled(key: string): Promise<TradeResult | null> {
    const prior = this.#done.get(key);
    if (!prior) return null;
    return prior.result.then(
      (r) => ({ ...r, replayed: true }),
      () => null,
    );
  }

  async #account(playerId: string) {
    const s = await this.ships.load(playerId);
    if (!s) throw new StarlaneError("STARLANE_ERR_LEDGER_INSUFFICIENT", "playerId");
    return s;
  }

  async #once(
    key: string,
    request: Request,
    fence: { region: string; epoch: number },
    apply: () => Promise<
      { playerId: string; credits: number; cargo: number; holdLevel?: number; ledgerVersion?: number }[]
    >,
  ): Promise<TradeResult> {
    const prior = this.#done.get(key);
    if (prior) {
      if (!sameRequest(prior.request, request)) throw new StarlaneError("STARLANE_ERR_LEDGER_KEY_REUSED", "key");
      return { ...(await prior.result), replayed: true };
    }
    const result = this.#tail.then(async (): Promise<TradeResult> => {
      const current = this.#epochs.get(fence.region) ?? 0;
      if (fence.epoch < current) throw new StarlaneError("STARLANE_ERR_LEDGER_STALE_EPOCH", "epoch");
      // Accounts are copies until every check passed: all parties change or none.
      const accounts = await apply();
      this.#epochs.set(fence.region, Math.max(current, fence.epoch));
      const balances = accounts.map((s) => {
        const ledgerVersion = (s.ledgerVersion ?? 0) + 1;
        this.ships.put({ ...(s as Parameters<MemoryShipRepository["put"]>[0]), ledgerVersion });
        return { playerId: s.playerId, credits: s.credits, cargo: s.cargo, holdLevel: s.holdLevel ?? 0, ledgerVersion };
      });
      return { key, replayed: false, balances };
    });
    this.#tail = result.catch(() => {});
    // The key is claimed at once, so a concurrent retry waits for this answer; a refusal frees it.
    this.#done.set(key, { request, result });
    result.catch(() => this.#done.delete(key));
    return result;
  }
}
