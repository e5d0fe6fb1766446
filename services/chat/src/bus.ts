// How chat instances tell each other what happened: every message, whisper, operator mute and kick
// is published once and every instance (the sender's own included) receives it and delivers it to
// its own connections. One Redis channel carries everything, so all instances see one order, and
// an instance that delivers only what comes back from Redis never delivers a message twice.
// In-process for the embedded mode and tests, Redis pub/sub for the cluster; one suite over both.
import { RedisFanout } from "@starlane/shared";
import type { Redis } from "ioredis";

export interface Sender {
  id: string;
  name: string;
}

/** `pub`: when the sender's instance published it (ms), for the fan-out latency. */
export type ChatEvent =
  | { k: "message"; channel: string; id: string; from: Sender; text: string; ts: number; pub: number }
  | { k: "whisper"; id: string; from: Sender; to: string; text: string; ts: number; pub: number }
  | { k: "mute"; name: string; until: number }
  /** A party changed: its members now; `gone` left it (or was kicked). */
  | { k: "party"; party: { id: string; leader: string; members: string[] }; gone?: string }
  | { k: "invite"; to: string; from: string; party: string }
  | { k: "kick"; name: string }
  /** `owner` muted or blocked `target` (`kind` null: cleared) on instance `origin`; its other connections follow. */
  | { k: "relation"; owner: string; target: string; kind: "mute" | "block" | null; origin: string };

export interface ChatBus {
  publish(event: ChatEvent): Promise<void>;
  /** Calls `listener` with every event published after this resolves, by any instance. */
  subscribe(listener: (event: ChatEvent) => void): Promise<void>;
  close(): Promise<void>;
}

export class LocalChatBus implements ChatBus {
  readonly #listeners = new Set<(event: ChatEvent) => void>();

  async publish(event: ChatEvent): Promise<void> {
    // Asynchronous like Redis: a listener never runs inside the sender's call.
    const raw = JSON.stringify(event);
    queueMicrotask(() => {
      for (const l of this.#listeners) l(JSON.parse(raw) as ChatEvent);
    });
  }

  async subscribe(listener: (event: ChatEvent) => void): Promise<void> {
    this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
  }
}

export const chatChannel = (prefix: string) => `${prefix}chat:events`;

/**
 * Redis pub/sub on `<prefix>chat:events` (the prefix keeps two deployments on one Redis apart),
 * through the shared fan-out. The caller owns `redis`; subscribing opens a duplicate connection,
 * closed by close().
 */
export class RedisChatBus implements ChatBus {
  readonly #redis: Redis;
  readonly #channel: string;
  readonly #events: RedisFanout<ChatEvent>;
  readonly #stops: (() => Promise<void>)[] = [];

  constructor(redis: Redis, options: { prefix: string }) {
    this.#redis = redis;
    this.#channel = chatChannel(options.prefix);
    this.#events = new RedisFanout(redis, this.#channel, (raw) => {
      try {
        return JSON.parse(raw) as ChatEvent;
      } catch {
        return null; // not ours: only chat instances publish here
      }
    });
  }

  async publish(event: ChatEvent): Promise<void> {
    await this.#redis.publish(this.#channel, JSON.stringify(event));
  }

  async subscribe(listener: (event: ChatEvent) => void): Promise<void> {
    this.#stops.push(await this.#events.listen(listener));
  }

  async close(): Promise<void> {
    await Promise.all(this.#stops.splice(0).map((stop) => stop()));
  }
}
