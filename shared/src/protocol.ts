// The wire contract. Server, browser client and bots import these tables; nothing else defines a
// message name, an error code or a close code. Every entry is documented in shared/PROTOCOL.md
// (a test checks that).

/** Messages on the zone room connection (Colyseus message types). */
export const ClientMessage = {
  /** { seq, thrust, turn, fire } one control sample, stamped with an increasing sequence number */
  Input: "input",
  /** { kind, target? } a discrete action: mine, sell, buy, respawn (PROTOCOL.md, "Actions") */
  Action: "action",
  /** { to, side, ore, credits } offer a trade to another player's ship in the same region */
  TradeOffer: "tradeOffer",
  /** { id } accept a trade offered to you */
  TradeAccept: "tradeAccept",
  /** { id } withdraw (offerer) or decline (addressee) an open offer */
  TradeCancel: "tradeCancel",
} as const;
export type ClientMessage = (typeof ClientMessage)[keyof typeof ClientMessage];

export const ServerMessage = {
  /** { code, message } a request was refused; the connection stays open */
  Error: "error",
  /** { roomId, reservation, address } your ship now belongs to another room: join it */
  Handoff: "handoff",
  /** { id, from, to, side, ore, credits, expiresInMs } a trade offer was opened (sent to both players) */
  TradeOffered: "tradeOffered",
  /** { id, outcome, code? } an offer closed: committed, refused, cancelled or expired (sent to both) */
  TradeClosed: "tradeClosed",
} as const;
export type ServerMessage = (typeof ServerMessage)[keyof typeof ServerMessage];

/** Chat connection, client to server: JSON text frames `{ t, ... }` (shared/PROTOCOL.md, "Chat"). */
export const ChatClientMessage = {
  /** { t, channel: "global" | "region", text, ref? } a message to a channel */
  Say: "say",
  /** { t, to: name, text, ref? } a private message to a player by name */
  Whisper: "whisper",
  /** { t, name, ref? } hide that player's messages from me (kept in PostgreSQL) */
  Mute: "mute",
  Unmute: "unmute",
  /** { t, name, ref? } mute, and refuse their whispers */
  Block: "block",
  Unblock: "unblock",
  /** { t, action: "create" | "invite" | "accept" | "leave" | "kick", name?, party?, ref? } */
  Party: "party",
} as const;
export type ChatClientMessage = (typeof ChatClientMessage)[keyof typeof ChatClientMessage];

/** Chat connection, server to client. */
export const ChatServerMessage = {
  /** { t, player: { id, name }, region, limits } sent once after the upgrade */
  Welcome: "welcome",
  /** { t, channel, messages } the channel's last messages, oldest first, on joining it */
  History: "history",
  /** { t, channel, id, from: { id, name }, text, ts } a message on a channel you are in */
  Message: "message",
  /** { t, id, from, to, text, ts } a private message (the sender gets it too) */
  Whispered: "whispered",
  /** { t, region } your ship's region changed: the `region` channel now means this one ("" for none) */
  Region: "region",
  /** { t, party: { id, leader, members } | null } your party now (null: you are in none) */
  PartyState: "party",
  /** { t, party, from } a player invites you to their party: accept with its id */
  PartyInvite: "partyInvite",
  /** { t, ref } a request without a message of its own (mute, block) was done */
  Ok: "ok",
  /** { t, code, message, ref? } a request was refused; the connection stays open */
  ChatError: "error",
} as const;
export type ChatServerMessage = (typeof ChatServerMessage)[keyof typeof ChatServerMessage];

/** The chat service's fixed channels; region channels are `region:<room id>`. */
export const CHAT_GLOBAL = "global";

