// The chat service: a uWebSockets.js WebSocket at /v1/chat (its access token verified as the
// socket opens, behind the connection edge), the operator routes, and /healthz, /readyz, /metrics.
// Every accepted message goes to history, then to the bus; each instance delivers what the bus
// brings to its own connections. The region channel follows the ship through the ownership
// change events, never anything the client says.

import type uws from "uWebSockets.js";
import { randomUUID } from "node:crypto";
import {
  ACCOUNT_EVENT_CLOSE,
  type AccessClaims,
  type AccountEvent,
  type AccountEvents,
  type App,
  bearerToken,
  CHAT_GLOBAL,
  ChatClientMessage,
  ChatServerMessage,
  CloseCode,
  type ConnectionEdge,
  createApp,
  ErrorCode,
  type Listening,
  type Logger,
  listen,
  mountNotFound,
  mountOps,
  type OperatorCheck,
  type OwnershipChange,
  type Registry,
  type ShipOwnership,
  StarlaneError,
  type TokenVerifier,
} from "@starlane/shared";
import type { ChatBus, ChatEvent } from "./bus.js";
import { admitted, type Conn, newConn, type Ws } from "./connection.js";
import type { History, StoredMessage } from "./history.js";
import { type ChatMetrics, type Closed, createChatMetrics, type Refusal } from "./metrics.js";
import type { Moderation, Relation } from "./moderation.js";
import type { Roster } from "./online.js";
import { mountOperatorRoutes } from "./operator-routes.js";
import { type Frame, Outboxes } from "./outbox.js";
import type { Parties, Party, PartyResult } from "./parties.js";
import { NAME, parseRequest } from "./requests.js";
import { cleanText } from "./text.js";

export interface ChatLimits {
  rateMessages: number;
  rateWindowMs: number;
  rateBurst: number;
  floodCloseAfter: number;
  maxChars: number;
  maxFrameBytes: number;
}

export interface ChatServerConfig extends ChatLimits {
  host: string;
  port: number;
}

export interface ChatDeps {
  log: Logger;
  verifier: TokenVerifier;
  edge: ConnectionEdge;
  bus: ChatBus;
  roster: Roster;
  parties: Parties;
  history: History;
  moderation: Moderation;
  /** Where each player's ship is (its player id is the ship id); chat follows its changes. */
  ownership: Pick<ShipOwnership, "get" | "watch">;
  operatorCheck: OperatorCheck;
  registry: Registry;
  /**
   * Account decisions from login (ban, sessions ended): the player's chat connections are closed
   * with the event's code (4180, 4181). Without it only log-in and world entry enforce them.
   */
  accountEvents?: AccountEvents;
}

export interface ChatServer {
  readonly app: App;
  listen(): Listening;
  /** Connections open on this instance. */
  connections(): number;
  notReadyReason(): string | null;
  close(): Promise<void>;
}

export const CHAT_PATH = "/v1/chat";
const regionChannel = (room: string) => `region:${room}`;
const partyChannel = (id: string) => `party:${id}`;
// uWS's own ceiling, far above ours: frames between the two are read and answered with 4102 by
// us; beyond it uWS drops the connection itself (1009) without buffering the rest.
const UWS_MAX_PAYLOAD = 256 * 1024;

