// Draws what the room state says onto the canvas, centred on the player's own ship: region grid,
// stations, asteroids, shots, ships (border ghosts dashed and faded). Where each ship and shot is
// drawn comes from the caller (`poseOf`): the own ship predicted, the others interpolated.
import {
  type RegionView,
  regionBounds,
  regionHeight,
  regionWidth,
  type ShipView,
  type WorldConfig,
} from "@starlane/shared/client";
import type { Pose } from "./interpolate.js";

export const COLORS = {
  background: "#05070d",
  grid: "#1d3b5c",
  gridLabel: "#2f6a9e",
  worldEdge: "#a33",
  station: "#5fb4ff",
  asteroid: "#8a7f72",
  shot: "#ffe066",
  own: "#35f0c0",
  other: "#ff9f43",
  ghost: "#c9a3ff",
} as const;

/** World units visible across the shorter side of the canvas. */
const VIEW_SPAN = 1800;

/** Where to draw a ship (`ship:<id>`) or a shot (`shot:<id>`) now; undefined: where the state says. */
export type PoseOf = (key: string) => Pose | undefined;

export class Renderer {
  constructor(readonly canvas: HTMLCanvasElement) {}

  draw(state: RegionView | undefined, myId: string, world: WorldConfig, poseOf: PoseOf): void {
    const { canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth;
    const h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext("2d")!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = COLORS.background;
    g.fillRect(0, 0, w, h);

    const ships = state?.ships;
    const pose = (id: string, s: ShipView): Pose => poseOf(`ship:${id}`) ?? s;
    const mine = ships?.get(myId);
    const me = mine ? pose(myId, mine) : undefined;
    const cam = me ?? { x: world.width / 2, y: world.height / 2 };
    const scale = Math.min(w, h) / VIEW_SPAN;
    const sx = (x: number) => w / 2 + (x - cam.x) * scale;
    const sy = (y: number) => h / 2 + (y - cam.y) * scale;

    this.#grid(g, world, cam, scale, w, h, sx, sy);

    state?.stations?.forEach((st) => {
      g.strokeStyle = COLORS.station;
      g.lineWidth = 3;
      circle(g, sx(st.x), sy(st.y), st.radius * scale);
      g.stroke();
      g.fillStyle = COLORS.station;
      g.font = "12px system-ui";
      g.textAlign = "center";
      g.fillText("station · Q sells ore", sx(st.x), sy(st.y) + st.radius * scale + 16);
    });
    state?.asteroids?.forEach((a) => {
      g.fillStyle = COLORS.asteroid;
      circle(g, sx(a.x), sy(a.y), a.radius * scale);
      g.fill();
    });
    g.fillStyle = COLORS.shot;
    state?.shots?.forEach((s, id) => {
      const at = poseOf(`shot:${id}`) ?? s;
      circle(g, sx(at.x), sy(at.y), 3);
      g.fill();
    });
    ships?.forEach((s, id) => {
      if (id === myId) return;
      this.#ship(g, s, pose(id, s), s.ghost ? COLORS.ghost : COLORS.other, scale, sx, sy);
    });
    if (mine && me) this.#ship(g, mine, me, COLORS.own, scale, sx, sy);
  }

  #grid(
    g: CanvasRenderingContext2D,
    world: WorldConfig,
    cam: { x: number; y: number },
    scale: number,
    w: number,
    h: number,
    sx: (x: number) => number,
    sy: (y: number) => number,
  ) {
    const rw = regionWidth(world);
    const rh = regionHeight(world);
    const halfW = w / 2 / scale;
    const halfH = h / 2 / scale;
    g.lineWidth = 1;
    g.strokeStyle = COLORS.grid;
    g.setLineDash([8, 6]);
    for (let c = 1; c < world.cols; c++) line(g, sx(c * rw), sy(0), sx(c * rw), sy(world.height));
    for (let r = 1; r < world.rows; r++) line(g, sx(0), sy(r * rh), sx(world.width), sy(r * rh));
    g.setLineDash([]);
    g.strokeStyle = COLORS.worldEdge;
    g.lineWidth = 2;
    g.strokeRect(sx(0), sy(0), world.width * scale, world.height * scale);
    // Each visible region's id in the top-right corner of its visible part (the HUD is top-left).
    g.fillStyle = COLORS.gridLabel;
    g.font = "14px ui-monospace, monospace";
    g.textAlign = "right";
    const c0 = Math.max(0, Math.floor((cam.x - halfW) / rw));
    const c1 = Math.min(world.cols - 1, Math.floor((cam.x + halfW) / rw));
    const r0 = Math.max(0, Math.floor((cam.y - halfH) / rh));
    const r1 = Math.min(world.rows - 1, Math.floor((cam.y + halfH) / rh));
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const b = regionBounds(world, { col, row });
        const right = Math.min(sx(b.maxX), w);
        const top = Math.max(sy(b.minY), 0);
        if (right - Math.max(sx(b.minX), 0) > 120 && sy(b.maxY) - top > 40)
          g.fillText(`region-${col}-${row}`, right - 8, top + 20);
      }
    }
  }

  #ship(
    g: CanvasRenderingContext2D,
    s: ShipView,
    at: Pose,
    color: string,
    scale: number,
    sx: (x: number) => number,
    sy: (y: number) => number,
  ) {
    const x = sx(at.x);
    const y = sy(at.y);
    const r = Math.max(8, 20 * scale);
    g.save();
    g.translate(x, y);
    g.rotate(at.heading);
    g.beginPath();
    g.moveTo(r * 1.4, 0);
    g.lineTo(-r, r * 0.8);
    g.lineTo(-r * 0.5, 0);
    g.lineTo(-r, -r * 0.8);
    g.closePath();
    if (s.ghost) {
      g.globalAlpha = 0.6;
      g.setLineDash([4, 3]);
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.stroke();
    } else if (!s.alive) {
      g.strokeStyle = color;
      g.stroke();
    } else {
      g.fillStyle = color;
      g.fill();
    }
    g.restore();
    g.fillStyle = color;
    g.font = "12px system-ui";
    g.textAlign = "center";
    g.fillText(s.ghost ? `${s.name} (ghost)` : s.alive ? s.name : `${s.name} (destroyed)`, x, y - r - 8);
  }
}

function circle(g: CanvasRenderingContext2D, x: number, y: number, r: number) {
  g.beginPath();
  g.arc(x, y, Math.max(1, r), 0, Math.PI * 2);
}

function line(g: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number) {
  g.beginPath();
  g.moveTo(x0, y0);
  g.lineTo(x1, y1);
  g.stroke();
}
