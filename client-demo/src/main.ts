// The Starlane browser client: log in or register, enter the world, fly with the keyboard, see the
// region around the ship. Wiring only; the parts are in api.ts (front door), pilot.ts (zone
// connection, ShipLink, reconnects), controls.ts (keyboard) and render.ts (canvas).
import { type RegionView, regionView, TUNING } from "@starlane/shared/client";
import { ApiError, logIn, register, type Session } from "./api.js";
import { ChatPanel } from "./chat.js";
import { Controls } from "./controls.js";
import { Interpolator, SHIP_DRAW_SPEED_FACTOR } from "./interpolate.js";
import { Minimap, shortZone } from "./minimap.js";
import { Pilot } from "./pilot.js";
import { type PredictionContext, Predictor } from "./predict.js";
import { Renderer } from "./render.js";

/** Inputs go out at most at the zone's tick rate (20 Hz by default). */
const INPUT_INTERVAL_MS = 50;
/** The zone's tick (STARLANE_TICK_HZ, 20 by default): prediction steps the flight rules by it. */
const TICK_S = 1 / 20;
/** Other ships are drawn moving no faster than this (units/s): a little above their top speed. */
const SHIP_DRAW_SPEED = TUNING.ship.maxSpeed * SHIP_DRAW_SPEED_FACTOR;
/** Bodies further than this from the own ship cannot be reached within a replay. */
const SOLIDS_RANGE = 1500;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("login");
const nameField = $<HTMLInputElement>("name");
const passwordField = $<HTMLInputElement>("password");
const loginError = $("login-error");
const status = $("status");
const notice = $("notice");
const renderer = new Renderer($<HTMLCanvasElement>("view"));
const minimap = new Minimap($<HTMLCanvasElement>("minimap"));

let pilot: Pilot | null = null;
let chat: ChatPanel | null = null;
const chatInput = $<HTMLInputElement>("chat-input");
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** The banner: errors and waits stay until the next status, information goes after a few seconds. */
function showStatus(text: string, kind: "info" | "error" | "wait") {
  status.textContent = text;
  status.className = kind;
  status.hidden = text === "";
  clearTimeout(statusTimer);
  if (kind === "info" && text !== "") statusTimer = setTimeout(() => (status.hidden = true), 4000);
}

function showNotice(text: string) {
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (notice.hidden = true), 2500);
}

function showLogin(message: string) {
  document.body.dataset.phase = "login";
  loginError.textContent = message;
  loginError.hidden = message === "";
  nameField.focus();
}

function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const wait = err.retryAfterS ? ` Try again in ${err.retryAfterS} s.` : "";
    return `${err.message}${wait} (${err.code})`;
  }
  return `Could not join the world: ${(err as Error)?.message ?? String(err)}`;
}

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const action = (e.submitter as HTMLButtonElement | null)?.value === "register" ? register : logIn;
  const buttons = form.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  loginError.hidden = true;
  document.body.dataset.phase = "entering";
  try {
    const session: Session = await action(nameField.value.trim(), passwordField.value);
    const p = new Pilot(session, {
      status: showStatus,
      notice: showNotice,
      link: (state) => {
        document.body.dataset.link = state;
      },
      loggedOut: (message) => {
        pilot = null;
        minimap.stop();
        chat?.stop();
        chat = null;
        showLogin(message);
      },
    });
    await p.start();
    pilot = p;
    passwordField.value = "";
    document.body.dataset.phase = "flying";
    document.body.dataset.link = "up";
    debug.shipId = p.shipId;
    $("hud-name").textContent = session.account.name;
    minimap.start();
    // A system without chat (world entry names none) shows no chat panel.
    document.body.dataset.chat = p.chatUrl ? "on" : "off";
    if (p.chatUrl) {
      chat = new ChatPanel(
        {
          log: $<HTMLOListElement>("chat-log"),
          form: $<HTMLFormElement>("chat-form"),
          input: chatInput,
          channel: $<HTMLSelectElement>("chat-channel"),
          state: $("chat-state"),
        },
        p.chatUrl,
        () => p.session.accessToken,
      );
      chat.start();
    }
  } catch (err) {
    showLogin(describe(err));
  } finally {
    for (const b of buttons) b.disabled = false;
  }
});

