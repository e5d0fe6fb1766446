// `zonectl move REGION ZONE` and `zonectl drain ZONE`: live region moves, ordered on the
// RelocationBoard (@starlane/shared) and carried out by the zones themselves (services/zone/src/
// relocate.ts): the source stops the region at a tick boundary, the target takes it over from the
// final snapshot under a higher epoch, the players follow as at a border. zonectl checks what it
// can before ordering anything (so a refusal changes nothing), places one order per region (a second
// operator moving the same region is told whose order is in the way) and waits for its outcome.
import { randomUUID } from "node:crypto";
import {
  type RegionDirectory,
  type RelocationBoard,
  type RelocationOrder,
  relocationSettled,
  type ZoneReport,
  type ZoneStatusBoard,
} from "@starlane/shared";

export class MoveRefused extends Error {}

export interface Cluster {
  directory: RegionDirectory;
  board: ZoneStatusBoard;
  relocations: RelocationBoard;
  /** Every region room id of the world. */
  regions: string[];
  /** Who is asking (shown to a second operator). */
  operator: string;
}

/** The live zones (those reporting), each with the regions the directory says it holds. */
export async function liveZones(c: Cluster): Promise<(ZoneReport & { holds: string[]; draining: boolean })[]> {
  const reports = await c.board.list();
  const owners = await Promise.all(c.regions.map(async (r) => [r, await c.directory.owner(r)] as const));
  return Promise.all(
    reports.map(async (z) => ({
      ...z,
      holds: owners.filter(([, o]) => o?.zoneId === z.id).map(([r]) => r),
      draining: await c.relocations.draining(z.id),
    })),
  );
}

/** A zone by slot name or process id, among the live ones. */
export function findZone<Z extends ZoneReport>(zones: Z[], nameOrId: string): Z {
  const named = zones.filter((z) => z.name === nameOrId || z.id === nameOrId);
  if (named.length === 0) {
    const known = zones.map((z) => z.name).sort();
    throw new MoveRefused(
      `zone "${nameOrId}" is not running (live zones: ${known.length === 0 ? "none" : known.join(", ")})`,
    );
  }
  // A slot restarted a moment ago may briefly show its old process too: the newest report wins.
  return named.at(-1)!;
}

export interface MoveResult {
  region: string;
  from: string;
  to: string;
  epoch: number;
  newEpoch: number;
  players: number;
  ms: number;
}

