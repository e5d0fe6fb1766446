// A room's dealings with the ledger: sales at a station and trades between two ships, of this room
// or of any other (in this zone process or another one). The simulation only says a sale is
// possible and the trade book holds offers; the ledger commits (idempotent by key, fenced by the
// region's epoch, with each ship's hold) and the committed balances are then applied to the ships,
// so a player never sees credits the ledger has not got. One operation per ship at a time; a ship
// with one in flight is not handed off until it settles.
//
// Across rooms: an offer is kept and committed by its offerer's room (its home, named in its id).
// The addressee's room shows it to its player and forwards the accept (with the addressee's hold)
// or the decline to the home room, which commits with both holds and answers the balances; each
// room applies its own ship's. Both ships stay busy (not handed off) until the answer is in.
import { randomUUID } from "node:crypto";
import {
  type Balance,
  type BuyUpgrade,
  type ErrorCode,
  type Hold,
  type Ledger,
  type Logger,
  type SellOre,
  ServerMessage,
  StarlaneError,
  type TradeResult,
  type Upgrade,
} from "@starlane/shared";
import type { ZoneMetrics } from "./metrics.js";
import type { SimState } from "./rules/types.js";
import type { ShipSaver } from "./saving.js";
import {
  type ClosedBody,
  homeOf,
  type OfferBody,
  parseTradeCall,
  parties,
  type TradeAnswer,
  type TradeBook,
  type TradeCall,
  type TradeOffer,
  type TradeTerms,
} from "./trades.js";

export interface LedgerDeskOptions {
  ledger: Ledger | undefined;
  region: string;
  epoch(): number;
  sim: SimState;
  saver: ShipSaver;
  book: TradeBook;
  pricePerOre: number;
  metrics: Pick<ZoneMetrics, "ledger">;
  log: Logger;
  /** Sends a message to a ship's player, if seated here. */
  send(playerId: string, type: string, body: unknown): void;
  /** The ship is here, its player seated, and it is not being handed off. */
  present(playerId: string): boolean;
  now(): number;
  /** The room that owns a player's ship now (ownership record), or null when none does. */
  locate(playerId: string): Promise<string | null>;
  /** Calls another room's desk (RegionRoom.trade); rejects when it does not answer within `ms`. */
  call(roomId: string, call: TradeCall, ms: number): Promise<TradeAnswer>;
  /** Whether some zone holds a live lease on the region (room id). */
  regionLive(roomId: string): Promise<boolean>;
  /** Deadline of one call to another room (default 3 s). */
  callMs?: number;
  /** First retry delay of a ledger call whose outcome is unknown (store down); doubles each time. */
  retryMs?: number;
  /** After this many unanswered attempts the players are told the ledger is slow (retries go on). */
  attempts?: number;
}

type Kind = "sale" | "purchase" | "trade";

/** How long a home room remembers an accepted offer's answer for retried accepts. */
const SETTLED_MS = 60_000;

export class LedgerDesk {
  readonly #pending = new Set<string>();
  /** Offers accepted from another room: the accept's token and its answer (a retry gets it again). */
  readonly #settled = new Map<string, { token: string; answer: Promise<TradeAnswer>; until: number }>();
  /** Offers of other rooms shown to players here: when one leaves or moves on, the home is told. */
  readonly #shown = new Map<string, { to: string; home: string; until: number }>();
  #closed = false;

  constructor(private readonly o: LedgerDeskOptions) {}

  /** A ledger operation of this ship has not settled yet. */
  busy(playerId: string): boolean {
    return this.#pending.has(playerId);
  }

