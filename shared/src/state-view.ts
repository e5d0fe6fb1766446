// A region room's state as a client sees it (the schema is services/zone/src/schema.ts; the SDK
// decodes it into these shapes). Typed structurally so this package depends on neither the SDK nor
// the zone: the browser client, the bots and the tests read the state through these types.

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
