// The Starlane browser client: log in or register, enter the world, fly with the keyboard, see the
// region around the ship. Wiring only; the parts are in api.ts (front door), pilot.ts (zone
// connection, ShipLink, reconnects), controls.ts (keyboard) and render.ts (canvas).
import { type RegionView, regionView } from "@starlane/shared/client";
import { ApiError, logIn, register, type Session } from "./api.js";
import { ChatPanel } from "./chat.js";
import { Controls } from "./controls.js";
import { Pilot } from "./pilot.js";
import { Renderer } from "./render.js";

/** Inputs go out at most at the zone's tick rate (20 Hz by default). */
const INPUT_INTERVAL_MS = 50;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("login");
const nameField = $<HTMLInputElement>("name");
const passwordField = $<HTMLInputElement>("password");
const loginError = $("login-error");
const status = $("status");
const notice = $("notice");
const renderer = new Renderer($<HTMLCanvasElement>("view"));

let pilot: Pilot | null = null;
let chat: ChatPanel | null = null;
const chatInput = $<HTMLInputElement>("chat-input");
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

let statusTimer: ReturnType<typeof setTimeout> | undefined;

/** The banner: errors stay until the next status, information goes after a few seconds. */
function showStatus(text: string, kind: "info" | "error") {
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
      loggedOut: (message) => {
        pilot = null;
        chat?.stop();
        chat = null;
        showLogin(message);
      },
    });
    await p.start();
    pilot = p;
    passwordField.value = "";
    document.body.dataset.phase = "flying";
    $("hud-name").textContent = session.account.name;
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

const controls = new Controls(window, (code) => {
  if (code === "Enter" && chat) {
    chatInput.focus();
    return;
  }
  if (code === "KeyE") mineNearest();
  else if (code === "KeyQ") pilot?.act("sell");
});
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
  pilot.fly(input);
  lastSent = key;
  lastSentAt = now;
}, INPUT_INTERVAL_MS);

function hud(state: RegionView | undefined) {
  const p = pilot!;
  const me = state?.ships?.get(p.shipId);
  const set = (id: string, text: string) => {
    const el = $(id);
    if (el.textContent !== text) el.textContent = text;
  };
  set("hud-region", state?.region ?? "–");
  set("hud-pos", me ? `${Math.round(me.x)}, ${Math.round(me.y)}` : "–");
  set("hud-speed", me ? String(Math.round(Math.hypot(me.vx, me.vy))) : "–");
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

function frame() {
  if (pilot) {
    const state = regionView(pilot.room);
    renderer.draw(state, pilot.shipId, pilot.world);
    hud(state);
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