  /** A refusal before the ledger was asked (busy, closed, not yours, partner away...): counted, then told. */
  #refused(kind: Kind, playerId: string, code: ErrorCode, field?: string): void {
    this.o.metrics.ledger(kind, code, 0);
    this.#refuse(playerId, code, field);
  }

  #refuse(playerId: string, code: ErrorCode, field?: string): void {
    this.o.send(playerId, ServerMessage.Error, new StarlaneError(code, field).toBody());
  }

  #hold(playerId: string): Hold {
    const ship = this.o.sim.ships.get(playerId)!;
    return { cargo: Math.floor(ship.cargo), ledgerVersion: this.o.saver.ledgerVersion(playerId) };
  }

  /** Asks the ledger to sell `ore` units of the ship's hold at `station`; applies the result when committed. */
  sell(playerId: string, station: string, ore: number): void {
    const o = this.o;
    if (!o.sim.ships.has(playerId)) return;
    const ledger = o.ledger;
    if (!ledger || this.#pending.has(playerId)) {
      this.#refused("sale", playerId, ledger ? "STARLANE_ERR_LEDGER_BUSY" : "STARLANE_ERR_LEDGER_UNAVAILABLE");
      return;
    }
    const hold = this.#hold(playerId);
    const req: SellOre = {
      key: `sale:${randomUUID()}`,
      playerId,
      station: `${o.region}/${station}`,
      ore,
      pricePerOre: o.pricePerOre,
      region: o.region,
      epoch: o.epoch(),
      hold,
    };
    void this.#run("sale", [{ playerId, hold }], () => ledger.sell(req)).then((r) => {
      if (r instanceof StarlaneError) this.#refuse(playerId, r.code, r.field);
    });
  }

  /** Asks the ledger to sell the ship the next level of an upgrade; applies the result when committed. */
  buy(playerId: string, purchase: { station: string; item: Upgrade; level: number; price: number }): void {
    const o = this.o;
    if (!o.sim.ships.has(playerId)) return;
    const ledger = o.ledger;
    if (!ledger || this.#pending.has(playerId)) {
      this.#refused("purchase", playerId, ledger ? "STARLANE_ERR_LEDGER_BUSY" : "STARLANE_ERR_LEDGER_UNAVAILABLE");
      return;
    }
    const req: BuyUpgrade = {
      key: `buy:${randomUUID()}`,
      playerId,
      station: `${o.region}/${purchase.station}`,
      item: purchase.item,
      level: purchase.level,
      price: purchase.price,
      region: o.region,
      epoch: o.epoch(),
    };
    void this.#run("purchase", [{ playerId, hold: this.#hold(playerId) }], () => ledger.buy(req)).then((r) => {
      if (r instanceof StarlaneError) this.#refuse(playerId, r.code, r.field);
    });
  }

  /** A player offers a trade to another ship, in this room or another (terms already checked as input). */
  offer(from: string, terms: TradeTerms) {
    const o = this.o;
    const ship = o.sim.ships.get(from);
    if (!ship) return;
    // Nobody offers what they do not have (the ledger checks again when it commits).
    const short = terms.side === "sell" ? Math.floor(ship.cargo) < terms.ore : Math.floor(ship.credits) < terms.credits;
    if (short) {
      this.#refused("trade", from, "STARLANE_ERR_LEDGER_INSUFFICIENT", terms.side === "sell" ? "ore" : "credits");
      return;
    }
    if (o.present(terms.to)) {
      const offer = o.book.open(from, terms, o.region, o.now());
      if (!offer) return this.#refused("trade", from, "STARLANE_ERR_LEDGER_BUSY");
      const body = offerBody(offer, o.now());
      o.send(from, ServerMessage.TradeOffered, body);
      o.send(terms.to, ServerMessage.TradeOffered, body);
      return;
    }
    void this.#offerAway(from, terms);
  }

  /** The addressee is not here: find its room and show the offer there. */
  async #offerAway(from: string, terms: TradeTerms): Promise<void> {
    const o = this.o;
    const away = () => this.#refused("trade", from, "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", "to");
    const room = await o.locate(terms.to).catch(() => null);
    if (!room || room === o.region || !o.present(from)) return away();
    const offer = o.book.open(from, terms, room, o.now());
    if (!offer) return this.#refused("trade", from, "STARLANE_ERR_LEDGER_BUSY");
    const body = offerBody(offer, o.now());
    const shown = await o.call(room, { kind: "offered", offer: body }, this.#callMs).catch(() => null);
    if (!shown?.ok) {
      // Not shown (the partner left or moved meanwhile, or its room did not answer): no offer.
      o.book.close(offer.id);
      return away();
    }
    if (o.book.get(offer.id)) o.send(from, ServerMessage.TradeOffered, body);
  }

  get #callMs(): number {
    return this.o.callMs ?? 3000;
  }

  /** The offer's addressee accepts: the ledger commits it once (the offer id is the key). */
  accept(by: string, id: string) {
    const o = this.o;
    const offer = o.book.get(id);
    const home = homeOf(id);
    if (!offer && home && home !== o.region) return this.#acceptAway(by, id, home);
    if (!offer) return this.#refused("trade", by, "STARLANE_ERR_LEDGER_TRADE_CLOSED", "id");
    if (offer.to !== by) return this.#refused("trade", by, "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", "id");
    const a = this.#commit(offer, o.region, () => this.#hold(by));
    // Here both players are told by the announcement; only a refusal that keeps the offer open is an error.
    void a.then((r) => {
      if (!r.ok && !r.closed) this.#refused("trade", by, r.code, r.field);
    });
  }

  /** Accepting an offer kept by another room: forwarded there with this ship's hold. */
  #acceptAway(by: string, id: string, home: string) {
    const o = this.o;
    const ledger = o.ledger;
    if (!o.sim.ships.has(by)) return;
    if (!ledger) return this.#refused("trade", by, "STARLANE_ERR_LEDGER_UNAVAILABLE");
    if (this.#pending.has(by)) return this.#refused("trade", by, "STARLANE_ERR_LEDGER_BUSY");
    const hold = this.#hold(by);
    const call: TradeCall = { kind: "accept", id, by, room: o.region, hold, token: randomUUID() };
    if (this.#shown.get(id)?.to === by) this.#shown.delete(id);
    // The same call (same token) until the home room answers: it commits once and answers again. A
    // home no zone holds (gone, or never was) keeps no offers: closed.
    const gone: TradeAnswer = { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_CLOSED", field: "id" };
    void this.#run(null, [{ playerId: by, hold }], async () => {
      const answer = !(await o.regionLive(home))
        ? gone
        : await o.call(home, call, this.#callMs).catch(async (err) => {
            if (!(await o.regionLive(home))) return gone;
            throw err;
          });
      if (answer.ok && answer.result) return answer.result;
      if (answer.ok) throw new Error("malformed answer");
      if (answer.code === "STARLANE_ERR_LEDGER_TRADE_CLOSED") {
        // Committed, and its answer lost with the home room (it stopped, or restarted without it)?
        // The ledger knows; shown unless this ship already shows it (then this is a replayed accept).
        const result = await ledger.settled(id);
        const mine = result?.balances.find((b) => b.playerId === by);
        if (result && mine && mine.ledgerVersion > o.saver.ledgerVersion(by)) return result;
      }
      throw Object.assign(new StarlaneError(answer.code, answer.field), { closed: answer.closed });
    }).then((r) => {
      if (!(r instanceof StarlaneError)) return this.#tell(by, { id, outcome: "committed" });
      const closed = (r as StarlaneError & { closed?: ClosedBody["outcome"] }).closed;
      if (closed) this.#tell(by, { id, outcome: closed, code: r.code });
      else this.#refused("trade", by, r.code, r.field);
    });
  }

  /**
   * Commits `offer` (kept here) accepted by its addressee from room `room`, whose hold `hold()` gives;
   * resolves the answer. `closed` in a refusal: the offer closed. The parties seated here are told;
   * an addressee in another room is told by its room, from the answer.
   */
  #commit(offer: TradeOffer, room: string, addresseeHold: () => Hold): Promise<TradeAnswer> {
    const o = this.o;
    const refuse = (code: ErrorCode, field?: string): Promise<TradeAnswer> =>
      Promise.resolve({ ok: false, code, ...(field ? { field } : {}) });
    const ledger = o.ledger;
    if (!ledger) return refuse("STARLANE_ERR_LEDGER_UNAVAILABLE");
    const local = room === o.region;
    // The addressee moved since the offer (or the offerer did): the offer is cancelled.
    if (room !== offer.toRoom || !o.present(offer.from) || (local && !o.present(offer.to))) {
      o.metrics.ledger("trade", "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", 0);
      this.#close(offer, "cancelled", "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", false);
      return Promise.resolve({ ok: false, code: "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", closed: "cancelled" });
    }
    if (this.#pending.has(offer.from) || (local && this.#pending.has(offer.to)))
      return refuse("STARLANE_ERR_LEDGER_BUSY");
    // Closed before the ledger answers: a second accept (a replay, a double click, a racing room) is "closed".
    o.book.close(offer.id);
    const { buyer, seller } = parties(offer);
    const offererHold = this.#hold(offer.from);
    const hold = addresseeHold();
    const holdOf = (p: string) => (p === offer.from ? offererHold : hold);
    const req = {
      key: offer.id,
      buyer,
      seller,
      ore: offer.ore,
      credits: offer.credits,
      region: o.region,
      epoch: o.epoch(),
      buyerHold: holdOf(buyer),
      sellerHold: holdOf(seller),
    };
    // Only ships of this room are marked busy and shown the result here; the addressee's room does its own.
    const who = [{ playerId: offer.from, hold: offererHold }, ...(local ? [{ playerId: offer.to, hold }] : [])];
    return this.#run("trade", who, () => ledger.trade(req)).then((r): TradeAnswer => {
      if (r instanceof StarlaneError) {
        this.#announce(offer, { id: offer.id, outcome: "refused", code: r.code }, false);
        return { ok: false, code: r.code, ...(r.field ? { field: r.field } : {}), closed: "refused" };
      }
      this.#announce(offer, { id: offer.id, outcome: "committed" }, false);
      return { ok: true, result: r };
    });
  }

  /** Either party withdraws the offer (the addressee possibly from another room). */
  cancel(by: string, id: string) {
    const o = this.o;
    const offer = o.book.get(id);
    const home = homeOf(id);
    if (!offer && home && home !== o.region) {
      if (this.#shown.get(id)?.to === by) this.#shown.delete(id);
      void o
        .call(home, { kind: "cancel", id, by, room: o.region }, this.#callMs)
        .catch((): TradeAnswer => ({ ok: false, code: "STARLANE_ERR_LEDGER_UNAVAILABLE" }))
        .then((a) => {
          if (a.ok) this.#tell(by, { id, outcome: "cancelled" });
          else this.#refuse(by, a.code, a.field);
        });
      return;
    }
    if (!offer) return this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_CLOSED", "id");
    if (offer.from !== by && offer.to !== by) return this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", "id");
    this.#close(offer, "cancelled", undefined, true);
  }

  /** Another room's call on this desk (RegionRoom.trade); checked like input, never throws. */
  async remote(raw: unknown): Promise<TradeAnswer> {
    const o = this.o;
    const c = parseTradeCall(raw);
    if (!c) return { ok: false, code: "STARLANE_ERR_INVALID_INPUT" };
    switch (c.kind) {
      case "offered":
        if (!o.present(c.offer.to) || homeOf(c.offer.id) === null) {
          return { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY" };
        }
        o.send(c.offer.to, ServerMessage.TradeOffered, c.offer);
        this.#shown.set(c.offer.id, {
          to: c.offer.to,
          home: homeOf(c.offer.id)!,
          until: o.now() + c.offer.expiresInMs,
        });
        return { ok: true };
      case "closed":
        this.#shown.delete(c.body.id);
        this.#tell(c.to, c.body);
        return { ok: true };
      case "cancel": {
        const offer = o.book.get(c.id);
        if (!offer) return { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_CLOSED", field: "id" };
        if (offer.to !== c.by) return { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", field: "id" };
        this.#close(offer, "cancelled", c.away ? "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY" : undefined, false);
        return { ok: true };
      }
      case "accept": {
        this.#forget();
        const prior = this.#settled.get(c.id);
        if (prior) {
          return prior.token === c.token
            ? prior.answer
            : { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_CLOSED", field: "id" };
        }
        const offer = o.book.get(c.id);
        if (!offer) return { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_CLOSED", field: "id" };
        if (offer.to !== c.by) return { ok: false, code: "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", field: "id" };
        if (c.room === o.region) return { ok: false, code: "STARLANE_ERR_INVALID_INPUT", field: "room" };
        const answer = this.#commit(offer, c.room, () => c.hold);
        // Remembered only once the offer is being committed (closed): a refusal that keeps it open is not.
        if (!o.book.get(c.id)) this.#settled.set(c.id, { token: c.token, answer, until: o.now() + SETTLED_MS });
        return answer;
      }
    }
  }

  #forget(): void {
    const now = this.o.now();
    for (const [id, s] of this.#settled) if (s.until <= now) this.#settled.delete(id);
  }

  /** Once per tick: offers past their time, or with a party gone from here (left, handed off), close. */
  sweep(): void {
    const o = this.o;
    const now = o.now();
    for (const offer of [...o.book.all()]) {
      const remote = offer.toRoom !== o.region;
      if (offer.expiresAt <= now) this.#close(offer, "expired", undefined, true);
      // An addressee in another room is checked when it accepts (it must still be in offer.toRoom).
      else if (!o.present(offer.from) || (!remote && !o.present(offer.to))) {
        this.#close(offer, "cancelled", "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", true);
      }
    }
    this.#forget();
    for (const [id, s] of this.#shown) {
      if (s.until <= now) this.#shown.delete(id);
      else if (!o.present(s.to) && !this.#pending.has(s.to)) {
        // Our player left or is flying on: its offers elsewhere cannot be accepted from here any more.
        this.#shown.delete(id);
        const call: TradeCall = { kind: "cancel", id, by: s.to, room: o.region, away: true };
        void o.call(s.home, call, this.#callMs).catch(() => {});
      }
    }
  }

  /** The room is closing: results still arriving are committed in the ledger and shown on the next load. */
  close(): void {
    this.#closed = true;
  }

  #close(offer: TradeOffer, outcome: "cancelled" | "expired", code: ErrorCode | undefined, remote: boolean): void {
    this.o.book.close(offer.id);
    this.#announce(offer, { id: offer.id, outcome, ...(code ? { code } : {}) }, remote);
  }

  /**
   * The parties seated here are told; with `remote`, an addressee offered in another room is told
   * through that room (without: the room that called us tells it from our answer).
   */
  #announce(offer: TradeOffer, body: ClosedBody, remote: boolean): void {
    this.#tell(offer.from, body);
    this.#tell(offer.to, body);
    if (!remote || offer.toRoom === this.o.region) return;
    // Best effort, like any message to a player: the offer is closed here whatever happens to this.
    void this.o.call(offer.toRoom, { kind: "closed", to: offer.to, body }, this.#callMs).catch(() => {});
  }

  #tell(playerId: string, body: ClosedBody): void {
    this.o.send(playerId, ServerMessage.TradeClosed, body);
  }

  /**
   * Runs one ledger call for `who` (marked busy until it settles): retried with the same request
   * while its outcome is unknown, the committed balances applied. Resolves to the result, or to the
   * ledger's refusal.
   */
  async #run(
    /** Null: not counted here (an accept forwarded to the offer's room, which counts it). */
    kind: Kind | null,
    who: { playerId: string; hold: Hold }[],
    call: () => Promise<TradeResult>,
  ): Promise<TradeResult | StarlaneError> {
    const o = this.o;
    for (const w of who) this.#pending.add(w.playerId);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    let delay = o.retryMs ?? 50;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await call();
          if (kind) o.metrics.ledger(kind, "committed", seconds());
          for (const b of result.balances) {
            const w = who.find((x) => x.playerId === b.playerId);
            if (w) this.#apply(b, w.hold);
          }
          return result;
        } catch (err) {
          if (err instanceof StarlaneError) {
            if (kind) o.metrics.ledger(kind, err.code, seconds());
            return err;
          }
          // Unknown outcome (the store did not answer): the same request is safe to send again, and
          // the ships must not move on (handoff, another sale) before we know, or their holds would be wrong.
          if (this.#closed) return new StarlaneError("STARLANE_ERR_LEDGER_UNAVAILABLE");
          if (attempt === (o.attempts ?? 5)) {
            o.log.warn({ err, region: o.region, kind }, "the ledger does not answer");
            if (kind) o.metrics.ledger(kind, "STARLANE_ERR_LEDGER_UNAVAILABLE", seconds());
            for (const w of who) this.#refuse(w.playerId, "STARLANE_ERR_LEDGER_UNAVAILABLE");
          }
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, 2000);
        }
      }
    } finally {
      for (const w of who) this.#pending.delete(w.playerId);
    }
  }

  /** Onto a ship that does not include it yet (it may have left, or been reloaded since). */
  #apply(b: Balance, hold: Hold): void {
    const o = this.o;
    const ship = o.sim.ships.get(b.playerId);
    if (!ship || this.#closed || !o.saver.committed(b.playerId, b.ledgerVersion)) return;
    // Ore mined while the call was in flight stays in the hold.
    const minedSince = Math.max(0, ship.cargo - hold.cargo);
    o.sim.ships.set(ship.id, { ...ship, credits: b.credits, cargo: b.cargo + minedSince, holdLevel: b.holdLevel });
  }
}

function offerBody(o: TradeOffer, now: number): OfferBody {
  return {
    id: o.id,
    from: o.from,
    to: o.to,
    side: o.side,
    ore: o.ore,
    credits: o.credits,
    expiresInMs: Math.max(0, o.expiresAt - now),
  };
}
