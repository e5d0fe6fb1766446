// Planned region moves (zonectl move / drain): a failover with nothing lost and no disconnect.
// The order and its states are @starlane/shared's RelocationBoard; this zone plays either side.
//
// Source (the order's `from`): halts the region's room between two ticks (no input applied, no ship
// let in, joins wait), lets offers and ledger calls in flight settle, writes the final snapshot at
// its epoch and says `stopped {epoch, tick}`. It keeps renewing its lease meanwhile, so no takeover
// can see an orphan. Once the target says `adopted`, it forgets the region and sends each player
// its seat there (a `handoff` message, followed by ShipLink as at a border: re-sent inputs above the
// restored `ack` apply once). If the target refuses or never answers, it carries on as before.
//
// Target (the order's `to`): takes the region over from exactly that source and epoch (the
// directory's transfer, a higher epoch, PostgreSQL fenced), restores that very snapshot (same
// epoch and tick) through the takeover path, reserves a seat per restored ship and says `adopted`.
import {
  type Logger,
  type RelocationBoard,
  type RelocationOrder,
  type RelocationState,
  relocationSettled,
} from "@starlane/shared";
import type { RegionRoom } from "./room.js";

/** What the zone server lends the relocator. */
export interface RelocationHost {
  zoneId: string;
  address(): string;
  /** The open room of a region this zone holds. */
  room(region: string): RegionRoom | undefined;
  /** The epoch this zone holds `region` at and may act on (0: not held). */
  epoch(region: string): number;
  /** Takes `region` over from `from`, restores the snapshot taken at `tick` and opens its room. */
  adopt(
    region: string,
    from: { zoneId: string; epoch: number },
    tick: number,
  ): Promise<{ epoch: number; room: RegionRoom }>;
  /** An adoption failed half way: close what opened and give the region back. */
  abandon(region: string): Promise<void>;
  /** The target took `region` (with its own lease): forget it without a loss. */
  surrender(region: string): void;
  /** This zone is draining: it takes no orphaned region over any more. */
  stopTakeover(): void;
}

export interface RelocatorOptions {
  /** How long offers and ledger calls in flight may take to settle before the final snapshot. */
  settleMs?: number;
  /** How long the source waits for the target to start adopting, then for it to finish. */
  answerMs?: number;
  adoptMs?: number;
  /** How often a waiting side announces the order again (the channel is at most once). */
  nudgeMs?: number;
}

export class Relocator {
  /** Regions halted here for a move: their lease loss is the move, not a failure. */
  readonly #halted = new Set<string>();
  /** Order steps being handled (id:side), so a repeated announcement does not start one twice. */
  readonly #busy = new Set<string>();
  #stopWatching: (() => Promise<void>) | undefined;
  #closed = false;
  readonly #o: Required<RelocatorOptions>;

  constructor(
    private readonly board: RelocationBoard,
    private readonly host: RelocationHost,
    private readonly log: Logger,
    options: RelocatorOptions = {},
  ) {
    this.#o = { settleMs: 2000, answerMs: 5000, adoptMs: 20_000, nudgeMs: 300, ...options };
  }

  async start(): Promise<void> {
    this.#stopWatching = await this.board.watch((region) => void this.#changed(region));
  }

  async stop(): Promise<void> {
    this.#closed = true;
    await this.#stopWatching?.();
  }

  /** Whether `region` is halted here for a move (it does not act, and losing its lease is expected). */
  halted(region: string): boolean {
    return this.#halted.has(region);
  }

  async #changed(region: string): Promise<void> {
    if (this.#closed) return;
    const o = await this.board.get(region).catch(() => null);
    if (!o) return;
    const me = this.host.zoneId;
    if (o.from === me && o.state === "ordered") await this.#once(`${o.id}:source`, () => this.#source(o));
    else if (o.to === me && o.state === "stopped") await this.#once(`${o.id}:target`, () => this.#target(o));
  }

  async #once(key: string, f: () => Promise<void>) {
    if (this.#busy.has(key)) return;
    this.#busy.add(key);
    try {
      await f();
    } catch (err) {
      this.log.error({ err }, "relocation step failed");
    } finally {
      // Kept a while: announcements repeat until the order settles.
      setTimeout(() => this.#busy.delete(key), 120_000).unref();
    }
  }

  async #fail(o: RelocationOrder, from: RelocationState, reason: string) {
    this.log.warn({ region: o.region, order: o.id, reason }, "region move failed");
    await this.board.advance(o.region, o.id, from, { state: "failed", reason }).catch(() => false);
  }