/**
 * WebSocket close codes. 1000-1015 are the RFC's, 4000-4099 Colyseus's own; Starlane's application
 * codes start at 4100 and each area takes its codes from its own range (CLOSE_CODE_RANGES), so work
 * on different areas never picks the same number.
 */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** The access token was missing, malformed, expired or not ours. Log in again. */
  Unauthorized: 4100,
  /** More messages per second than the limit. Reconnect after a pause. */
  RateLimited: 4101,
  /** A frame over the size limit. */
  MessageTooLarge: 4102,
  /** A frame that is not a message of the protocol. */
  Malformed: 4103,
  /** The same player connected again elsewhere; this older connection is closed. */
  Replaced: 4104,
  /** The server is shutting down; reconnect (another process takes over). */
  ShuttingDown: 4105,
  /** The region moved to another zone process; reconnect through world entry. */
  RegionMoved: 4106,
  /** Your ship was handed to another room and this connection was not left in time; use the new one. */
  HandedOff: 4107,
  /** The connection edge refused this browser page's origin (sent after the upgrade when HTTP cannot be read). */
  OriginRefused: 4110,
  /** Too many connections from one address. */
  TooManyConnections: 4111,
  /** An operator removed this player from chat. */
  ChatKicked: 4160,
  /** An operator banned the account; world entry refuses it until it is unbanned. */
  AccountBanned: 4180,
  /** The account's sessions were ended (password changed, logged out everywhere). Log in again. */
  SessionsRevoked: 4181,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * The parts of the system that own codes. `connection` is the edge every WebSocket service shares
 * (tokens, limits, framing, replaced, shutdown); the others are the services and their concerns.
 */
export const CODE_AREAS = ["common", "connection", "login", "zone", "economy", "chat", "operator"] as const;
export type CodeArea = (typeof CODE_AREAS)[number];

/**
 * Close-code ranges per area (inclusive). 4106-4107 were the zone's before the ranges were set and
 * keep their numbers. `login`'s range is for account decisions that end live connections (a ban,
 * sessions revoked); `common` and `economy` answer requests and close nothing.
 */
export const CLOSE_CODE_RANGES: Record<CodeArea, readonly (readonly [number, number])[]> = {
  common: [],
  connection: [
    [4100, 4105],
    [4110, 4129],
  ],
  zone: [
    [4106, 4109],
    [4130, 4159],
  ],
  chat: [[4160, 4179]],
  login: [[4180, 4189]],
  operator: [[4190, 4199]],
  economy: [],
};

/** The area each close code belongs to (the table below is grouped the same way). */
export const CLOSE_CODE_AREA: Record<CloseCode, CodeArea | "rfc"> = {
  1000: "rfc",
  1001: "rfc",
  4100: "connection",
  4101: "connection",
  4102: "connection",
  4103: "connection",
  4104: "connection",
  4105: "connection",
  4106: "zone",
  4107: "zone",
  4110: "connection",
  4111: "connection",
  4160: "chat",
  4180: "login",
  4181: "login",
};

/**
 * Error-code names: codes of the areas that came after this table (`chat`, `operator`, `economy`)
 * start with their area's prefix, so two areas never add the same name.
 */
export const ERROR_CODE_PREFIX: Partial<Record<CodeArea, string>> = {
  chat: "STARLANE_ERR_CHAT_",
  operator: "STARLANE_ERR_OPERATOR_",
  economy: "STARLANE_ERR_LEDGER_",
};

interface ErrorSpec {
  /** Which part of the system owns this code (see CODE_AREAS and shared/PROTOCOL.md). */
  area: CodeArea;
  /** HTTP status when the error answers a request. */
  status: number;
  /** Close code when the error ends a connection, if it does. */
  close?: CloseCode;
  /** What the client is told. Never the internal cause. */
  message: string;
}

