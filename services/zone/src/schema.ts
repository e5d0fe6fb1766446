// What clients see: the Colyseus state of a region room. Two encodings of the same shape, chosen by
// config: quantised (positions as 16-bit fractions of the world, velocities as 16-bit fractions of
// the speed cap, headings as 16-bit angles, entity maps filtered per client by StateView) and plain
// (float64, everything broadcast), the latter only to measure what the former saves.
import { MapSchema, schema, t } from "@colyseus/schema";
import type { WorldConfig } from "@starlane/shared";
import { TUNING } from "@starlane/shared";

export interface EncodingOptions {
  world: WorldConfig;
  /** Quantise positions, velocities and headings. */
  quantize: boolean;
  /** Filter entity maps per client (StateView + area of interest). */
  interest: boolean;
}

export function defineStateSchemas({ world, quantize, interest }: EncodingOptions) {
  const suffix = `${quantize ? "Q" : "F"}${interest ? "V" : "B"}`;
  const px = () => (quantize ? t.quantized({ min: 0, max: world.width, bits: 16 }) : t.float64());
  const py = () => (quantize ? t.quantized({ min: 0, max: world.height, bits: 16 }) : t.float64());
  const vel = () =>
    quantize ? t.quantized({ min: -TUNING.ship.maxSpeed, max: TUNING.ship.maxSpeed, bits: 16 }) : t.float64();
  const angle = () => (quantize ? t.angle({ bits: 16 }) : t.float64());

  const ShipState = schema(
    {
      name: t.string(),
      x: px(),
      y: py(),
      vx: vel(),
      vy: vel(),
      heading: angle(),
      hull: t.uint8(),
      cargo: t.uint16(),
      credits: t.uint32(),
      holdLevel: t.uint8(),
      /** The last applied input sequence number: clients drop acknowledged inputs from prediction. */
      ack: t.uint32(),
      alive: t.boolean(),
      /** A read-only copy of a ship owned by a neighbouring region (border ghost). */
      ghost: t.boolean(),
    },
    `Ship${suffix}`,
  );
  const AsteroidState = schema({ x: px(), y: py(), radius: t.uint8(), ore: t.uint16() }, `Asteroid${suffix}`);
  const StationState = schema({ x: px(), y: py(), radius: t.uint16() }, `Station${suffix}`);
  const ShotState = schema({ x: px(), y: py() }, `Shot${suffix}`);

  const map = <B extends { view(): B }>(b: B) => (interest ? b.view() : b);
  const RegionState = schema(
    {
      region: t.string(),
      tick: t.uint32(),
      ships: map(t.map(ShipState)),
      asteroids: map(t.map(AsteroidState)),
      stations: map(t.map(StationState)),
      shots: map(t.map(ShotState)),
    },
    `Region${suffix}`,
  );
  return { RegionState, ShipState, AsteroidState, StationState, ShotState };
}

export type StateSchemas = ReturnType<typeof defineStateSchemas>;
export type RegionStateT = InstanceType<StateSchemas["RegionState"]>;
export type ShipStateT = InstanceType<StateSchemas["ShipState"]>;
export { MapSchema };