/** Moves `region` to the live zone `to` (name or id) and waits until it is served there. */
export async function moveRegion(c: Cluster, region: string, to: string, waitMs = 45_000): Promise<MoveResult> {
  if (!c.regions.includes(region)) throw new MoveRefused(`${region} is not a region of this world`);
  const zones = await liveZones(c);
  const target = findZone(zones, to);
  if (target.draining) throw new MoveRefused(`zone ${target.name} is draining: it takes no region`);
  const owner = await c.directory.owner(region);
  if (!owner) throw new MoveRefused(`${region} has no live owner right now (nothing to move; see zonectl status)`);
  if (owner.zoneId === target.id) throw new MoveRefused(`${region} is already on ${target.name}`);
  const from = zones.find((z) => z.id === owner.zoneId);
  // Only a live zone can hand a region over; a silent one's lease runs out and a takeover moves it.
  if (!from)
    throw new MoveRefused(
      `${region}'s owner ${owner.zoneId} is not reporting (dead or stalled?): its region goes to a takeover, not a move`,
    );
  const order: RelocationOrder = {
    id: randomUUID(),
    region,
    from: owner.zoneId,
    to: target.id,
    by: c.operator,
    at: Date.now(),
    state: "ordered",
  };
  const inTheWay = await c.relocations.place(order);
  if (inTheWay) {
    const name = zones.find((z) => z.id === inTheWay.to)?.name ?? inTheWay.to;
    throw new MoveRefused(
      `${region} is already being moved to ${name} by ${inTheWay.by} (${Math.round((Date.now() - inTheWay.at) / 1000)} s ago); nothing changed`,
    );
  }
  const started = Date.now();
  let last = order;
  try {
    for (let nudged = 0; ; ) {
      const o = await c.relocations.get(region);
      if (!o || o.id !== order.id) throw new Error(`the order for ${region} vanished (it expired?)`);
      last = o;
      if (relocationSettled(o.state)) break;
      if (Date.now() - started > waitMs) {
        // Never picked up: withdraw it, so nothing happens later. Otherwise the zones finish or undo it.
        if (await c.relocations.advance(region, o.id, "ordered", { state: "failed", reason: "no answer" }))
          throw new MoveRefused(`${from.name} did not take up the move of ${region}; nothing changed`);
        throw new MoveRefused(`the move of ${region} is still ${o.state} after ${waitMs / 1000} s`);
      }
      // The channel is at most once: say it again now and then.
      if (Date.now() - nudged > 500) {
        nudged = Date.now();
        await c.relocations.announce(region);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (relocationSettled(last.state)) await c.relocations.clear(region, order.id).catch(() => {});
  }
  if (last.state === "failed")
    throw new MoveRefused(`the move of ${region} failed: ${last.reason ?? "no reason given"}; it stays where it was`);
  return {
    region,
    from: from.name,
    to: target.name,
    epoch: last.epoch ?? owner.epoch,
    newEpoch: last.newEpoch ?? 0,
    players: last.players ?? 0,
    ms: Date.now() - started,
  };
}

export const describeMove = (m: MoveResult) =>
  `moved ${m.region} from ${m.from} to ${m.to} (epoch ${m.epoch} -> ${m.newEpoch}, ${m.players} players handed over, ${m.ms} ms)`;

/**
 * Moves every region of the live zone `name` to the other live zones (fewest regions first), after
 * marking it draining (no region moves to it, it takes no orphan over). Refused, with nothing
 * changed, when it is the last zone. Resolves the moves made.
 */
export async function drainZone(c: Cluster, name: string, log: (line: string) => void): Promise<MoveResult[]> {
  const zones = await liveZones(c);
  const zone = findZone(zones, name);
  const others = zones.filter((z) => z.id !== zone.id && z.name !== zone.name && !z.draining);
  if (others.length === 0)
    throw new MoveRefused(`cannot drain ${zone.name}: it is the last zone (no other live zone to take its regions)`);
  await c.relocations.markDraining(zone.id, 10 * 60_000);
  const moves: MoveResult[] = [];
  for (const region of zone.holds) {
    // Recount each time: moves and takeovers change who holds what.
    const now = (await liveZones(c)).filter((z) => others.some((o) => o.id === z.id) && !z.draining);
    if (now.length === 0) throw new MoveRefused(`no live zone left to take ${region}`);
    const target = now.reduce((a, b) => (b.holds.length < a.holds.length ? b : a));
    const m = await moveRegion(c, region, target.id);
    log(describeMove(m));
    moves.push(m);
  }
  const left = (await liveZones(c)).find((z) => z.id === zone.id)?.holds ?? [];
  if (left.length > 0) throw new MoveRefused(`${zone.name} still holds ${left.join(", ")} after the drain`);
  return moves;
}

/**
 * Which regions to move (region, to zone id) so that each of `fresh` gets its fair share (the
 * floor of regions per zone), taken from the zone holding the most each time.
 */
export function rebalancePlan(zones: { id: string; holds: string[] }[], fresh: string[]): [string, string][] {
  const total = zones.reduce((n, z) => n + z.holds.length, 0);
  const share = Math.floor(total / Math.max(1, zones.length));
  const holds = new Map(zones.map((z) => [z.id, [...z.holds]]));
  const plan: [string, string][] = [];
  for (const id of fresh) {
    while ((holds.get(id)?.length ?? 0) < share) {
      const [richest, list] = [...holds.entries()].reduce((a, b) => (b[1].length > a[1].length ? b : a));
      if (richest === id || list.length <= share) break;
      const region = list.pop()!;
      holds.get(id)!.push(region);
      plan.push([region, id]);
    }
  }
  return plan;
}
