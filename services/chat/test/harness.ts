// Chat instances for tests on the real Redis and PostgreSQL (their own database and key prefix),
// real access tokens signed here, and a small WebSocket client that records what it receives.
import { randomUUID } from "node:crypto";
import {
  ACCESS_TOKEN_TYPE,
  createConnectionEdge,
  createLogger,
  createOperatorCheck,
  createRegistry,
  createTokenVerifier,
  type EdgeOptions,
  RedisShipOwnership,
  TOKEN_ALGORITHM,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  type TokenVerifier,
} from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type pg from "pg";
import WebSocket from "ws";
import {
  CHAT_PATH,
  type ChatServer,
  createChatServer,
  createHistory,
  createModeration,
  RedisChatBus,
  RedisParties,
  RedisRoster,
} from "../src/index.js";

export const OPERATOR_TOKEN = "op-token-for-tests-0123456789abcdef0123456789";

export interface Tokens {
  verifier: TokenVerifier;
  sign(claims: { sub?: string; name: string; expiresIn?: string | number; lt?: boolean }): Promise<string>;
}

export async function makeTokens(): Promise<Tokens> {
  const { publicKey, privateKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: TOKEN_ALGORITHM, use: "sig" };
  return {
    verifier: createTokenVerifier({ keys: { keys: [jwk] } }),
    sign: ({ sub = randomUUID(), name, expiresIn = "15m", lt }) =>
      new SignJWT(lt ? { name, lt: true } : { name })
        .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: "k1", typ: ACCESS_TOKEN_TYPE })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey),
  };
}

export const LIMITS = {
  rateMessages: 5,
  rateWindowMs: 2000,
  rateBurst: 5,
  floodCloseAfter: 20,
  maxChars: 500,
  maxFrameBytes: 8192,
};

export interface Instance {
  chat: ChatServer;
  port: number;
  url: string;
  bus: RedisChatBus;
}

export async function startInstance(
  deps: { redis: Redis; db: pg.Pool; prefix: string; tokens: Tokens },
  edge: Partial<EdgeOptions> = {},
  limits: Partial<typeof LIMITS> = {},
): Promise<Instance> {
  const bus = new RedisChatBus(deps.redis, { prefix: deps.prefix });
  const chat = await createChatServer(
    {
      log: createLogger("chat", process.env.CHAT_TEST_LOG ?? "silent"),
      verifier: deps.tokens.verifier,
      edge: createConnectionEdge({
        allowedOrigins: ["http://localhost:8080"],
        maxConnectionsPerIp: 0,
        upgradesPerIpPerS: 0,
        ...edge,
      }),
      bus,
      roster: new RedisRoster(deps.redis, { prefix: deps.prefix, instance: randomUUID() }),
      parties: new RedisParties(deps.redis, { prefix: deps.prefix }),
      history: createHistory(deps.db, 50),
      moderation: createModeration(deps.db),
      ownership: new RedisShipOwnership(deps.redis, { prefix: deps.prefix }),
      operatorCheck: createOperatorCheck(OPERATOR_TOKEN),
      registry: createRegistry("chat"),
    },
    { host: "127.0.0.1", port: 0, ...LIMITS, ...limits },
  );
  const { port } = chat.listen();
  return { chat, port, url: `ws://127.0.0.1:${port}${CHAT_PATH}`, bus };
}

// biome-ignore lint/suspicious/noExplicitAny: test messages are inspected field by field
export type Msg = Record<string, any>;

export class Client {
  readonly messages: Msg[] = [];
  closed: { code: number; reason: string } | undefined;
  refusedStatus: number | undefined;
  error: Error | undefined;
  note = "";
  ws: WebSocket;
  readonly #url: string;
  readonly #options: { token?: string; origin?: string };
  #opened = false;

  constructor(url: string, options: { token?: string; origin?: string } = {}) {
    this.#url = url;
    this.#options = options;
    this.ws = this.#open();
  }

  #open(): WebSocket {
    const options = this.#options;
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const ws = new WebSocket(this.#url, { headers, ...(options.origin ? { origin: options.origin } : {}) });
    this.#opened = false;
    ws.on("message", (data) => this.messages.push(JSON.parse(data.toString("utf8")) as Msg));
    ws.on("open", () => {
      this.#opened = true;
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      if (code === 1006) this.note = `opened=${this.#opened} received=${this.messages.length}`;
    });
    ws.on("error", (err) => {
      this.error = err;
    });
    ws.on("unexpected-response", (_req, res) => {
      this.refusedStatus = res.statusCode;
      this.closed = { code: -1, reason: `HTTP ${res.statusCode}` };
    });
    return ws;
  }

  send(message: object | string) {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Waits for a message matching `pred` that arrived after `from` (an index into messages). */
  next(what: string, pred: (m: Msg) => boolean, from = 0, ms = 5000): Promise<Msg> {
    return waitFor(what, () => this.messages.slice(from).find(pred), ms);
  }

  /** Connected, welcomed and given the global history. */
  async ready(): Promise<Msg> {
    const isHistory = (m: Msg) => m.t === "history" && m.channel === "global";
    await waitFor("global history or a close", () => this.messages.some(isHistory) || this.closed);
    const history = this.messages.find(isHistory);
    if (!history)
      throw new Error(`closed before ready: ${JSON.stringify(this.closed)} ${this.error?.message ?? ""} ${this.note}`);
    return history;
  }

  waitClosed(ms = 5000) {
    return waitFor("close", () => this.closed, ms);
  }

  /** Channel messages received with this text marker. */
  texts(channel: string) {
    return this.messages.filter((m) => m.t === "message" && m.channel === channel).map((m) => m.text as string);
  }

  close() {
    this.ws.terminate();
  }
}