const onKey = (code: string) => {
  if (code === "Enter" && chat) {
    chatInput.focus();
    return;
  }
  if (code === "KeyE") mineNearest();
  else if (code === "KeyQ") pilot?.act("sell");
};
const controls = new Controls(window, onKey);
controls.bindTouch($("touch"), onKey);
// Blur after a click: a focused button would also "click" on the space bar, which fires.
$("do-mine").addEventListener("click", (e) => {
  mineNearest();
  (e.currentTarget as HTMLElement).blur();
});
$("do-sell").addEventListener("click", (e) => {
  pilot?.act("sell");
  (e.currentTarget as HTMLElement).blur();
});

// Escape leaves the chat line and gives the keys back to flying.
chatInput.addEventListener("keydown", (e) => {
  if (e.key === "Escape") chatInput.blur();
});

function mineNearest() {
  const state = regionView(pilot?.room);
  const me = state?.ships.get(pilot!.shipId);
  if (!me) return;
  let best: string | undefined;
  let bestD = Infinity;
  state?.asteroids?.forEach((a, id) => {
    const d = Math.hypot(a.x - me.x, a.y - me.y) - a.radius;
    if (d < bestD) [best, bestD] = [id, d];
  });
  if (best === undefined) showNotice("No asteroid in sight.");
  else pilot!.act("mine", best);
}

// The zone keeps applying the last thrust and turn it received and applies one input per tick, so
// an input goes out when the controls change, every tick while firing (fire is never repeated by
// the zone), and every REFRESH_MS while a control is held (a ship reloaded after a reconnect starts
// with no thrust). Sending every tick regardless would only queue up behind a slow zone.
const REFRESH_MS = 250;
let lastSent = "";
let lastSentAt = 0;
setInterval(() => {
  if (!pilot?.ready) return;
  const input = controls.sample();
  const key = `${input.thrust}|${input.turn}|${input.fire}`;
  const now = performance.now();
  const idle = input.thrust === 0 && input.turn === 0 && !input.fire;
  if (key === lastSent && !input.fire && (idle || now - lastSentAt < REFRESH_MS)) return;
  const seq = pilot.fly(input);
  if (seq !== undefined) {
    predictor.sent(seq, input, now);
    debug.lastSent = seq;
  }
  lastSent = key;
  lastSentAt = now;
}, INPUT_INTERVAL_MS);

function hud(state: RegionView | undefined, own: { x: number; y: number; vx: number; vy: number } | null) {
  const p = pilot!;
  const me = state?.ships?.get(p.shipId);
  const at = own ?? me;
  const set = (id: string, text: string) => {
    const el = $(id);
    if (el.textContent !== text) el.textContent = text;
  };
  set("hud-region", state?.region ?? "–");
  debug.zone = state ? minimap.zoneOf(state.region) : null;
  set("hud-zone", debug.zone ? shortZone(debug.zone) : "–");
  set("hud-pos", at ? `${Math.round(at.x)}, ${Math.round(at.y)}` : "–");
  set("hud-speed", at ? String(Math.round(Math.hypot(at.vx, at.vy))) : "–");
  set("hud-hull", me ? String(me.hull) : "–");
  set("hud-cargo", me ? String(me.cargo) : "–");
  set("hud-credits", me ? String(me.credits) : "–");
  set("hud-handoffs", String(p.link?.handoffs ?? 0));
  set("hud-reconnects", String(p.reconnects));
  set("hud-tick", String(state?.tick ?? "–"));
  set("hud-rtt", p.rttMs === null ? "–" : `${Math.round(p.rttMs)} ms`);
  set("contacts", me ? contacts(state, p.shipId, me) : "");
}

/** The nearest other ships in view, one a line: name, distance, and whether it is a border ghost. */
function contacts(state: RegionView | undefined, myId: string, me: { x: number; y: number }): string {
  const list: { name: string; d: number; ghost: boolean }[] = [];
  state?.ships?.forEach((s, id) => {
    if (id !== myId) list.push({ name: s.name, d: Math.hypot(s.x - me.x, s.y - me.y), ghost: s.ghost });
  });
  list.sort((a, b) => a.d - b.d);
  return list
    .slice(0, 6)
    .map((c) => `${c.name} ${Math.round(c.d)}${c.ghost ? " (ghost)" : ""}`)
    .join("\n");
}

