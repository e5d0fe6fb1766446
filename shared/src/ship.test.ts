import assert from "node:assert/strict";
import { test } from "node:test";
import {
  fromShipRow,
  ghostToWire,
  LEDGER_FIELDS,
  PERSISTED_FIELDS,
  SHIP_COLUMNS,
  SHIP_FIELDS,
  type Ship,
  type ShipRow,
  seedFromShipState,
  shipFromSeed,
  toGhost,
  toShipRow,
  toShipState,
  toWire,
} from "./ship.js";
import { validateShipState } from "./writebehind.js";

// Every field a distinct value (whole numbers, so the rounding a form applies keeps them), so a
// conversion that drops or swaps a field is caught.
const FIELDS = Object.keys(SHIP_FIELDS) as (keyof Ship)[];
function sample(): Ship {
  const s: Record<string, unknown> = {};
  FIELDS.forEach((f, i) => {
    s[f] = SHIP_FIELDS[f].kind === "text" ? `${f}-value` : 11 + i * 7;
  });
  s.respawnIn = 0; // alive, so the derived `alive` is true
  return s as unknown as Ship;
}
const meta = { region: "region-1-2", version: 5, epoch: 3, ledgerVersion: 9 };

test("the ghost carries exactly the fields marked ghost", () => {
  const ship = sample();
  const ghost = toGhost(ship);
  for (const f of FIELDS) {
    if (SHIP_FIELDS[f].ghost) assert.equal((ghost as Record<string, unknown>)[f], ship[f], f);
    else assert.equal(f in ghost, false, `${f} must not leave in a ghost`);
  }
  assert.deepEqual(Object.keys(ghost).sort(), [...FIELDS.filter((f) => SHIP_FIELDS[f].ghost), "alive"].sort());
});

test("the wire form carries the wire fields; a ghost's private fields are zero", () => {
  const ship = sample();
  const wire = toWire(ship);
  const fromGhost = ghostToWire(toGhost(ship));
  const wired = FIELDS.filter((f) => SHIP_FIELDS[f].wire);
  assert.deepEqual(Object.keys(wire).sort(), [...wired, "alive", "ghost"].sort());
  assert.deepEqual(Object.keys(fromGhost).sort(), Object.keys(wire).sort());
  for (const f of wired) {
    assert.equal((wire as unknown as Record<string, unknown>)[f], ship[f], f);
    const g = (fromGhost as unknown as Record<string, unknown>)[f];
    assert.equal(g, "private" in SHIP_FIELDS[f] ? 0 : ship[f], `ghost ${f}`);
  }
  assert.equal(wire.ghost, false);
  assert.equal(fromGhost.ghost, true);
});

test("entry, row and stored ship round-trip every persisted field; transient ones reset", () => {
  const ship = sample();
  const entry = toShipState(ship, meta);
  assert.equal(validateShipState(entry).ok, true);
  const row = Object.fromEntries(SHIP_COLUMNS.map((c, i) => [c, toShipRow(entry)[i]])) as unknown as ShipRow;
  const back = fromShipRow({ ...row, cargo: String(row.cargo), credits: String(row.credits) });
  assert.deepEqual(back, entry);
  const validated = validateShipState(JSON.parse(JSON.stringify(entry)));
  assert.ok(validated.ok);
  assert.deepEqual(validated.state, entry);
  const reloaded = shipFromSeed(seedFromShipState(back), { x: -1, y: -1 });
  for (const f of FIELDS) {
    if (SHIP_FIELDS[f].persisted) assert.equal(reloaded[f], ship[f], f);
    else assert.equal(reloaded[f], 0, `${f} is not persisted: a reloaded ship starts it afresh`);
  }
  for (const [k, v] of Object.entries(meta)) assert.equal((back as unknown as Record<string, unknown>)[k], v, k);
});

test("every persisted field has a column, and the ledger owns credits, cargo and upgrades", () => {
  const snake = (f: string) => (f === "id" ? "player_id" : f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
  for (const f of PERSISTED_FIELDS) assert.ok((SHIP_COLUMNS as readonly string[]).includes(snake(f)), f);
  assert.deepEqual([...LEDGER_FIELDS].sort(), ["cargo", "credits", "holdLevel"]);
});

test("a fresh ship takes the spawn point and the defaults", () => {
  const s = shipFromSeed({ id: "p", name: "n" }, { x: 10, y: 20 });
  assert.deepEqual(
    { x: s.x, y: s.y, hull: s.hull, cargo: s.cargo, credits: s.credits },
    { x: 10, y: 20, hull: 100, cargo: 0, credits: 0 },
  );
});
