// Interpolation of what others do: each ship and shot is drawn where it was `delayMs` ago, between
// the two server states around that moment, so movement is continuous at the display's frame rate
// whatever the arrival jitter. Entities are tracked by id, not by room, so a ship keeps its track
// across a handoff and when a ghost becomes owned. A jump beyond `teleport` (respawn) starts over.
//
// `drawn` adds a speed limit on top: states that come late or bunched (a zone catching up after a
// stall, a loaded machine) or a ghost that lagged its owner by a tick or two would otherwise show
// as a sudden step when the newer states take over. The drawn pose never moves faster than a given
// speed (a little above the ship's top speed): it catches up over a few frames instead of jumping.

export interface Pose {
  x: number;
  y: number;
  heading: number;
}

interface Sample extends Pose {
  at: number;
}

const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));

/**
 * How fast another ship may be drawn moving: a little over its top speed, so a ship drawn behind
 * (states that arrived late and bunched) catches up over a few frames instead of stepping.
 */
export const SHIP_DRAW_SPEED_FACTOR = 1.2;

export class Interpolator {
  readonly #tracks = new Map<string, Sample[]>();
  /** Where each id was last drawn (`drawn`), and when. */
  readonly #shown = new Map<string, Sample>();

  constructor(
    /** How far behind the newest state things are drawn (ms): about two ticks. */
    readonly delayMs = 100,
    readonly teleport = 400,
  ) {}

  /** A server state showed `id` at `pose` (call once per new state, with when it arrived). */
  observe(id: string, pose: Pose, at: number): void {
    let track = this.#tracks.get(id);
    if (!track) this.#tracks.set(id, (track = []));
    const last = track[track.length - 1];
    if (last && Math.hypot(pose.x - last.x, pose.y - last.y) > this.teleport) track.length = 0;
    if (last && at <= last.at) track.pop(); // two states in one frame: the newer wins
    track.push({ x: pose.x, y: pose.y, heading: pose.heading, at });
    // Keep what the delay can still reach, plus one before it.
    while (track.length > 2 && track[1]!.at < at - this.delayMs * 3) track.shift();
  }

  /** Where to draw `id` at `now`; undefined for an id never observed. */
  at(id: string, now: number): Pose | undefined {
    const track = this.#tracks.get(id);
    if (!track?.length) return undefined;
    const t = now - this.delayMs;
    const first = track[0]!;
    if (t <= first.at) return first;
    for (let i = 1; i < track.length; i++) {
      const b = track[i]!;
      if (t <= b.at) {
        const a = track[i - 1]!;
        const f = (t - a.at) / (b.at - a.at);
        return {
          x: a.x + (b.x - a.x) * f,
          y: a.y + (b.y - a.y) * f,
          heading: a.heading + wrap(b.heading - a.heading) * f,
        };
      }
    }
    return track[track.length - 1];
  }

  /**
   * Where to draw `id` at `now` (`at`), moving from where it was last drawn no faster than
   * `maxSpeed` units per second; a target beyond `teleport` is drawn there at once.
   */
  drawn(id: string, now: number, maxSpeed = Number.POSITIVE_INFINITY): Pose | undefined {
    const target = this.at(id, now);
    if (!target) return undefined;
    const last = this.#shown.get(id);
    let pose = target;
    if (last) {
      const dist = Math.hypot(target.x - last.x, target.y - last.y);
      const reach = (maxSpeed * Math.max(0, now - last.at)) / 1000;
      if (dist > reach && dist <= this.teleport) {
        const f = reach / dist;
        pose = { x: last.x + (target.x - last.x) * f, y: last.y + (target.y - last.y) * f, heading: target.heading };
      }
    }
    this.#shown.set(id, { ...pose, at: now });
    return pose;
  }

  /** Drops ids not observed since `before` (gone from view). */
  forget(before: number): void {
    for (const [id, track] of this.#tracks)
      if (track[track.length - 1]!.at < before) {
        this.#tracks.delete(id);
        this.#shown.delete(id);
      }
  }
}
