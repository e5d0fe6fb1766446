// The ship record: what a ship is, defined once, and every form it takes (simulation, wire, ghost,
// write-behind entry and snapshot, stored ship, row). `SHIP_FIELDS` says which forms carry each
// field; a new field is a line there (tsc refuses the table until it has one) plus the conversions
// below that must know it, and `ship.test.ts` fails if a conversion forgets a field.
import type { ShipView } from "./state-view.js";
import type { ShipState } from "./writebehind.js";

/** A ship as the simulation holds it (the zone's authoritative copy; a handoff carries it whole). */
export interface Ship {
  /** The owning player's account id (a player has one ship). */
  id: string;
  name: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  /** Radians, 0 = +x, growing clockwise on screen (y down). */
  heading: number;
  hull: number;
  /** Ore units in the hold: mining adds (simulation), sales and trades take (ledger). */
  cargo: number;
  /** Only the ledger changes credits; the zone shows what it committed. */
  credits: number;
  /** Hold upgrades bought (each adds cargo capacity); only the ledger changes it. */
  holdLevel: number;
  /** Seconds until the gun can fire again. */
  cooldown: number;
  /** 0 while flying; seconds left before respawning after destruction. */
  respawnIn: number;
  /** The controls in effect (the last applied input's). */
  thrust: number;
  turn: number;
  /** The sequence number of the last input applied to this ship (0 = none yet). */
  ack: number;
}

interface FieldForms {
  /** How the store keeps it (and how untrusted entries are checked). */
  kind: "text" | "real" | "whole";
  /** Who may change it: the simulation, or only the ledger (write-behind never overwrites it with older values). */
  authority: "sim" | "ledger";
  /** In the write-behind entry, the stored ship and the row (the rest is lost on a reload, by design). */
  persisted: boolean;
  /** Shown to neighbours as a border ghost. */
  ghost: boolean;
  /** Shown to clients (wire); a ghost's private fields are zero. */
  wire: boolean;
  /** Only the owner's client should see it (hidden on a ghost). */
  private?: true;
  /** Added after entries and stored ships were first written: absent means 0. */
  optional?: true;
}

export const SHIP_FIELDS = {
  id: { kind: "text", authority: "sim", persisted: true, ghost: true, wire: false },
  name: { kind: "text", authority: "sim", persisted: true, ghost: true, wire: true },
  x: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  y: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  vx: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  vy: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  heading: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  hull: { kind: "real", authority: "sim", persisted: true, ghost: true, wire: true },
  cargo: { kind: "whole", authority: "ledger", persisted: true, ghost: false, wire: true, private: true },
  credits: { kind: "whole", authority: "ledger", persisted: true, ghost: false, wire: true, private: true },
  holdLevel: {
    kind: "whole",
    authority: "ledger",
    persisted: true,
    ghost: false,
    wire: true,
    private: true,
    optional: true,
  },
  cooldown: { kind: "real", authority: "sim", persisted: false, ghost: false, wire: false },
  respawnIn: { kind: "real", authority: "sim", persisted: false, ghost: false, wire: false },
  thrust: { kind: "real", authority: "sim", persisted: false, ghost: false, wire: false },
  turn: { kind: "real", authority: "sim", persisted: false, ghost: false, wire: false },
  ack: { kind: "whole", authority: "sim", persisted: false, ghost: true, wire: true },
} as const satisfies Record<keyof Ship, FieldForms>;

type Fields = typeof SHIP_FIELDS;
type Where<P extends "persisted" | "ghost" | "wire"> = {
  [K in keyof Fields]: Fields[K] extends Record<P, true> ? K : never;
}[keyof Fields];

/** The ship fields the store keeps. */
export type PersistedField = Where<"persisted">;
/** Persisted fields an older entry or stored ship may lack (they read as 0). */
export type OptionalField = { [K in keyof Fields]: Fields[K] extends { optional: true } ? K : never }[keyof Fields];

/** The ship fields only the ledger changes. */
export type LedgerField = { [K in keyof Fields]: Fields[K]["authority"] extends "ledger" ? K : never }[keyof Fields];

export const PERSISTED_FIELDS = (Object.keys(SHIP_FIELDS) as (keyof Ship)[]).filter(
  (k) => SHIP_FIELDS[k].persisted,
) as PersistedField[];
export const LEDGER_FIELDS = (Object.keys(SHIP_FIELDS) as (keyof Ship)[]).filter(
  (k) => SHIP_FIELDS[k].authority === "ledger",
) as LedgerField[];

/** What a ghost shows: a ship's public fields (not cargo, credits or controls) and whether it flies. */
export type Ghost = Pick<Ship, Where<"ghost">> & { alive: boolean };

/** What a ship is made from: a stored ship, or only its id and name for a fresh one. */
export type ShipSeed = Pick<Ship, "id" | "name"> & Partial<Pick<Ship, Exclude<PersistedField, "id" | "name">>>;

/** The persisted fields as an entry or a stored ship carries them (optional ones may be absent). */
export type PersistedShip = Pick<Ship, Exclude<PersistedField, "id" | OptionalField>> &
  Partial<Pick<Ship, OptionalField>>;

/** Defaults of a fresh ship (no position: the zone puts it beside a station). */
export const NEW_SHIP = { vx: 0, vy: 0, heading: 0, hull: 100, cargo: 0, credits: 0, holdLevel: 0 } as const;

