// Player-to-player trades in one region room, through the ledger: offer, accept, both balances
// change at once (or neither), a replayed accept applies nothing, and every bad input gets its code.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ClientMessage, ServerMessage } from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import { metric, type Player, REGION, startZone, tickAndSync, type Zone } from "./harness.js";

let zone: Zone;
before(async () => {
  zone = await startZone();
});
after(() => zone.close());

const room = () => zone.server.room(REGION)!;

interface Trader extends Player {
  offered: { id: string; from: string; to: string; side: string; ore: number; credits: number; expiresInMs: number }[];
  ended: { id: string; outcome: string; code?: string }[];
}

/** A seated player whose account holds `credits`, with `cargo` ore in the hold. */
async function trader(id: string, credits: number, cargo: number): Promise<Trader> {
  await zone.ships.createAtSpawn(id, id, { region: REGION, x: 2500, y: 2500 + cargo, credits });
  const p = (await zone.join({ id })) as Trader;
  p.offered = [];
  p.ended = [];
  p.room.onMessage(ServerMessage.TradeOffered, (m) => p.offered.push(m));
  p.room.onMessage(ServerMessage.TradeClosed, (m) => p.ended.push(m));
  const sim = room().sim;
  sim.ships.set(id, { ...sim.ships.get(id)!, cargo });
  return p;
}

const view = (p: Player) => {
  const s = p.state().ships.get(p.id)!;
  return [s.credits, s.cargo];
};
const account = async (id: string) => {
  const s = await zone.ships.load(id);
  return [s?.credits, s?.cargo];
};
const settle = (players: Player[]) => tickAndSync(zone, players, 2);

test("an accepted offer moves ore and credits on both ships at once; a replayed accept changes nothing", async () => {
  const a = await trader("t-alice", 0, 30);
  const b = await trader("t-bob", 500, 0);
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 12, credits: 90 });
  await waitFor("offer seen by both", () => a.offered.length === 1 && b.offered.length === 1);
  const offer = b.offered[0]!;
  const { id: _id, expiresInMs, ...terms } = offer;
  assert.deepEqual(terms, { from: a.id, to: b.id, side: "sell", ore: 12, credits: 90 });
  assert.ok(expiresInMs > 0 && expiresInMs <= 30_000);
  b.room.send(ClientMessage.TradeAccept, { id: offer.id });
  await waitFor("committed", () => a.ended.some((c) => c.outcome === "committed") && b.ended.length === 1);
  await waitFor("both ships show it", async () => {
    await settle([a, b]);
    return view(a)[0] === 90 && view(b)[0] === 410;
  });
  assert.deepEqual(
    [view(a), view(b)],
    [
      [90, 18],
      [410, 12],
    ],
  );
  assert.deepEqual(
    [await account(a.id), await account(b.id)],
    [
      [90, 18],
      [410, 12],
    ],
  );
  b.room.send(ClientMessage.TradeAccept, { id: offer.id });
  await waitFor("replay refused", () => b.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_CLOSED"));
  await settle([a, b]);
  assert.deepEqual(
    [view(a), view(b)],
    [
      [90, 18],
      [410, 12],
    ],
  );
  await a.room.leave(true);
  await b.room.leave(true);
});

