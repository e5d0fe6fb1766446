// The browser client as a person uses it: the embedded system (what `npm start` runs, with its
// embedded PostgreSQL in a temporary folder, on free ports) serving the freshly built bundle, and
// Debian's Chromium driven headless through playwright-core. Register through the form, see the
// ship drawn and the HUD, hold thrust and move, cross a region border and follow the handoff,
// survive a server-side close, and see the server's message for a failed log-in.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Protocol } from "@colyseus/sdk";
import {
  createEmbedded,
  EMBEDDED_POOL_MAX,
  type Embedded,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from "@starlane/embedded";
import { loginConfig } from "@starlane/login";
import {
  CloseCode,
  connectPostgres,
  createLogger,
  loadConfig,
  parseRegionRoomId,
  regionBounds,
  regionRoomId,
  worldFromConfig,
} from "@starlane/shared";
import { WIRE_MESSAGE, WIRE_VERSION } from "@starlane/shared/client";
import { zoneConfig } from "@starlane/zone";
import type pg from "pg";
import type { Browser, Page } from "playwright-core";
import { buildClient } from "../build.js";
import { enterAs, hudPosition, launchBrowser, openPage as open, screenshot, text, waitFor } from "./browser.js";

const openPage = () => open(browser!, base);

const env = {
  STARLANE_FRONT_DOOR_PORT: "0",
  STARLANE_ZONE_PORT: "0",
  // Test accounts need no OWASP-cost hashing; the cost itself is tested in services/login.
  STARLANE_LOGIN_ARGON2_MEMORY_KIB: "4096",
};
const world = worldFromConfig(loadConfig(zoneConfig, env));

const dataDir = mkdtempSync(join(tmpdir(), "starlane-client-demo-"));
let pgEmbedded: EmbeddedPostgres | undefined;
let db: pg.Pool | undefined;
let sl: Embedded | undefined;
let browser: Browser | undefined;
let base = "";

before(async () => {
  await buildClient(); // what `npm start` does first (the root prestart script)
  pgEmbedded = await startEmbeddedPostgres(dataDir);
  db = await connectPostgres(pgEmbedded.url, { max: EMBEDDED_POOL_MAX });
  sl = await createEmbedded(
    { log: createLogger("test", "warn"), db },
    {
      embedded: {
        host: "127.0.0.1",
        publicHost: "127.0.0.1",
        frontDoorPort: 0,
        dataDir,
        databaseUrl: pgEmbedded.url,
        logLevel: "warn",
      },
      login: loadConfig(loginConfig, env),
      zone: loadConfig(zoneConfig, env),
    },
  );
  const { frontDoor } = await sl.listen();
  base = `http://127.0.0.1:${frontDoor.port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await sl?.close();
  await db?.end();
  await pgEmbedded?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The colour of the canvas pixel at the centre of the view, where the camera keeps the own ship. */
const centrePixel = (page: Page) =>
  page.evaluate(() => {
    const c = document.getElementById("view") as HTMLCanvasElement;
    const d = c.getContext("2d")!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    return [d[0], d[1], d[2]];
  });

/** The zone room that owns the ship named `name` now, and the ship. */
function ownerOf(name: string) {
  for (const { region } of sl!.zone.regions()) {
    const room = sl!.zone.room(region);
    for (const ship of room?.sim.ships.values() ?? []) if (ship.name === name) return { room: room!, ship };
  }
  return undefined;
}

/** Waits for the server to have applied the key release: queued thrust would move a placed ship on. */
const released = (name: string) =>
  waitFor("the ship's controls released", async () => ownerOf(name)?.ship.thrust === 0);

/** Moves a ship at rest to (x, y) in its owner's simulation and waits for the page to show it there. */
async function placeShip(page: Page, name: string, x: number, y: number) {
  await released(name);
  const { room, ship } = ownerOf(name)!;
  room.sim.ships.set(ship.id, { ...ship, x, y, vx: 0, vy: 0 });
  await waitFor(`the page shows the ship at ${x},${y}`, async () => {
    const p = await hudPosition(page);
    return Math.hypot(p.x - x, p.y - y) < 30; // an asteroid in the way would push it a little
  }).catch(async (err) => {
    const now = ownerOf(name);
    throw new Error(
      `${err.message}; the page shows ${await text(page, "hud-pos")}, the server has it at ${now?.ship.x},${now?.ship.y} in ${now?.room.roomId} (placed in ${room.roomId})`,
    );
  });
}

test("register, fly, cross a region border (a ghost, then owned, to a player across it), come back after a server close, mine and sell", async (t) => {
  const { page, problems } = await openPage();
  const name = `Pilot_${process.pid % 100000}`;
  await enterAs(page, name, "register");
  await waitFor("the HUD shows the region", async () => /^region-\d+-\d+$/.test(await text(page, "hud-region")));
  const owned = ownerOf(name);
  assert.ok(owned, "the zone simulates the new pilot's ship");
  assert.equal(await text(page, "hud-region"), owned.room.roomId);
  assert.equal(await text(page, "hud-name"), name);
  assert.equal(await text(page, "hud-hull"), "100");
  // The minimap and the HUD name the zone process that owns the region (one in npm start).
  const zone = await waitFor("the HUD names the zone", async () => {
    const z = await text(page, "hud-zone");
    return z !== "–" ? z : undefined;
  });
  const map = (await (await fetch(`${base}/v1/world/map`)).json()) as { regions: { region: string; zone: string }[] };
  const ownerZone = map.regions.find((r) => r.region === owned.room.roomId)!.zone;
  assert.ok(ownerZone.startsWith(zone), `${zone} names ${ownerZone}`);
  // The own ship is drawn where the camera is: the centre pixel has the own ship's colour (#35f0c0).
  await waitFor("own ship drawn at the centre", async () => {
    const [r, g, b] = await centrePixel(page);
    return Math.abs(r! - 0x35) < 8 && Math.abs(g! - 0xf0) < 8 && Math.abs(b! - 0xc0) < 8;
  });

  // Prediction: with the zone's tick held (no server state can arrive), a key press still moves the
  // page's own ship: the page flies it with the zone's flight code on top of the last state.
  type Shown = { states: number; lastSent: number; own: { x: number; y: number } | null };
  const shown = () => page.evaluate(() => ({ ...(window as unknown as { starlane: Shown }).starlane }));
  const heldRoom = ownerOf(name)!.room as unknown as { tick: (dt?: number) => void };
  heldRoom.tick = () => {};
  try {
    // A frame of the last tick before the hold may still be on its way: let it land first.
    await new Promise((r) => setTimeout(r, 300));
    const before = await shown();
    assert.ok(before.own, "the page shows a predicted own ship");
    await page.keyboard.down("KeyW");
    const moved = await waitFor("the predicted ship moves on the key press", async () => {
      const now = await shown();
      return now.lastSent > before.lastSent && Math.hypot(now.own!.x - before.own!.x, now.own!.y - before.own!.y) > 5
        ? now
        : undefined;
    });
    assert.equal(moved.states, before.states, "no server state arrived while the tick was held");
    await page.keyboard.up("KeyW");
  } finally {
    delete (heldRoom as { tick?: unknown }).tick; // the room's own tick again
  }
  await released(name);

  // Hold thrust: the position on the HUD moves, and so does the ship on the server.
  const start = await hudPosition(page);
  await page.keyboard.down("KeyW");
  await waitFor("the HUD position changes under thrust", async () => {
    const p = await hudPosition(page);
    return Math.hypot(p.x - start.x, p.y - start.y) > 40 ? p : undefined;
  });
  await page.keyboard.up("KeyW");
  // The page is ahead of the zone by the inputs in flight (prediction); the zone follows.
  await waitFor("the server's ship moved as far", async () => {
    const server = ownerOf(name)!.ship;
    return Math.hypot(server.x - start.x, server.y - start.y) > 40;
  });
  assert.ok(Number(await text(page, "hud-speed")) > 0);
  assert.match(await text(page, "hud-rtt"), /^\d+ ms$/, "inputs were acknowledged");

  // The border: the pilot will cross from its region into the neighbour `next`. A second player
  // waits in `next`, 250 units past the border (placed through the test hook, the room's
  // simulation: its zone hands it over to `next` like any crossing, and its page follows).
  const here = ownerOf(name)!;
  const region = parseRegionRoomId(here.room.roomId)!;
  const b = regionBounds(world, region);
  const east = region.col < world.cols - 1;
  const border = east ? b.maxX : b.minX;
  const next = regionRoomId({ col: region.col + (east ? 1 : -1), row: region.row });
  const watcher = await openPage();
  const watcherName = `Watch_${process.pid % 100000}`;
  await enterAs(watcher.page, watcherName, "register");
  const w = await waitFor("the watcher's ship", async () => ownerOf(watcherName));
  w.room.sim.ships.set(w.ship.id, { ...w.ship, x: border + (east ? 250 : -250), y: here.ship.y + 100, vx: 0, vy: 0 });
  await waitFor(`the watcher's page in ${next}`, async () => (await text(watcher.page, "hud-region")) === next, 10_000);

  // The pilot, 60 units short of the border, facing it, at rest: still owned by its region, it is
  // mirrored into `next`, where the watcher sees it as a ghost.
  await released(name);
  here.room.sim.ships.set(here.ship.id, {
    ...ownerOf(name)!.ship,
    x: border + (east ? -60 : 60),
    vx: 0,
    vy: 0,
    heading: east ? 0 : Math.PI,
  });
  const pilotLine = (contacts: string) => contacts.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
  await waitFor("the watcher sees the pilot as a border ghost", async () =>
    /\(ghost/.test(pilotLine(await text(watcher.page, "contacts"))),
  );
  assert.equal(await text(page, "hud-region"), here.room.roomId);
  assert.equal(await text(page, "hud-handoffs"), "0");

  // Hold thrust across the border: the zone hands the ship to `next`, the page follows through
  // ShipLink, and the watcher sees the same ship turn from ghost to owned.
  await page.keyboard.down("KeyW");
  await waitFor(
    `the HUD shows ${next} after the handoff`,
    async () => (await text(page, "hud-region")) === next && (await text(page, "hud-handoffs")) === "1",
    10_000,
  );
  await page.keyboard.up("KeyW");
  assert.equal(ownerOf(name)?.room.roomId, next, "the neighbour's room owns the ship");
  const after = await hudPosition(page);
  assert.ok(east ? after.x > border : after.x < border, `HUD position ${after.x} is past the border ${border}`);
  await waitFor("the watcher sees the pilot as an owned ship", async () => {
    const line = pilotLine(await text(watcher.page, "contacts"));
    return line !== "" && !/ghost/.test(line);
  });
  assert.deepEqual(watcher.problems, []);
  await watcher.page.close();

  // The zone closes this player's connection as a shutting-down process would (4105): the page
  // says so and comes back through world entry by itself.
  const { room } = ownerOf(name)!;
  const seat = room.clients.find((c) => (c.auth as { sub?: string } | undefined)?.sub === ownerOf(name)!.ship.id);
  assert.ok(seat, "the page's connection is in the owner's room");
  seat.leave(CloseCode.ShuttingDown);
  await waitFor("the page reconnects", async () => (await text(page, "hud-reconnects")) === "1", 15_000);
  await waitFor("the page says it reconnected", async () => /Reconnected/.test(await text(page, "status")));
  // Flying still works on the new connection.
  const before = await hudPosition(page);
  await page.keyboard.down("KeyW");
  await waitFor("the ship moves after reconnecting", async () => {
    const p = await hudPosition(page);
    return Math.hypot(p.x - before.x, p.y - before.y) > 20;
  });
  await page.keyboard.up("KeyW");
  assert.equal(await text(page, "hud-region"), next);

  // Mine: next to an asteroid (40 units from its surface), E takes ore into the hold.
  const owner = ownerOf(name)!;
  // A rock whose mining spot is clear of every other body: a ship placed overlapping another rock is
  // pushed out of it (by up to ~50 units), away from the spot the test waits for.
  const bodies = [...owner.room.sim.asteroids.values(), ...owner.room.sim.stations.values()];
  const spotOf = (a: { x: number; y: number; radius: number }) => ({ x: a.x - a.radius - 60, y: a.y });
  const rock = [...owner.room.sim.asteroids.values()].find(
    (a) =>
      a.ore >= 10 && bodies.every((b) => b === a || Math.hypot(b.x - spotOf(a).x, b.y - spotOf(a).y) > b.radius + 60),
  )!;
  await placeShip(page, name, spotOf(rock).x, spotOf(rock).y);
  await page.keyboard.press("KeyE");
  await waitFor("ore in the hold", async () => (await text(page, "hud-cargo")) === "10");
  // Sell: next to the station, Q turns the hold into credits (5 per unit of ore).
  const station = [...owner.room.sim.stations.values()][0]!;
  await placeShip(page, name, station.x + station.radius + 60, station.y);
  await page.keyboard.press("KeyQ");
  await waitFor("credits for the ore", async () => (await text(page, "hud-credits")) === "50");
  assert.equal(await text(page, "hud-cargo"), "0");
  await screenshot(t, page, "flying");

  assert.deepEqual(problems, []);
  await page.close();
});

async function registered(prefix: string): Promise<{ page: Page; problems: string[]; name: string }> {
  const { page, problems } = await openPage();
  const name = `${prefix}_${process.pid % 100000}`;
  await enterAs(page, name, "register");
  return { page, problems, name };
}

/** The chat log's lines as the page shows them, and how many elements players' text made. */
const chatLines = (page: Page) => page.locator("#chat-log li").allTextContents();

test("chat: two pages talk on global and in a whisper; an HTML/script payload shows as plain text", async (t) => {
  const one = await registered("Talker");
  const two = await registered("Hearer");
  for (const p of [one, two])
    await waitFor("chat connected", async () => /^chat/.test(await text(p.page, "chat-state")));
  // Enter gives the keys to the chat line; typing there does not fly.
  await one.page.keyboard.press("Enter");
  const payload = `<img src=x id=pwned><script>window.pwned = 1</script> hi`;
  await one.page.keyboard.type(payload);
  await one.page.keyboard.press("Enter");
  const line = `[global] ${one.name}: ${payload}`;
  await waitFor("the message on the other page", async () => (await chatLines(two.page)).includes(line));
  // Shown as text: no element came from it, no script ran.
  assert.equal(await two.page.locator("#chat-log img, #chat-log script, #pwned").count(), 0);
  assert.equal(await two.page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
  await two.page.fill("#chat-input", `/w ${one.name} just you`);
  await two.page.press("#chat-input", "Enter");
  const whisper = `[whisper → ${one.name.toLowerCase()}] ${two.name}: just you`;
  await waitFor("the whisper on the first page", async () => {
    const lines = await chatLines(one.page);
    return lines.some((l) => l.endsWith(`${two.name}: just you`)) ? lines : undefined;
  });
  // The sender's own copy comes on its own connection: it may land a moment after the addressee's.
  await waitFor("the sender sees its whisper too", async () =>
    (await chatLines(two.page)).some((l) => l.toLowerCase() === whisper.toLowerCase()),
  );
  await screenshot(t, one.page, "chat");
  await one.page.setViewportSize({ width: 390, height: 800 }); // a phone's width
  // No keys on a phone: the touch pad flies. Holding its thrust button (nothing on top of it) moves the ship.
  await waitFor("the touch controls", async () => one.page.locator("#touch").isVisible());
  await one.page.locator("#chat-input").blur();
  const from = await hudPosition(one.page);
  const box = (await one.page.locator("#touch [data-key=KeyW]").boundingBox())!;
  await one.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await one.page.mouse.down();
  await waitFor("the ship moves under the touch thrust", async () => {
    const p = await hudPosition(one.page);
    return Math.hypot(p.x - from.x, p.y - from.y) > 30;
  });
  await screenshot(t, one.page, "phone");
  await one.page.mouse.up();
  assert.deepEqual([...one.problems, ...two.problems], []);
  await one.page.close();
  await two.page.close();
});

test("bad input: a refused action and a corrupted state frame each show a message; the page plays on", async (t) => {
  const { page, problems, name } = await registered("Shaky");
  await waitFor("the HUD shows the region", async () => /^region-\d+-\d+$/.test(await text(page, "hud-region")));
  // Selling with an empty hold is refused by the zone: the page shows the zone's message.
  await page.keyboard.press("KeyQ");
  await waitFor("the refusal shown", async () => (await page.locator("#notice:not([hidden])").count()) === 1);
  assert.match(await text(page, "notice"), /./);
  // A frame the decoder cannot read (a drop of a cell the page never held), sent on the page's own
  // socket: the page says so and comes back through world entry by itself.
  const { room } = ownerOf(name)!;
  const seat = room.clients.find((c) => (c.auth as { sub?: string } | undefined)?.sub === ownerOf(name)!.ship.id)!;
  const ws = (seat as unknown as { ref: { ws: { send(d: Uint8Array, binary: boolean): number } } }).ref.ws;
  ws.send(new Uint8Array([Protocol.ROOM_DATA_BYTES, WIRE_MESSAGE, WIRE_VERSION, 0, 5, 1, 99]), true);
  await waitFor("the page says the frame was unreadable", async () =>
    /could not be read/.test(await text(page, "notice")),
  );
  await waitFor("the page reconnects", async () => (await text(page, "hud-reconnects")) === "1", 15_000);
  await waitFor("and flies again", async () => (await page.getAttribute("body", "data-link")) === "up", 15_000);
  const before = await hudPosition(page);
  await page.keyboard.down("KeyW");
  await waitFor("the ship moves after the bad frame", async () => {
    const p = await hudPosition(page);
    return Math.hypot(p.x - before.x, p.y - before.y) > 20;
  });
  await page.keyboard.up("KeyW");
  await screenshot(t, page, "bad-frame");
  assert.deepEqual(problems, []);
  await page.close();
});

test("a failed log-in shows the server's message on the form", async () => {
  const { page, problems } = await openPage();
  await page.fill("#name", "Nobody_here");
  await page.fill("#password", "not the password");
  await page.click("button[value=login]");
  await page.waitForSelector("#login-error:not([hidden])", { timeout: 10_000 });
  assert.match(await text(page, "login-error"), /Wrong account name or password\. \(STARLANE_ERR_BAD_CREDENTIALS\)/);
  assert.equal(await page.getAttribute("body", "data-phase"), "login");
  // The 401 is the answer the page shows, not a bug; nothing else went wrong.
  assert.deepEqual(
    problems.filter((p) => !/401/.test(p)),
    [],
  );
  assert.ok(problems.includes("HTTP 401 POST /v1/sessions"), problems.join("\n"));
  await page.close();
});
