// One bot: a player using the public protocol end to end. It logs in (or, in direct mode, joins a
// zone with a token it was given), flies with inputs at a steady rate as its scenario's brain says,
// and measures what a player would notice: join time, input-to-acknowledgement round trip, how
// soon other bots see its inputs applied, bytes received, handoffs, reconnects, and inputs the
// server lost or applied twice (from the `ack` sequence on each ship). Inputs go through the
// shared ShipLink, which also follows handoffs (joins the next region's room, re-sends what was not
// acknowledged), as the browser client does. After a close it does what the shared close policy
// says (`afterClose`, the browser client's table too) on the shared backoff schedule, and it reads
// the region only through `regionView` (the shared decoder, `attachRegion`).
import { createRequire } from "node:module";
import { Client, type Room } from "@colyseus/sdk";
import {
  afterClose,
  attachRegion,
  backoffMs,
  ChatClient,
  type ChatSocketConstructor,
  DEFAULT_BACKOFF,
  type HandoffMessage,
  type MapView,
  type RegionView,
  regionView,
  ServerMessage,
  ShipLink,
  type ShipView,
} from "@starlane/shared/client";
import { BotError, enterWorld, logIn, obtainSession, type Session } from "./account.js";
import { CHAT_TAG } from "./chat-tally.js";
import type { Measurements } from "./measurements.js";
import { CHAT_UNAVAILABLE } from "./scenarios/chat.js";

// `ws` (Node 20 has no WebSocket): the same class the Colyseus SDK uses. It ships no types; the
// chat helper says what it needs of it.
const WebSocketClass = createRequire(import.meta.url)("ws") as ChatSocketConstructor;

import type { BotView, Brain, Control, Entity } from "./scenarios/types.js";
import { everyPeriod } from "./schedule.js";

export type Entry =
  /** The real path: register or log in, then world entry hands out the zone and a seat. */
  | {
      kind: "login";
      target: string;
      name: string;
      password: string;
      /** Where the session comes from (the fleet's account pool); default: register or log in. */
      session?: (deadline: number, renew: boolean) => Promise<Session>;
    }
  /** Straight to a zone room with a token (tests and benchmarks of the zone alone). */
  | { kind: "direct"; url: string; roomId: string; shipId: string; token: () => Promise<string> };

type RegionRoom = Room<unknown, RegionView>;

/** What bots share: the fleet's measurements and the send times of every bot's inputs. */
export interface BotContext {
  m: Measurements;
  /** When `shipId` sent input `seq` (performance.now()), if still remembered. */
  sentAt(shipId: string, seq: number): number | undefined;
  /** A zone's address (host:port) was seen: its /metrics can be scraped. */
  zoneSeen(address: string): void;
  /** An observer saw an input applied: sent and seen (performance.now()), the frame's tick, the ship and the input's sequence. */
  observed?(sent: number, seen: number, tick: number, shipId: string, seq: number): void;
}

export interface BotOptions {
  entry: Entry;
  brain: Brain;
  ctx: BotContext;
  /** Inputs per second (default 10). */
  inputRate?: number;
  /** Measure input-to-observer latency from this bot's view (costs CPU per patch). */
  observer?: boolean;
  /** Give up joining after this long (ms). */
  joinTimeoutMs?: number;
}

const RING = 1024;

export const now = () => performance.now();

function codeOf(err: unknown): string {
  if (err instanceof BotError) return err.code;
  const e = err as { code?: unknown; message?: unknown };
  if (typeof e?.message === "string" && /^STARLANE_ERR_[A-Z_]+$/.test(e.message)) return e.message;
  if (e?.code !== undefined) return `JOIN_${String(e.code)}`;
  return "JOIN_FAILED";
}

export class Bot {
  readonly name: string;
  shipId = "";
  room: RegionRoom | null = null;
  connected = false;
  joined = false;
  stopped = false;
  /** This bot's own figures (the fleet keeps the aggregate). */
  readonly own = { joinMs: null as number | null, bytes: 0, errors: 0, inputs: 0, handoffs: 0, reconnects: 0 };
  lastError: string | null = null;

