// Takeover: every renew interval the zone looks for regions whose lease has expired (their zone
// died, froze or was cut off, or Redis restarted empty) and claims some of them, so the world's
// regions stay served. An orphan is a region that had an owner: the directory issued it an epoch,
// or this zone itself lost it (a Redis restarted empty forgot the epochs; the zones that held the
// regions claim them again, above PostgreSQL's epochs). A region nobody ever claimed is left to the
// zones configured for it. No zone takes more than its fair share plus one: the share counts every
// live zone (their status reports; also the zones seen holding regions, and this one). Claims are atomic in the directory, so zones racing for one
// region never both win; the claim's epoch fences the store before anything is restored.
// Timing: a scan reads how long each other zone's lease has left. A live owner renews every renew
// interval, so its lease never runs low; one that does has stopped renewing, and the next scan runs
// the moment it runs out (not up to a scan interval later). From the first missed renewal on, the
// zone expects the region (`expecting`): joins for it wait for its room instead of being refused.
import type { Logger, RegionDirectory } from "@starlane/shared";

export interface TakeoverOptions {
  directory: Pick<RegionDirectory, "owner" | "lastEpoch" | "expiresInMs">;
  zoneId: string;
  /** Every region of the world (room ids). */
  regions: string[];
  everyMs: number;
  /** The lease TTL: a lease with less than TTL - 1.5 scan intervals left has missed a renewal. */
  ttlMs: number;
  /** The regions this zone holds now. */
  held(): string[];
  /**
   * The ids of every live zone (their status reports), so a zone that holds no region yet counts in
   * the fair share; without it only the zones seen holding regions count.
   */
  liveZones?(): Promise<string[]>;
  /** Claims, restores and opens `region`; false when another zone got it first or it could not open. */
  take(region: string): Promise<boolean>;
  log: Logger;
}

export class Takeover {
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #scanning: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Regions whose owner missed a renewal, or that this zone is claiming and opening. */
  #expected = new Set<string>();
  readonly #taking = new Set<string>();
  /** Regions this zone lost (they had an owner even if the directory forgot it). */
  readonly #lost = new Set<string>();

  constructor(private readonly o: TakeoverOptions) {}

  start(): void {
    this.#timer ??= setInterval(() => this.#kick(), this.o.everyMs);
    this.#timer.unref();
  }

  /** Whether this zone expects to open `region` soon (its lease is running out, or being taken over). */
  expecting(region: string): boolean {
    return this.#expected.has(region) || this.#taking.has(region);
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#scanning) {
      this.#again = true;
      return;
    }
    this.#scanning = this.scan()
      .then(() => {})
      .catch((err) => this.o.log.warn({ err }, "takeover scan failed"))
      .finally(() => {
        this.#scanning = undefined;
        if (this.#again) {
          this.#again = false;
          this.#kick();
        }
      });
  }

  /** This zone lost `region` (its renewal was refused or it fenced itself): an orphan candidate. */
  lost(region: string): void {
    this.#lost.add(region);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    clearTimeout(this.#soon);
    this.#timer = undefined;
    await this.#scanning;
  }

  /** One look at the directory: claims orphaned regions up to this zone's fair share plus one. */
  async scan(): Promise<string[]> {
    const o = this.o;
    const owners = await Promise.all(o.regions.map(async (r) => [r, await o.directory.owner(r)] as const));
    const mine = new Set(o.held());
    const zones = new Set(owners.flatMap(([, owner]) => (owner ? [owner.zoneId] : [])));
    zones.add(o.zoneId);
    for (const id of (await o.liveZones?.().catch(() => [])) ?? []) zones.add(id);
    const cap = Math.ceil(o.regions.length / zones.size) + 1;
    const room = Math.max(0, cap - mine.size);
    await this.#watch(
      owners.flatMap(([r, owner]) => (owner && owner.zoneId !== o.zoneId ? [r] : [])),
      room,
    );
    const vacant = owners.filter(([r, owner]) => owner === null && !mine.has(r)).map(([r]) => r);
    if (vacant.length === 0) return [];
    const had = await Promise.all(vacant.map(async (r) => this.#lost.has(r) || (await o.directory.lastEpoch(r)) > 0));
    const orphans = vacant.filter((_, i) => had[i]);
    if (orphans.length === 0) return [];
    // Start at a random orphan, so zones racing for the same orphans mostly claim different ones.
    const start = Math.floor(Math.random() * orphans.length);
    const order = [...orphans.slice(start), ...orphans.slice(0, start)];
    // Restores run side by side: a dead zone's players wait for the slowest of them, not their sum.
    const batch = this.#stopped ? [] : order.slice(0, room);
    for (const region of batch) this.#taking.add(region);
    const results = await Promise.all(batch.map((region) => o.take(region).finally(() => this.#taking.delete(region))));
    const taken = batch.filter((_, i) => results[i]);
    for (const region of taken) this.#lost.delete(region);
    return taken;
  }

  /**
   * Other zones' leases: the ones that missed a renewal are expected here (while this zone has room
   * for them), and the next scan is set for the moment the first of them runs out.
   */
  async #watch(others: string[], room: number): Promise<void> {
    const left = await Promise.all(others.map((r) => this.o.directory.expiresInMs(r)));
    const late = others.flatMap((r, i) => {
      const ms = left[i];
      return ms !== null && ms !== undefined && ms < this.o.ttlMs - 1.5 * this.o.everyMs ? [[r, ms] as const] : [];
    });
    this.#expected = new Set(late.slice(0, room).map(([r]) => r));
    const soonest = Math.min(...late.map(([, ms]) => ms));
    if (soonest < this.o.everyMs && !this.#stopped) {
      clearTimeout(this.#soon);
      this.#soon = setTimeout(() => this.#kick(), soonest + 5);
      this.#soon.unref();
    }
  }
}