const predictor = new Predictor(TICK_S);
const others = new Interpolator(100);
/** The state last taken in (a new tick, or a new room after a handoff or a reconnect). */
let seen: { room: unknown; tick: number; reconnects: number } = { room: null, tick: -1, reconnects: 0 };

/**
 * What the page shows, for people debugging and for the browser test: server states taken in, the
 * own ship as the zone last said (`server`, with its `ack`) and as predicted (`own`), the last
 * input sent.
 */
const debug = {
  /** The own ship's id (the account's player id). */
  shipId: null as string | null,
  /**
   * Set to a ship's id to record where the page draws it, every frame, into `trail` (at most 2,000
   * points): how smooth another ship's movement looks.
   */
  track: null as string | null,
  trail: [] as { at: number; x: number; y: number }[],
  states: 0,
  lastSent: 0,
  server: null as { x: number; y: number; ack: number } | null,
  own: null as { x: number; y: number } | null,
  /** The zone that owns the ship's region room, as the minimap knows it. */
  zone: null as string | null,
};
(window as unknown as { starlane: typeof debug }).starlane = debug;

function predictionContext(state: RegionView | undefined, p: Pilot): PredictionContext {
  const me = state?.ships.get(p.shipId);
  const solids: PredictionContext["solids"] = [];
  const take = (b: { x: number; y: number; radius: number }) => {
    if (!me || Math.hypot(b.x - me.x, b.y - me.y) < SOLIDS_RANGE) solids.push(b);
  };
  state?.asteroids.forEach(take);
  state?.stations.forEach(take);
  // The input-to-ack time includes waiting for the next tick (half a tick on average).
  return { world: p.world, solids, rttMs: Math.max(0, (p.rttMs ?? 0) - (TICK_S * 1000) / 2) };
}

/** Takes in a new server state: the own ship into the predictor, everything else into the interpolator. */
function takeIn(state: RegionView, p: Pilot, ctx: PredictionContext, now: number): void {
  state.ships.forEach((s, id) => {
    if (id !== p.shipId) others.observe(`ship:${id}`, s, now);
    else if (!s.ghost) {
      predictor.acknowledged(s, s.ack, ctx, now);
      debug.server = { x: s.x, y: s.y, ack: s.ack };
    }
  });
  state.shots.forEach((s, id) => {
    others.observe(`shot:${id}`, { x: s.x, y: s.y, heading: 0 }, now);
  });
  others.forget(now - 1000);
  debug.states++;
}

function frame() {
  if (pilot) {
    const now = performance.now();
    const room = pilot.room;
    const state = regionView(room);
    if (pilot.reconnects !== seen.reconnects) predictor.reset(); // a new room through world entry
    const ctx = predictionContext(state, pilot);
    if (state && (state.tick !== seen.tick || room !== seen.room)) takeIn(state, pilot, ctx, now);
    seen = { room, tick: state?.tick ?? -1, reconnects: pilot.reconnects };
    const own = predictor.shown(now, ctx);
    debug.own = own && { x: own.x, y: own.y };
    const myKey = `ship:${pilot.shipId}`;
    renderer.draw(state, pilot.shipId, pilot.world, (key) =>
      key === myKey
        ? (own ?? undefined)
        : others.drawn(key, now, key.startsWith("ship:") ? SHIP_DRAW_SPEED : undefined),
    );
    if (debug.track) {
      const drawn = others.drawn(`ship:${debug.track}`, now, SHIP_DRAW_SPEED);
      if (drawn && debug.trail.length < 2000) debug.trail.push({ at: now, x: drawn.x, y: drawn.y });
    }
    hud(state, own);
    minimap.draw(pilot.world, own);
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// Leaving promptly lets the zone save the ship now instead of when the socket times out.
window.addEventListener("pagehide", () => {
  chat?.stop();
  pilot?.stop();
});
showLogin("");
