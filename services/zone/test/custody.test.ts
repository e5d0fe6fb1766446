// Ship custody without sockets: custodies of neighbouring regions call each other through an
// injected room-call function the test can hold, refuse or cut, share one LocalShipOwnership, and
// read a fake clock the test drives. Each test walks one path of the state machine and checks what a
// player or the ownership record would see.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import {
  createLogger,
  DEFAULT_WORLD,
  LocalShipOwnership,
  MemoryShipRepository,
  parseRegionRoomId,
  type ShipState,
  type ShipStatePublisher,
  StarlaneError,
} from "@starlane/shared";
import { type CallRoom, type Clock, type Redirect, type RemoteRoom, ShipCustody } from "../src/custody.js";
import { GhostBoard } from "../src/ghosts.js";
import type { HandoffOffer } from "../src/handoff.js";
import type { SimState } from "../src/rules/types.js";
import { ShipSaver } from "../src/saving.js";

import { createSim } from "../src/sim.js";

const RETRY_MS = 500;
const TIMEOUT_MS = 300;

/** Lets every pending promise chain run (the ownership record and the calls here never wait on timers). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

class FakeClock implements Clock {
  t = 1_000_000;
  #sleepers: { at: number; wake: () => void }[] = [];
  now() {
    return this.t;
  }
  sleep(ms: number) {
    return new Promise<void>((wake) => this.#sleepers.push({ at: this.t + ms, wake }));
  }
  get sleeping() {
    return this.#sleepers.length;
  }
  async advance(ms: number) {
    this.t += ms;
    const due = this.#sleepers.filter((s) => s.at <= this.t);
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.t);
    for (const s of due) s.wake();
    await settle();
  }
}

interface Call {
  roomId: string;
  method: keyof RemoteRoom;
  args: unknown[];
  /** Runs the call on the target custody (as the real call does: in-process, arguments copied). */
  deliver(): Promise<unknown>;
}

/** A call the test holds: it decides when and how it ends. */
interface Held extends Call {
  answer(): Promise<void>;
  refuse(message: string): Promise<void>;
  /** The target runs it, the caller never hears (its answer came too late). */
  lose(): Promise<void>;
}

let clock: FakeClock;
let ownership: LocalShipOwnership;
let ships: MemoryShipRepository;
let live: Set<string>;
let rooms: Map<string, TestRoom>;
let calls: Call[];
let held: Held[];
/** Calls to these methods are held for the test; others are delivered at once. */
let hold: Set<keyof RemoteRoom>;

const callRoom: CallRoom = ((roomId: string, method: keyof RemoteRoom, args: unknown[]) => {
  const deliver = () => {
    const target = rooms.get(roomId)?.custody;
    // A room that does not exist never answers: the real call times out.
    if (!target) return Promise.reject(new Error("timeout"));
    return (target[method] as (...a: unknown[]) => Promise<unknown>)(...structuredClone(args));
  };
  const call: Call = { roomId, method, args, deliver };
  calls.push(call);
  if (!hold.has(method)) return deliver();
  return new Promise<unknown>((resolve, reject) => {
    held.push({
      ...call,
      answer: async () => {
        await deliver().then(resolve, reject);
        await settle();
      },
      refuse: async (message) => {
        reject(new Error(message));
        await settle();
      },
      lose: async () => {
        await deliver().catch(() => {});
        reject(new Error("timeout"));
        await settle();
      },
    });
  });
}) as CallRoom;

interface TestRoom {
  id: string;
  custody: ShipCustody;
  sim: SimState;
  ghosts: GhostBoard;
  /** Players whose seat is here. */
  seated: Set<string>;
  /** What the room was told to do with players whose ship left. */
  sentAway: { player: string; to: string; redirect: Redirect | null }[];
  /** Ship states handed to the write-behind. */
  saved: ShipState[];
  metrics: { started: number; completed: number; aborted: string[] };
}

