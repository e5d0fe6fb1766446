// Player-to-player trade offers: the message checks and the book of open offers of one room. Pure
// bookkeeping; the ledger desk (ledger-desk.ts) commits an accepted offer. An offer lives in its
// offerer's room (its "home", named in its id), wherever the addressee is: rooms reach each other's
// offers through the calls below (a room method, over Colyseus presence across zone processes).
import { randomUUID } from "node:crypto";
import {
  ClientMessage,
  type ErrorCode,
  ErrorCode as ErrorCodes,
  type Hold,
  MAX_LEDGER_AMOUNT,
  parseRegionRoomId,
  type TradeResult,
} from "@starlane/shared";

/** `sell`: the offerer gives `ore` and gets `credits`; `buy`: the offerer pays `credits` for `ore`. */
export interface TradeTerms {
  to: string;
  side: "sell" | "buy";
  ore: number;
  credits: number;
}

export interface TradeOffer extends TradeTerms {
  /** `trade:<home room id>:<uuid>`. Also the ledger's idempotency key: an offer commits at most once. */
  id: string;
  from: string;
  /** The room the addressee was in when offered: an accept from any other room is "partner away". */
  toRoom: string;
  expiresAt: number;
}

/** The home room named in an offer id (where the offer is kept), or null for an id no room made. */
export function homeOf(id: string): string | null {
  const m = /^trade:(region-\d+-\d+):[0-9a-f-]{36}$/.exec(id);
  return m && parseRegionRoomId(m[1]!) ? m[1]! : null;
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

/** What takes the trade messages: the room's ledger desk. */
export interface TradeDesk {
  offer(from: string, terms: TradeTerms): unknown;
  accept(by: string, id: string): unknown;
  cancel(by: string, id: string): unknown;
}

/** Hands `from`'s trade message (offer, accept or cancel) to the desk; the bad field if it is malformed, else null. */
export function tradeMessage(desk: TradeDesk, type: string, from: string, msg: unknown): string | null {
  if (type === ClientMessage.TradeOffer) {
    const v = parseTradeOffer(msg, from);
    if (!v.ok) return v.field;
    desk.offer(from, v.value);
    return null;
  }
  const v = parseTradeId(msg);
  if (!v.ok) return v.field;
  if (type === ClientMessage.TradeAccept) desk.accept(from, v.value);
  else desk.cancel(from, v.value);
  return null;
}

/** The open offers of one room. Bounded: a player has at most `maxPerPlayer` open offers. */
export class TradeBook {
  readonly #offers = new Map<string, TradeOffer>();

  constructor(
    /** The room keeping this book (named in every offer id). */
    readonly home: string,
    readonly ttlMs = 30_000,
    readonly maxPerPlayer = 4,
  ) {}

  /** Null when the offerer already has `maxPerPlayer` open offers. */
  open(from: string, terms: TradeTerms, toRoom: string, now: number): TradeOffer | null {
    if (this.involving(from).filter((o) => o.from === from).length >= this.maxPerPlayer) return null;
    const offer = { ...terms, id: `trade:${this.home}:${randomUUID()}`, from, toRoom, expiresAt: now + this.ttlMs };
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

/** What a client sees of an offer (`tradeOffered`). */
export interface OfferBody {
  id: string;
  from: string;
  to: string;
  side: "sell" | "buy";
  ore: number;
  credits: number;
  expiresInMs: number;
}

/**
 * A room's call on another room's trade desk (RegionRoom.trade). It crosses the presence bus, so
 * the callee checks it like input (parseTradeCall):
 * - `offered`: show this offer to its addressee, who should be in the callee's room;
 * - `accept`: the addressee, in room `room` with hold `hold`, accepts an offer kept by the callee.
 *   `token` names this accept: a retry of it (same token) gets the same answer, any other accept
 *   of an offer already being committed gets STARLANE_ERR_LEDGER_TRADE_CLOSED;
 * - `cancel`: the addressee, in room `room`, declines an offer kept by the callee (`away`: the
 *   addressee's room says its player left or moved on: cancelled with PARTNER_AWAY);
 * - `closed`: tell the party `to` (in the callee's room) an offer closed.
 */
export type TradeCall =
  | { kind: "offered"; offer: OfferBody }
  | { kind: "accept"; id: string; by: string; room: string; hold: Hold; token: string }
  | { kind: "cancel"; id: string; by: string; room: string; away?: boolean }
  | { kind: "closed"; to: string; body: ClosedBody };

export interface ClosedBody {
  id: string;
  outcome: "committed" | "refused" | "cancelled" | "expired";
  code?: ErrorCode;
}

/** The callee's answer. `closed`: the offer closed with this outcome (else it stays open, or never was). */
export type TradeAnswer =
  | { ok: true; result?: TradeResult }
  | { ok: false; code: ErrorCode; field?: string; closed?: ClosedBody["outcome"] };

const text = (v: unknown): v is string => typeof v === "string" && v.length > 0 && v.length <= 160;
const OUTCOMES = ["committed", "refused", "cancelled", "expired"];

/** Checks a TradeCall that came from another room; null when malformed. */
export function parseTradeCall(c: unknown): TradeCall | null {
  const m = c as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null) return null;
  switch (m.kind) {
    case "offered": {
      const o = m.offer as Record<string, unknown> | null;
      if (typeof o !== "object" || o === null || !text(o.id) || !text(o.from) || !text(o.to)) return null;
      if ((o.side !== "sell" && o.side !== "buy") || !whole(o.ore, 1) || !whole(o.credits, 0)) return null;
      if (!whole(o.expiresInMs, 0)) return null;
      const { id, from, to, side, ore, credits, expiresInMs } = o as unknown as OfferBody;
      return { kind: "offered", offer: { id, from, to, side, ore, credits, expiresInMs } };
    }
    case "accept": {
      const h = m.hold as Record<string, unknown> | null;
      if (!text(m.id) || !text(m.by) || !text(m.room) || !text(m.token)) return null;
      if (typeof h !== "object" || h === null || !whole(h.cargo, 0) || !whole(h.ledgerVersion, 0)) return null;
      return {
        kind: "accept",
        id: m.id,
        by: m.by,
        room: m.room,
        token: m.token,
        hold: { cargo: h.cargo as number, ledgerVersion: h.ledgerVersion as number },
      };
    }
    case "cancel":
      if (!text(m.id) || !text(m.by) || !text(m.room)) return null;
      return { kind: "cancel", id: m.id, by: m.by, room: m.room, ...(m.away === true ? { away: true } : {}) };
    case "closed": {
      const b = m.body as Record<string, unknown> | null;
      if (!text(m.to) || typeof b !== "object" || b === null || !text(b.id)) return null;
      if (!OUTCOMES.includes(b.outcome as string)) return null;
      if (b.code !== undefined && !(typeof b.code === "string" && Object.hasOwn(ErrorCodes, b.code))) return null;
      const body = { id: b.id, outcome: b.outcome, ...(b.code ? { code: b.code } : {}) } as ClosedBody;
      return { kind: "closed", to: m.to, body };
    }
    default:
      return null;
  }
}
