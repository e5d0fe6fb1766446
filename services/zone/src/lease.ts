// The regions this zone holds: claimed in the RegionDirectory with a lease, renewed every renew
// interval. The zone fences itself: it acts on a region (ticks, writes, hands off, snapshots) only
// while less than `actForMs` has passed, on its own monotonic clock, since the last successful
// renewal was *sent*. The directory extended the lease no earlier than that send, so the lease
// cannot have expired before the zone stops. A process that was frozen (SIGSTOP, a long GC, a VM
// pause) finds the time gone when it wakes and drops its regions before doing anything else;
// wall-clock jumps do not matter. A renewal refused (someone else holds the region) drops it at once.
import type { Logger, RegionDirectory, ZoneIdentity } from "@starlane/shared";
import type { LeaseTiming } from "./config.js";

export interface Held {
  region: string;
  epoch: number;
  /** Monotonic ms (performance.now()) when the last renewal the directory confirmed was sent. */
  sentAt: number;
}

export type LossReason = "refused" | "fenced";

export interface LeaseEvents {
  renewal(outcome: "ok" | "refused" | "error"): void;
  /** A held region was dropped: its room must stop at once (closing its clients with 4106). */
  lost(region: string, reason: LossReason): void;
}

export class Leases {
  readonly #held = new Map<string, Held>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;
  /** Regions whose renewal is on its way (at most one each). */
  readonly #inFlight = new Set<Held>();
  readonly #now: () => number;

  constructor(
    private readonly directory: RegionDirectory,
    private readonly zone: ZoneIdentity,
    private readonly timing: Pick<LeaseTiming, "ttlMs" | "renewMs" | "actForMs">,
    private readonly log: Logger,
    private readonly events: LeaseEvents,
    /** Monotonic milliseconds; injectable so tests can freeze or jump time. */
    now: () => number = () => performance.now(),
  ) {
    this.#now = now;
  }

  /** Tries to claim `region`; the holding when it is now ours, null when another zone holds it. */
  async claim(region: string, floor = 0): Promise<Held | null> {
    const sentAt = this.#now();
    const owner = await this.directory.claim(region, this.zone, this.timing.ttlMs, floor);
    if (!owner) return null;
    const held = { region, epoch: owner.epoch, sentAt };
    this.#held.set(region, held);
    // A claim that took longer than the fence allows is dropped on the spot (acting() says so).
    return this.acting(region) ? held : null;
  }

  /**
   * A planned move: takes `region` over from its live owner `from` (zone and epoch) under a new
   * epoch above `floor` (RegionDirectory.transfer). Null when the region is no longer exactly that.
   */
  async claimFrom(region: string, from: { zoneId: string; epoch: number }, floor = 0): Promise<Held | null> {
    if (!this.directory.transfer) return null;
    const sentAt = this.#now();
    const owner = await this.directory.transfer(region, from, this.zone, this.timing.ttlMs, floor);
    if (!owner) return null;
    const held = { region, epoch: owner.epoch, sentAt };
    this.#held.set(region, held);
    return this.acting(region) ? held : null;
  }

  /**
   * A planned move handed `region` to another zone (which took it over with a new epoch): forget it
   * without a loss event and without releasing (the lease is the new owner's now).
   */
  surrender(region: string): void {
    this.#held.delete(region);
  }

  held(): Held[] {
    return [...this.#held.values()];
  }

  /**
   * Whether this zone may act on `region` right now. Checked by every tick, save and snapshot: past
   * the fence deadline it drops the region (and reports it lost) instead of waiting for a timer.
   */
  acting(region: string): boolean {
    const h = this.#held.get(region);
    if (!h) return false;
    if (this.#now() - h.sentAt < this.timing.actForMs) return true;
    this.#drop(h, "fenced");
    return false;
  }

  /** The epoch `region` is held at, or 0 when this zone may not act on it (called per saved ship). */
  epoch(region: string): number {
    return this.acting(region) ? this.#held.get(region)!.epoch : 0;
  }

  start(): void {
    this.#timer ??= setInterval(() => {
      // The fence is checked on every beat, even while renewals hang (a partition). Each region
      // renews on its own: one slow answer does not hold back the others' renewals.
      for (const h of [...this.#held.values()]) {
        if (!this.acting(h.region) || this.#inFlight.has(h)) continue;
        this.#inFlight.add(h);
        void this.#renewOne(h).finally(() => this.#inFlight.delete(h));
      }
    }, this.timing.renewMs);
    this.#timer.unref();
  }

  /** One renewal round (also callable from tests): every held region at once. */
  async renew(): Promise<void> {
    const round = [...this.#held.values()].filter((h) => this.acting(h.region));
    await Promise.all(round.map((h) => this.#renewOne(h)));
  }

  async #renewOne(h: Held): Promise<void> {
    const sentAt = this.#now();
    let ok: boolean;
    try {
      ok = await this.directory.renew(h.region, this.zone.zoneId, h.epoch, this.timing.ttlMs);
    } catch (err) {
      // Briefly unreachable: keep trying; the fence deadline decides when to stop acting.
      this.events.renewal("error");
      this.log.warn({ err, region: h.region }, "lease renewal failed");
      return;
    }
    this.events.renewal(ok ? "ok" : "refused");
    if (this.#held.get(h.region) !== h) return;
    if (ok) h.sentAt = Math.max(h.sentAt, sentAt);
    else this.#drop(h, "refused");
  }

  #drop(h: Held, reason: LossReason): void {
    if (this.#held.get(h.region) !== h) return;
    this.#held.delete(h.region);
    const quiet = this.#now() - h.sentAt;
    this.log.warn(
      { region: h.region, epoch: h.epoch, reason, sinceRenewalMs: Math.round(quiet) },
      "lost the region lease",
    );
    this.events.lost(h.region, reason);
  }

  /** Gives one region back (a claim that turned out stale, or a restore that failed). */
  async giveUp(region: string): Promise<void> {
    const h = this.#held.get(region);
    if (!h) return;
    this.#held.delete(region);
    await this.directory.release(region, this.zone.zoneId, h.epoch).catch(() => false);
  }

  /** Stops renewing and gives every region back. */
  async releaseAll(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // Renewals cut off from the directory may never answer: wait for them a little, not forever.
    await Promise.race([this.#renewing, new Promise((r) => setTimeout(r, this.timing.renewMs))]);
    for (const h of this.#held.values()) {
      await this.directory.release(h.region, this.zone.zoneId, h.epoch).catch(() => false);
    }
    this.#held.clear();
  }
}
