// The keyboard as a pilot's controls. Keys are tracked while held; `sample()` reads them as one
// input (W/up thrust, A/D or left/right turn, space fire). Typing in a form field is not flying.
import type { PilotInput } from "@starlane/shared/client";

const THRUST = new Set(["KeyW", "ArrowUp"]);
const LEFT = new Set(["KeyA", "ArrowLeft"]);
const RIGHT = new Set(["KeyD", "ArrowRight"]);
const FIRE = new Set(["Space"]);
const FLIGHT = new Set([...THRUST, ...LEFT, ...RIGHT, ...FIRE]);

export class Controls {
  readonly #down = new Set<string>();

  constructor(target: Window, onKey: (code: string) => void) {
    target.addEventListener("keydown", (e) => {
      if (isTyping(e.target)) return;
      if (FLIGHT.has(e.code)) e.preventDefault(); // no page scrolling on arrows and space
      if (!e.repeat) onKey(e.code);
      this.#down.add(e.code);
    });
    target.addEventListener("keyup", (e) => this.#down.delete(e.code));
    // A key released while the window is not focused never sends keyup.
    target.addEventListener("blur", () => this.#down.clear());
  }

  sample(): PilotInput {
    const held = (keys: Set<string>) => [...keys].some((k) => this.#down.has(k));
    // Screen y points down, so a positive turn (heading grows) is clockwise on screen: right.
    return { thrust: held(THRUST) ? 1 : 0, turn: (held(RIGHT) ? 1 : 0) - (held(LEFT) ? 1 : 0), fire: held(FIRE) };
  }
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
}
