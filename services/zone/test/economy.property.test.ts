// Property: whatever mix of mining, sales, trades, accepted-offer replays, lost ledger answers and
// players leaving and coming back runs through a real room, afterwards (1) the credits in the ledger's
// accounts are the starting credits plus what stations paid, (2) every committed operation applied
// exactly once (each account's ledgerVersion counts the operations that name it), and (3) no
// player's screen ever showed credits the ledger had not committed, or went back to an older value.
// Same zone only; the ledger is the in-process MemoryLedger (the PostgreSQL one passes the same
// contract suite in services/persistence/test/ledger-contract.test.ts).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type BuyUpgrade,
  ClientMessage,
  type Ledger,
  MemoryLedger,
  type MemoryShipRepository,
  type SellOre,
  ServerMessage,
  type Trade,
  type TradeResult,
} from "@starlane/shared";
import { waitFor } from "@starlane/shared/testing";
import fc from "fast-check";
import { type Player, REGION, startZone, tickAndSync, type Zone } from "./harness.js";
import { assertScreenFollowsLedger } from "./screens.js";

/** The MemoryLedger, recording every committed answer, and losing the next `lose` answers (after committing). */
class RecordingLedger implements Ledger {
  readonly inner: MemoryLedger;
  readonly committed: { kind: "sale" | "buy" | "trade"; req: SellOre | BuyUpgrade | Trade; result: TradeResult }[] = [];
  lose = 0;
  constructor(ships: MemoryShipRepository) {
    this.inner = new MemoryLedger(ships);
  }
  async #call<R extends SellOre | BuyUpgrade | Trade>(
    kind: "sale" | "buy" | "trade",
    req: R,
    f: (r: R) => Promise<TradeResult>,
  ) {
    const result = await f(req);
    if (!result.replayed) this.committed.push({ kind, req, result });
    if (this.lose > 0) {
      this.lose--;
      throw new Error("connection terminated after COMMIT");
    }
    return result;
  }
  sell = (req: SellOre) => this.#call("sale", req, (r) => this.inner.sell(r));
  settled = (key: string) => this.inner.settled(key);
  trade = (req: Trade) => this.#call("trade", req, (r) => this.inner.trade(r));
  buy = (req: BuyUpgrade) => this.#call("buy", req, (r) => this.inner.buy(r));
}

let zone: Zone;
let ledger: RecordingLedger;
before(async () => {
  zone = await startZone({}, undefined, undefined, (ships) => {
    ledger = new RecordingLedger(ships);
    return ledger;
  });
});
after(() => zone.close());

const room = () => zone.server.room(REGION)!;
const N = 3;

type Op =
  | { kind: "mine"; p: number }
  | { kind: "sell"; p: number }
  | { kind: "upgrade"; p: number }
  | { kind: "trade"; p: number; q: number; side: "sell" | "buy"; ore: number; credits: number; replay: boolean }
  | { kind: "lose"; n: number }
  | { kind: "rejoin"; p: number }
  | { kind: "tick"; n: number };

const player = fc.nat(N - 1);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("mine" as const), p: player }),
  fc.record({ kind: fc.constant("sell" as const), p: player }),
  fc.record({ kind: fc.constant("upgrade" as const), p: player }),
  fc
    .record({
      kind: fc.constant("trade" as const),
      p: player,
      q: player,
      side: fc.constantFrom("sell" as const, "buy" as const),
      ore: fc.integer({ min: 1, max: 15 }),
      credits: fc.integer({ min: 0, max: 80 }),
      replay: fc.boolean(),
    })
    .filter((o) => o.p !== o.q),
  fc.record({ kind: fc.constant("lose" as const), n: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant("rejoin" as const), p: player }),
  fc.record({ kind: fc.constant("tick" as const), n: fc.integer({ min: 1, max: 3 }) }),
);

interface Pilot {
  id: string;
  p: Player;
  offers: { id: string; to: string }[];
  /** Every credits value this player's screen showed, in order. */
  seen: number[];
}