export async function createChatServer(deps: ChatDeps, config: ChatServerConfig): Promise<ChatServer> {
  const { log, verifier, edge, bus, roster, parties, history, moderation, ownership } = deps;
  const metrics: ChatMetrics = createChatMetrics(deps.registry);
  const app = createApp();
  const all = new Set<Ws>();
  const byKey = new Map<string, Set<Ws>>();
  const byId = new Map<string, Set<Ws>>();
  /** Subscribers of each region and party channel on this instance (global is `all`). */
  const regions = new Map<string, Set<Ws>>();
  let closing = false;
  let listening: Listening | undefined;
  /** Tells this instance's own relation events (already applied) from other instances' ones. */
  const instance = randomUUID();

  const add = <K>(map: Map<K, Set<Ws>>, k: K, ws: Ws) => {
    let s = map.get(k);
    if (!s) map.set(k, (s = new Set()));
    s.add(ws);
  };
  const drop = <K>(map: Map<K, Set<Ws>>, k: K, ws: Ws) => {
    const s = map.get(k);
    if (s?.delete(ws) && s.size === 0) map.delete(k);
  };

  const outboxes = new Outboxes();
  const send = (ws: Ws, message: object | Frame) => outboxes.send(ws, message);
  const flushNow = (ws: Ws) => outboxes.flushNow(ws);
  const sendError = (ws: Ws, code: ErrorCode, ref?: unknown) => {
    const err = new StarlaneError(code);
    send(ws, { t: ChatServerMessage.ChatError, ...err.toBody(), ...(ref === undefined ? {} : { ref }) });
  };
  const closeWith = (ws: Ws, code: ErrorCode, reason: Closed) => {
    const c = ws.getUserData();
    if (c.closed) return;
    flushNow(ws);
    metrics.closed(reason);
    const spec: { close?: number; message: string } = ErrorCode[code];
    c.closed = true;
    ws.end(spec.close ?? CloseCode.Malformed, spec.message);
  };

  /** Delivers a live message, or holds it while the connection's history is loading. */
  const deliver = (ws: Ws, id: string, payload: Frame) => {
    const c = ws.getUserData();
    if (c.buffer) c.buffer.push({ id, payload });
    else send(ws, payload);
  };

  const sendHistory = async (ws: Ws, channel: string) => {
    const c = ws.getUserData();
    c.loading++;
    c.buffer ??= [];
    let messages: StoredMessage[] = [];
    try {
      messages = await history.recent(channel);
    } catch (err) {
      log.warn({ err, channel }, "history unavailable");
    }
    for (const m of messages) c.shown.add(m.id);
    send(ws, { t: ChatServerMessage.History, channel, messages });
    if (--c.loading > 0) return;
    const held = c.buffer ?? [];
    c.buffer = null;
    for (const h of held) if (!c.shown.has(h.id)) send(ws, h.payload);
    c.shown.clear();
  };

  const setRegion = (ws: Ws, room: string, version: number) => {
    const c = ws.getUserData();
    if (version <= c.regionVersion) return; // an older event than what we read
    c.regionVersion = version;
    if (room === c.region) return;
    if (c.region) drop(regions, regionChannel(c.region), ws);
    c.region = room;
    if (room) add(regions, regionChannel(room), ws);
    send(ws, { t: ChatServerMessage.Region, region: room });
    if (room) void sendHistory(ws, regionChannel(room));
  };

  /** Moves a connection into `party` (or out of any, with null), telling the client. */
  const setParty = (ws: Ws, party: Party | null) => {
    const c = ws.getUserData();
    const id = party?.id ?? "";
    if (c.party !== id) {
      if (c.party) drop(regions, partyChannel(c.party), ws);
      c.party = id;
      if (id) add(regions, partyChannel(id), ws);
    }
    send(ws, { t: ChatServerMessage.PartyState, party });
    if (id && party) void sendHistory(ws, partyChannel(id));
  };

  const onOwnership = (change: OwnershipChange) => {
    const conns = byId.get(change.ship);
    if (conns) for (const ws of conns) setRegion(ws, change.to, change.version);
  };

  const onEvent = (event: ChatEvent) => {
    switch (event.k) {
      case "message": {
        const targets = event.channel === CHAT_GLOBAL ? all : regions.get(event.channel);
        if (!targets) return;
        metrics.fanout(Math.max(0, Date.now() - event.pub) / 1000);
        const sender = event.from.name.toLowerCase();
        // Encoded once for every receiver (a string would be encoded again per send).
        const payload = Buffer.from(
          JSON.stringify({
            t: ChatServerMessage.Message,
            channel: event.channel,
            id: event.id,
            from: event.from,
            text: event.text,
            ts: event.ts,
          }),
        );
        let n = 0;
        for (const ws of targets) {
          if (ws.getUserData().relations.has(sender)) continue;
          deliver(ws, event.id, payload);
          n++;
        }
        metrics.delivered(n);
        return;
      }
      case "whisper": {
        const sender = event.from.name.toLowerCase();
        const payload = Buffer.from(
          JSON.stringify({
            t: ChatServerMessage.Whispered,
            id: event.id,
            from: event.from,
            to: event.to,
            text: event.text,
            ts: event.ts,
          }),
        );
        let n = 0;
        for (const ws of byKey.get(event.to.toLowerCase()) ?? []) {
          if (ws.getUserData().relations.has(sender)) continue;
          deliver(ws, event.id, payload);
          n++;
        }
        // The sender's other tabs (and the one that sent it) see what was said.
        for (const ws of byKey.get(sender) ?? []) {
          deliver(ws, event.id, payload);
          n++;
        }
        metrics.delivered(n);
        return;
      }
      case "mute":
        for (const ws of byKey.get(event.name) ?? []) ws.getUserData().mutedUntil = event.until;
        return;
      case "party": {
        const party = event.party.members.length > 0 ? event.party : null;
        for (const m of event.party.members) for (const ws of byKey.get(m) ?? []) setParty(ws, party);
        if (event.gone) for (const ws of byKey.get(event.gone) ?? []) setParty(ws, null);
        return;
      }
      case "invite":
        for (const ws of byKey.get(event.to) ?? []) {
          send(ws, { t: ChatServerMessage.PartyInvite, party: event.party, from: event.from });
        }
        return;
      case "kick":
        for (const ws of [...(byKey.get(event.name) ?? [])]) closeWith(ws, "STARLANE_ERR_CHAT_KICKED", "kicked");
        return;
      case "relation":
        if (event.origin !== instance) setRelation(event.owner, event.target, event.kind);
        return;
    }
  };

  /** On every connection of `owner` here: hide (or show again) `target`. */
  const setRelation = (owner: string, target: string, kind: Relation | null) => {
    for (const ws of byKey.get(owner) ?? []) {
      const rel = ws.getUserData().relations;
      if (kind) rel.set(target, kind);
      else rel.delete(target);
    }
  };

  const onAccount = (event: AccountEvent) => {
    const code = ACCOUNT_EVENT_CLOSE[event.kind];
    const message =
      event.kind === "banned"
        ? ErrorCode.STARLANE_ERR_ACCOUNT_BANNED.message
        : ErrorCode.STARLANE_ERR_SESSIONS_REVOKED.message;
    for (const ws of [...(byId.get(event.account) ?? [])]) {
      const c = ws.getUserData();
      if (c.closed) continue;
      flushNow(ws);
      metrics.closed("account");
      c.closed = true;
      ws.end(code, message);
    }
  };

  await bus.subscribe(onEvent);
  const unwatch = await ownership.watch(onOwnership);
  const unfollow = await deps.accountEvents?.follow(onAccount);

  const refuse = (reason: Refusal, ws: Ws, code: ErrorCode, ref: unknown) => {
    metrics.refused(reason);
    sendError(ws, code, ref);
  };

  /** One client request, after the synchronous checks (size, JSON, rate). */
  const handle = async (ws: Ws, msg: Record<string, unknown>) => {
    const c = ws.getUserData();
    if (!c.admitted) return; // sent before its token was verified, and the token was refused
    const ref = msg.ref;
    switch (msg.t) {
      case ChatClientMessage.Say: {
        let channel: string;
        if (msg.channel === CHAT_GLOBAL) channel = CHAT_GLOBAL;
        else if (msg.channel === "region") {
          if (!c.region) return refuse("no_region", ws, "STARLANE_ERR_CHAT_NO_REGION", ref);
          channel = regionChannel(c.region);
        } else if (msg.channel === "party") {
          if (!c.party) return refuse("party", ws, "STARLANE_ERR_CHAT_NOT_IN_PARTY", ref);
          channel = partyChannel(c.party);
        } else return refuse("unknown_channel", ws, "STARLANE_ERR_CHAT_UNKNOWN_CHANNEL", ref);
        if (c.mutedUntil > Date.now()) return refuse("muted", ws, "STARLANE_ERR_CHAT_MUTED", ref);
        const text = cleanText(msg.text as string, config.maxChars);
        if (!text.ok) return refuse(text.code === "STARLANE_ERR_CHAT_EMPTY" ? "empty" : "too_long", ws, text.code, ref);
        metrics.received("channel");
        const { id, ts } = await history.append(channel, c.player, text.text);
        await bus.publish({ k: "message", channel, id, from: c.player, text: text.text, ts, pub: Date.now() });
        return;
      }
      case ChatClientMessage.Whisper: {
        if (c.mutedUntil > Date.now()) return refuse("muted", ws, "STARLANE_ERR_CHAT_MUTED", ref);
        const text = cleanText(msg.text as string, config.maxChars);
        if (!text.ok) return refuse(text.code === "STARLANE_ERR_CHAT_EMPTY" ? "empty" : "too_long", ws, text.code, ref);
        const to = msg.to as string;
        if (!NAME.test(to) || !(await roster.isOnline(to.toLowerCase()))) {
          return refuse("offline", ws, "STARLANE_ERR_CHAT_PLAYER_OFFLINE", ref);
        }
        if (await moderation.blocks(to.toLowerCase(), c.key)) {
          return refuse("whisper_refused", ws, "STARLANE_ERR_CHAT_WHISPER_REFUSED", ref);
        }
        metrics.received("whisper");
        const ts = Date.now();
        await bus.publish({ k: "whisper", id: `w:${randomUUID()}`, from: c.player, to, text: text.text, ts, pub: ts });
        return;
      }
      case ChatClientMessage.Party: {
        const name = typeof msg.name === "string" ? msg.name : "";
        const target = name.toLowerCase();
        let result: PartyResult;
        let gone: string | undefined;
        switch (msg.action) {
          case "create":
            result = await parties.create(c.key);
            break;
          case "invite":
            if (!NAME.test(name) || !(await roster.isOnline(target))) {
              return refuse("offline", ws, "STARLANE_ERR_CHAT_PLAYER_OFFLINE", ref);
            }
            result = await parties.invite(c.key, target);
            if (result.ok) {
              await bus.publish({ k: "invite", to: target, from: c.player.name, party: result.party.id });
              send(ws, { t: ChatServerMessage.Ok, ...(ref === undefined ? {} : { ref }) });
              return;
            }
            break;
          case "accept":
            result = await parties.accept(c.key, typeof msg.party === "string" ? msg.party : "");
            break;
          case "leave":
            result = await parties.leave(c.key);
            gone = c.key;
            break;
          default:
            result = await parties.kick(c.key, target);
            gone = target;
        }
        if (!result.ok) return refuse("party", ws, result.code, ref);
        await bus.publish({ k: "party", party: result.party, ...(gone ? { gone } : {}) });
        send(ws, { t: ChatServerMessage.Ok, ...(ref === undefined ? {} : { ref }) });
        return;
      }
      case ChatClientMessage.Mute:
      case ChatClientMessage.Block:
      case ChatClientMessage.Unmute:
      case ChatClientMessage.Unblock: {
        const name = msg.name as string;
        if (!NAME.test(name)) return sendError(ws, "STARLANE_ERR_VALIDATION", ref);
        const target = name.toLowerCase();
        const kind: Relation | null = msg.t === "mute" ? "mute" : msg.t === "block" ? "block" : null;
        if (kind) await moderation.set(c.key, target, kind);
        else await moderation.clear(c.key, target);
        // Here at once (the answer below means it holds); the player's tabs on other instances
        // through the bus.
        setRelation(c.key, target, kind);
        await bus.publish({ k: "relation", owner: c.key, target, kind, origin: instance });
        send(ws, { t: ChatServerMessage.Ok, ...(ref === undefined ? {} : { ref }) });
        return;
      }
    }
  };

  const refuseUpgrade = (res: uws.HttpResponse, err: StarlaneError) => {
    metrics.upgradeRefused(err.code);
    res.cork(() => {
      res.writeStatus(`${err.status} ${err.status === 403 ? "Forbidden" : "Too Many Requests"}`);
      res.writeHeader("content-type", "application/json");
      if (err.status === 429) res.writeHeader("retry-after", "1");
      res.end(JSON.stringify(err.toBody()));
    });
  };

  /**
   * Verifies the connection's token and takes its place at the edge; true when admitted. A refused
   * connection is closed with the refusal's code (4100 for a bad token, 4111 over the per-address
   * cap) before anything was sent on it.
   */
  const admit = async (ws: Ws): Promise<boolean> => {
    const c = ws.getUserData();
    const refuse = (err: StarlaneError) => {
      metrics.upgradeRefused(err.code);
      if (c.closed) return false;
      c.closed = true;
      const spec: { close?: number; message: string } = ErrorCode[err.code];
      ws.end(spec.close ?? CloseCode.Unauthorized, err.message);
      return false;
    };
    let claims: AccessClaims;
    try {
      claims = await verifier.verify(c.token || undefined);
    } catch (err) {
      edge.countRefused(c.ip);
      // Closed with 4100 (or the verifier's own code): a browser cannot read an HTTP refusal of a
      // WebSocket, but it can read the close code, and the shared close policy says "log in again".
      return refuse(err instanceof StarlaneError ? err : new StarlaneError("STARLANE_ERR_UNAUTHORIZED"));
    }
    if (c.closed) return false;
    const release = edge.admit(c.ip, claims.lt === true);
    if (release instanceof StarlaneError) return refuse(release);
    Object.assign(c, admitted(claims, release));
    log.debug({ player: c.player.id }, "chat connection open");
    all.add(ws);
    add(byKey, c.key, ws);
    add(byId, c.player.id, ws);
    metrics.connected(1);
    return true;
  };

  app.ws<Conn>(CHAT_PATH, {
    maxPayloadLength: UWS_MAX_PAYLOAD,
    maxBackpressure: 1024 * 1024,
    // A receiver that cannot keep up is closed, not buffered for without end.
    closeOnBackpressureLimit: true,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    // The upgrade is synchronous and the token is verified once the socket is open. uWS's
    // `res.cork(() => res.upgrade())` after an await can close the fresh socket at once (1006,
    // uNetworking/uWebSockets#1929), and an uncorked upgrade prints a warning per connection; so
    // nothing here awaits. The Origin and the per-address upgrade rate are checked first, as HTTP
    // refusals; a bad token or a full per-address quota closes the open socket with its code
    // before anything is sent on it.
    upgrade: (res, req, context) => {
      const ip = Buffer.from(res.getRemoteAddressAsText()).toString();
      const origin = req.getHeader("origin") || undefined;
      const token =
        bearerToken(req.getHeader("authorization") || undefined) ??
        new URLSearchParams(req.getQuery() ?? "").get("access_token") ??
        "";
      if (closing) return refuseUpgrade(res, new StarlaneError("STARLANE_ERR_UNAVAILABLE"));
      const early = edge.precheck(ip, origin);
      if (early) return refuseUpgrade(res, early);
      res.upgrade<Conn>(
        newConn(ip, token, config),
        req.getHeader("sec-websocket-key"),
        req.getHeader("sec-websocket-protocol"),
        req.getHeader("sec-websocket-extensions"),
        context,
      );
    },
    open: (ws) => {
      const c = ws.getUserData();
      c.loading++;
      c.buffer = [];
      c.queue = (async () => {
        if (!(await admit(ws))) return;
        const first = (byKey.get(c.key)?.size ?? 0) === 1;
        const [relations, mutedUntil, owner, party] = await Promise.all([
          moderation.relations(c.key),
          moderation.mutedUntil(c.key),
          ownership.get(c.player.id),
          parties.of(c.key),
          first ? roster.add(c.key) : undefined,
        ]);
        for (const [k, v] of relations) c.relations.set(k, v);
        c.mutedUntil = Math.max(c.mutedUntil, mutedUntil);
        if (c.closed) return;
        send(ws, {
          t: ChatServerMessage.Welcome,
          player: c.player,
          region: owner?.region ?? "",
          limits: {
            maxChars: config.maxChars,
            rateMessages: config.rateMessages,
            rateWindowMs: config.rateWindowMs,
            rateBurst: config.rateBurst,
          },
        });
        if (owner) setRegion(ws, owner.region, owner.version);
        if (party) setParty(ws, party);
        c.loading--;
        await sendHistory(ws, CHAT_GLOBAL);
      })().catch((err) => {
        log.error({ err, player: c.player.id }, "chat connection set-up failed");
        if (!c.closed) ws.end(CloseCode.GoingAway, "chat is unavailable; retry shortly");
      });
    },
    message: (ws, raw, isBinary) => {
      const c = ws.getUserData();
      if (c.closed) return;
      if (raw.byteLength > config.maxFrameBytes) return closeWith(ws, "STARLANE_ERR_MESSAGE_TOO_LARGE", "too_large");
      const msg = isBinary ? null : parseRequest(raw);
      if (!msg) return closeWith(ws, "STARLANE_ERR_MALFORMED_MESSAGE", "malformed");
      const sends = msg.t === ChatClientMessage.Say || msg.t === ChatClientMessage.Whisper;
      // Every request costs a token (mute and block write to PostgreSQL too); a flood that keeps
      // going after being told is closed.
      if (!c.bucket.take() || c.queued >= config.rateBurst * 2) {
        if (++c.strikes >= config.floodCloseAfter) return closeWith(ws, "STARLANE_ERR_RATE_LIMITED", "flood");
        return refuse("rate_limited", ws, "STARLANE_ERR_CHAT_RATE_LIMITED", msg.ref);
      }
      if (sends) c.strikes = 0;
      c.queued++;
      c.queue = c.queue
        .then(() => handle(ws, msg)) // accepted before a close: still said
        .catch((err) => {
          log.error({ err, player: c.player.id }, "chat request failed");
          sendError(ws, "STARLANE_ERR_INTERNAL", msg.ref);
        })
        .finally(() => {
          c.queued--;
        });
    },
    close: (ws, code) => {
      const c = ws.getUserData();
      log.debug({ player: c.player.id, code }, "chat connection closed");
      c.closed = true;
      outboxes.forget(ws); // a closed uWS socket may not be touched again
      if (!c.admitted) return;
      c.release();
      all.delete(ws);
      drop(byId, c.player.id, ws);
      drop(byKey, c.key, ws);
      if (c.region) drop(regions, regionChannel(c.region), ws);
      if (c.party) drop(regions, partyChannel(c.party), ws);
      metrics.connected(-1);
      if (!byKey.has(c.key)) void roster.remove(c.key).catch(() => {});
    },
  });

  mountOperatorRoutes(app, { log, check: deps.operatorCheck, bus, moderation });
  mountOps(app, { registry: deps.registry, notReadyReason: () => (closing ? "shutting down" : null) });
  mountNotFound(app);

  return {
    app,
    listen() {
      listening = listen(app, config.host, config.port);
      return listening;
    },
    connections: () => all.size,
    notReadyReason: () => (closing ? "shutting down" : null),
    async close() {
      if (closing) return;
      closing = true;
      listening?.close();
      for (const ws of [...all]) {
        if (ws.getUserData().closed) continue;
        flushNow(ws);
        ws.end(CloseCode.ShuttingDown, "chat is shutting down");
      }
      await unwatch();
      await unfollow?.();
      await roster.close();
    },
  };
}
