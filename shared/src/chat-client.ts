// The client side of chat, for the browser client and the bots: one typed wrapper over a standard
// WebSocket (the browser's, or `ws` in Node passed in). It connects with the access token, sends
// the requests of the protocol and hands each server message to `onMessage`; what to do after a
// close is `afterClose(code)`, as for the zone. Browser-safe (exported from `@starlane/shared/client`).
import { ChatClientMessage, type ChatServerMessage, type ErrorCode } from "./protocol.js";

/** The part of the WebSocket API used here (the browser's and `ws`'s both have it). */
export interface ChatSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type ChatSocketConstructor = new (url: string) => ChatSocket;

export interface ChatSender {
  id: string;
  name: string;
}
export interface ChatLine {
  id: string;
  from: ChatSender;
  text: string;
  ts: number;
}

/** A party as chat tells its members: names are lower case. */
export interface ChatParty {
  id: string;
  leader: string;
  members: string[];
}

/** Every message the server sends, by its `t`. */
export type ChatEvent =
  | {
      t: typeof ChatServerMessage.Welcome;
      player: ChatSender;
      region: string;
      limits: { maxChars: number; rateMessages: number; rateWindowMs: number; rateBurst: number };
    }
  | { t: typeof ChatServerMessage.History; channel: string; messages: ChatLine[] }
  | ({ t: typeof ChatServerMessage.Message; channel: string } & ChatLine)
  | ({ t: typeof ChatServerMessage.Whispered; to: string } & ChatLine)
  | { t: typeof ChatServerMessage.Region; region: string }
  | { t: typeof ChatServerMessage.PartyState; party: ChatParty | null }
  | { t: typeof ChatServerMessage.PartyInvite; party: string; from: string }
  | { t: typeof ChatServerMessage.Ok; ref?: string | number }
  | { t: typeof ChatServerMessage.ChatError; code: ErrorCode; message: string; ref?: string | number };

export interface ChatClientOptions {
  /** The WebSocket class: the browser's by default; in Node pass `ws`. */
  WebSocket?: ChatSocketConstructor;
  onMessage?: (event: ChatEvent) => void;
  onClose?: (code: number, reason: string) => void;
}

const OPEN = 1;

export class ChatClient {
  readonly #socket: ChatSocket;
  readonly #welcome: Promise<Extract<ChatEvent, { t: "welcome" }>>;

  /** `url` is world entry's `chat`; the token travels in the query, as browsers cannot set headers. */
  constructor(url: string, accessToken: string, options: ChatClientOptions = {}) {
    const Socket = options.WebSocket ?? (globalThis as unknown as { WebSocket: ChatSocketConstructor }).WebSocket;
    const sep = url.includes("?") ? "&" : "?";
    this.#socket = new Socket(`${url}${sep}access_token=${encodeURIComponent(accessToken)}`);
    this.#welcome = new Promise((resolve, reject) => {
      this.#socket.onmessage = (ev) => {
        let event: ChatEvent;
        try {
          event = JSON.parse(String(ev.data)) as ChatEvent;
        } catch {
          return;
        }
        if (event.t === "welcome") resolve(event);
        options.onMessage?.(event);
      };
      this.#socket.onclose = (ev) => {
        reject(Object.assign(new Error(`chat closed with ${ev.code}`), { code: ev.code }));
        options.onClose?.(ev.code, ev.reason);
      };
      this.#socket.onerror = () => {};
    });
    this.#welcome.catch(() => {}); // a close before the welcome is also reported to onClose
  }

  /** Resolves the welcome (player, region, limits); rejects with `code` if closed first. */
  welcome() {
    return this.#welcome;
  }

  get open(): boolean {
    return this.#socket.readyState === OPEN;
  }

  say(channel: "global" | "region" | "party", text: string, ref?: string | number): void {
    this.#send({ t: ChatClientMessage.Say, channel, text, ref });
  }

  whisper(to: string, text: string, ref?: string | number): void {
    this.#send({ t: ChatClientMessage.Whisper, to, text, ref });
  }

  /** mute / unmute / block / unblock a player by name. */
  moderate(what: "mute" | "unmute" | "block" | "unblock", name: string, ref?: string | number): void {
    this.#send({ t: what, name, ref });
  }

  /** Party requests: `invite` and `kick` name a player, `accept` the party id of an invite. */
  party(
    action: "create" | "invite" | "accept" | "leave" | "kick",
    arg?: { name?: string; party?: string },
    ref?: string | number,
  ): void {
    this.#send({ t: ChatClientMessage.Party, action, ...arg, ref });
  }

  close(): void {
    this.#socket.close(1000);
  }

  #send(message: Record<string, unknown>): void {
    if (this.#socket.readyState !== OPEN) return;
    if (message.ref === undefined) delete message.ref;
    this.#socket.send(JSON.stringify(message));
  }
}
