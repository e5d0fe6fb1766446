// `crowd`: every bot in one region (1-1 by default), wandering inside it: the zone-capacity load.
import { type Region, regionBounds, regionRoomId } from "@starlane/shared";
import { wanderer } from "./roam.js";
import type { Scenario } from "./types.js";

export function crowdIn(region: Region = { col: 1, row: 1 }): Scenario {
  return {
    name: "crowd",
    description: `everyone in region ${region.col}-${region.row}, wandering inside it`,
    directRoom: () => regionRoomId(region),
    brain: (ctx) => {
      const b = regionBounds(ctx.world, region);
      const m = 150; // stay off the borders
      return wanderer(
        ctx,
        () => ({
          x: b.minX + m + ctx.random() * (b.maxX - b.minX - 2 * m),
          y: b.minY + m + ctx.random() * (b.maxY - b.minY - 2 * m),
        }),
        0.01,
      );
    },
  };
}

export const crowd = crowdIn();