function openRoom(id: string): TestRoom {
  const region = parseRegionRoomId(id)!;
  const sim = createSim(DEFAULT_WORLD, region);
  const saved: ShipState[] = [];
  const publisher = { publish: (s: ShipState) => saved.push(s) } as unknown as ShipStatePublisher;
  const r: TestRoom = {
    id,
    sim,
    ghosts: new GhostBoard(500),
    seated: new Set(),
    sentAway: [],
    saved,
    metrics: { started: 0, completed: 0, aborted: [] },
    custody: undefined as unknown as ShipCustody,
  };
  r.custody = new ShipCustody({
    roomId: id,
    region,
    world: DEFAULT_WORLD,
    sim,
    ownership,
    ships,
    saver: new ShipSaver(publisher, id, () => 1),
    ghosts: r.ghosts,
    callRoom,
    regionLive: async (other) => live.has(other),
    acting: () => live.has(id),
    clock,
    metrics: {
      handoffStarted: () => r.metrics.started++,
      handoffCompleted: () => r.metrics.completed++,
      handoffAborted: (_region, reason) => r.metrics.aborted.push(reason),
    },
    log: createLogger("custody-test", "silent"),
    address: () => `${id}.zone:2567`,
    handoffHysteresis: 50,
    handoffTimeoutMs: TIMEOUT_MS,
    handoffRetryMs: RETRY_MS,
    hooks: {
      seated: (p) => r.seated.has(p),
      reserveSeat: async (p, _name, handoff) => `seat:${id}:${p}:${handoff}`,
      handedOff: (player, to, redirect) => r.sentAway.push({ player, to, redirect }),
    },
  });
  rooms.set(id, r);
  live.add(id);
  return r;
}

beforeEach(() => {
  clock = new FakeClock();
  ownership = new LocalShipOwnership();
  ships = new MemoryShipRepository();
  live = new Set();
  rooms = new Map();
  calls = [];
  held = [];
  hold = new Set();
});

function store(id: string, x: number, y: number) {
  ships.put({ playerId: id, x, y, vx: 0, vy: 0, heading: 0, hull: 100, cargo: 3, credits: 40 });
}

/** The player joins `r` and sits there (its ship taken from the store). */
async function seat(r: TestRoom, id: string) {
  assert.equal(await r.custody.join(id, id), null);
  r.seated.add(id);
}

/** Puts the ship past `r`'s east border (beyond the hysteresis), into region-2-1. */
function pushEast(r: TestRoom, id: string) {
  const ship = r.sim.ships.get(id)!;
  r.sim.ships.set(id, { ...ship, x: 4080 });
}

const offerOf = (c: Call) => c.args[0] as HandoffOffer;
const isCode = (code: string) => (err: unknown) => err instanceof StarlaneError && err.code === code;

test("a join takes a free ship from the store: locating while it asks, then owned at version 1", async () => {
  const west = openRoom("region-1-1");
  store("p", 3000, 3000);
  const joining = west.custody.join("p", "pilot");
  assert.equal(west.custody.state("p"), "locating");
  assert.equal(await joining, null);
  assert.equal(west.custody.state("p"), "owned");
  assert.equal(west.custody.versionOf("p"), 1);
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 1 });
  const ship = west.sim.ships.get("p")!;
  assert.deepEqual([ship.x, ship.y, ship.cargo, ship.credits], [3000, 3000, 3, 40]);
  // A stored ship elsewhere cannot be joined here (a client cannot pick its region).
  store("q", 5000, 3000);
  await assert.rejects(west.custody.join("q", "q"), isCode("STARLANE_ERR_SEAT_INVALID"));
  assert.equal(west.custody.state("q"), "gone");
  assert.equal(await ownership.get("q"), null);
});

test("owned -> offering -> handed off: inputs held and no save while offered, then the target owns it and the player is sent there", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  await seat(west, "p");
  hold.add("acceptHandoff");
  pushEast(west, "p");
  west.custody.offerLeavers();
  assert.equal(west.custody.state("p"), "offering");
  assert.equal(west.custody.owns("p"), false);
  assert.equal(west.custody.handingOff("p"), true);
  assert.equal(west.metrics.started, 1);
  west.custody.saveAll();
  assert.equal(west.saved.length, 0, "nobody saves a ship being offered");
  west.custody.offerLeavers();
  assert.equal(held.length, 1, "one offer at a time");
  const offer = offerOf(held[0]!);
  assert.equal(offer.to, "region-2-1");
  assert.equal(offer.version, 1);
  await held[0]!.answer();
  assert.equal(west.custody.state("p"), "gone");
  assert.equal(west.sim.ships.has("p"), false);
  assert.equal(east.custody.state("p"), "arriving");
  assert.equal(east.custody.owns("p"), true);
  assert.deepEqual(await ownership.get("p"), { region: "region-2-1", version: 2 });
  assert.equal(east.custody.versionOf("p"), 2);
  assert.deepEqual(west.sentAway, [
    {
      player: "p",
      to: "region-2-1",
      redirect: { roomId: "region-2-1", reservation: `seat:region-2-1:p:${offer.id}`, address: "region-2-1.zone:2567" },
    },
  ]);
  assert.equal(west.metrics.completed, 1);
  assert.deepEqual(
    [...west.ghosts.current(clock.now())].map((g) => g.id),
    ["p"],
    "the ship stays visible where it left until its new owner's ghosts arrive",
  );
  // The player arrives with the handoff seat: owned, nothing pending.
  assert.equal(await east.custody.join("p", "p", offer.id), null);
  assert.equal(east.custody.state("p"), "owned");
});

