// The fuzzer's run: seats from load-test accounts (operator API) send generated frames to the zone
// through the real transport at a capped rate, while a bystander plays normally and measures its
// input-to-ack latency, idle first and then during the fuzzing. A seat the zone closes is counted
// by close code and comes back through world entry.
import { Client, type Room } from "@colyseus/sdk";
import { attachRegion, CLOSE_POLICY, regionView, ServerMessage } from "@starlane/shared/client";
import { BotError, enterWorld, provisionAccounts, type Session } from "../account.js";
import { type Percentiles, Samples } from "../stats.js";
import { frameGenerator } from "./frames.js";

export interface FuzzOptions {
  target: string;
  operatorToken: string;
  frames: number;
  /** Fuzzing connections. */
  seats: number;
  /** Frames per second per seat: under the zone's per-connection limit (60 by default), so the limit is not what closes them. */
  perSeat: number;
  /** Share of frames that are not messages of the protocol (each may close its connection). */
  closing: number;
  seed: number;
  /** Seconds the bystander plays alone first (its idle figure). */
  idleS: number;
  /** The zone's message size limit (oversized frames go past it). */
  maxMessageBytes: number;
  log: (line: string) => void;
}

export interface FuzzReport {
  framesSent: number;
  seconds: number;
  framesPerS: number;
  byKind: Record<string, number>;
  closesByCode: Record<string, number>;
  undocumentedCloses: Record<string, number>;
  errorsByCode: Record<string, number>;
  reseats: number;
  reseatFailures: Record<string, number>;
  crashes: string[];
  zoneTicks: { before: number | null; after: number | null; ticking: boolean };
  bystander: { idle: Percentiles; during: Percentiles; ratio: number | null; closes: Record<string, number> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bump = (m: Record<string, number>, k: string | number) => {
  m[k] = (m[k] ?? 0) + 1;
};
const documented = (code: number) => Object.hasOwn(CLOSE_POLICY, code);

type ZoneRoom = Room<unknown>;

/** Colyseus's protocol byte for raw byte messages (the zone's state frames travel as these). */
const ROOM_DATA_BYTES = 17;

async function join(
  target: string,
  session: Session,
  deadline: number,
  decodeState: boolean,
): Promise<{ room: ZoneRoom; address: string }> {
  const seat = await enterWorld(target, session.accessToken, deadline);
  const client = new Client(`http://${seat.address}`);
  const room = (await client.consumeSeatReservation(seat.reservation as never)) as ZoneRoom;
  // We decide when to come back, not the SDK.
  room.reconnection.enabled = false;
  room.reconnection.maxRetries = 0;
  if (!decodeState) {
    // A seat only needs its `error` replies and its close: decoding a hundred copies of the world
    // would spend the CPU the zone shares with us on this machine.
    const events = room.connection.events as { onmessage?: (ev: { data: ArrayBuffer | Uint8Array }) => void };
    const deliver = events.onmessage;
    if (deliver) {
      events.onmessage = (ev) => {
        const first = (ArrayBuffer.isView(ev.data) ? ev.data[0] : new Uint8Array(ev.data, 0, 1)[0]) ?? 0;
        if (first === ROOM_DATA_BYTES) return;
        deliver(ev);
      };
    }
  }
  return { room, address: seat.address };
}

/** The zone's tick count from its /metrics (summed over regions), or null if it does not answer. */
async function zoneTicks(address: string): Promise<number | null> {
  try {
    const text = await (await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    let n = 0;
    for (const m of text.matchAll(/^starlane_zone_tick_duration_seconds_count\{[^}]*\} (\d+(?:\.\d+)?)/gm))
      n += Number(m[1]);
    return n;
  } catch {
    return null;
  }
}

async function healthy(target: string): Promise<boolean> {
  try {
    return (await fetch(`${target}/healthz`, { signal: AbortSignal.timeout(5000) })).status === 200;
  } catch {
    return false;
  }
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const deadline = () => Date.now() + 60_000;
  const names = [`fuzz_by`, ...Array.from({ length: o.seats }, (_, i) => `fuzz_${i}`)];
  o.log(`fuzz: ${o.seats} seats + a bystander from the operator API ...`);
  const { sessions, taken } = await provisionAccounts(o.target, o.operatorToken, names, deadline());
  if (taken.length) throw new Error(`fuzz: names held by real accounts: ${taken.join(", ")}`);
  const sessionOf = new Map(sessions.map((s) => [s.name.toLowerCase(), s]));
  const renew = async (name: string) => {
    const {
      sessions: [s],
    } = await provisionAccounts(o.target, o.operatorToken, [name], deadline());
    if (s) sessionOf.set(name.toLowerCase(), s);
  };

  const report: FuzzReport = {
    framesSent: 0,
    seconds: 0,
    framesPerS: 0,
    byKind: {},
    closesByCode: {},
    undocumentedCloses: {},
    errorsByCode: {},
    reseats: 0,
    reseatFailures: {},
    crashes: [],
    zoneTicks: { before: null, after: null, ticking: false },
    bystander: {
      idle: { count: 0, p50: null, p99: null, max: null },
      during: { count: 0, p50: null, p99: null, max: null },
      ratio: null,
      closes: {},
    },
  };
  let stopping = false;

  // The bystander: plays normally, 10 inputs a second, and times each until the zone acknowledges it.
  const idle = new Samples();
  const during = new Samples();
  let phase: Samples = idle;
  const by = sessionOf.get("fuzz_by")!;
  let byRoom: ZoneRoom | undefined;
  let zoneAddress = "";
  let seq = 0;
  let acked = -1;
  const sentAt = new Map<number, number>();
  const connectBystander = async () => {
    const { room, address } = await join(o.target, sessionOf.get("fuzz_by")!, deadline(), true);
    zoneAddress = address;
    acked = -1;
    room.onMessage(ServerMessage.Error, () => {});
    room.onMessage(ServerMessage.Handoff, () => {});
    attachRegion(room, {
      self: by.accountId,
      onFrame: () => {
        const me = regionView(room)?.ships?.get(by.accountId);
        if (!me || me.ghost) return;
        if (acked < 0) {
          acked = me.ack;
          seq = Math.max(seq, me.ack);
          return;
        }
        const t = performance.now();
        for (let s = acked + 1; s <= me.ack; s++) {
          const at = sentAt.get(s);
          if (at !== undefined) phase.add(t - at);
          sentAt.delete(s);
        }
        acked = Math.max(acked, me.ack);
      },
    });
    room.onLeave((code) => {
      bump(report.bystander.closes, code);
      if (!documented(code)) bump(report.undocumentedCloses, code);
      byRoom = undefined;
      if (!stopping) setTimeout(() => void connectBystander().catch((e) => o.log(`fuzz: bystander rejoin: ${e}`)), 500);
    });
    byRoom = room;
  };
  await connectBystander();
  const byTimer = setInterval(() => {
    if (!byRoom || acked < 0) return;
    seq++;
    sentAt.set(seq, performance.now());
    byRoom.send("input", { seq, thrust: 0.3, turn: 0.2, fire: false });
  }, 100);

  // The seats: all in first, silent, so the bystander's idle figure has the same company as the
  // fuzzing: what it measures is the cost of the frames, not of a hundred more players.
  const frames = frameGenerator({ seed: o.seed, closing: o.closing, maxMessageBytes: o.maxMessageBytes });
  let sending = false;
  let seated = 0;
  let started = performance.now();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const seat = async (name: string) => {
    let failures = 0;
    while (!stopping) {
      let room: ZoneRoom;
      try {
        ({ room } = await join(o.target, sessionOf.get(name)!, deadline(), false));
        failures = 0;
      } catch (err) {
        const code = err instanceof BotError ? err.code : String((err as Error).message).slice(0, 60);
        bump(report.reseatFailures, code);
        if (err instanceof BotError && code === "STARLANE_ERR_UNAUTHORIZED") await renew(name).catch(() => {});
        if (++failures > 20) {
          report.crashes.push(`seat ${name}: 20 world entries in a row failed (last: ${code})`);
          return;
        }
        await sleep(250 * failures);
        continue;
      }
      report.reseats++;
      if (report.reseats <= o.seats) seated++;
      room.onMessage(ServerMessage.Error, (m: { code?: string }) =>
        bump(report.errorsByCode, String(m?.code ?? "no code")),
      );
      room.onMessage(ServerMessage.Handoff, () => {});
      const left = new Promise<number>((resolve) => room.onLeave((code) => resolve(code)));
      openRooms.add(room);
      let open = true;
      const timer = setInterval(() => {
        if (!open || stopping || !sending) return;
        if (report.framesSent >= o.frames) {
          stopping = true;
          done();
          return;
        }
        const f = frames.next();
        try {
          room.connection.send(f.bytes);
        } catch {
          return;
        }
        report.framesSent++;
        bump(report.byKind, f.kind);
      }, 1000 / o.perSeat);
      const code = await left;
      openRooms.delete(room);
      open = false;
      clearInterval(timer);
      if (stopping && (code === 1000 || code === 4000)) return; // our own leave at the end
      bump(report.closesByCode, code);
      if (!documented(code)) bump(report.undocumentedCloses, code);
      await sleep(200);
    }
  };
  const rooms = new Set<Promise<void>>();
  const openRooms = new Set<ZoneRoom>();
  for (let i = 0; i < o.seats; i++) rooms.add(seat(`fuzz_${i}`));
  const seatedBy = Date.now() + 60_000;
  while (seated < o.seats && Date.now() < seatedBy) await sleep(100);
  report.zoneTicks.before = await zoneTicks(zoneAddress);
  o.log(`fuzz: ${seated} seats in, silent; the bystander's idle figure over ${o.idleS} s ...`);
  await sleep(o.idleS * 1000);
  phase = during;
  o.log(
    `fuzz: ${o.frames} frames at up to ${o.seats * o.perSeat}/s (${o.seats} seats x ${o.perSeat}/s), seed ${o.seed} ...`,
  );
  started = performance.now();
  sending = true;
  const progress = setInterval(() => {
    const s = (performance.now() - started) / 1000;
    o.log(
      `fuzz: ${report.framesSent} frames in ${s.toFixed(0)} s (${(report.framesSent / s).toFixed(0)}/s), ${Object.values(report.closesByCode).reduce((a, b) => a + b, 0)} closes`,
    );
  }, 10_000);
  // All seats gone (every world entry failing) also ends the run.
  await Promise.race([finished, Promise.all(rooms)]);
  stopping = true;
  clearInterval(progress);
  for (const room of openRooms) room.leave(true).catch(() => {});
  report.seconds = (performance.now() - started) / 1000;
  report.framesPerS = report.framesSent / report.seconds;
  clearInterval(byTimer);

  // Is everything still alive: the front door, the zone's tick?
  await sleep(1000);
  report.zoneTicks.after = await zoneTicks(zoneAddress);
  report.zoneTicks.ticking =
    report.zoneTicks.before !== null &&
    report.zoneTicks.after !== null &&
    report.zoneTicks.after > report.zoneTicks.before;
  if (!(await healthy(o.target))) report.crashes.push(`${o.target}/healthz does not answer 200 after the run`);
  if (report.zoneTicks.after === null)
    report.crashes.push(`the zone at ${zoneAddress} does not answer /metrics after the run`);
  else if (!report.zoneTicks.ticking) report.crashes.push("the zone's tick count did not grow during the run");
  byRoom?.leave(true).catch(() => {});
  report.bystander.idle = idle.summary();
  report.bystander.during = during.summary();
  const a = report.bystander.idle.p99;
  const b = report.bystander.during.p99;
  report.bystander.ratio = a && b ? b / a : null;
  return report;
}
