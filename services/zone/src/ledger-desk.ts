// A room's dealings with the ledger: sales at a station and trades between two ships of this room.
// The simulation only says a sale is possible and the trade book holds offers; the ledger commits
// (idempotent by key, fenced by the region's epoch, with each ship's hold) and the committed
// balances are then applied to the ships, so a player never sees credits the ledger has not got.
// One operation per ship at a time; a ship with one in flight is not handed off until it settles.
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
import { parties, type TradeBook, type TradeOffer, type TradeTerms } from "./trades.js";

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
  /** First retry delay of a ledger call whose outcome is unknown (store down); doubles each time. */
  retryMs?: number;
  /** After this many unanswered attempts the players are told the ledger is slow (retries go on). */
  attempts?: number;
}

type Kind = "sale" | "purchase" | "trade";

export class LedgerDesk {
  readonly #pending = new Set<string>();
  #closed = false;

  constructor(private readonly o: LedgerDeskOptions) {}

  /** A ledger operation of this ship has not settled yet. */
  busy(playerId: string): boolean {
    return this.#pending.has(playerId);
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
      this.#refuse(playerId, ledger ? "STARLANE_ERR_LEDGER_BUSY" : "STARLANE_ERR_LEDGER_UNAVAILABLE");
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
      this.#refuse(playerId, ledger ? "STARLANE_ERR_LEDGER_BUSY" : "STARLANE_ERR_LEDGER_UNAVAILABLE");
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

  /** A player offers a trade to another ship of this room (terms already checked as input). */
  offer(from: string, terms: TradeTerms): void {
    const o = this.o;
    const ship = o.sim.ships.get(from);
    if (!ship) return;
    if (!o.present(terms.to)) {
      this.#refuse(from, "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY", "to");
      return;
    }
    // Nobody offers what they do not have (the ledger checks again when it commits).
    const short = terms.side === "sell" ? Math.floor(ship.cargo) < terms.ore : Math.floor(ship.credits) < terms.credits;
    if (short) {
      this.#refuse(from, "STARLANE_ERR_LEDGER_INSUFFICIENT", terms.side === "sell" ? "ore" : "credits");
      return;
    }
    const offer = o.book.open(from, terms, o.now());
    if (!offer) {
      this.#refuse(from, "STARLANE_ERR_LEDGER_BUSY");
      return;
    }
    const body = offerBody(offer, o.now());
    o.send(from, ServerMessage.TradeOffered, body);
    o.send(terms.to, ServerMessage.TradeOffered, body);
  }

  /** The offer's addressee accepts: the ledger commits it once (the offer id is the key). */
  accept(by: string, id: string): void {
    const o = this.o;
    const offer = o.book.get(id);
    if (!offer) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_CLOSED", "id");
      return;
    }
    if (offer.to !== by) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", "id");
      return;
    }
    const ledger = o.ledger;
    if (!ledger) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_UNAVAILABLE");
      return;
    }
    if (!o.present(offer.from) || !o.present(offer.to)) {
      this.#close(offer, "cancelled", "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY");
      return;
    }
    if (this.#pending.has(offer.from) || this.#pending.has(offer.to)) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_BUSY");
      return;
    }
    // Closed before the ledger answers: a second accept (a replay, a double click) is "closed".
    o.book.close(offer.id);
    const { buyer, seller } = parties(offer);
    const buyerHold = this.#hold(buyer);
    const sellerHold = this.#hold(seller);
    const req = {
      key: offer.id,
      buyer,
      seller,
      ore: offer.ore,
      credits: offer.credits,
      region: o.region,
      epoch: o.epoch(),
      buyerHold,
      sellerHold,
    };
    const who = [
      { playerId: buyer, hold: buyerHold },
      { playerId: seller, hold: sellerHold },
    ];
    void this.#run("trade", who, () => ledger.trade(req)).then((r) => {
      if (r instanceof StarlaneError) this.#announce(offer, "refused", r.code);
      else this.#announce(offer, "committed");
    });
  }

  /** Either party withdraws the offer. */
  cancel(by: string, id: string): void {
    const offer = this.o.book.get(id);
    if (!offer) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_CLOSED", "id");
      return;
    }
    if (offer.from !== by && offer.to !== by) {
      this.#refuse(by, "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS", "id");
      return;
    }
    this.#close(offer, "cancelled");
  }

  /** Once per tick: offers past their time, or with a party gone (left, handed off), close. */
  sweep(): void {
    const o = this.o;
    const now = o.now();
    for (const offer of [...o.book.all()]) {
      if (offer.expiresAt <= now) this.#close(offer, "expired");
      else if (!o.present(offer.from) || !o.present(offer.to)) {
        this.#close(offer, "cancelled", "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY");
      }
    }
  }

  /** The room is closing: results still arriving are committed in the ledger and shown on the next load. */
  close(): void {
    this.#closed = true;
  }

  #close(offer: TradeOffer, outcome: "cancelled" | "expired", code?: ErrorCode): void {
    this.o.book.close(offer.id);
    this.#announce(offer, outcome, code);
  }

  #announce(offer: TradeOffer, outcome: string, code?: ErrorCode): void {
    const body = { id: offer.id, outcome, ...(code ? { code } : {}) };
    this.o.send(offer.from, ServerMessage.TradeClosed, body);
    this.o.send(offer.to, ServerMessage.TradeClosed, body);
  }

  /**
   * Runs one ledger call for `who` (marked busy until it settles): retried with the same request
   * while its outcome is unknown, the committed balances applied. Resolves to the result, or to the
   * ledger's refusal.
   */
  async #run(
    kind: Kind,
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
          o.metrics.ledger(kind, "committed", seconds());
          for (const b of result.balances) {
            const w = who.find((x) => x.playerId === b.playerId);
            if (w) this.#apply(b, w.hold);
          }
          return result;
        } catch (err) {
          if (err instanceof StarlaneError) {
            o.metrics.ledger(kind, err.code, seconds());
            return err;
          }
          // Unknown outcome (the store did not answer): the same request is safe to send again, and
          // the ships must not move on (handoff, another sale) before we know, or their holds would be wrong.
          if (this.#closed) return new StarlaneError("STARLANE_ERR_LEDGER_UNAVAILABLE");
          if (attempt === (o.attempts ?? 5)) {
            o.log.warn({ err, region: o.region, kind }, "the ledger does not answer");
            o.metrics.ledger(kind, "STARLANE_ERR_LEDGER_UNAVAILABLE", seconds());
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

function offerBody(o: TradeOffer, now: number) {
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
