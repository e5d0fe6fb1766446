// Handing a ship to the room of the region it flew into. The pure parts live here: when a ship is
// far enough out of its region to be handed off (hysteresis), what the source sends the target (the
// offer), and the checks a target makes before it takes a ship. The protocol itself (who calls
// whom, in which order) is described in services/zone/README.md, "Handoff".
import { type Region, regionBounds, regionOf, regionRoomId, sameRegion, type WorldConfig } from "@starlane/shared";
import type { Ship } from "./rules/types.js";

/**
 * The region a ship at (x, y) should be handed to, or null while it should stay. A ship must be at
 * least `hysteresis` units outside its region (measured to the region's rectangle, so a diagonal
 * exit counts both axes) before it leaves: a ship dithering on a border never ping-pongs, because
 * coming back costs another `hysteresis` on the other side.
 */
export function handoffTarget(world: WorldConfig, region: Region, x: number, y: number, hysteresis: number): Region | null {
  const b = regionBounds(world, region);
  const dx = Math.max(b.minX - x, 0, x - b.maxX);
  const dy = Math.max(b.minY - y, 0, y - b.maxY);
  if (dx === 0 && dy === 0) return null;
  if (Math.hypot(dx, dy) < hysteresis) return null;
  const to = regionOf(world, x, y);
  return sameRegion(to, region) ? null : to;
}

/** What the source room sends the target: the ship's full state, including its last applied input. */
export interface HandoffOffer {
  /** Unique per handoff attempt: the seat it creates can be used once, by this player only. */
  id: string;
  from: string;
  to: string;
  /** The ownership version the source holds; the target's move succeeds only from exactly this. */
  version: number;
  ship: Ship;
  /** Where the ship's persistence versions stand (write-behind), so the target continues them. */
  saved?: { version: number; ledgerVersion: number } | undefined;
}

/** The target's answer: the player's seat there, and the ownership version it now holds. */
export interface HandoffAccepted {
  reservation: unknown;
  address: string;
  version: number;
}

export type OfferVerdict = { ok: true } | { ok: false; reason: string };

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * The target's checks on an offer (it came over the presence bus, so it is checked like input):
 * addressed to this region, from a neighbour, the ship really inside this region.
 */
export function checkOffer(world: WorldConfig, here: Region, offer: HandoffOffer): OfferVerdict {
  const s = offer?.ship;
  if (!s || typeof offer.id !== "string" || typeof s.id !== "string" || !finite(offer.version)) {
    return { ok: false, reason: "malformed" };
  }
  if (offer.to !== regionRoomId(here)) return { ok: false, reason: "wrong_region" };
  if (!finite(s.x) || !finite(s.y) || !finite(s.ack)) return { ok: false, reason: "malformed" };
  if (!sameRegion(regionOf(world, s.x, s.y), here)) return { ok: false, reason: "not_entering" };
  return { ok: true };
}
