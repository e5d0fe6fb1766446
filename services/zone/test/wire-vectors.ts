// Regenerates the state-frame test vectors (shared/src/wire/vectors/*.json) from the zone's mirror:
// a fixed scene (ships flying, turning, acknowledging inputs, a shot, a mined asteroid, a ghost
// turning into a ship as a handoff does, a ship leaving the client's cells) as one client receives
// it, each frame with the world it decodes to; and frames a decoder must refuse.
//   node --conditions=starlane-source --import tsx services/zone/test/wire-vectors.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEFAULT_WORLD, type Ghost, RegionDecoder, snapshotWorld, toGhost } from "@starlane/shared";
import { Mirror } from "../src/mirror.js";
import { createSim, spawnShip } from "../src/sim.js";
import { wireConn } from "./wire-client.js";

const OUT = fileURLToPath(new URL("../../../shared/src/wire/vectors/", import.meta.url));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function scene() {
  const sim = createSim(DEFAULT_WORLD, { col: 1, row: 1 }, { asteroids: 4 });
  const mirror = new Mirror({
    region: "region-1-1",
    bounds: sim.bounds,
    sim,
    tickHz: 20,
    cellSize: 500,
    margin: 350,
    slowReaderBytes: 1 << 20,
    slowReaderCloseMs: 10_000,
  });
  const ghosts = new Map<string, Ghost>();
  spawnShip(sim, { id: "me", name: "Me", x: 3000, y: 3000 });
  spawnShip(sim, { id: "wing", name: "Wingmate", x: 3100, y: 2950 });
  spawnShip(sim, { id: "far", name: "far", x: 2100, y: 2100 });
  const me = wireConn("me");
  mirror.sync(ghosts.values(), true);
  mirror.join(me.client, "me");
  const tick = (change: () => void) => {
    change();
    sim.tick++;
    mirror.sync(ghosts.values());
    mirror.send();
  };
  const fly = (id: string, vx: number, vy: number, dh = 0, ack = 0) => {
    const s = sim.ships.get(id)!;
    sim.ships.set(id, { ...s, x: s.x + vx / 20, y: s.y + vy / 20, vx, vy, heading: s.heading + dh, ack: s.ack + ack });
  };
  tick(() => fly("wing", 100, 0, 0.05, 1));
  tick(() => fly("wing", 110, -5, 0.05, 1));
  tick(() => {
    fly("me", 20, 20, 0, 1);
    sim.ships.set("me", { ...sim.ships.get("me")!, credits: 250, cargo: 3 });
    sim.shots.set("s1", { id: "s1", owner: "wing", x: 3120, y: 2950, vx: 900, vy: 0, ttl: 1 });
  });
  tick(() => {
    const a = [...sim.asteroids.values()].find((x) => Math.hypot(x.x - 3000, x.y - 3000) < 900);
    if (a) sim.asteroids.set(a.id, { ...a, ore: a.ore - 10 });
    const s = sim.shots.get("s1")!;
    sim.shots.set("s1", { ...s, x: s.x + 45 });
  });
  // A ship of the neighbour shows up as a ghost, then is handed here and becomes a ship.
  tick(() => {
    sim.shots.delete("s1");
    ghosts.set("visitor", toGhost({ ...sim.ships.get("wing")!, id: "visitor", name: "Visitor", x: 3200, y: 3100 }));
  });
  tick(() => {
    const g = ghosts.get("visitor")!;
    ghosts.delete("visitor");
    spawnShip(sim, { id: "visitor", name: "Visitor", x: g.x + 5, y: g.y });
  });
  // The wingmate leaves the client's cells.
  tick(() => fly("wing", 4000, 0));
  tick(() => fly("wing", 0, 0));
  // Our ship moves two cells: cells dropped and gained.
  tick(() => fly("me", -20000, 0));
  const replay = new RegionDecoder("me");
  const frames = me.frames.map((f) => {
    replay.apply(f);
    return { hex: hex(f), world: snapshotWorld(replay) };
  });
  return { frames, first: me.frames[0]!, second: me.frames[1]! };
}

const { frames, first, second } = scene();
writeFileSync(
  `${OUT}scene.json`,
  `${JSON.stringify({ description: "one client's frames of a small scene: ships flying and turning, acks, a shot, a mined asteroid, a ghost handed in, a ship leaving the client's cells, the client moving two cells", self: "me", frames }, null, 1)}\n`,
);
const bad = (b: Uint8Array) => hex(b);
writeFileSync(
  `${OUT}refused.json`,
  `${JSON.stringify(
    {
      description:
        "frames a decoder must refuse; each after the first (a valid reset frame) is fed to a fresh copy of that state",
      self: "me",
      frames: [
        { hex: hex(first), world: "any" },
        { hex: bad(second.subarray(0, second.length - 1)), error: "truncated frame" },
        { hex: bad(Uint8Array.of(2, ...second.subarray(1))), error: "unknown frame version 2" },
        { hex: bad(Uint8Array.of(1, 0x80, ...second.subarray(2))), error: "corrupt frame" },
        { hex: bad(Uint8Array.of(1, 0, 5, 1, 77)), error: "corrupt frame" },
      ],
    },
    null,
    1,
  )}\n`,
);
console.log(`wrote ${frames.length} frames to ${OUT}`);
