// What the chat server keeps per connection (uWS user data), and a new one for an admitted player.

import type uws from "uWebSockets.js";
import type { AccessClaims, StarlaneError } from "@starlane/shared";
import type { Sender } from "./bus.js";
import type { Relation } from "./moderation.js";
import { TokenBucket } from "./rate.js";
import type { ChatLimits } from "./server.js";

export interface Conn {
  refusal?: StarlaneError;
  player: Sender;
  key: string;
  release: () => void;
  region: string;
  regionVersion: number;
  /** The party id, or "". */
  party: string;
  relations: Map<string, Relation>;
  mutedUntil: number;
  bucket: TokenBucket;
  strikes: number;
  /** Requests are handled one at a time, in order. */
  queue: Promise<void>;
  queued: number;
  /** While histories load, live messages wait here so none comes before, or twice with, its history. */
  buffer: { id: string; payload: string }[] | null;
  shown: Set<string>;
  loading: number;
  closed: boolean;
}

export type Ws = uws.WebSocket<Conn>;

export const newConn = (claims: AccessClaims, release: () => void, config: ChatLimits): Conn => ({
  player: { id: claims.sub, name: claims.name },
  key: claims.name.toLowerCase(),
  release,
  region: "",
  regionVersion: -1,
  party: "",
  relations: new Map(),
  mutedUntil: 0,
  bucket: new TokenBucket(config.rateBurst, config.rateMessages, config.rateWindowMs),
  strikes: 0,
  queue: Promise.resolve(),
  queued: 0,
  buffer: null,
  shown: new Set(),
  loading: 0,
  closed: false,
});