  async #source(o: RelocationOrder) {
    const { region } = o;
    if (await this.board.draining(this.host.zoneId)) this.host.stopTakeover();
    const room = this.host.room(region);
    const epoch = this.host.epoch(region);
    if (!room || epoch === 0 || this.#halted.has(region))
      return this.#fail(o, "ordered", `${region} is not held by ${o.from}`);
    const started = performance.now();
    // The halt, at a tick boundary: the room asks `halted` before every tick, join and handoff.
    this.#halted.add(region);
    let state: RelocationState | "settled" = "ordered";
    try {
      if (!(await settled(room, this.#o.settleMs)))
        this.log.warn({ region }, "a handoff or ledger call was still in flight at the final snapshot");
      const snap = await room.finalSnapshot(epoch);
      if (!(await this.board.advance(region, o.id, "ordered", { state: "stopped", epoch, tick: snap.tick })))
        throw new Error("the order was withdrawn");
      state = "stopped";
      this.log.info(
        { region, order: o.id, to: o.to, epoch, tick: snap.tick, ships: snap.ships.length },
        "region stopped for a move",
      );
      let now = await this.#wait(region, o.id, (s) => s !== "stopped", this.#o.answerMs);
      // No answer: withdraw, unless the target started adopting just now (then let it finish).
      if (
        now?.state === "stopped" &&
        (await this.board.advance(region, o.id, "stopped", { state: "failed", reason: `${o.to} did not answer` }))
      )
        now = await this.board.get(region);
      if (now?.state === "adopting") now = await this.#wait(region, o.id, (s) => s !== "adopting", this.#o.adoptMs);
      if (now?.id !== o.id || now.state !== "adopted" || !now.seats || !now.address) {
        state = "settled";
        throw new Error(now?.id === o.id ? (now.reason ?? `the target ended in ${now.state}`) : "the order vanished");
      }
      // The target holds the region under a newer epoch: forget it here, then send the players over.
      this.host.surrender(region);
      this.#halted.delete(region);
      const players = room.handOut(now.seats, now.address);
      await this.board.advance(region, o.id, "adopted", { state: "done", players });
      this.log.info(
        { region, order: o.id, to: o.to, players, ms: Math.round(performance.now() - started) },
        "region moved",
      );
    } catch (err) {
      if (state !== "settled") await this.#fail(o, state, (err as Error).message);
      this.#halted.delete(region);
      // Still ours (the lease never lapsed): carry on. Otherwise someone else holds it now: its
      // players go back through world entry (4106), the region restored from the final snapshot.
      if (this.host.epoch(region) !== epoch) room.fence();
    }
  }

  async #target(o: RelocationOrder) {
    const { region } = o;
    if (await this.board.draining(this.host.zoneId)) return this.#fail(o, "stopped", `${o.to} is draining`);
    if (!(await this.board.advance(region, o.id, "stopped", { state: "adopting" }))) return;
    try {
      const { epoch, room } = await this.host.adopt(region, { zoneId: o.from, epoch: o.epoch ?? 0 }, o.tick ?? -1);
      const seats = await room.seatsForRestored();
      const patch = { state: "adopted" as const, newEpoch: epoch, address: this.host.address(), seats };
      if (!(await this.board.advance(region, o.id, "adopting", patch))) throw new Error("the order changed meanwhile");
      this.log.info({ region, order: o.id, from: o.from, epoch, seats: Object.keys(seats).length }, "region adopted");
    } catch (err) {
      await this.host.abandon(region).catch(() => {});
      await this.#fail(o, "adopting", (err as Error).message);
    }
  }

  /** Waits until the order's state passes `done` (or it is gone, or `ms` passed), announcing it meanwhile. */
  async #wait(region: string, id: string, done: (s: RelocationState) => boolean, ms: number) {
    const deadline = Date.now() + ms;
    let nudged = Date.now();
    for (;;) {
      const o = await this.board.get(region);
      if (!o || o.id !== id || done(o.state) || relocationSettled(o.state) || Date.now() > deadline) return o;
      if (Date.now() - nudged > this.#o.nudgeMs) {
        nudged = Date.now();
        await this.board.announce(region).catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** The room's offers in flight and ledger calls settled (or `ms` passed): resolves whether they did. */
async function settled(room: RegionRoom, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ids = [...room.sim.ships.keys()];
    if (!ids.some((id) => room.handingOff(id) || room.busy(id))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