test("offering -> refused / timed out -> kept at a newer version, held before the next try; the old offer can never be accepted", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  await seat(west, "p");
  hold.add("acceptHandoff");
  pushEast(west, "p");
  west.custody.offerLeavers();
  const first = held.shift()!;
  await first.refuse("handoff refused: closing");
  assert.equal(west.custody.state("p"), "owned");
  assert.equal(west.custody.versionOf("p"), 2, "the offer is fenced: the record moved on to a version of our own");
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 2 });
  assert.deepEqual(west.metrics.aborted, ["refused"]);
  // The retry hold: no new offer before handoffRetryMs.
  west.custody.offerLeavers();
  await clock.advance(RETRY_MS - 1);
  west.custody.offerLeavers();
  assert.equal(held.length, 0);
  assert.equal(west.custody.state("p"), "owned");
  await clock.advance(1);
  west.custody.offerLeavers();
  assert.equal(west.custody.state("p"), "offering");
  const second = held.shift()!;
  assert.equal(offerOf(second).version, 2);
  await second.refuse("timeout");
  assert.deepEqual(west.metrics.aborted, ["refused", "timeout"]);
  assert.equal(west.custody.versionOf("p"), 3);
  // The first offer arriving late (or replayed) fails its compare-and-set.
  await assert.rejects(east.custody.acceptHandoff(offerOf(first)), /stale version/);
  assert.equal(east.custody.state("p"), "gone");
  assert.equal(east.sim.ships.has("p"), false);
  assert.equal(west.custody.owns("p"), true);
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 3 });
});

test("a lost answer (the target took the ship, the source timed out): the fence fails, the ship is handed off and the player is found a seat with the owner", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  await seat(west, "p");
  hold.add("acceptHandoff");
  pushEast(west, "p");
  west.custody.offerLeavers();
  await held.shift()!.lose();
  assert.deepEqual(west.metrics.aborted, ["lost"]);
  assert.equal(west.metrics.completed, 0);
  assert.equal(west.custody.state("p"), "gone");
  assert.equal(east.custody.owns("p"), true);
  assert.deepEqual(west.sentAway, [{ player: "p", to: "region-2-1", redirect: null }]);
  // The room then asks the owner for a seat (no answer came with the accept).
  const seatThere = await west.custody.seatWithOwner("p", "region-2-1", "p", () => true);
  assert.equal(seatThere?.roomId, "region-2-1");
  assert.match(String(seatThere?.reservation), /^seat:region-2-1:p:/);
  assert.equal(east.custody.state("p"), "arriving");
  assert.equal([west, east].filter((r) => r.custody.owns("p")).length, 1);
});

test("arriving: the player arrives (owned), or does not within the wait and the ship leaves the world (saved, ownership released)", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  for (const [id, y] of [
    ["comes", 3000],
    ["stays-away", 3200],
    ["seated-anyway", 3400],
  ] as const) {
    store(id, 3990, y);
    await seat(west, id);
    pushEast(west, id);
  }
  west.custody.offerLeavers();
  await settle();
  for (const id of ["comes", "stays-away", "seated-anyway"]) assert.equal(east.custody.state(id), "arriving");
  const offers = new Map(calls.map((c) => [offerOf(c).ship.id, offerOf(c)]));
  assert.equal(await east.custody.join("comes", "comes", offers.get("comes")!.id), null);
  assert.equal(east.custody.state("comes"), "owned");
  // A seat of another handoff does not settle an arrival.
  await east.custody.join("stays-away", "stays-away", "some-other-handoff");
  assert.equal(east.custody.state("stays-away"), "arriving");
  east.seated.add("seated-anyway"); // its player came in through a plain join meanwhile
  await clock.advance(14_999);
  east.custody.expireArrivals();
  assert.equal(east.custody.state("stays-away"), "arriving");
  await clock.advance(1);
  east.custody.expireArrivals();
  await settle();
  assert.equal(east.custody.state("stays-away"), "gone");
  assert.equal(east.sim.ships.has("stays-away"), false);
  assert.deepEqual(await ownership.get("stays-away"), { region: "", version: 3 });
  assert.equal(east.saved.filter((s) => s.playerId === "stays-away").length, 1, "saved once as it left");
  assert.equal(east.custody.state("seated-anyway"), "owned", "a seated player keeps its ship");
  assert.equal(east.custody.state("comes"), "owned");
});

