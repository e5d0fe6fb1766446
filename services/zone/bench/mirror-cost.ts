// The mirror's CPU per tick without sockets: N ships flying circles in region 1-1 (cells sized for
// ~50 in view, as the capacity bench sizes them), N clients whose sockets take the frames and drop
// them. What the tick costs the zone's JavaScript (rules, the mirror's update, cell bytes, per-client
// frames) apart from the kernel's cost of the writes, and steady enough on a loaded machine to
// compare two versions of the code. `node --conditions=starlane-source --import tsx
// services/zone/bench/mirror-cost.ts [clients=1000] [ticks=400]`
import { ClientState } from "@colyseus/core";
import { DEFAULT_WORLD } from "@starlane/shared";
import { Mirror } from "../src/mirror.js";
import type { ControlInput } from "../src/rules/types.js";
import { createSim, spawnShip, stepSim } from "../src/sim.js";

const n = Number(process.argv[2] ?? 1000);
const ticks = Number(process.argv[3] ?? 400);
const TICK_HZ = 20;
const sim = createSim(DEFAULT_WORLD, { col: 1, row: 1 });
const b = sim.bounds;
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const cell = Math.sqrt((50 * (b.maxX - b.minX) * (b.maxY - b.minY)) / (9 * n));
const mirror = new Mirror({
  region: "region-1-1",
  bounds: b,
  sim,
  tickHz: TICK_HZ,
  cellSize: Math.round(cell),
  margin: 350,
  slowReaderBytes: 1 << 20,
  slowReaderCloseMs: 10_000,
});
let bytes = 0;
const ws = {
  getBufferedAmount: () => 0,
  send: (d: Uint8Array) => {
    bytes += d.length;
    return 1;
  },
};
const controls = new Map<string, ControlInput>();
for (let i = 0; i < n; i++) {
  const id = `bot-${i}`;
  spawnShip(sim, {
    id,
    name: id,
    x: b.minX + 100 + rand() * (b.maxX - b.minX - 200),
    y: b.minY + 100 + rand() * (b.maxY - b.minY - 200),
  });
  controls.set(id, { seq: 0, thrust: 0.4, turn: (i % 7) / 7 - 0.4, fire: false } as ControlInput);
}
mirror.sync([]);
for (let i = 0; i < n; i++)
  mirror.join({ sessionId: `s${i}`, state: ClientState.JOINED, ref: { ws } } as never, `bot-${i}`);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const phase = { rules: 0, update: 0, send: 0 };
let cpu0 = process.cpuUsage();
const run = (count: number, measure: boolean) => {
  for (let t = 0; t < count; t++) {
    let seq = 0;
    for (const c of controls.values()) c.seq = ++seq + sim.tick;
    // CPU time, not wall-clock: other processes on a shared machine do not count.
    const t0 = cpuMs();
    stepSim(sim, { controls, actions: new Map(), ghosts: [] }, 1 / TICK_HZ);
    const t1 = cpuMs();
    mirror.sync([]);
    const t2 = cpuMs();
    mirror.send();
    const t3 = cpuMs();
    if (measure) {
      phase.rules += t1 - t0;
      phase.update += t2 - t1;
      phase.send += t3 - t2;
    }
  }
};
run(50, false); // warm up the JIT
bytes = 0;
cpu0 = process.cpuUsage();
run(ticks, true);
const cpu = process.cpuUsage(cpu0);
const per = (ms: number) => (ms / ticks).toFixed(2);
console.log(
  JSON.stringify({
    clients: n,
    ticks,
    cpuMsPerTick: per((cpu.user + cpu.system) / 1000),
    rulesMs: per(phase.rules),
    mirrorUpdateMs: per(phase.update),
    mirrorSendMs: per(phase.send),
    bytesPerClientPerTick: Math.round(bytes / ticks / n),
    cell: Math.round(cell),
  }),
);