let run = 0;

test("sales, trades, replays, lost answers and rejoins: credits conserved, each operation once, no screen goes back", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.record({ credits: fc.nat(200), cargo: fc.nat(30) }), { minLength: N, maxLength: N }),
      fc.array(op, { maxLength: 15 }),
      async (start, ops) => {
        run++;
        const sim = room().sim;
        const rock = [...sim.asteroids.values()][0]!;
        const st = [...sim.stations.values()][0]!;
        const pilots: Pilot[] = [];
        const join = (id: string): Promise<Player> => zone.join({ id });
        for (let i = 0; i < N; i++) {
          const id = `prop-${run}-${i}`;
          await zone.ships.createAtSpawn(id, id, {
            region: REGION,
            x: st.x + st.radius + 60,
            y: st.y,
            credits: start[i]!.credits,
            cargo: start[i]!.cargo,
          });
          const pilot: Pilot = { id, p: await join(id), offers: [], seen: [] };
          pilot.p.room.onMessage(ServerMessage.TradeOffered, (m: { id: string; to: string }) => pilot.offers.push(m));
          pilots.push(pilot);
        }
        const ids = new Set(pilots.map((x) => x.id));
        const firstCommit = ledger.committed.length;
        const observe = async () => {
          await tickAndSync(
            zone,
            pilots.map((x) => x.p),
          );
          for (const x of pilots) {
            const c = x.p.state().ships.get(x.id)?.credits;
            if (c !== undefined && c !== x.seen.at(-1)) x.seen.push(c);
          }
        };
        const at = (id: string, x: number, y: number) => {
          const s = sim.ships.get(id);
          if (s) sim.ships.set(id, { ...s, x, y, vx: 0, vy: 0 });
        };
        for (const o of ops) {
          if (o.kind === "mine") {
            const x = pilots[o.p]!;
            at(x.id, rock.x + rock.radius + 40, rock.y);
            x.p.room.send("action", { kind: "mine", target: rock.id });
            await waitFor("queued", () => room().pending(x.id) > 0);
            await observe();
            at(x.id, st.x + st.radius + 60, st.y);
          } else if (o.kind === "upgrade") {
            const x = pilots[o.p]!;
            x.p.room.send("action", { kind: "buy", target: "hold" });
            await waitFor("queued", () => room().pending(x.id) > 0);
            await observe();
          } else if (o.kind === "sell") {
            const x = pilots[o.p]!;
            x.p.room.send("action", { kind: "sell" });
            await waitFor("queued", () => room().pending(x.id) > 0);
            await observe();
          } else if (o.kind === "trade") {
            const [x, y] = [pilots[o.p]!, pilots[o.q]!];
            const had = y.offers.length;
            const errors = x.p.errors.length;
            x.p.room.send(ClientMessage.TradeOffer, { to: y.id, side: o.side, ore: o.ore, credits: o.credits });
            await waitFor("offered or refused", () => y.offers.length > had || x.p.errors.length > errors);
            const offer = y.offers[had];
            if (offer) {
              y.p.room.send(ClientMessage.TradeAccept, { id: offer.id });
              if (o.replay) y.p.room.send(ClientMessage.TradeAccept, { id: offer.id });
            }
            await observe();
          } else if (o.kind === "lose") {
            ledger.lose += o.n;
          } else if (o.kind === "rejoin") {
            const x = pilots[o.p]!;
            await x.p.room.leave(true);
            await waitFor("left", () => !room().sim.ships.has(x.id) || room().pending(x.id) === 0);
            // A ship whose player left during a ledger operation leaves once it settled, at a tick:
            // keep ticking (this harness's ticks are manual).
            await waitFor("ship gone", () => {
              if (!room().sim.ships.has(x.id)) return true;
              zone.server.step(1); // its player is gone: nobody to sync with
              return false;
            });
            x.p = await join(x.id);
            x.p.room.onMessage(ServerMessage.TradeOffered, (m: { id: string; to: string }) => x.offers.push(m));
            at(x.id, st.x + st.radius + 60, st.y);
            await observe();
          } else {
            for (let i = 0; i < o.n; i++) await observe();
          }
        }
        ledger.lose = 0;
        // Let every operation in flight settle (lost answers are retried).
        for (let i = 0; i < 100 && pilots.some((x) => room().busy(x.id)); i++) {
          await new Promise((r) => setTimeout(r, 20));
          await observe();
        }
        await observe();

        const mine = ledger.committed.slice(firstCommit).filter((c) => {
          const r = c.req as Partial<SellOre & Trade>;
          return ids.has(r.playerId ?? "") || ids.has(r.buyer ?? "");
        });
        // (1) Credits: the starting credits plus what stations paid.
        const paid = mine
          .filter((c) => c.kind === "sale")
          .reduce((sum, c) => sum + (c.req as SellOre).ore * (c.req as SellOre).pricePerOre, 0);
        const spent = mine.filter((c) => c.kind === "buy").reduce((sum, c) => sum + (c.req as BuyUpgrade).price, 0);
        const accounts = await Promise.all(pilots.map((x) => zone.ships.load(x.id)));
        assert.equal(
          accounts.reduce((s, a) => s + a!.credits, 0),
          start.reduce((s, c) => s + c.credits, 0) + paid - spent,
          "credits conserved",
        );
        // (2) Each committed operation once: the key is unique, and each account counts its own.
        assert.equal(new Set(mine.map((c) => c.req.key)).size, mine.length, "a key committed twice");
        for (const [i, x] of pilots.entries()) {
          const named = mine.filter((c) => c.result.balances.some((b) => b.playerId === x.id)).length;
          assert.equal(accounts[i]!.ledgerVersion, named, `${x.id}: operations applied`);
          assert.ok(accounts[i]!.credits >= 0 && accounts[i]!.cargo >= 0);
          const bought = mine.filter((c) => c.kind === "buy" && (c.req as BuyUpgrade).playerId === x.id).length;
          assert.equal(accounts[i]!.holdLevel ?? 0, bought, `${x.id}: upgrades bought`);
        }
        // (3) Screens: only committed values, in commit order, ending at the account's.
        const balances = mine.flatMap((c) => c.result.balances);
        for (const [i, x] of pilots.entries())
          assertScreenFollowsLedger(x.id, start[i]!.credits, balances, x.seen, accounts[i]!.credits);
        for (const x of pilots) await x.p.room.leave(true);
        await waitFor("all left", () => pilots.every((x) => !room().sim.ships.has(x.id)));
      },
    ),
    {
      numRuns: 25,
      // Found by CI (seed 1078800800): a sale whose answer is lost, then the seller leaves and comes
      // back; the ship stays until the sale settles and leaves at the next tick.
      examples: [
        // A sale and a trade that must commit: the check below (the runs exercised both) does not
        // hang on what the random runs happened to draw (CI once drew 25 runs whose trades were
        // all refused or closed).
        [
          [
            { credits: 50, cargo: 4 },
            { credits: 60, cargo: 2 },
            { credits: 0, cargo: 0 },
          ],
          [
            { kind: "sell", p: 1 },
            { kind: "trade", p: 0, q: 1, side: "sell", ore: 2, credits: 10, replay: false },
          ],
        ],
        [
          [
            { credits: 0, cargo: 1 },
            { credits: 0, cargo: 0 },
            { credits: 0, cargo: 0 },
          ],
          [
            { kind: "lose", n: 1 },
            { kind: "sell", p: 0 },
            { kind: "rejoin", p: 0 },
          ],
        ],
      ],
    },
  );
  assert.ok(
    ledger.committed.some((c) => c.kind === "trade") && ledger.committed.some((c) => c.kind === "sale"),
    "the runs committed sales and trades",
  );
});
