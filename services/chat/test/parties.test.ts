// Parties: one suite over both membership stores (in-process and Redis), then the whole flow over
// two chat instances: create, invite by name, accept, party messages to members only, leave, kick by
// the leader; joining without an invitation is refused with its code.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectPostgres, connectRedis } from "@starlane/shared";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, testRedisPrefix } from "@starlane/shared/testing";
import type { Redis } from "ioredis";
import type pg from "pg";
import { LocalParties, migrateChat, type Parties, RedisParties } from "../src/index.js";
import { Client, type Instance, type Msg, makeTokens, startInstance, type Tokens } from "./harness.js";

let redis: Redis;
before(async () => {
  redis = await connectRedis(TEST_REDIS_URL);
});
after(() => redis.disconnect());

for (const [kind, make] of [
  ["in-process", () => new LocalParties()],
  ["Redis", () => new RedisParties(redis, { prefix: testRedisPrefix() })],
] as const) {
  describe(`party membership (${kind})`, () => {
    test("create, invite, accept, leave hands the lead on, kick by the leader only", async () => {
      const p: Parties = make();
      const created = await p.create("ann");
      assert.ok(created.ok);
      const id = created.party.id;
      assert.deepEqual(await p.create("ann"), { ok: false, code: "STARLANE_ERR_CHAT_ALREADY_IN_PARTY" });
      assert.deepEqual(await p.accept("ben", id), { ok: false, code: "STARLANE_ERR_CHAT_NOT_INVITED" });
      assert.ok((await p.invite("ann", "ben")).ok);
      assert.ok((await p.invite("ann", "cat")).ok);
      assert.deepEqual(await p.accept("ben", "no-such-party"), { ok: false, code: "STARLANE_ERR_CHAT_NOT_INVITED" });
      const joined = await p.accept("ben", id);
      assert.ok(joined.ok);
      assert.deepEqual(joined.party.members, ["ann", "ben"]);
      assert.deepEqual(await p.accept("ben", id), { ok: false, code: "STARLANE_ERR_CHAT_NOT_INVITED" }, "spent");
      assert.ok((await p.accept("cat", id)).ok);
      assert.deepEqual(await p.kick("ben", "cat"), { ok: false, code: "STARLANE_ERR_CHAT_NOT_LEADER" });
      const left = await p.leave("ann");
      assert.ok(left.ok);
      assert.equal(left.party.leader, "ben");
      assert.equal(await p.of("ann"), null);
      const kicked = await p.kick("ben", "cat");
      assert.ok(kicked.ok);
      assert.deepEqual(kicked.party.members, ["ben"]);
      assert.deepEqual(await p.kick("ben", "dan"), { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" });
      assert.deepEqual((await p.of("ben"))?.members, ["ben"]);
      const gone = await p.leave("ben");
      assert.ok(gone.ok);
      assert.deepEqual(gone.party.members, []);
      assert.deepEqual(await p.leave("ben"), { ok: false, code: "STARLANE_ERR_CHAT_NOT_IN_PARTY" });
    });
  });
}

describe("parties over two chat instances", () => {
  let testDb: TestDatabase;
  let db: pg.Pool;
  let tokens: Tokens;
  let a: Instance;
  let b: Instance;
  const clients: Client[] = [];

  before(async () => {
    testDb = await createTestDatabase();
    db = await connectPostgres(testDb.url, { max: 4 });
    await migrateChat(db);
    tokens = await makeTokens();
    const deps = { redis, db, prefix: testRedisPrefix(), tokens };
    const limits = { rateBurst: 1000, rateMessages: 1000 };
    a = await startInstance(deps, {}, limits);
    b = await startInstance(deps, {}, limits);
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const i of [a, b]) {
      await i.chat.close();
      await i.bus.close();
    }
    await db.end();
    await testDb.drop();
  });

  async function connect(instance: Instance, name: string) {
    const c = new Client(instance.url, { token: await tokens.sign({ sub: `id-${name}`, name }) });
    clients.push(c);
    await c.ready();
    return c;
  }
  const answer = (c: Client, ref: string) => c.next(ref, (m) => m.ref === ref);
  const partyOf = (c: Client, pred: (p: Msg | null) => boolean, from = 0) =>
    c.next("party state", (m) => m.t === "party" && pred(m.party as Msg | null), from);

  test("invite by name across instances, accept, party messages reach members only; leave and kick", async () => {
    const lead = await connect(a, "leader");
    const mate = await connect(b, "mate");
    const outsider = await connect(b, "outsider");
    lead.send({ t: "party", action: "create", ref: "c" });
    assert.equal((await answer(lead, "c")).t, "ok");
    const state = await partyOf(lead, (p) => p?.leader === "leader");
    const id = state.party.id as string;

    outsider.send({ t: "party", action: "accept", party: id, ref: "x" });
    assert.equal((await answer(outsider, "x")).code, "STARLANE_ERR_CHAT_NOT_INVITED");
    outsider.send({ t: "say", channel: "party", text: "me too", ref: "y" });
    assert.equal((await answer(outsider, "y")).code, "STARLANE_ERR_CHAT_NOT_IN_PARTY");

    lead.send({ t: "party", action: "invite", name: "Mate", ref: "i" });
    await answer(lead, "i");
    const invite = await mate.next("invite", (m) => m.t === "partyInvite");
    assert.deepEqual({ party: invite.party, from: invite.from }, { party: id, from: "leader" });
    mate.send({ t: "party", action: "accept", party: id, ref: "a" });
    await answer(mate, "a");
    await partyOf(lead, (p) => p?.members.length === 2);
    await partyOf(mate, (p) => p?.id === id);

    mate.send({ t: "say", channel: "party", text: "party line" });
    const got = await lead.next("party message", (m) => m.text === "party line");
    assert.equal(got.channel, `party:${id}`);
    await mate.next("own party message", (m) => m.text === "party line");
    lead.send({ t: "say", channel: "global", text: "party sentinel" });
    await outsider.next("sentinel", (m) => m.text === "party sentinel");
    assert.equal(outsider.messages.filter((m) => m.text === "party line").length, 0);

    mate.send({ t: "party", action: "kick", name: "leader", ref: "k1" });
    assert.equal((await answer(mate, "k1")).code, "STARLANE_ERR_CHAT_NOT_LEADER");
    const before = mate.messages.length;
    lead.send({ t: "party", action: "kick", name: "mate", ref: "k2" });
    await answer(lead, "k2");
    await partyOf(mate, (p) => p === null, before);
    lead.send({ t: "say", channel: "party", text: "after the kick" });
    await lead.next("own", (m) => m.text === "after the kick");
    lead.send({ t: "say", channel: "global", text: "kick sentinel" });
    await mate.next("sentinel", (m) => m.text === "kick sentinel");
    assert.equal(mate.messages.filter((m) => m.text === "after the kick").length, 0);

    lead.send({ t: "party", action: "leave", ref: "l" });
    await answer(lead, "l");
    await partyOf(lead, (p) => p === null);
  });

  test("a party member who reconnects is back in the party, with its history", async () => {
    const one = await connect(a, "pone");
    const two = await connect(b, "ptwo");
    one.send({ t: "party", action: "create", ref: "c" });
    const id = (await partyOf(one, (p) => !!p)).party.id as string;
    one.send({ t: "party", action: "invite", name: "ptwo", ref: "i" });
    await two.next("invite", (m) => m.t === "partyInvite");
    two.send({ t: "party", action: "accept", party: id, ref: "a" });
    await partyOf(two, (p) => p?.id === id);
    one.send({ t: "say", channel: "party", text: "remember this" });
    await two.next("party line", (m) => m.text === "remember this");
    two.close();
    const again = await connect(a, "ptwo");
    const hist = await again.next("party history", (m) => m.t === "history" && m.channel === `party:${id}`);
    assert.ok((hist.messages as Msg[]).some((m) => m.text === "remember this"));
  });
});
