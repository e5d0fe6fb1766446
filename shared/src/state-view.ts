// A region room's state as a client sees it (the schema is services/zone/src/schema.ts; the SDK
// decodes it into these shapes). Typed structurally so this package depends on neither the SDK nor
// the zone: the browser client, the bots and the tests read the state through these types.
//
// Clients read it only through `regionView(room)`, never `room.state`: the zone's encoding is going
// to change (per-area shared state plus a small private part per client), and then only the
// accessor changes, not every reader.

/** The read side of a decoded schema map. */
export interface MapView<T> {
  get(key: string): T | undefined;
  has(key: string): boolean;
  keys(): IterableIterator<string>;
  forEach(cb: (value: T, key: string) => void): void;
  readonly size: number;
}

export interface ShipView {
  name: string;
  x: number;
  y: number;
  vx: number;
  vy: number;
  heading: number;
  hull: number;
  /** Hidden (0) on a ghost. */
  cargo: number;
  /** Hidden (0) on a ghost. */
  credits: number;
  /** Hold upgrades bought; hidden (0) on a ghost. */
  holdLevel: number;
  /** The sequence number of the last input applied to this ship. */
  ack: number;
  alive: boolean;
  /** A read-only copy of a ship owned by a neighbouring region. */
  ghost: boolean;
}

export interface BodyView {
  x: number;
  y: number;
  radius: number;
}

export interface RegionView {
  /** The region room id, `region-<col>-<row>`. */
  region: string;
  tick: number;
  ships: MapView<ShipView>;
  asteroids: MapView<BodyView & { ore: number }>;
  stations: MapView<BodyView>;
  shots: MapView<{ x: number; y: number }>;
}

/**
 * The region as the client connected to `room` sees it: its own ship (with `ack`) and what is in
 * view. Undefined until the room's first state arrived (or without a room).
 */
export function regionView(room: { readonly state: unknown } | null | undefined): RegionView | undefined {
  const state = room?.state as Partial<RegionView> | null | undefined;
  // The SDK may hand out a state object before the first patch has filled in its maps.
  return state?.ships ? (state as RegionView) : undefined;
}