  #o: Required<Omit<BotOptions, "entry" | "brain" | "ctx">> & BotOptions;
  #seq = 0;
  #gen = 0;
  #roomGen = -1;
  #ack = -1;
  #highestAck = -1;
  #ring: { seq: number; t: number; c: Control }[] = Array.from({ length: RING }, () => ({
    seq: -1,
    t: 0,
    c: { thrust: 0, turn: 0, fire: false },
  }));
  #seen = new Map<string, { ack: number; tick: number }>();
  #timers: NodeJS.Timeout[] = [];
  #stopInputs: () => void = () => {};
  #firstState: (() => void) | null = null;
  /** Set when a new room's first state closes a gap (handoff or reconnect). */
  #awaiting: { kind: "handoff" | "resume"; since: number } | null = null;
  /** The room a handoff in progress is leaving. */
  #leaving: RegionRoom | null = null;
  #lastPatchAt = 0;
  #session: { accessToken: string; accountId: string } | null = null;
  /** The zone refused our token (4100): the next join renews the session first. */
  #renewSession = false;
  /** Sends the inputs and follows handoffs; made with the first room, re-attached after a rejoin. */
  #link: ShipLink<RegionRoom> | null = null;
  /** The chat connection (chat scenario), opened after the first join with world entry's `chat` URL. */
  #chat: { client: ChatClient; ready: boolean; n: number } | null = null;
  /** World entry named no chat: every chat attempt is CHAT_UNAVAILABLE. */
  #noChat = false;
  /** Ends the backoff waits in progress (the bot stopped). */
  #wake = new Set<() => void>();

  constructor(opts: BotOptions) {
    this.#o = { inputRate: 10, observer: false, joinTimeoutMs: 60_000, ...opts };
    this.name = opts.entry.kind === "login" ? opts.entry.name : opts.entry.shipId;
  }

  /** The send time of input `seq`, while it is in the ring. */
  sentAt(seq: number): number | undefined {
    const e = this.#ring[seq % RING]!;
    return e.seq === seq ? e.t : undefined;
  }

  /** Joins (recording the join time or the error), then flies until stop(). Never throws. */
  async start(): Promise<boolean> {
    const t0 = now();
    this.#o.ctx.m.joinAttempts++;
    try {
      await this.#joinBounded(Date.now() + this.#o.joinTimeoutMs);
    } catch (err) {
      this.#fail(codeOf(err), err);
      return false;
    }
    if (this.stopped) return false;
    this.joined = true;
    this.own.joinMs = now() - t0;
    this.#o.ctx.m.join.add(this.own.joinMs);
    // The bots' input clocks at random phases (so they do not all send in the same millisecond), each
    // on its own schedule (schedule.ts).
    this.#stopInputs = everyPeriod(1000 / this.#o.inputRate, () => this.#sendInput());
    this.#timers.push(setInterval(() => this.#habits(), 1000));
    return true;
  }

  /**
   * Leaves. Inputs sent more than `graceMs` ago that the server never acknowledged count as lost
   * (the zone applies one per tick, so a healthy zone acknowledges each within a few ticks).
   */
  async stop(graceMs = 1000): Promise<void> {
    if (this.stopped) return;
    this.#end();
    if (this.connected && this.#highestAck >= 0) {
      const cutoff = now() - graceMs;
      let lost = 0;
      for (let s = this.#highestAck + 1; s <= this.#seq; s++) {
        const t = this.sentAt(s);
        if (t !== undefined && t < cutoff) lost++;
      }
      this.#o.ctx.m.inputsLost += lost;
    }
    this.#chat?.client.close();
    const room = this.room;
    this.connected = false;
    if (room) await Promise.race([room.leave(true).catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
  }

  /** No more inputs, habits or attempts to come back. */
  #end(): void {
    this.stopped = true;
    this.#stopInputs();
    for (const t of this.#timers) clearTimeout(t);
    for (const wake of this.#wake) wake();
  }

  /** Waits `ms`, or less if the bot stops meanwhile. */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wake.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wake.add(wake);
    });
  }

  #fail(code: string, err?: unknown): void {
    this.#o.ctx.m.error(code);
    this.own.errors++;
    this.lastError = `${code}${err ? `: ${(err as Error).message ?? String(err)}` : ""}`;
  }

  /**
   * #join with a deadline over all of it: the SDK's matchmaking request has no timeout of its own,
   * and a zone too busy to answer must cost the bot an error, not hang the run. A join that
   * completes after it was given up leaves its room at once.
   */
  async #joinBounded(deadline: number): Promise<void> {
    const gen = ++this.#gen;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BotError("JOIN_TIMEOUT", "no seat and state before the join deadline")),
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      await Promise.race([this.#join(deadline, gen), timeout]);
    } catch (err) {
      this.#gen++; // whatever the abandoned attempt still brings is stale
      if (this.room && this.#roomGen === gen) {
        // Seated but no state in time: give the seat back.
        this.connected = false;
        this.room.leave(true).catch(() => {});
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async #join(deadline: number, gen: number): Promise<void> {
    const e = this.#o.entry;
    let room: RegionRoom;
    let client: Client;
    if (e.kind === "login") {
      const obtain = (renew: boolean) =>
        e.session
          ? e.session(deadline, renew)
          : renew
            ? logIn(e.target, e.name, e.password, deadline)
            : obtainSession(e.target, e.name, e.password, deadline);
      if (!this.#session || this.#renewSession) {
        // After a 4100 the session is renewed (a fresh token from the fleet's pool, or a new log-in).
        this.#session = await obtain(this.#renewSession);
        this.#renewSession = false;
      }
      let seat: Awaited<ReturnType<typeof enterWorld>>;
      try {
        seat = await enterWorld(e.target, this.#session.accessToken, deadline);
      } catch (err) {
        // An expired access token: log in again once.
        if (!(err instanceof BotError && err.code === "STARLANE_ERR_UNAUTHORIZED")) throw err;
        this.#session = await obtain(true);
        seat = await enterWorld(e.target, this.#session.accessToken, deadline);
      }
      this.shipId = this.#session.accountId;
      this.#o.ctx.zoneSeen(seat.address);
      if (this.#o.brain.chat && !this.#chat) {
        if (seat.chat) this.#openChat(seat.chat, this.#session.accessToken);
        else this.#noChat = true;
      }
      client = new Client(`http://${seat.address}`);
      room = (await client.consumeSeatReservation(seat.reservation as never)) as RegionRoom;
    } else {
      this.shipId = e.shipId;
      client = new Client(e.url);
      client.auth.token = await e.token();
      room = (await client.joinById(e.roomId, {})) as RegionRoom;
    }
    if (gen !== this.#gen || this.stopped) {
      room.leave(true).catch(() => {});
      throw new BotError("JOIN_ABANDONED", "the join completed after it was given up");
    }
    this.#roomGen = gen;
    // The first room makes the link; a rejoin (a new connection) hands the link the new room. Before
    // the first state: the room may redirect us at once (our ship is owned elsewhere), and the link
    // must be listening to follow that.
    if (!this.#link) {
      this.#link = new ShipLink<RegionRoom>(client, room, this.shipId, {
        onRoom: (next) => {
          // Handed on again before this room showed the ship: the newer room's wait is the one that counts.
          this.#attach(next, Date.now() + this.#o.joinTimeoutMs).catch((err) => {
            if (this.room === next) this.#handoffFailed(err);
          });
        },
        onError: (err) => this.#handoffFailed(err),
      });
    } else {
      this.#link.attach(room);
    }
    await this.#attach(room, deadline);
    this.#link.resend();
  }

  async #attach(room: RegionRoom, deadline: number): Promise<void> {
    const m = this.#o.ctx.m;
    // The bot decides when to come back (through world entry), not the SDK.
    room.reconnection.enabled = false;
    room.reconnection.maxRetries = 0;
    const events = room.connection.events as { onmessage?: (ev: { data: ArrayBuffer }) => void };
    const deliver = events.onmessage;
    if (deliver) {
      events.onmessage = (ev) => {
        const n = ev.data?.byteLength ?? 0;
        m.bytes += n;
        m.messages++;
        this.own.bytes += n;
        deliver(ev);
      };
    }
    attachRegion(room, {
      self: this.shipId,
      onFrame: () => this.#onPatch(room),
      // A frame the decoder refused: the state is not trusted any more; leave, and come back.
      onError: (err) => {
        if (room !== this.room) return;
        this.#fail("WIRE_CORRUPT", err);
        room.leave(false).catch(() => {});
      },
    });
    // The benchmark's stock Colyseus room has a schema state instead of state frames.
    room.onStateChange(() => this.#onPatch(room));
    room.onMessage(ServerMessage.Error, (msg: { code?: string }) => {
      if (room !== this.room) return;
      if (msg?.code === "STARLANE_ERR_ACTION_REFUSED") m.actionsRefused++;
      else this.#fail(String(msg?.code ?? "ERROR_MESSAGE"));
    });
    room.onMessage(ServerMessage.Handoff, (msg: HandoffMessage) => this.#handoffStarted(room, msg));
    room.onLeave((code: number) => void this.#onLeave(room, code));
    let timer: NodeJS.Timeout | undefined;
    // A room left for the next one before it showed our ship (a redirect) is done waiting.
    this.#firstState?.();
    const first = new Promise<void>((resolve, reject) => {
      this.#firstState = resolve;
      timer = setTimeout(
        () => reject(new BotError("JOIN_NO_STATE", "no state with our ship after joining")),
        Math.max(1000, deadline - Date.now()),
      );
    });
    this.room = room;
    this.connected = true;
    try {
      await first;
    } finally {
      clearTimeout(timer);
    }
  }

  #onPatch(room: RegionRoom): void {
    const t = now();
    if (room !== this.room) {
      // The old room of a handoff still talking: the gap starts at its last patch.
      if (this.#awaiting?.kind === "handoff") this.#awaiting.since = t;
      return;
    }
    this.#lastPatchAt = t;
    const view = regionView(room);
    const ships = view?.ships;
    const me = ships?.get(this.shipId);
    // Our ship as a ghost: this room does not own it (a redirect to the owner is on its way).
    if (!me || me.ghost) return;
    if (this.#firstState) {
      this.#firstState();
      this.#firstState = null;
    }
    if (this.#awaiting) {
      const gap = t - this.#awaiting.since;
      if (this.#awaiting.kind === "handoff") this.#o.ctx.m.handoffGap.add(Math.max(0, gap));
      else this.#o.ctx.m.resume.add(gap / 1000);
      this.#awaiting = null;
    }
    this.#onAck(me.ack, t);
    if (this.#o.observer && ships) this.#observe(ships, t, view.tick);
  }

  #onAck(ack: number, t: number): void {
    const m = this.#o.ctx.m;
    if (this.#ack < 0) {
      // First sight (or first after a rejoin with no history): continue from the server's ack.
      this.#ack = ack;
      this.#highestAck = Math.max(this.#highestAck, ack);
      this.#seq = Math.max(this.#seq, ack);
      return;
    }
    if (ack === this.#ack) return;
    if (ack > this.#ack) {
      // One input is applied per tick and every tick sends a patch, so each advance applied exactly
      // `ack`. At or below the highest ever acknowledged, it was applied before: applied twice.
      // Beyond it, sequence numbers skipped over were dropped by the server: lost.
      if (ack <= this.#highestAck) m.inputsDuplicated++;
      else {
        const skipped = ack - Math.max(this.#ack, this.#highestAck) - 1;
        if (skipped > 0) m.inputsLost += skipped;
        const sent = this.sentAt(ack);
        if (sent !== undefined) m.rtt.add(t - sent);
        this.#highestAck = ack;
      }
    }
    // A lower ack means the server went back (a restore from an older snapshot); later ones count
    // as duplicates above.
    this.#ack = ack;
  }

  #observe(ships: MapView<ShipView>, t: number, tick: number): void {
    const ctx = this.#o.ctx;
    ships.forEach((s, id) => {
      if (id === this.shipId) return;
      const prev = this.#seen.get(id);
      // Only a ship seen in the previous tick's frame is a sample: one that has just come into view
      // (or back) shows an ack it may have had for ticks, and would measure the interest churn.
      const sent = prev !== undefined && s.ack > prev.ack ? ctx.sentAt(id, s.ack) : undefined;
      if (sent !== undefined && prev!.tick === tick - 1) {
        ctx.m.observer.add(t - sent);
        ctx.observed?.(sent, t, tick, id, s.ack);
      } else if (sent !== undefined) ctx.m.observerNewInView++;
      if (prev) {
        prev.ack = s.ack;
        prev.tick = tick;
      } else this.#seen.set(id, { ack: s.ack, tick });
    });
  }

  view(): BotView {
    const state = regionView(this.room);
    const list = (map: MapView<{ x: number; y: number }> | undefined) => (): Iterable<Entity> => {
      const out: Entity[] = [];
      map?.forEach((v, id) => {
        out.push({ id, x: v.x, y: v.y });
      });
      return out;
    };
    return { me: state?.ships.get(this.shipId), asteroids: list(state?.asteroids), stations: list(state?.stations) };
  }

  #sendInput(): void {
    if (!this.connected || !this.room || !this.#link || this.#ack < 0) return;
    const c = this.#o.brain.control(this.view());
    const seq = this.#link.send(c);
    this.#seq = seq;
    const slot = this.#ring[seq % RING]!;
    slot.seq = seq;
    slot.t = now();
    slot.c = c;
    this.#o.ctx.m.inputsSent++;
    this.own.inputs++;
  }

  #send(type: string, payload: unknown): void {
    try {
      this.room!.send(type, payload);
    } catch {
      // The socket closed under us; onLeave handles it.
    }
  }

  #habits(): void {
    if (!this.connected || !this.room) return;
    const b = this.#o.brain;
    const action = b.action?.(this.view());
    if (action) {
      this.#send("action", action);
      this.#o.ctx.m.actionsSent++;
    }
    if (b.chat?.()) {
      if (this.#noChat) {
        this.#o.ctx.m.chatAttempts++;
        this.#fail(CHAT_UNAVAILABLE);
      } else if (this.#chat?.ready && this.#chat.client.open) {
        this.#o.ctx.m.chatAttempts++;
        const tag = `${CHAT_TAG}${this.name}#${this.#chat.n++}`;
        this.#o.ctx.m.chat.sent(tag);
        this.#chat.client.say("global", tag);
      }
    }
  }

  /** One chat connection for the bot's life; its receipts of other bots' tagged messages are counted. */
  #openChat(url: string, token: string): void {
    const tally = this.#o.ctx.m.chat;
    let listener: ReturnType<typeof tally.listen> | null = null;
    const chat = {
      ready: false,
      n: 0,
      client: new ChatClient(url, token, {
        WebSocket: WebSocketClass,
        onMessage: (e) => {
          if (e.t === "history" && e.channel === "global" && !listener) {
            listener = tally.listen();
            chat.ready = true;
          } else if (e.t === "message" && listener && e.text.startsWith(CHAT_TAG)) {
            tally.received(listener, e.text);
          } else if (e.t === "error") {
            this.#fail(e.code);
          }
        },
        onClose: (code) => {
          chat.ready = false;
          if (listener) listener.closed = true;
          if (!this.stopped) this.#fail(`CHAT_CLOSE_${code}`);
        },
      }),
    };
    this.#chat = chat;
  }

  /**
   * The zone is moving this ship to another room; the link takes the seat there, leaves the old room
   * and re-sends what was not acknowledged. Here the bot only measures: the gap is the time from the
   * old room's last patch to the new room's first.
   */
  #handoffStarted(from: RegionRoom, msg: HandoffMessage): void {
    if (from !== this.room || this.stopped) return;
    const m = this.#o.ctx.m;
    m.handoffs++;
    this.own.handoffs++;
    this.#awaiting = { kind: "handoff", since: this.#lastPatchAt };
    // The old room may close us (4104/4107) as soon as the new seat is taken, before #attach has
    // switched this.room: that close is part of the handoff, not a disconnect.
    this.#leaving = from;
    if (typeof msg?.address === "string") this.#o.ctx.zoneSeen(msg.address);
  }

  #handoffFailed(err: unknown): void {
    const m = this.#o.ctx.m;
    m.handoffsFailed++;
    this.#awaiting = null;
    this.#fail("HANDOFF_FAILED", err);
    const stale = this.#leaving;
    this.#leaving = null;
    // Still in the old room: it closes us (4107) and the bot comes back through world entry then.
    if (this.stopped || this.room === stale) return;
    // Otherwise come back through world entry now; the zone replaces the room we are in (4104).
    this.#leaving = this.room;
    void this.#rejoin(now());
  }

  async #onLeave(room: RegionRoom, code: number): Promise<void> {
    if (room !== this.room || room === this.#leaving || this.stopped) return;
    this.connected = false;
    this.#fail(`CLOSE_${code}`);
    const then = afterClose(code);
    // A player would stay out (replaced elsewhere, or a client bug that would only repeat): the bot ends.
    if (then.action === "stop") return this.#end();
    // The token was refused: renew the session before entering again (the fleet's pool refreshes it,
    // a bot without one logs in again). In direct mode every join asks `entry.token()` anyway.
    if (then.action === "reauth") this.#renewSession = true;
    await this.#rejoin(this.#lastPatchAt || now(), then.minDelayMs);
  }

  /**
   * Back through world entry (or the same zone in direct mode) after an unexpected close, each
   * attempt after a full-jitter backoff wait (never below the close's `minDelayMs`), until the join
   * timeout.
   */
  async #rejoin(since: number, minDelayMs = 0): Promise<void> {
    const m = this.#o.ctx.m;
    const deadline = Date.now() + this.#o.joinTimeoutMs;
    for (let attempt = 0; !this.stopped; attempt++) {
      await this.#pause(backoffMs(attempt, { ...DEFAULT_BACKOFF, minDelayMs }));
      if (this.stopped || Date.now() >= deadline) return;
      try {
        this.#awaiting = { kind: "resume", since };
        this.#ack = -1; // take the server's word for where we are
        await this.#joinBounded(deadline);
        m.reconnects++;
        this.own.reconnects++;
        return;
      } catch (err) {
        this.#awaiting = null;
        this.#fail(`RECONNECT_${codeOf(err)}`);
      }
    }
  }
}
