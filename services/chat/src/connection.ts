// What the chat server keeps per connection (uWS user data), and a new one for an admitted player.

import type uws from "uWebSockets.js";
import type { AccessClaims } from "@starlane/shared";
import type { Sender } from "./bus.js";
import type { Relation } from "./moderation.js";
import { TokenBucket } from "./rate.js";
import type { ChatLimits } from "./server.js";

export interface Conn {
  /** The peer's address and the token it brought; the token is verified once the socket opens. */
  ip: string;
  token: string;
  /** Verified and within the edge's caps; until then `player`, `key` and `release` are blanks. */
  admitted: boolean;
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

/** A connection just upgraded, not yet admitted. */
export const newConn = (ip: string, token: string, config: ChatLimits): Conn => ({
  ip,
  token,
  admitted: false,
  player: { id: "", name: "" },
  key: "",
  release: () => {},
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

/** What admission fills in: the token's player and the edge slot to give back on close. */
export const admitted = (claims: AccessClaims, release: () => void): Partial<Conn> => ({
  admitted: true,
  token: "",
  player: { id: claims.sub, name: claims.name },
  key: claims.name.toLowerCase(),
  release,
});