test("the player leaves during an offer: the ship stays until the offer settles, then leaves the world if it was kept", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  store("q", 3990, 3300);
  await seat(west, "p");
  await seat(west, "q");
  hold.add("acceptHandoff");
  pushEast(west, "p");
  pushEast(west, "q");
  west.custody.offerLeavers();
  const [forP, forQ] = held.splice(0);
  for (const id of ["p", "q"]) {
    west.seated.delete(id);
    west.custody.playerLeft(id);
    assert.equal(west.custody.state(id), "offering", "an offered ship finishes its handoff first");
    assert.ok(west.sim.ships.has(id));
  }
  // Refused: kept, nobody to wait for -> leaves the world, saved, record released.
  await forP!.refuse("handoff refused: closing");
  assert.equal(west.custody.state("p"), "gone");
  assert.deepEqual(await ownership.get("p"), { region: "", version: 3 });
  assert.equal(west.saved.filter((s) => s.playerId === "p").length, 1);
  // Accepted: the ship waits for its player on the other side (it may resume there).
  await forQ!.answer();
  assert.equal(west.custody.state("q"), "gone");
  assert.equal(east.custody.state("q"), "arriving");
  assert.deepEqual(
    west.sentAway.map((s) => [s.player, s.to]),
    [["q", "region-2-1"]],
    "only the handed-off ship's player is sent on (the room finds no seat for it)",
  );
});

test("a join where another live room owns the ship is redirected there; the record does not move", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 4500, 3000);
  await seat(east, "p");
  const redirect = await west.custody.join("p", "p");
  assert.equal(redirect?.roomId, "region-2-1");
  assert.equal(redirect?.address, "region-2-1.zone:2567");
  assert.match(String(redirect?.reservation), /^seat:region-2-1:p:/);
  assert.equal(west.custody.state("p"), "gone");
  assert.equal(east.custody.state("p"), "arriving", "the owner waits for the player it gave a seat");
  assert.deepEqual(await ownership.get("p"), { region: "region-2-1", version: 1 });
});

test("a join waits for a moving ship: refused after a few tries while it moves, redirected once it has moved", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  const corner = openRoom("region-2-2");
  store("p", 4500, 3990);
  await seat(east, "p");
  hold.add("acceptHandoff");
  const ship = east.sim.ships.get("p")!;
  east.sim.ships.set("p", { ...ship, y: 4080 });
  east.custody.offerLeavers();
  assert.equal(east.custody.state("p"), "offering");
  // 1. The move does not settle: the join asks again every handoffRetryMs / 2 and then gives up.
  const refused = assert.rejects(west.custody.join("p", "p"), isCode("STARLANE_ERR_REGION_UNAVAILABLE"));
  for (let i = 0; i < 5; i++) await clock.advance(RETRY_MS / 2);
  await refused;
  assert.equal(calls.filter((c) => c.method === "reserveResume").length, 4);
  assert.deepEqual(await ownership.get("p"), { region: "region-2-1", version: 1 }, "nobody took it");
  assert.equal(west.sim.ships.has("p"), false);
  // 2. The move settles while the join waits: the join follows the record to the new owner.
  const joining = west.custody.join("p", "p");
  await settle();
  assert.equal(west.custody.state("p"), "locating");
  assert.equal(clock.sleeping, 1, "waiting before asking again");
  await held.shift()!.answer();
  await clock.advance(RETRY_MS / 2);
  const redirect = await joining;
  assert.equal(redirect?.roomId, "region-2-2");
  assert.equal(corner.custody.owns("p"), true);
  assert.equal(west.custody.state("p"), "gone");
});

