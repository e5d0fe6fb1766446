// Player-to-player trade offers: the message checks and the book of open offers of one room. Pure
// bookkeeping; the ledger desk (ledger-desk.ts) commits an accepted offer.
import { randomUUID } from "node:crypto";
import { MAX_LEDGER_AMOUNT } from "@starlane/shared";

/** `sell`: the offerer gives `ore` and gets `credits`; `buy`: the offerer pays `credits` for `ore`. */
export interface TradeTerms {
  to: string;
  side: "sell" | "buy";
  ore: number;
  credits: number;
}

export interface TradeOffer extends TradeTerms {
  /** Also the ledger's idempotency key: an offer commits at most once. */
  id: string;
  from: string;
  expiresAt: number;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string };

const whole = (v: unknown, min: number): v is number =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= MAX_LEDGER_AMOUNT;

/** Checks a `tradeOffer` message `{ to, side, ore, credits }` from `from`. */
export function parseTradeOffer(msg: unknown, from: string): Parsed<TradeTerms> {
  if (typeof msg !== "object" || msg === null || Array.isArray(msg) || Object.keys(msg).length > 4) {
    return { ok: false, field: "body" };
  }
  const { to, side, ore, credits } = msg as Record<string, unknown>;
  if (typeof to !== "string" || to.length === 0 || to.length > 128) return { ok: false, field: "to" };
  if (to === from) return { ok: false, field: "to" }; // trading with yourself
  if (side !== "sell" && side !== "buy") return { ok: false, field: "side" };
  if (!whole(ore, 1)) return { ok: false, field: "ore" };
  if (!whole(credits, 0)) return { ok: false, field: "credits" };
  return { ok: true, value: { to, side, ore, credits } };
}

/** Checks a `tradeAccept` / `tradeCancel` message `{ id }`. */
export function parseTradeId(msg: unknown): Parsed<string> {
  const id = (msg as { id?: unknown } | null)?.id;
  if (typeof id !== "string" || id.length === 0 || id.length > 128 || Object.keys(msg as object).length !== 1) {
    return { ok: false, field: "id" };
  }
  return { ok: true, value: id };
}

/** The open offers of one room. Bounded: a player has at most `maxPerPlayer` open offers. */
export class TradeBook {
  readonly #offers = new Map<string, TradeOffer>();

  constructor(
    readonly ttlMs = 30_000,
    readonly maxPerPlayer = 4,
  ) {}

  /** Null when the offerer already has `maxPerPlayer` open offers. */
  open(from: string, terms: TradeTerms, now: number): TradeOffer | null {
    if (this.involving(from).filter((o) => o.from === from).length >= this.maxPerPlayer) return null;
    const offer = { ...terms, id: `trade:${randomUUID()}`, from, expiresAt: now + this.ttlMs };
    this.#offers.set(offer.id, offer);
    return offer;
  }

  get(id: string): TradeOffer | undefined {
    return this.#offers.get(id);
  }

  /** Removes the offer: a later accept or cancel of it is answered "closed". */
  close(id: string): TradeOffer | undefined {
    const o = this.#offers.get(id);
    this.#offers.delete(id);
    return o;
  }

  involving(playerId: string): TradeOffer[] {
    return [...this.#offers.values()].filter((o) => o.from === playerId || o.to === playerId);
  }

  all(): IterableIterator<TradeOffer> {
    return this.#offers.values();
  }

  get size(): number {
    return this.#offers.size;
  }
}

/** Who pays and who delivers the ore. */
export function parties(o: TradeOffer): { buyer: string; seller: string } {
  return o.side === "sell" ? { buyer: o.to, seller: o.from } : { buyer: o.from, seller: o.to };
}
