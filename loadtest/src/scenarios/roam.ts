// `roam`: bots spread over the whole world, each flying to random waypoints, mining and selling on
// the way and firing now and then.
import { regionRoomId } from "@starlane/shared";
import { playerAction, steerTo } from "./steer.js";
import type { Brain, Scenario, ScenarioContext } from "./types.js";

export function wanderer(ctx: ScenarioContext, pick: () => { x: number; y: number }, fireChance = 0.02): Brain {
  let target = pick();
  return {
    control(view) {
      const me = view.me;
      if (me && Math.hypot(target.x - me.x, target.y - me.y) < 150) target = pick();
      const c = steerTo(me, target.x, target.y);
      c.fire = ctx.random() < fireChance;
      return c;
    },
    action: playerAction,
  };
}

export const roam: Scenario = {
  name: "roam",
  description: "spread over the world: random waypoints anywhere, mining, selling, firing now and then",
  directRoom: (ctx) => {
    // Spread evenly over the regions by bot index.
    const { cols, rows } = ctx.world;
    return regionRoomId({ col: ctx.index % cols, row: Math.floor(ctx.index / cols) % rows });
  },
  brain: (ctx) =>
    wanderer(ctx, () => ({
      x: 50 + ctx.random() * (ctx.world.width - 100),
      y: 50 + ctx.random() * (ctx.world.height - 100),
    })),
};