test("bad input: each gets its code and nothing changes", async () => {
  const a = await trader("t-carol", 40, 5);
  const b = await trader("t-dave", 40, 5);
  const c = await trader("t-erin", 40, 5);
  const bad: [Trader, string, unknown, string][] = [
    [a, ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: -1, credits: 1 }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 1.5, credits: 1 }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 1, credits: "NaN" }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 1, credits: 1e15 }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "steal", ore: 1, credits: 1 }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeOffer, { to: a.id, side: "sell", ore: 1, credits: 1 }, "STARLANE_ERR_INVALID_INPUT"],
    [
      a,
      ClientMessage.TradeOffer,
      { to: "nobody", side: "sell", ore: 1, credits: 1 },
      "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY",
    ],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 6, credits: 1 }, "STARLANE_ERR_LEDGER_INSUFFICIENT"],
    [a, ClientMessage.TradeOffer, { to: b.id, side: "buy", ore: 1, credits: 41 }, "STARLANE_ERR_LEDGER_INSUFFICIENT"],
    [a, ClientMessage.TradeAccept, { id: "trade:unknown" }, "STARLANE_ERR_LEDGER_TRADE_CLOSED"],
    [a, ClientMessage.TradeAccept, { id: 7 }, "STARLANE_ERR_INVALID_INPUT"],
    [a, ClientMessage.TradeCancel, { id: "trade:unknown" }, "STARLANE_ERR_LEDGER_TRADE_CLOSED"],
  ];
  const outcomes = [
    "STARLANE_ERR_LEDGER_INSUFFICIENT",
    "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY",
    "STARLANE_ERR_LEDGER_TRADE_CLOSED",
    "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS",
    "committed",
  ];
  const count = async () =>
    Promise.all(
      outcomes.map((outcome) => metric(zone, "starlane_zone_ledger_operations_total", { kind: "trade", outcome })),
    );
  const counted = await count();
  for (const [p, type, body, code] of bad) {
    const before = p.errors.length;
    p.room.send(type, body);
    await waitFor(`${JSON.stringify(body)} -> ${code}`, () => p.errors.length > before);
    assert.equal(p.errors.at(-1)!.code, code, JSON.stringify(body));
  }
  // Accepting an offer meant for someone else: refused, and the offer stays open for its addressee.
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 2, credits: 10 });
  await waitFor("offered", () => c.errors.length === 0 && b.offered.length === 1);
  c.room.send(ClientMessage.TradeAccept, { id: b.offered[0]!.id });
  await waitFor("not yours", () => c.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_TRADE_NOT_YOURS"));
  await settle([a, b, c]);
  for (const p of [a, b, c]) assert.deepEqual(view(p), [40, 5], p.id);
  for (const p of [a, b, c]) assert.deepEqual(await account(p.id), [40, 0], `${p.id}'s account untouched`);
  b.room.send(ClientMessage.TradeAccept, { id: b.offered[0]!.id });
  await waitFor("the addressee still can", () => b.ended.some((x) => x.outcome === "committed"));
  // /metrics: each refusal counted once under its code, the trade once as committed.
  const now = await count();
  assert.deepEqual(
    outcomes.map((o, i) => [o, now[i]! - counted[i]!]),
    outcomes.map((o) => [o, { STARLANE_ERR_LEDGER_INSUFFICIENT: 2, committed: 1 }[o as string] ?? 1]),
  );
  for (const p of [a, b, c]) await p.room.leave(true);
});

test("offering ore already sold is refused; a partner who leaves cancels the offer", async () => {
  const a = await trader("t-frank", 0, 10);
  const b = await trader("t-gina", 100, 0);
  const sim = room().sim;
  const st = [...sim.stations.values()][0]!;
  sim.ships.set(a.id, { ...sim.ships.get(a.id)!, x: st.x + st.radius + 60, y: st.y, vx: 0, vy: 0 });
  a.room.send("action", { kind: "sell" });
  await waitFor("sold", async () => {
    await settle([a, b]);
    return view(a)[0] === 50;
  });
  a.room.send(ClientMessage.TradeOffer, { to: b.id, side: "sell", ore: 10, credits: 1 });
  await waitFor("nothing left to offer", () => a.errors.some((e) => e.code === "STARLANE_ERR_LEDGER_INSUFFICIENT"));
  b.room.send(ClientMessage.TradeOffer, { to: a.id, side: "buy", ore: 1, credits: 5 });
  await waitFor("offered", () => a.offered.length === 1);
  await a.room.leave(true);
  await waitFor("cancelled for the one who stayed", async () => {
    await tickAndSync(zone, [b]);
    return b.ended.some((c) => c.outcome === "cancelled" && c.code === "STARLANE_ERR_LEDGER_TRADE_PARTNER_AWAY");
  });
  assert.deepEqual(view(b), [100, 0]);
  await b.room.leave(true);
});