/** A simulation ship from a seed (stored ship or fresh), at rest, controls idle; `at` if the seed has no position. */
export function shipFromSeed(seed: ShipSeed, at: { x: number; y: number }): Ship {
  return {
    id: seed.id,
    name: seed.name,
    x: seed.x ?? at.x,
    y: seed.y ?? at.y,
    vx: seed.vx ?? NEW_SHIP.vx,
    vy: seed.vy ?? NEW_SHIP.vy,
    heading: seed.heading ?? NEW_SHIP.heading,
    hull: seed.hull ?? NEW_SHIP.hull,
    cargo: seed.cargo ?? NEW_SHIP.cargo,
    credits: seed.credits ?? NEW_SHIP.credits,
    holdLevel: seed.holdLevel ?? NEW_SHIP.holdLevel,
    cooldown: 0,
    respawnIn: 0,
    thrust: 0,
    turn: 0,
    ack: 0,
  };
}

export function toGhost(s: Ship): Ghost {
  return {
    id: s.id,
    name: s.name,
    x: s.x,
    y: s.y,
    vx: s.vx,
    vy: s.vy,
    heading: s.heading,
    hull: Math.ceil(s.hull),
    ack: s.ack,
    alive: s.respawnIn <= 0,
  };
}

/** What the owner's region sends clients for one of its ships. */
export function toWire(s: Ship): ShipView {
  return {
    name: s.name,
    x: s.x,
    y: s.y,
    vx: s.vx,
    vy: s.vy,
    heading: s.heading,
    hull: Math.ceil(s.hull),
    // The wire and the store keep whole units; the simulation mines fractions per tick.
    cargo: Math.floor(s.cargo),
    credits: Math.floor(s.credits),
    holdLevel: s.holdLevel,
    ack: s.ack,
    alive: s.respawnIn <= 0,
    ghost: false,
  };
}

/** What a neighbouring region sends clients for a ghost: public fields, private ones zero. */
export function ghostToWire(g: Ghost): ShipView {
  return {
    name: g.name,
    x: g.x,
    y: g.y,
    vx: g.vx,
    vy: g.vy,
    heading: g.heading,
    hull: g.hull,
    cargo: 0,
    credits: 0,
    holdLevel: 0,
    ack: g.ack,
    alive: g.alive,
    ghost: true,
  };
}

/** Where an entry's versions and fence stand (kept by the zone's saver, not by the ship). */
export interface EntryMeta {
  region: string;
  version: number;
  epoch: number;
  ledgerVersion: number;
}

/** The write-behind entry (also what a snapshot keeps of a ship). */
export function toShipState(s: Ship, meta: EntryMeta): ShipState {
  return {
    playerId: s.id,
    name: s.name,
    region: meta.region,
    x: s.x,
    y: s.y,
    vx: s.vx,
    vy: s.vy,
    heading: s.heading,
    hull: Math.max(0, s.hull),
    cargo: Math.floor(s.cargo),
    credits: Math.floor(s.credits),
    holdLevel: s.holdLevel,
    version: meta.version,
    epoch: meta.epoch,
    ledgerVersion: meta.ledgerVersion,
  };
}

/** The seed a stored ship or entry gives the simulation. */
export function seedFromShipState(s: Omit<ShipState, "region" | "epoch" | "version"> | ShipState): ShipSeed {
  return {
    id: s.playerId,
    name: s.name,
    x: s.x,
    y: s.y,
    vx: s.vx,
    vy: s.vy,
    heading: s.heading,
    hull: s.hull,
    cargo: s.cargo,
    credits: s.credits,
    holdLevel: s.holdLevel ?? 0,
  };
}

/** A `characters` row as pg returns it (bigint columns as text). */
export interface ShipRow {
  player_id: string;
  name: string;
  region: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  heading: number;
  hull: number;
  cargo: string | number;
  credits: string | number;
  version: string | number;
  epoch: string | number;
  ledger_version: string | number;
  hold_level: number;
}

/** The row's columns, in the order of `toShipRow` values (write-behind unnest, SELECT lists). */
export const SHIP_COLUMNS = [
  "player_id",
  "name",
  "region",
  "x",
  "y",
  "vx",
  "vy",
  "heading",
  "hull",
  "cargo",
  "credits",
  "version",
  "epoch",
  "ledger_version",
  "hold_level",
] as const satisfies readonly (keyof ShipRow)[];

/** The row values of an entry, in SHIP_COLUMNS order. */
export function toShipRow(s: ShipState): unknown[] {
  return [
    s.playerId,
    s.name,
    s.region,
    s.x,
    s.y,
    s.vx,
    s.vy,
    s.heading,
    s.hull,
    s.cargo,
    s.credits,
    s.version,
    s.epoch,
    s.ledgerVersion ?? 0,
    s.holdLevel ?? 0,
  ];
}

// pg returns bigint as text; every value here stays below 2^53.
export function fromShipRow(r: ShipRow): ShipState {
  return {
    playerId: r.player_id,
    name: r.name,
    region: r.region,
    x: r.x,
    y: r.y,
    vx: r.vx,
    vy: r.vy,
    heading: r.heading,
    hull: r.hull,
    cargo: Number(r.cargo),
    credits: Number(r.credits),
    version: Number(r.version),
    epoch: Number(r.epoch),
    ledgerVersion: Number(r.ledger_version),
    holdLevel: r.hold_level,
  };
}
