// What an operator watches on the persistence service: batch size, commit latency, stream lag and
// refused writes. Exported at /metrics by main.ts.
import { Counter, Gauge, Histogram, type Registry } from "@starlane/shared";

export interface PersistenceMetrics {
  batchSize: Histogram;
  commitSeconds: Histogram;
  streamLag: Gauge;
  rowsWritten: Counter;
  staleRejected: Counter;
  superseded: Counter;
  deadLettered: Counter;
  reclaimed: Counter;
  dbErrors: Counter;
}

export function createPersistenceMetrics(registry: Registry): PersistenceMetrics {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: "starlane_persistence_batch_size",
      help: "Ship states per committed batch",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    commitSeconds: new Histogram({
      name: "starlane_persistence_commit_seconds",
      help: "Time to write and commit one batch",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    streamLag: new Gauge({
      name: "starlane_persistence_stream_lag",
      help: "Ship states published and not yet committed and acknowledged",
      registers,
    }),
    rowsWritten: new Counter({
      name: "starlane_persistence_rows_written_total",
      help: "Ship rows inserted or replaced",
      registers,
    }),
    staleRejected: new Counter({
      name: "starlane_persistence_rejected_stale_writes_total",
      help: "Ship states refused because the writer's region epoch is older than the current one",
      registers,
    }),
    superseded: new Counter({
      name: "starlane_persistence_superseded_total",
      help: "Ship states not written because a newer version was already stored or in the same batch",
      registers,
    }),
    deadLettered: new Counter({
      name: "starlane_persistence_dead_letter_total",
      help: "Malformed entries moved to the dead-letter stream",
      registers,
    }),
    reclaimed: new Counter({
      name: "starlane_persistence_reclaimed_total",
      help: "Entries taken over from a consumer that stopped acknowledging",
      registers,
    }),
    dbErrors: new Counter({
      name: "starlane_persistence_db_errors_total",
      help: "Failed batch writes (retried with backoff)",
      registers,
    }),
  };
}
