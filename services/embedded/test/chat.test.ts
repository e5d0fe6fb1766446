// Chat in the embedded composition (npm start), as a player finds it: world entry's answer says
// where chat is; the chat connection knows the player from the token and the region from the
// ship's room; global messages and whispers arrive; the front door's origin may connect and
// another site's may not.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, type Room } from "@colyseus/sdk";
import { parseChatFrame } from "@starlane/shared/client";
import { waitFor } from "@starlane/shared/testing";
import WebSocket from "ws";
import { type Booted, bootEmbedded } from "./boot.js";

let base = "";
const rooms: Room[] = [];
const sockets: WebSocket[] = [];

const env = {
  STARLANE_LOGIN_SCRYPT_LOG_N: "14",
  STARLANE_OPERATOR_TOKEN: "embedded-chat-operator-token-0123456789",
};

let booted: Booted;
before(async () => {
  booted = await bootEmbedded(env);
  ({ base } = booted);
});

after(async () => {
  for (const s of sockets) s.terminate();
  for (const r of rooms) await r.leave().catch(() => {});
  await booted.close();
});

async function api(path: string, body: unknown, token?: string) {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

// biome-ignore lint/suspicious/noExplicitAny: chat messages are inspected field by field
type Msg = Record<string, any>;

function chat(url: string, token: string, origin?: string) {
  const messages: Msg[] = [];
  const state: { closed?: number; status?: number } = {};
  const ws = new WebSocket(`${url}?access_token=${encodeURIComponent(token)}`, origin ? { origin } : {});
  sockets.push(ws);
  ws.on("message", (d) => messages.push(...(parseChatFrame(d.toString("utf8")) as Msg[])));
  ws.on("close", (code) => {
    state.closed = code;
  });
  ws.on("error", () => {});
  ws.on("unexpected-response", (_req, res) => {
    state.status = res.statusCode;
  });
  const next = (what: string, pred: (m: Msg) => boolean) => waitFor(what, () => messages.find(pred));
  return { ws, messages, state, next, send: (m: object) => ws.send(JSON.stringify(m)) };
}

async function player(name: string) {
  const reg = await api("/v1/accounts", { name, password: "correct horse battery" });
  assert.equal(reg.status, 201, JSON.stringify(reg.body));
  const seat = await api("/v1/world/enter", {}, reg.body.accessToken);
  assert.equal(seat.status, 200, JSON.stringify(seat.body));
  const room = await new Client(`http://${seat.body.address}`).consumeSeatReservation(seat.body.reservation);
  rooms.push(room);
  return { token: reg.body.accessToken as string, seat: seat.body, room };
}

test("world entry says where chat is; chat knows the player and the ship's region; messages and whispers arrive", async () => {
  const one = await player("Chatter_1");
  const two = await player("Chatter_2");
  assert.match(one.seat.chat, /^ws:\/\/127\.0\.0\.1:\d+\/v1\/chat$/);
  const c1 = chat(one.seat.chat, one.token);
  const c2 = chat(two.seat.chat, two.token);
  const w1 = await c1.next("welcome", (m) => m.t === "welcome");
  assert.equal(w1.player.name, "Chatter_1");
  // The zone took the ship on join: its room is the region chat puts the player in.
  await waitFor("region", () =>
    c1.messages.some((m) => (m.t === "welcome" || m.t === "region") && m.region === one.seat.roomId),
  );
  await c2.next("global history", (m) => m.t === "history" && m.channel === "global");
  c1.send({ t: "say", channel: "global", text: "<script>alert('hi')</script>\u0007 hello" });
  const got = await c2.next("global message", (m) => m.t === "message");
  assert.equal(got.text, "<script>alert('hi')</script> hello", "kept as text, control character removed");
  assert.equal(got.from.name, "Chatter_1");
  c2.send({ t: "whisper", to: "chatter_1", text: "hello you" });
  const w = await c1.next("whisper", (m) => m.t === "whispered");
  assert.equal(w.from.name, "Chatter_2");
});

test("a page from another site is refused at the upgrade; the front door's own origin is not", async () => {
  const p = await player("Chatter_3");
  const evil = chat(p.seat.chat, p.token, "https://evil.example");
  await waitFor("refusal", () => evil.state.status);
  assert.equal(evil.state.status, 403);
  const own = chat(p.seat.chat, p.token, base);
  const welcome = await own.next("welcome", (m) => m.t === "welcome");
  assert.equal(welcome.player.name, "Chatter_3");
});
