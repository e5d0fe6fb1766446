// The mirror: what each client of a region room is sent. It copies the simulation (and the border
// ghosts shown here) into the Colyseus schema state and, with interest on, keeps each viewer's
// StateView to the entities within its radius. Nothing else in the zone touches the schema state:
// the room hands Colyseus `state` once and calls sync / join / leave / updateViews.
import { StateView } from "@colyseus/schema";
import { ghostToWire, toWire } from "@starlane/shared";
import type { Ghost } from "./ghosts.js";
import { InterestGrid, type Placed } from "./interest.js";
import type { SimState } from "./rules/types.js";
import type { RegionStateT, StateSchemas } from "./schema.js";

type Kind = "ships" | "asteroids" | "stations" | "shots";

/** One synced entity: its schema object, the map it lives in and a key unique for its lifetime. */
interface Synced extends Placed {
  kind: Kind;
  id: string;
  // biome-ignore lint/suspicious/noExplicitAny: the four entity schemas share no static type
  obj: any;
}

/** A connection that is sent state (a Colyseus client: its `view` filters what it gets). */
export interface Viewer {
  view?: StateView | undefined;
}

export interface MirrorOptions {
  schemas: StateSchemas;
  /** The region room id (the state's `region`). */
  region: string;
  sim: SimState;
  /** Filter what each viewer gets to its area of interest (otherwise everything is broadcast). */
  interest: boolean;
  interestRadius: number;
}

export class Mirror {
  /** The Colyseus state of the room. */
  readonly state: RegionStateT;
  readonly #o: MirrorOptions;
  readonly #synced = new Map<string, Synced>();
  readonly #bySerial = new Map<string, Synced>();
  readonly #interest: InterestGrid<Synced>;
  /** Viewers with their ship and the interest keys currently in their view. */
  readonly #viewers = new Map<Viewer, { playerId: string; seen: Set<string> }>();
  #serial = 0;

  constructor(options: MirrorOptions) {
    this.#o = options;
    this.state = new options.schemas.RegionState({ region: options.region, tick: 0 });
    this.#interest = new InterestGrid(options.interestRadius);
  }

  /** Entities in the state (simulated and ghosts). */
  get entities(): number {
    return this.#synced.size;
  }

  /** A player's connection starts viewing from its ship. */
  join(viewer: Viewer, playerId: string): void {
    if (!this.#o.interest) return;
    viewer.view = new StateView();
    const v = { playerId, seen: new Set<string>() };
    this.#viewers.set(viewer, v);
    this.#updateView(viewer, v);
  }

  leave(viewer: Viewer): void {
    viewer.view?.dispose();
    this.#viewers.delete(viewer);
  }

  /** Each viewer's view follows its ship (call after sync). */
  updateViews(): void {
    if (!this.#o.interest) return;
    for (const [viewer, v] of this.#viewers) this.#updateView(viewer, v);
  }

  #updateView(viewer: Viewer, v: { playerId: string; seen: Set<string> }) {
    const ship = this.#o.sim.ships.get(v.playerId);
    const view = viewer.view;
    if (!ship || !view) return;
    const self = this.#synced.get(`ships:${ship.id}`);
    const change = this.#interest.update(v.seen, ship.x, ship.y, self ? [self] : []);
    for (const key of change.leave) {
      const e = this.#bySerial.get(key);
      if (e) view.remove(e.obj);
    }
    for (const e of change.enter) view.add(e.obj);
  }

  /** Copies the simulation and the ghosts into the schema state (new, changed and removed entities). */
  sync(ghosts: Iterable<Ghost>): void {
    const s = this.state;
    const sim = this.#o.sim;
    const { ShipState, AsteroidState, StationState, ShotState } = this.#o.schemas;
    s.tick = sim.tick;
    const live = new Set<string>();
    const upsert = (kind: Kind, id: string, x: number, y: number, make: () => unknown) => {
      const k = `${kind}:${id}`;
      live.add(k);
      let e = this.#synced.get(k);
      if (!e) {
        e = { kind, id, key: `e${++this.#serial}`, x, y, obj: make() };
        this.#synced.set(k, e);
        this.#bySerial.set(e.key, e);
        (s[kind] as { set(id: string, v: unknown): void }).set(id, e.obj);
      }
      e.x = x;
      e.y = y;
      return e.obj;
    };
    for (const ship of sim.ships.values()) {
      const props = toWire(ship);
      Object.assign(
        upsert("ships", ship.id, ship.x, ship.y, () => new ShipState(props)),
        props,
      );
    }
    // Ghosts share the ships map (same key as when owned here): a ship crossing the border changes
    // owner without leaving any client's view.
    for (const g of ghosts) {
      if (live.has(`ships:${g.id}`)) continue;
      const props = ghostToWire(g);
      Object.assign(
        upsert("ships", g.id, g.x, g.y, () => new ShipState(props)),
        props,
      );
    }
    for (const rock of sim.asteroids.values()) {
      const props = { x: rock.x, y: rock.y, radius: rock.radius, ore: Math.floor(rock.ore) };
      upsert("asteroids", rock.id, rock.x, rock.y, () => new AsteroidState(props)).ore = props.ore;
    }
    for (const st of sim.stations.values()) {
      upsert("stations", st.id, st.x, st.y, () => new StationState({ x: st.x, y: st.y, radius: st.radius }));
    }
    for (const shot of sim.shots.values()) {
      const o = upsert("shots", shot.id, shot.x, shot.y, () => new ShotState({ x: shot.x, y: shot.y }));
      o.x = shot.x;
      o.y = shot.y;
    }
    for (const [k, e] of this.#synced) {
      if (live.has(k)) continue;
      this.#synced.delete(k);
      this.#bySerial.delete(e.key);
      (s[e.kind] as { delete(id: string): void }).delete(e.id);
    }
    if (this.#o.interest) this.#interest.rebuild(this.#synced.values());
  }
}
