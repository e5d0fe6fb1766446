// The zone's report to operators (zonectl status, the front door's cluster map): every second, the
// regions it holds with their epochs, players and tick p99, on the ZoneStatusBoard. Figures come
// from the same registry /metrics shows, so the two agree.
import { type Logger, type Registry, setting, type ZoneStatusBoard } from "@starlane/shared";
import type { ZoneServer } from "./server.js";

export const zoneStatusConfig = {
  name: setting.string(
    "STARLANE_ZONE_NAME",
    "the operator's stable name for this zone slot (zone-1, ...); a restarted process keeps it (default: the zone id)",
  ),
  statusIntervalMs: setting.int(
    "STARLANE_ZONE_STATUS_MS",
    "how often the zone reports its regions, players and tick p99 to operators",
    1000,
    100,
    60_000,
  ),
};

const TICK_HISTOGRAM = "starlane_zone_tick_duration_seconds";

/**
 * p99 of the tick histogram per region in ms, interpolated inside the bucket the way Prometheus's
 * histogram_quantile does (over the zone's life: the counters are cumulative).
 */
export async function tickP99ByRegion(registry: Registry): Promise<Map<string, number>> {
  const metric = registry.getSingleMetric(TICK_HISTOGRAM);
  const out = new Map<string, number>();
  if (!metric) return out;
  const buckets = new Map<string, { le: number; count: number }[]>();
  // prom-client names each histogram value (_bucket, _sum, _count) though its type does not say so.
  for (const v of (await metric.get()).values as {
    value: number;
    labels: Record<string, unknown>;
    metricName?: string;
  }[]) {
    if (!v.metricName?.endsWith("_bucket")) continue;
    const region = String(v.labels.region);
    const le = v.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(v.labels.le);
    if (!buckets.has(region)) buckets.set(region, []);
    buckets.get(region)!.push({ le, count: v.value });
  }
  for (const [region, bs] of buckets) {
    const q = histogramQuantile(0.99, bs);
    if (q !== null) out.set(region, q * 1000);
  }
  return out;
}

/** Prometheus's histogram_quantile over cumulative buckets; null with no observations. */
export function histogramQuantile(q: number, buckets: { le: number; count: number }[]): number | null {
  const bs = [...buckets].sort((a, b) => a.le - b.le);
  const total = bs.at(-1)?.count ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const b of bs) {
    if (b.count >= rank) {
      // In the +Inf bucket the answer is the largest finite bound, as Prometheus answers.
      if (!Number.isFinite(b.le)) return prevLe;
      if (b.count === prevCount) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevCount) / (b.count - prevCount));
    }
    prevLe = b.le;
    prevCount = b.count;
  }
  return prevLe;
}

export interface StatusPublishing {
  /** One report now (tests). */
  publishNow(): Promise<void>;
  /** Stops reporting and takes the report down. */
  stop(): Promise<void>;
}

export function startZoneStatus(
  zone: ZoneServer,
  board: ZoneStatusBoard,
  options: { name?: string; address: string; leaseTtlMs: number; intervalMs: number; log: Logger },
): StatusPublishing {
  const name = options.name ?? zone.zoneId;
  const publishNow = async () => {
    const p99 = await tickP99ByRegion(zone.registry);
    const regions = zone.regions().map(({ region, epoch }) => ({
      id: region,
      epoch,
      players: zone.room(region)?.seats ?? 0,
      tickP99Ms: p99.has(region) ? Math.round(p99.get(region)! * 1000) / 1000 : null,
    }));
    // Kept three intervals: one late report does not make a live zone vanish from the map.
    await board.publish(
      { name, id: zone.zoneId, address: options.address, leaseTtlMs: options.leaseTtlMs, regions },
      options.intervalMs * 3,
    );
  };
  let publishing: Promise<void> | undefined;
  let warned = false;
  const timer = setInterval(() => {
    publishing ??= publishNow()
      .then(() => {
        warned = false;
      })
      .catch((err) => {
        if (!warned) options.log.warn({ err }, "zone status not published");
        warned = true;
      })
      .finally(() => {
        publishing = undefined;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    publishNow,
    async stop() {
      clearInterval(timer);
      await publishing;
      await board.withdraw(zone.zoneId).catch(() => {});
    },
  };
}
