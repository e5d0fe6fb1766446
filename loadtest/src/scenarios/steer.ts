// Flying towards a point, and the common habits of a playing bot (mining what is in reach,
// selling cargo at a station, firing now and then).
import type { Action, BotView, Control, Entity, ShipView } from "./types.js";

export const MINING_RANGE = 120;
export const TRADE_RANGE = 200;

/** Full thrust with the turn that points the nose at (tx, ty); slows when close. */
export function steerTo(me: ShipView | undefined, tx: number, ty: number): Control {
  if (!me) return { thrust: 0, turn: 0, fire: false };
  const want = Math.atan2(ty - me.y, tx - me.x);
  const diff = Math.atan2(Math.sin(want - me.heading), Math.cos(want - me.heading));
  const dist = Math.hypot(tx - me.x, ty - me.y);
  return { thrust: dist < 100 ? 0.3 : 1, turn: Math.max(-1, Math.min(1, diff * 2)), fire: false };
}

export const near = (me: ShipView | undefined, e: { x: number; y: number }, range: number) =>
  !!me && Math.hypot(e.x - me.x, e.y - me.y) <= range;

function closest(me: ShipView, items: Iterable<Entity>, range: number): Entity | null {
  let best: Entity | null = null;
  let bestD = range;
  for (const e of items) {
    const d = Math.hypot(e.x - me.x, e.y - me.y);
    if (d <= bestD) {
      best = e;
      bestD = d;
    }
  }
  return best;
}

/** Mine an asteroid in reach; sell cargo when a station is in reach. */
export function playerAction(view: BotView): Action | null {
  const me = view.me;
  if (!me?.alive) return null;
  if (me.cargo > 0 && closest(me, view.stations(), TRADE_RANGE)) return { kind: "sell" };
  const rock = closest(me, view.asteroids(), MINING_RANGE);
  return rock ? { kind: "mine", target: rock.id } : null;
}
