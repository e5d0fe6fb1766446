// `border`: ships fly back and forth across region borders and corners. Each bot is assigned an
// inner corner of the grid (where four regions meet) and circles through the four quadrants around
// it, so it crosses two borders on every lap and passes close to the corner itself.
import { regionRoomId } from "@starlane/shared";
import { steerTo } from "./steer.js";
import type { Scenario, ScenarioContext } from "./types.js";

export function cornerOf(ctx: ScenarioContext): { x: number; y: number; col: number; row: number } {
  const { cols, rows, width, height } = ctx.world;
  const innerCols = Math.max(1, cols - 1);
  const innerRows = Math.max(1, rows - 1);
  const k = ctx.index % (innerCols * innerRows);
  const col = Math.min(cols - 1, 1 + (k % innerCols));
  const row = Math.min(rows - 1, 1 + Math.floor(k / innerCols));
  return { x: (col * width) / cols, y: (row * height) / rows, col, row };
}

const QUADRANTS = [
  [1, 1],
  [-1, 1],
  [-1, -1],
  [1, -1],
] as const;

export const border: Scenario = {
  name: "border",
  description: "back and forth across region borders and corners (four quadrants around an inner corner)",
  directRoom: (ctx) => {
    const c = cornerOf(ctx);
    return regionRoomId({ col: c.col, row: c.row });
  },
  brain: (ctx) => {
    const corner = cornerOf(ctx);
    const reach = 250 + ctx.random() * 200;
    let q = Math.floor(ctx.random() * 4);
    return {
      control(view) {
        const [dx, dy] = QUADRANTS[q % 4]!;
        const tx = corner.x + dx * reach;
        const ty = corner.y + dy * reach;
        const me = view.me;
        if (me && Math.hypot(tx - me.x, ty - me.y) < 120) q++;
        return steerTo(me, tx, ty);
      },
    };
  },
};
