// Where the consumer reads ship states from: a Redis Stream with a consumer group (cluster) or the
// in-process queue (embedded mode). Both hold an entry until it is acknowledged after COMMIT.
import type { ShipState } from "@starlane/shared";

export interface SourceEntry {
  id: string;
  /** The decoded state, or undefined when the entry is malformed (then `reason` says why). */
  state?: ShipState;
  reason?: string;
  /** The entry as received, kept for the dead-letter stream. */
  raw: string;
}

export interface ReadResult {
  entries: SourceEntry[];
  /** How many of them were taken over from a consumer that stopped acknowledging. */
  reclaimed: number;
}

export interface ShipSource {
  /** Makes the consumer group if needed. */
  init(): Promise<void>;
  /** Up to `max` entries, waiting at most `blockMs` when there is nothing to do. */
  read(max: number, blockMs: number): Promise<ReadResult>;
  /** After COMMIT: these entries are done. */
  ack(ids: string[]): Promise<void>;
  /** Moves malformed entries aside with their reason, so they never block the stream. */
  deadLetter(entries: { entry: SourceEntry; reason: string }[]): Promise<void>;
  /** Tells other consumers these entries are still being worked on (a long database outage). */
  keepAlive(ids: string[]): Promise<void>;
  /** Entries published and not yet acknowledged. */
  lag(): Promise<number>;
  close(): Promise<void>;
}
