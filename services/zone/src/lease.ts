// The regions this zone holds: claimed in the RegionDirectory with a lease, renewed every third of
// its TTL. A renewal that fails means the region is no longer ours (the lease lapsed and someone
// else may hold it at a higher epoch): we stop acting on it at once.
import type { Logger, RegionDirectory, ZoneIdentity } from "@starlane/shared";

export interface Held {
  region: string;
  epoch: number;
  /** When the directory last confirmed the lease (ms, Date.now()). */
  confirmedAt: number;
}

export class Leases {
  readonly #held = new Map<string, Held>();
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> | undefined;

  constructor(
    private readonly directory: RegionDirectory,
    private readonly zone: ZoneIdentity,
    private readonly ttlMs: number,
    private readonly log: Logger,
    /** Called when a held region is lost (renewal refused). */
    private readonly onLost: (region: string) => void,
  ) {}

  /** Tries to claim `region`; the epoch when it is now ours, null when another zone holds it. */
  async claim(region: string): Promise<Held | null> {
    const owner = await this.directory.claim(region, this.zone, this.ttlMs);
    if (!owner) return null;
    const held = { region, epoch: owner.epoch, confirmedAt: Date.now() };
    this.#held.set(region, held);
    return held;
  }

  held(): Held[] {
    return [...this.#held.values()];
  }

  /** The epoch `region` is held at, or 0 when it is not held (called per saved ship: no copying). */
  epoch(region: string): number {
    return this.#held.get(region)?.epoch ?? 0;
  }

  start(): void {
    this.#timer ??= setInterval(
      () => {
        this.#renewing ??= this.renew().finally(() => {
          this.#renewing = undefined;
        });
      },
      Math.max(50, Math.floor(this.ttlMs / 3)),
    );
    this.#timer.unref();
  }

  /** One renewal round (also callable from tests). */
  async renew(): Promise<void> {
    for (const h of [...this.#held.values()]) {
      let ok: boolean;
      const asked = Date.now();
      try {
        ok = await this.directory.renew(h.region, this.zone.zoneId, h.epoch, this.ttlMs);
        if (ok) h.confirmedAt = asked;
      } catch (err) {
        // The directory is briefly unreachable: keep trying, but once the lease would have lapsed
        // we must assume someone else took the region over.
        this.log.warn({ err, region: h.region }, "lease renewal failed");
        ok = Date.now() - h.confirmedAt < this.ttlMs;
      }
      if (!ok && this.#held.get(h.region) === h) {
        this.#held.delete(h.region);
        this.log.warn({ region: h.region, epoch: h.epoch }, "lost the region lease");
        this.onLost(h.region);
      }
    }
  }

  /** Stops renewing and gives every region back. */
  async releaseAll(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    for (const h of this.#held.values()) {
      await this.directory.release(h.region, this.zone.zoneId, h.epoch).catch(() => false);
    }
    this.#held.clear();
  }
}