test("a join takes a ship from a silent owner only when no zone holds the owner's region", async () => {
  const west = openRoom("region-1-1");
  store("p", 3000, 3000);
  // The record names a room that never answers (its zone is frozen or dead).
  await ownership.move("p", "", 0, "region-0-1");
  live.add("region-0-1");
  const refused = assert.rejects(west.custody.join("p", "p"), isCode("STARLANE_ERR_REGION_UNAVAILABLE"));
  for (let i = 0; i < 5; i++) await clock.advance(RETRY_MS / 2);
  await refused;
  assert.deepEqual(await ownership.get("p"), { region: "region-0-1", version: 1 }, "a live owner keeps it");
  live.delete("region-0-1"); // its lease lapsed: no zone holds that region any more
  assert.equal(await west.custody.join("p", "p"), null);
  assert.equal(west.custody.state("p"), "owned");
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 2 });
});

test("a join where the record names this room but the ship is not here (its room restarted) takes it, and hands it on if it was stored beyond the border", async () => {
  const east = openRoom("region-2-1");
  const west = openRoom("region-1-1");
  // The record says region-2-1 (where world entry sends the player); the last save was still west of the border.
  await ownership.move("p", "", 0, "region-2-1");
  store("p", 3900, 3000);
  assert.equal(await east.custody.join("p", "p"), null);
  assert.equal(east.custody.state("p"), "owned");
  assert.deepEqual(await ownership.get("p"), { region: "region-2-1", version: 2 });
  east.seated.add("p");
  east.custody.offerLeavers();
  await settle();
  assert.equal(west.custody.owns("p"), true, "handed to the region it is in");
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 3 });
  assert.equal(east.sentAway[0]?.to, "region-1-1");
  // Without the record naming it, the same stored ship cannot be joined there.
  store("q", 3900, 3000);
  await assert.rejects(east.custody.join("q", "q"), isCode("STARLANE_ERR_SEAT_INVALID"));
});

test("a stale version can never take the ship", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  await seat(west, "p");
  const ship = { ...west.sim.ships.get("p")!, x: 4080 };
  const forged = (version: number, from = "region-1-1"): HandoffOffer => ({
    id: `forged-${version}-${from}`,
    from,
    to: "region-2-1",
    version,
    ship,
  });
  for (const offer of [forged(0), forged(2), forged(1, "region-0-1"), forged(1, "")]) {
    await assert.rejects(east.custody.acceptHandoff(offer), /stale version/);
  }
  assert.equal(east.custody.state("p"), "gone");
  assert.equal(west.custody.owns("p"), true);
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 1 });
  // The current version is the only one that moves it, and only once.
  await east.custody.acceptHandoff(forged(1));
  assert.equal(east.custody.owns("p"), true);
  await assert.rejects(
    openRoom("region-2-2").custody.acceptHandoff({ ...forged(1), to: "region-2-2", ship: { ...ship, y: 4080 } }),
    /stale version/,
  );
});

test("a room whose zone may no longer act on its region (past its fence) takes no ship in: a join and a handoff accept are refused, the records stay", async () => {
  const west = openRoom("region-1-1");
  const east = openRoom("region-2-1");
  store("p", 3990, 3000);
  await seat(west, "p");
  store("q", 5000, 3000);
  // East's zone has passed its fence (its lease may lapse; the region's next owner has a room of the
  // same id): it must not take a ship from the store nor accept one from a neighbour.
  live.delete(east.id);
  await assert.rejects(east.custody.join("q", "q"), isCode("STARLANE_ERR_REGION_UNAVAILABLE"));
  assert.equal(await ownership.get("q"), null, "the stored ship's record did not move");
  assert.equal(east.sim.ships.has("q"), false);
  hold.add("acceptHandoff");
  pushEast(west, "p");
  west.custody.offerLeavers();
  const offer = offerOf(held[0]!);
  await assert.rejects(east.custody.acceptHandoff(offer), /handoff refused: region not held/);
  assert.equal(east.sim.ships.has("p"), false);
  assert.deepEqual(await ownership.get("p"), { region: "region-1-1", version: 1 }, "still the source's");
  await held.shift()!.refuse("handoff refused: region not held");
  assert.equal(west.custody.owns("p"), true, "the source keeps the ship");
});
