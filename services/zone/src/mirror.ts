// The mirror: what each client of a region room is sent. After every tick it turns the simulation
// and the border ghosts shown here into wire states by cell (wire-encoder.ts: each cell's bytes
// encoded once), then sends each client one frame: its private part (its own ship's ack, hull,
// cargo, credits) and the shared bytes of the 3 x 3 cells around its ship (a cell's full state when
// the client gains it, its delta otherwise; a cell it loses is named so it drops it there).
// Frames travel as Colyseus raw byte messages (WIRE_MESSAGE); format in shared/PROTOCOL.md, "Zone
// state frames". A slow reader never costs the others: over the send-buffer limit its frames are
// skipped and it gets a fresh full state once it drains; stuck too long, it is closed (4130).
import { type Client, ClientState, Protocol } from "@colyseus/core";
import {
  ByteWriter,
  CloseCode,
  dragFixed,
  ghostToWire,
  MAX_FRAME_BYTES,
  type PrivatePart,
  privateChanged,
  type Rect,
  TUNING,
  writeHeader,
} from "@starlane/shared";
import type { Ghost } from "./ghosts.js";
import { CellGrid } from "./interest.js";
import type { SimState } from "./rules/types.js";
import { CellEncoder, type Source } from "./wire-encoder.js";

export interface MirrorOptions {
  /** The region room id. */
  region: string;
  bounds: Rect;
  sim: SimState;
  tickHz: number;
  /** Side of an interest cell (units); a client sees the 3 x 3 cells around its ship. */
  cellSize: number;
  /** How far beyond the region ghosts can be (the border band). */
  margin: number;
  /** A client with more than this many bytes waiting in its send buffer is skipped (then resynced). */
  slowReaderBytes: number;
  /** A client skipped for longer than this is closed with 4130 SlowReader. */
  slowReaderCloseMs: number;
  /** Slow-reader events, for /metrics. */
  onSlowReader?(event: "skipped" | "resynced" | "closed"): void;
  /** Milliseconds (tests drive it; default performance.now). */
  now?(): number;
}

interface Viewer {
  client: Client;
  playerId: string;
  /** The cells the client holds (ascending keys). */
  cells: number[];
  /** The next frame must be a reset (just joined, or frames were skipped). */
  reset: boolean;
  /** When the client was first skipped in a row (0: not stuck). */
  stuckSince: number;
  /** The private part last sent. */
  priv: PrivatePart | null;
  /** Where this tick's private part is built (swapped with `priv` when sent). */
  scratch: PrivatePart;
  /** The cell of the ship when `cells` were chosen (-1: choose again). */
  center: number;
}

interface RawSocket {
  getBufferedAmount(): number;
  send(data: Uint8Array, isBinary: boolean): number;
}

const PREFIX0 = Protocol.ROOM_DATA_BYTES;
const PREFIX1 = 0; // WIRE_MESSAGE as a msgpack fixint
const EMPTY: number[] = [];

function blankSource(kind: Source["kind"]): Source {
  switch (kind) {
    case 0:
      return {
        key: "",
        kind,
        id: "",
        name: "",
        x: 0,
        y: 0,
        vx: 0,
        vy: 0,
        heading: 0,
        ack: 0,
        hull: 0,
        alive: false,
        ghost: false,
      };
    case 1:
      return { key: "", kind, id: "", x: 0, y: 0, radius: 0, ore: 0 };
    case 2:
      return { key: "", kind, id: "", x: 0, y: 0, radius: 0 };
    default:
      return { key: "", kind: 3, id: "", x: 0, y: 0, vx: 0, vy: 0 };
  }
}

/** A ship as shown (owned here, or a neighbour's ghost), written into its reused source record. */
function showShip(
  r: Extract<Source, { kind: 0 }>,
  id: string,
  s: { name: string; x: number; y: number; vx: number; vy: number; heading: number; ack: number; hull: number },
  alive: boolean,
  ghost: boolean,
): void {
  r.key = r.id = id;
  r.name = s.name;
  r.x = s.x;
  r.y = s.y;
  r.vx = s.vx;
  r.vy = s.vy;
  r.heading = s.heading;
  r.ack = s.ack;
  r.hull = Math.ceil(s.hull);
  r.alive = alive;
  r.ghost = ghost;
}

