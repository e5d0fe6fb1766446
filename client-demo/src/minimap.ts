// The cluster on a small map: the region grid, each region coloured by the zone process that owns
// it (from `GET /v1/world/map`, read every second), the player's position, and the region it is in.
// After a handoff to a region of another zone, or a takeover by another zone after a crash, the
// colours and the HUD's zone change.
import { regionOf, type WorldConfig } from "@starlane/shared/client";
import { type WorldMap, worldMap } from "./api.js";

const POLL_MS = 1000;

/** A stable colour per zone id: the same zone keeps its colour on every page. */
export function zoneColor(zone: string | null): string {
  if (!zone) return "#333";
  let h = 0;
  for (const ch of zone) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360} 65% 45%)`;
}

/** A zone id short enough for the HUD (process ids are UUIDs). */
export const shortZone = (zone: string | null) => (zone ? (zone.length > 12 ? zone.slice(0, 8) : zone) : "none");

export class Minimap {
  map: WorldMap | null = null;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly canvas: HTMLCanvasElement) {}

  start(): void {
    const read = () =>
      worldMap().then(
        (m) => {
          this.map = m;
        },
        () => {}, // the front door is busy or away: keep the last map
      );
    void read();
    this.#timer ??= setInterval(read, POLL_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The zone that owns `region` (a region room id), if known. */
  zoneOf(region: string): string | null {
    return this.map?.regions.find((r) => r.region === region)?.zone ?? null;
  }

  draw(world: WorldConfig, me: { x: number; y: number } | null): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const size = c.clientWidth;
    if (c.width !== Math.round(size * dpr)) {
      c.width = Math.round(size * dpr);
      c.height = Math.round(size * dpr);
    }
    const g = c.getContext("2d")!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, size, size);
    const cw = size / world.cols;
    const ch = size / world.rows;
    for (const r of this.map?.regions ?? []) {
      const m = /^region-(\d+)-(\d+)$/.exec(r.region);
      if (!m) continue;
      const col = Number(m[1]);
      const row = Number(m[2]);
      g.fillStyle = zoneColor(r.zone);
      g.fillRect(col * cw + 1, row * ch + 1, cw - 2, ch - 2);
    }
    if (!me) return;
    const here = regionOf(world, me.x, me.y);
    g.strokeStyle = "#fff";
    g.lineWidth = 2;
    g.strokeRect(here.col * cw + 1, here.row * ch + 1, cw - 2, ch - 2);
    g.fillStyle = "#35f0c0";
    g.beginPath();
    g.arc((me.x / world.width) * size, (me.y / world.height) * size, 3, 0, Math.PI * 2);
    g.fill();
  }
}
