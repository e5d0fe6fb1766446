// Client-side prediction of the own ship. The zone applies at most one input per tick and keeps
// flying with the last thrust and turn it got; the page shows where the zone *will* have the ship
// once the inputs sent so far arrive. From the last acknowledged state (the ship as of the zone's
// tick T, with `ack` = the last input applied by then) it re-applies the inputs sent after `ack`,
// each from the tick it reaches the zone (send time + half the round trip), with the zone's own
// flight code (`flyAmong` from @starlane/shared/client), up to the present plus half a round trip.
// When a new server state disagrees with what was predicted, the difference is kept as an offset
// that fades out in about 100 ms: corrected smoothly, never snapped (unless it is a teleport:
// respawn, a reconnect somewhere else).
import { type Body, flyAmong, type Motion, type WorldConfig } from "@starlane/shared/client";

export interface Control {
  thrust: number;
  turn: number;
}

interface Sent extends Control {
  seq: number;
  /** performance.now() when sent. */
  at: number;
}

interface Base {
  motion: Motion;
  ack: number;
  /** When this state reached the page (performance.now()). */
  at: number;
}

/** Offsets beyond this are a teleport, not a misprediction: shown at once. */
const SNAP_DISTANCE = 300;
/** The correction offset fades with this time constant (ms). */
const SMOOTHING_MS = 100;
/** Never replay more than this many ticks (a stalled tab, a frozen zone). */
const MAX_REPLAY_TICKS = 40;

const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));

export class Predictor {
  readonly #sent: Sent[] = [];
  #base: Base | null = null;
  #offset = { x: 0, y: 0, heading: 0 };
  #shownAt = 0;

  /** Seconds per zone tick. */
  constructor(readonly dt = 1 / 20) {}

  /** An input left for the zone with sequence number `seq`. */
  sent(seq: number, control: Control, at = performance.now()): void {
    this.#sent.push({ seq, thrust: control.thrust, turn: control.turn, at });
    if (this.#sent.length > 512) this.#sent.shift();
  }

  /**
   * A new server state of the own ship: its motion as of the zone's latest tick and `ack`. The
   * prediction moves onto it, and the jump it would make is taken into the fading offset.
   */
  acknowledged(motion: Motion, ack: number, ctx: PredictionContext, at = performance.now()): void {
    const before = this.#base ? this.#predict(at, ctx) : null;
    this.#base = { motion: { ...motion }, ack, at };
    // Keep the acknowledged input itself: the zone goes on applying it until the next one lands.
    while (this.#sent.length > 1 && this.#sent[1]!.seq <= ack) this.#sent.shift();
    if (!before) return;
    const after = this.#predict(at, ctx);
    const shownBefore = this.#decayed(at);
    const ox = before.x + shownBefore.x - after.x;
    const oy = before.y + shownBefore.y - after.y;
    if (Math.hypot(ox, oy) > SNAP_DISTANCE) this.#offset = { x: 0, y: 0, heading: 0 };
    else this.#offset = { x: ox, y: oy, heading: wrap(before.heading + shownBefore.heading - after.heading) };
    this.#shownAt = at;
  }

  /** Forget everything (a new session or a ship that is gone). */
  reset(): void {
    this.#sent.length = 0;
    this.#base = null;
    this.#offset = { x: 0, y: 0, heading: 0 };
  }

  /** Where to draw the own ship now; null before the first acknowledged state. */
  shown(now: number, ctx: PredictionContext): Motion | null {
    if (!this.#base) return null;
    const p = this.#predict(now, ctx);
    const o = this.#decayed(now);
    return { ...p, x: p.x + o.x, y: p.y + o.y, heading: p.heading + o.heading };
  }

  /** The prediction without the smoothing offset (tests, HUD). */
  predicted(now: number, ctx: PredictionContext): Motion | null {
    return this.#base ? this.#predict(now, ctx) : null;
  }

  #decayed(now: number): { x: number; y: number; heading: number } {
    const k = Math.exp(-Math.max(0, now - this.#shownAt) / SMOOTHING_MS);
    return { x: this.#offset.x * k, y: this.#offset.y * k, heading: this.#offset.heading * k };
  }

  #predict(now: number, ctx: PredictionContext): Motion {
    const base = this.#base!;
    const dtMs = this.dt * 1000;
    const rtt = Math.max(0, ctx.rttMs);
    // The base state is the zone's tick T, which happened about half a round trip before it reached
    // us; we show the zone's state half a round trip ahead of now.
    const span = Math.min(MAX_REPLAY_TICKS, Math.max(0, (now - base.at + rtt) / dtMs));
    const whole = Math.floor(span);
    // The tick (1-based, counted from T) at which each input after `ack` takes effect: when it
    // reaches the zone, one input per tick, in order.
    const origin = base.at - rtt;
    // The control in force at T: the acknowledged input (none known after a reconnect to a new room,
    // until our next input).
    let control: Control = { thrust: 0, turn: 0 };
    const pending: { tick: number; control: Control }[] = [];
    let lastTick = 0;
    for (const s of this.#sent) {
      if (s.seq <= base.ack) {
        control = s;
        continue;
      }
      const tick = Math.max(lastTick + 1, Math.ceil((s.at - origin) / dtMs));
      pending.push({ tick, control: s });
      lastTick = tick;
    }
    let m = base.motion;
    let next = 0;
    const step = (j: number) => {
      while (next < pending.length && pending[next]!.tick <= j) control = pending[next++]!.control;
      return flyAmong(m, control.thrust, control.turn, this.dt, ctx.world, ctx.solids);
    };
    for (let j = 1; j <= whole; j++) m = step(j);
    const frac = span - whole;
    if (frac <= 0) return m;
    const n = step(whole + 1);
    return {
      x: m.x + (n.x - m.x) * frac,
      y: m.y + (n.y - m.y) * frac,
      vx: m.vx + (n.vx - m.vx) * frac,
      vy: m.vy + (n.vy - m.vy) * frac,
      heading: m.heading + wrap(n.heading - m.heading) * frac,
    };
  }
}

export interface PredictionContext {
  world: WorldConfig;
  /** Asteroids and stations near the ship (the zone collides with them too). */
  solids: Body[];
  /** The round trip to the zone (ms), without the wait for the next tick. */
  rttMs: number;
}
