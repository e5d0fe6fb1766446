// A region room's state as a client sees it. The zone sends it as binary state frames (one per
// tick: the shared bytes of each cell the client sees plus its own private part; shared/PROTOCOL.md,
// "Zone state frames"); `attachRegion(room)` decodes them (wire/decoder.ts) into these shapes.
// Typed structurally so this package depends on neither the SDK nor the zone: the browser client,
// the bots and the tests read the state only through `regionView(room)`.
import type { WireError } from "./wire/bits.js";
import { RegionDecoder } from "./wire/decoder.js";
import { WIRE_MESSAGE } from "./wire/format.js";

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

/** A room of the Colyseus SDK, as far as the decoder needs it. */
export interface WireRoomLike {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's payload type
  onMessage(type: any, cb: (payload: any) => void): unknown;
}

export interface AttachOptions {
  /** The client's own ship id (its view gets cargo, credits and hold level from the private part). */
  self?: string;
  /** After each decoded frame. */
  onFrame?(decoder: RegionDecoder): void;
  /**
   * A frame the decoder refused (truncated, corrupt, unknown version): the state is not trusted
   * until the next full frame. Reconnect (the bots and the browser client leave and enter again).
   */
  onError?(err: WireError): void;
}

const decoders = new WeakMap<object, { decoder: RegionDecoder; o: AttachOptions[] }>();

/**
 * Decodes `room`'s state frames from now on (call it right after the join resolves, before the
 * first frame can arrive). Attaching again adds the options' callbacks and returns the same decoder.
 */
export function attachRegion(room: WireRoomLike, o: AttachOptions = {}): RegionDecoder {
  const had = decoders.get(room);
  if (had) {
    had.o.push(o);
    return had.decoder;
  }
  const entry = { decoder: new RegionDecoder(o.self), o: [o] };
  decoders.set(room, entry);
  room.onMessage(WIRE_MESSAGE, (bytes: Uint8Array) => {
    try {
      entry.decoder.apply(bytes);
    } catch (err) {
      for (const x of entry.o) x.onError?.(err as WireError);
      return;
    }
    for (const x of entry.o) x.onFrame?.(entry.decoder);
  });
  return entry.decoder;
}

/**
 * The region as the client connected to `room` sees it: its own ship (with `ack`) and what is in
 * its cells. Undefined until the room's first full frame arrived (or without a room, or when no
 * decoder was attached to it with `attachRegion`). A room with a schema state of this shape instead
 * (the benchmark's stock Colyseus room) is read as it is.
 */
export function regionView(room: object | null | undefined): RegionView | undefined {
  if (!room) return undefined;
  const view = decoders.get(room)?.decoder.view;
  if (view) return view;
  // A Colyseus schema state of the same shape: only the stock room the benchmark compares with.
  const state = (room as { state?: Partial<RegionView> }).state;
  return state?.ships ? (state as RegionView) : undefined;
}

/** The decoder attached to `room`, if any. */
export function regionDecoder(room: object | null | undefined): RegionDecoder | undefined {
  return room ? decoders.get(room)?.decoder : undefined;
}
