// The game's numbers in one place. Units: world units, seconds, radians.
export const TUNING = {
  ship: {
    radius: 20,
    /** Forward acceleration at full thrust. */
    accel: 300,
    maxSpeed: 400,
    /** Velocity lost per second to drag (fraction, applied as exp(-drag * dt)). */
    drag: 0.6,
    turnRate: Math.PI,
    hull: 100,
    cargoCapacity: 100,
  },
  gun: { cooldown: 0.4, shotSpeed: 900, shotTtl: 1.0, damage: 20 },
  mining: { range: 120, perAction: 10, regenPerSecond: 0.5, maxOre: 500 },
  trade: { range: 200, orePrice: 5 },
  /** Upgrades sold at stations, bought one level at a time through the ledger. */
  upgrades: { hold: { prices: [150, 400, 1000], capacityPerLevel: 50 } },
  respawn: { delay: 3 },
} as const;
