// The embedded mode's source: the in-process queue zones publish into. Entries are typed objects,
// but they are validated all the same: a zone bug (NaN position) must not poison a batch.
import { type InProcessShipQueue, validateShipState } from "@starlane/shared";
import type { Logger } from "@starlane/shared";
import type { ShipSource } from "./source.js";

export function createQueueShipSource(queue: InProcessShipQueue, log: Logger): ShipSource {
  return {
    async init() {},
    async read(max, blockMs) {
      let taken = queue.take(max);
      if (taken.length === 0) {
        await queue.wait(blockMs);
        taken = queue.take(max);
      }
      const entries = taken.map(({ id, state }) => {
        const v = validateShipState(state);
        const raw = JSON.stringify(state);
        return v.ok ? { id, state: v.state, raw } : { id, reason: v.reason, raw };
      });
      return { entries, reclaimed: 0 };
    },
    async ack(ids) {
      queue.ack(ids);
    },
    async deadLetter(items) {
      // No stream to move them to in process: the log is the dead-letter record.
      for (const { entry, reason } of items) log.error({ entry: entry.raw, reason }, "malformed ship state dropped");
      queue.ack(items.map((i) => i.entry.id));
    },
    async keepAlive() {},
    lag: async () => queue.lag(),
    async close() {},
  };
}