export class Mirror {
  readonly #o: MirrorOptions;
  readonly #grid: CellGrid;
  readonly #encoder: CellEncoder;
  readonly #viewers = new Map<Client, Viewer>();
  readonly #out = new ByteWriter(16 * 1024);
  readonly #reset: { region: string; tickHz: number; drag: number };
  readonly #sources: Source[] = [];
  readonly #ghostIds = new Set<string>();
  /** The last update was between ticks (its frames carry the Hold flag). */
  #hold = false;

  constructor(options: MirrorOptions) {
    this.#o = options;
    this.#grid = new CellGrid(options.bounds, options.cellSize, options.margin);
    const drag = dragFixed(TUNING.ship.drag, options.tickHz);
    this.#encoder = new CellEncoder(this.#grid, options.tickHz, drag);
    this.#reset = { region: options.region, tickHz: options.tickHz, drag };
  }

  #now(): number {
    return this.#o.now ? this.#o.now() : performance.now();
  }

  /** Entities shown (simulated and ghosts). */
  get entities(): number {
    return this.#encoder.entities;
  }

  get grid(): CellGrid {
    return this.#grid;
  }

  /** The encoder's wire states (tests). */
  get encoder(): CellEncoder {
    return this.#encoder;
  }

  /** The cells a client holds (tests). */
  cellsOf(client: Client): readonly number[] | undefined {
    return this.#viewers.get(client)?.cells;
  }

  /** A player's connection starts receiving frames; its first one (a reset) goes out at once. */
  join(client: Client, playerId: string): void {
    const v: Viewer = {
      client,
      playerId,
      cells: [],
      reset: true,
      stuckSince: 0,
      priv: null,
      scratch: { ack: 0, hull: 0, cargo: 0, credits: 0, holdLevel: 0, present: false },
      center: -1,
    };
    this.#viewers.set(client, v);
    this.#frame(v, this.#now(), true);
  }

  leave(client: Client): void {
    this.#viewers.delete(client);
  }

  /**
   * The wire states from the simulation and the ghosts. After the tick's rules, then `send()`; or
   * between ticks (`between`: a join or a leave changed what is shown), which sends every client
   * that frame at once (every encoder update must reach every client: they advance together).
   */
  sync(ghosts: Iterable<Ghost>, between = false): void {
    // The source records are reused from one update to the next (the encoder copies what it keeps):
    // no allocation per entity per tick.
    const src = this.#sources;
    let n = 0;
    const at = <K extends Source["kind"]>(kind: K): Extract<Source, { kind: K }> => {
      let r = src[n];
      if (r?.kind !== kind) src[n] = r = blankSource(kind);
      n++;
      return r as Extract<Source, { kind: K }>;
    };
    const sim = this.#o.sim;
    for (const s of sim.ships.values()) showShip(at(0), s.id, s, s.respawnIn <= 0, false);
    // Ghosts share the ships' keys (same key as when owned here): a ship crossing the border changes
    // owner without leaving any client's view.
    const shown = this.#ghostIds;
    shown.clear();
    for (const g of ghosts) {
      // A ship near a corner can come from two neighbours: the first copy is shown.
      if (sim.ships.has(g.id) || shown.has(g.id)) continue;
      shown.add(g.id);
      const w = ghostToWire(g);
      showShip(at(0), g.id, w, w.alive, w.ghost);
    }
    for (const a of sim.asteroids.values()) {
      const r = at(1);
      if (r.id !== a.id) r.key = `a:${(r.id = a.id)}`;
      r.x = a.x;
      r.y = a.y;
      r.radius = a.radius;
      r.ore = a.ore;
    }
    for (const st of sim.stations.values()) {
      const r = at(2);
      if (r.id !== st.id) r.key = `t:${(r.id = st.id)}`;
      r.x = st.x;
      r.y = st.y;
      r.radius = st.radius;
    }
    for (const sh of sim.shots.values()) {
      const r = at(3);
      if (r.id !== sh.id) r.key = `s:${(r.id = sh.id)}`;
      r.x = sh.x;
      r.y = sh.y;
      r.vx = sh.vx;
      r.vy = sh.vy;
    }
    src.length = n;
    this.#encoder.update(src, between);
    this.#hold = between;
    if (between) this.send();
  }

  /** Sends every client its frame for this tick; returns the bytes sent. Never waits on a socket. */
  send(): number {
    const now = this.#now();
    let bytes = 0;
    // Between ticks only the clients holding a cell that changed (or owed a reset) get a frame: a
    // join or leave costs a set lookup per other client, not a frame (see #frame).
    const dirty = this.#hold ? this.#encoder.dirty : null;
    for (const v of this.#viewers.values()) {
      if (dirty && !v.reset && !v.cells.some((k) => dirty.has(k))) continue;
      bytes += this.#frame(v, now, false);
    }
    return bytes;
  }

  /** The player's private part, into `out` (no allocation per client per tick). */
  #private(playerId: string, out: PrivatePart): void {
    const s = this.#o.sim.ships.get(playerId);
    out.ack = s ? s.ack : 0;
    out.hull = s ? Math.ceil(s.hull) : 0;
    out.cargo = s ? Math.floor(s.cargo) : 0;
    out.credits = s ? Math.floor(s.credits) : 0;
    out.holdLevel = s ? s.holdLevel : 0;
    out.present = !!s;
  }

  #frame(v: Viewer, now: number, joining: boolean): number {
    const client = v.client;
    const ws = (client as unknown as { ref?: { ws?: RawSocket } }).ref?.ws;
    if (ws && !joining) {
      let buffered: number;
      try {
        buffered = ws.getBufferedAmount();
      } catch {
        return 0; // closed under us: its leave is on its way
      }
      if (buffered > this.#o.slowReaderBytes) {
        if (!v.reset) this.#o.onSlowReader?.("skipped");
        v.reset = true;
        v.stuckSince ||= now;
        if (now - v.stuckSince > this.#o.slowReaderCloseMs) {
          this.#o.onSlowReader?.("closed");
          this.#viewers.delete(client);
          client.leave(CloseCode.SlowReader);
        }
        return 0;
      }
      if (v.stuckSince) this.#o.onSlowReader?.("resynced");
      v.stuckSince = 0;
    }
    const ship = this.#o.sim.ships.get(v.playerId);
    // The 3 x 3 cells change only when the ship changes cell.
    const center = ship ? this.#grid.keyOf(ship.x, ship.y) : v.center;
    const moved = center !== v.center || v.reset;
    const cells = moved && ship ? this.#grid.around(ship.x, ship.y) : v.cells;
    const priv = v.scratch;
    this.#private(v.playerId, priv);
    const privChanged = v.reset || !v.priv || privateChanged(v.priv, priv);
    const w = this.#out;
    w.pos = 0;
    w.u8(PREFIX0);
    w.u8(PREFIX1);
    writeHeader(
      w,
      this.#o.sim.tick,
      v.reset ? this.#reset : null,
      privChanged ? priv : null,
      v.reset ? null : v.priv,
      this.#hold,
    );
    const held = v.reset ? EMPTY : v.cells;
    if (moved) {
      let drops = 0;
      for (const k of held) if (!cells.includes(k)) drops++;
      w.varint(drops);
      for (const k of held) if (!cells.includes(k)) w.varint(k);
    } else {
      w.varint(0);
    }
    let next = cells;
    const headerEnd = w.pos;
    for (let i = 0; i < cells.length; i++) {
      const k = cells[i]!;
      const had = !moved || held.includes(k);
      const chunk = had ? this.#encoder.delta(k) : this.#encoder.full(k);
      // A gained cell that does not fit this frame is gained on a later tick (a frame never exceeds the cap).
      if (!had && w.pos + (chunk?.length ?? 0) + 10 > MAX_FRAME_BYTES + 2) {
        if (next === cells) next = cells.slice(0, i);
        continue;
      }
      if (next !== cells) next.push(k);
      if (!chunk) continue;
      w.varint(k);
      w.varint(chunk.length);
      w.bytes(chunk);
    }
    // A cell left out for the cap is gained later: the centre stays unknown until all are held.
    v.center = next === cells ? center : -1;
    v.cells = next;
    v.reset = false;
    if (privChanged) {
      v.scratch = v.priv ?? { ack: 0, hull: 0, cargo: 0, credits: 0, holdLevel: 0, present: false };
      v.priv = priv;
    }
    // An update between ticks (a join, a leave) that changed nothing this client holds is not sent:
    // it carries no prediction step, so skipping it leaves the client exactly where the encoder is.
    // A join or leave then costs a frame to the clients near it, not to every client of the region.
    if (this.#hold && !joining && !moved && !privChanged && w.pos === headerEnd) return 0;
    const frame = w.buf.subarray(0, w.pos);
    if (ws && client.state === ClientState.JOINED) {
      try {
        ws.send(frame, true);
      } catch {
        return 0;
      }
    } else {
      // Not joined yet: Colyseus holds it until the client acknowledged the join (a copy: the buffer is reused).
      (client as unknown as { enqueueRaw(d: Uint8Array): void }).enqueueRaw(frame.slice());
    }
    return frame.length;
  }
}
