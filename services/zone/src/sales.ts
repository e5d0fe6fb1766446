// Sales at a station, through the ledger. The simulation only says a sale is possible; the ledger
// commits it (idempotent by key, fenced by the region's epoch) and the committed balances are then
// applied to the ship, so a player never sees credits the ledger has not got. One operation per
// ship at a time; a ship with one in flight is not handed off until it settles.
import { randomUUID } from "node:crypto";
import { type Ledger, type Logger, type SellOre, StarlaneError } from "@starlane/shared";
import type { ZoneMetrics } from "./metrics.js";
import type { SimState } from "./rules/types.js";
import type { ShipSaver } from "./saving.js";

export interface SalesOptions {
  ledger: Ledger | undefined;
  region: string;
  epoch(): number;
  sim: SimState;
  saver: ShipSaver;
  pricePerOre: number;
  metrics: Pick<ZoneMetrics, "ledger">;
  log: Logger;
  /** Tells the ship's player why a sale did not happen. */
  refuse(playerId: string, err: StarlaneError): void;
  /** First retry delay of a ledger call whose outcome is unknown (store down); doubles each time. */
  retryMs?: number;
  /** After this many unanswered attempts the player is told the ledger is slow (retries go on). */
  attempts?: number;
}

export class Sales {
  readonly #pending = new Set<string>();
  #closed = false;

  constructor(private readonly o: SalesOptions) {}

  /** A ledger operation of this ship has not settled yet. */
  busy(playerId: string): boolean {
    return this.#pending.has(playerId);
  }

  /** Asks the ledger to sell `ore` units of the ship's hold at `station`; applies the result when committed. */
  sell(playerId: string, station: string, ore: number): void {
    const o = this.o;
    const ship = o.sim.ships.get(playerId);
    if (!ship) return;
    const refusal = !o.ledger
      ? "STARLANE_ERR_LEDGER_UNAVAILABLE"
      : this.#pending.has(playerId)
        ? "STARLANE_ERR_LEDGER_BUSY"
        : null;
    if (refusal || !o.ledger) {
      o.refuse(playerId, new StarlaneError(refusal ?? "STARLANE_ERR_LEDGER_UNAVAILABLE"));
      return;
    }
    const hold = { cargo: Math.floor(ship.cargo), ledgerVersion: o.saver.ledgerVersion(playerId) };
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
    this.#pending.add(playerId);
    void this.#commit(o.ledger, req).finally(() => this.#pending.delete(playerId));
  }

  /** The room is closing: results still arriving are committed in the ledger and shown on the next load. */
  close(): void {
    this.#closed = true;
  }

  async #commit(ledger: Ledger, req: SellOre): Promise<void> {
    const o = this.o;
    const started = performance.now();
    let delay = o.retryMs ?? 50;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await ledger.sell(req);
        o.metrics.ledger("sale", "committed", (performance.now() - started) / 1000);
        const balance = result.balances.find((b) => b.playerId === req.playerId);
        const ship = o.sim.ships.get(req.playerId);
        // Only onto a ship that does not include it yet (it may have left, or been reloaded since).
        if (!balance || !ship || this.#closed || !o.saver.committed(req.playerId, balance.ledgerVersion)) return;
        // Ore mined while the sale was in flight stays in the hold.
        const minedSince = Math.max(0, ship.cargo - (req.hold?.cargo ?? 0));
        o.sim.ships.set(ship.id, { ...ship, credits: balance.credits, cargo: balance.cargo + minedSince });
        return;
      } catch (err) {
        if (err instanceof StarlaneError) {
          o.metrics.ledger("sale", err.code, (performance.now() - started) / 1000);
          o.refuse(req.playerId, err);
          return;
        }
        // Unknown outcome (the store did not answer): the same key is safe to send again, and the
        // ship must not move on (handoff, another sale) before we know, or its hold would be wrong.
        if (this.#closed) return;
        if (attempt === (o.attempts ?? 5)) {
          o.log.warn({ err, player: req.playerId, region: o.region, key: req.key }, "ledger does not answer a sale");
          o.metrics.ledger("sale", "STARLANE_ERR_LEDGER_UNAVAILABLE", (performance.now() - started) / 1000);
          o.refuse(req.playerId, new StarlaneError("STARLANE_ERR_LEDGER_UNAVAILABLE"));
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 2000);
      }
    }
  }
}
