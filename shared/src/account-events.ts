// Account decisions that must reach live connections: the login service publishes them, every
// service holding player connections (the zone; chat can follow the same way) follows and closes
// that player's connections with the code the decision names. Delivery is best effort (pub/sub):
// what a follower misses while cut off is still enforced where it counts, at log-in, refresh and
// world entry; this only makes it immediate.
import type { Redis } from "ioredis";
import { CloseCode } from "./protocol.js";
import { RedisFanout } from "./redis-fanout.js";

export type AccountEvent =
  /** An operator banned the account: close its connections, keep it out. */
  | { kind: "banned"; account: string }
  /** Its sessions were ended (password changed, logged out everywhere): close, the client logs in again. */
  | { kind: "sessions-revoked"; account: string };

export type AccountEventKind = AccountEvent["kind"];
export type AccountEventListener = (event: AccountEvent) => void;

/** The close code a live connection of the account gets for each event. */
export const ACCOUNT_EVENT_CLOSE: Record<AccountEventKind, CloseCode> = {
  banned: CloseCode.AccountBanned,
  "sessions-revoked": CloseCode.SessionsRevoked,
};

export interface AccountEvents {
  /** Resolves once the event is handed to every follower (in-process) or to Redis (cluster). */
  publish(event: AccountEvent): Promise<void>;
  /** Calls `listener` for every event published from now on, by any process. Resolves the unsubscribe. */
  follow(listener: AccountEventListener): Promise<() => Promise<void>>;
}

export const accountEventsChannel = (prefix: string) => `${prefix}account-events`;

const KINDS = new Set<string>(Object.keys(ACCOUNT_EVENT_CLOSE));

/** What came off the wire, if it is an event; anything else is dropped. */
export function parseAccountEvent(raw: string): AccountEvent | undefined {
  try {
    const e = JSON.parse(raw) as { kind?: unknown; account?: unknown };
    if (typeof e.kind !== "string" || !KINDS.has(e.kind) || typeof e.account !== "string") return undefined;
    return { kind: e.kind as AccountEventKind, account: e.account };
  } catch {
    return undefined;
  }
}

/** One process (embedded mode, tests): listeners are called synchronously by `publish`. */
export class LocalAccountEvents implements AccountEvents {
  readonly #listeners = new Set<AccountEventListener>();

  async publish(event: AccountEvent): Promise<void> {
    for (const listener of [...this.#listeners]) listener({ ...event });
  }

  async follow(listener: AccountEventListener): Promise<() => Promise<void>> {
    const own: AccountEventListener = (e) => listener(e);
    this.#listeners.add(own);
    return async () => {
      this.#listeners.delete(own);
    };
  }
}

/**
 * Events on the Redis channel `<prefix>account-events` (cluster mode). The caller owns the
 * connection; following opens one more (a subscribed connection can do nothing else), shared by
 * this instance's followers and closed when the last one stops.
 */
export class RedisAccountEvents implements AccountEvents {
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #events: RedisFanout<AccountEvent>;

  constructor(redis: Redis, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#channel = accountEventsChannel(options.prefix ?? "starlane:");
    this.#events = new RedisFanout(redis, this.#channel, (raw) => parseAccountEvent(raw) ?? null);
  }

  async publish(event: AccountEvent): Promise<void> {
    await this.#redis.publish(this.#channel, JSON.stringify({ kind: event.kind, account: event.account }));
  }

  follow(listener: AccountEventListener): Promise<() => Promise<void>> {
    return this.#events.listen(listener);
  }
}
