// Colyseus's Redis presence and driver for the cluster, kept under the deployment's key prefix.
// ioredis's `keyPrefix` covers keys but not pub/sub channels, and Colyseus talks between processes
// over channels named only after rooms and processes (`$region-1-1`, `p:<id>`, `ipc:<id>`): two
// clusters (or two test runs) on one Redis would answer each other's room calls, handoffs included.
// This presence puts the prefix on every channel as well.
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { Redis } from "ioredis";
import { type OwnedListings, redisOwnedListings } from "./listings.js";

type Callback = (...args: unknown[]) => void;

export class PrefixedRedisPresence extends RedisPresence {
  // Not a #private field: Colyseus gives each room Object.create(presence), and private fields are
  // not found through a prototype.
  protected readonly prefix: string;

  constructor(url: string, prefix: string) {
    super(redisOptions(url, prefix));
    this.prefix = prefix;
  }

  override subscribe(topic: string, callback: Callback): Promise<this> {
    return super.subscribe(this.prefix + topic, callback);
  }

  override unsubscribe(topic: string, callback?: Callback): Promise<this> {
    return super.unsubscribe(this.prefix + topic, callback);
  }

  override publish(topic: string, data: unknown): Promise<void> {
    return super.publish(this.prefix + topic, data);
  }

  /** Channels under our prefix, named as Colyseus named them (it parses process ids out of them). */
  override async channels(pattern = "*"): Promise<string[]> {
    const names = await super.channels(globEscape(this.prefix) + pattern);
    return names.map((name) => name.slice(this.prefix.length));
  }
}

/** The matchmaker's room listings under the same prefix (keys only: ioredis prefixes those). */
export function prefixedRedisDriver(url: string, prefix: string): RedisDriver & OwnedListings {
  const client = new Redis(redisOptions(url, prefix));
  return Object.assign(new RedisDriver(client), redisOwnedListings(client));
}

function redisOptions(url: string, prefix: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.pathname.length > 1 ? { db: Number(u.pathname.slice(1)) } : {}),
    ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    keyPrefix: prefix,
  };
}

/** PUBSUB CHANNELS takes a glob: the prefix must match itself only. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, "\\$&");