/** Every error a client can see. The key is the stable code clients switch on. */
export const ErrorCode = {
  STARLANE_ERR_BAD_JSON: { area: "common", status: 400, message: "The request body is not valid JSON." },
  STARLANE_ERR_UNSUPPORTED_MEDIA_TYPE: { area: "common", status: 415, message: "Send the body as application/json." },
  STARLANE_ERR_BODY_TOO_LARGE: { area: "common", status: 413, message: "The request body is too large." },
  STARLANE_ERR_VALIDATION: {
    area: "common",
    status: 400,
    message: "The request is missing a field or a field is invalid.",
  },
  STARLANE_ERR_NOT_FOUND: { area: "common", status: 404, message: "No such endpoint." },
  STARLANE_ERR_METHOD_NOT_ALLOWED: { area: "common", status: 405, message: "That method is not allowed here." },
  STARLANE_ERR_BAD_NAME: {
    area: "login",
    status: 400,
    message: "Account names are 3-20 characters: letters, digits and underscore.",
  },
  STARLANE_ERR_WEAK_PASSWORD: { area: "login", status: 400, message: "Passwords are 8-128 characters." },
  STARLANE_ERR_NAME_TAKEN: { area: "login", status: 409, message: "That account name is taken." },
  STARLANE_ERR_BAD_CREDENTIALS: { area: "login", status: 401, message: "Wrong account name or password." },
  STARLANE_ERR_UNAUTHORIZED: {
    area: "connection",
    status: 401,
    close: CloseCode.Unauthorized,
    message: "A valid access token is required.",
  },
  STARLANE_ERR_REFRESH_INVALID: {
    area: "login",
    status: 401,
    message: "The refresh token is invalid, expired or revoked.",
  },
  STARLANE_ERR_ACCOUNT_BANNED: {
    area: "login",
    status: 403,
    close: CloseCode.AccountBanned,
    message: "This account is banned.",
  },
  STARLANE_ERR_SESSIONS_REVOKED: {
    area: "login",
    status: 401,
    close: CloseCode.SessionsRevoked,
    message: "Your sessions were ended (password changed or logged out everywhere); log in again.",
  },
  STARLANE_ERR_RATE_LIMITED: {
    area: "connection",
    status: 429,
    close: CloseCode.RateLimited,
    message: "Too many requests; slow down.",
  },
  STARLANE_ERR_MESSAGE_TOO_LARGE: {
    area: "connection",
    status: 413,
    close: CloseCode.MessageTooLarge,
    message: "Message too large.",
  },
  STARLANE_ERR_MALFORMED_MESSAGE: {
    area: "connection",
    status: 400,
    close: CloseCode.Malformed,
    message: "Malformed message.",
  },
  STARLANE_ERR_INVALID_INPUT: {
    area: "zone",
    status: 400,
    message: "The input was out of range or malformed and was dropped.",
  },
  STARLANE_ERR_NOT_YOUR_SHIP: { area: "zone", status: 403, message: "You can only act for your own ship." },
  STARLANE_ERR_SEAT_INVALID: {
    area: "zone",
    status: 403,
    message: "That seat reservation is not valid for you or this region.",
  },
  STARLANE_ERR_HANDOFF_REFUSED: { area: "zone", status: 403, message: "Handoffs are started by the server only." },
  STARLANE_ERR_REGION_UNAVAILABLE: {
    area: "zone",
    status: 503,
    message: "The region is not served right now; retry shortly.",
  },
  STARLANE_ERR_ACTION_REFUSED: { area: "zone", status: 409, message: "That action is not possible here or now." },
  STARLANE_ERR_ROOM_CREATION_REFUSED: {
    area: "zone",
    status: 403,
    message: "Region rooms are opened by the zone only; enter the world through world entry.",
  },
  STARLANE_ERR_LEDGER_INSUFFICIENT: {
    area: "economy",
    status: 409,
    message: "Not enough credits or ore for that; nothing changed.",
  },
  STARLANE_ERR_LEDGER_KEY_REUSED: {
    area: "economy",
    status: 409,
    message: "That operation key was already used for a different request; nothing changed.",
  },
  STARLANE_ERR_LEDGER_STALE_EPOCH: {
    area: "economy",
    status: 409,
    message: "This zone no longer owns the region; nothing changed. Retry after reconnecting.",
  },
  STARLANE_ERR_LEDGER_BUSY: {
    area: "economy",
    status: 409,
    message:
      "Your previous sale or trade is still being committed (or you have too many open offers); try again in a moment.",
  },
  STARLANE_ERR_LEDGER_TRADE_CLOSED: {
    area: "economy",
    status: 409,
    message: "That trade offer is no longer open (accepted, cancelled or expired).",
  },
  STARLANE_ERR_LEDGER_TRADE_NOT_YOURS: {
    area: "economy",
    status: 403,
    message: "That trade offer is not addressed to you.",
  },
  STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY: {
    area: "economy",
    status: 409,
    message: "The other player is not connected, or one of you left or moved to another region; nothing changed.",
  },
  STARLANE_ERR_LEDGER_UPGRADE_UNAVAILABLE: {
    area: "economy",
    status: 409,
    message: "That upgrade is not for sale to you (already owned, or the level before it is missing).",
  },
  STARLANE_ERR_LEDGER_UNAVAILABLE: {
    area: "economy",
    status: 503,
    message: "The ledger does not answer; your balance changes only if and when it commits.",
  },
  STARLANE_ERR_OPERATOR_UNAUTHORIZED: {
    area: "operator",
    status: 401,
    message: "The operator credential is missing or wrong.",
  },
  STARLANE_ERR_OPERATOR_BATCH_TOO_LARGE: {
    area: "operator",
    status: 413,
    message: "Too many accounts in one request; split it.",
  },
  STARLANE_ERR_ORIGIN_REFUSED: {
    area: "connection",
    status: 403,
    close: CloseCode.OriginRefused,
    message: "Connections from this web page's origin are not allowed.",
  },
  STARLANE_ERR_TOO_MANY_CONNECTIONS: {
    area: "connection",
    status: 429,
    close: CloseCode.TooManyConnections,
    message: "Too many connections from your address.",
  },
  STARLANE_ERR_CHAT_UNKNOWN_CHANNEL: { area: "chat", status: 400, message: "There is no such chat channel." },
  STARLANE_ERR_CHAT_NO_REGION: {
    area: "chat",
    status: 409,
    message: "Your ship is in no region right now; enter the world first.",
  },
  STARLANE_ERR_CHAT_PLAYER_OFFLINE: {
    area: "chat",
    status: 404,
    message: "No player of that name is online.",
  },
  STARLANE_ERR_CHAT_WHISPER_REFUSED: {
    area: "chat",
    status: 403,
    message: "That player does not accept your messages.",
  },
  STARLANE_ERR_CHAT_TOO_LONG: { area: "chat", status: 413, message: "The message is too long." },
  STARLANE_ERR_CHAT_EMPTY: { area: "chat", status: 400, message: "The message is empty." },
  STARLANE_ERR_CHAT_RATE_LIMITED: {
    area: "chat",
    status: 429,
    message: "You are sending messages too fast; this one was dropped.",
  },
  STARLANE_ERR_CHAT_NOT_IN_PARTY: {
    area: "chat",
    status: 409,
    message: "You are not in a party (or that player is not in yours).",
  },
  STARLANE_ERR_CHAT_ALREADY_IN_PARTY: { area: "chat", status: 409, message: "Leave your party first." },
  STARLANE_ERR_CHAT_NOT_INVITED: { area: "chat", status: 403, message: "You have no invitation to that party." },
  STARLANE_ERR_CHAT_NOT_LEADER: { area: "chat", status: 403, message: "Only the party's leader may do that." },
  STARLANE_ERR_CHAT_MUTED: { area: "chat", status: 403, message: "An operator muted you for a while." },
  STARLANE_ERR_CHAT_KICKED: {
    area: "chat",
    status: 403,
    close: CloseCode.ChatKicked,
    message: "An operator removed you from chat.",
  },
  STARLANE_ERR_OPERATOR_UNKNOWN_ACCOUNT: {
    area: "operator",
    status: 404,
    message: "No account has that name.",
  },
  STARLANE_ERR_UNAVAILABLE: { area: "common", status: 503, message: "The service is not ready; retry shortly." },
  STARLANE_ERR_INTERNAL: { area: "common", status: 500, message: "Something went wrong on our side." },
} as const satisfies Record<`STARLANE_ERR_${string}`, ErrorSpec>;
export type ErrorCode = keyof typeof ErrorCode;

/** The body of every error response and error message. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Which field was wrong, for validation errors. */
  field?: string;
}

/** An error meant for the client. `cause` is for the log only and never sent. */
export class StarlaneError extends Error {
  override name = "StarlaneError";
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode[code].message, options);
    this.status = ErrorCode[code].status;
  }

  toBody(): ErrorBody {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}
