// The keyboard and the touch pad as a pilot's controls. Keys (and touch buttons, which stand for
// keys: `data-key`) are tracked while held; `sample()` reads them as one input (W/up thrust, A/D or
// left/right turn, space fire). Typing in a form field is not flying.
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

  /**
   * Touch buttons (each with `data-key`, the key it stands for) held like keys: pressed while a
   * finger (or the mouse) is down on them, several at once (thrust and turn with two thumbs).
   */
  bindTouch(pad: HTMLElement, onKey: (code: string) => void): void {
    for (const button of pad.querySelectorAll<HTMLElement>("[data-key]")) {
      const code = button.dataset.key!;
      const press = (e: PointerEvent) => {
        e.preventDefault(); // no scrolling, zooming or a synthetic click
        button.setPointerCapture?.(e.pointerId);
        if (!this.#down.has(code)) onKey(code);
        this.#down.add(code);
        button.classList.add("held");
      };
      const release = () => {
        this.#down.delete(code);
        button.classList.remove("held");
      };
      button.addEventListener("pointerdown", press);
      for (const ev of ["pointerup", "pointercancel", "lostpointercapture"]) button.addEventListener(ev, release);
      button.addEventListener("contextmenu", (e) => e.preventDefault()); // a long press is not a menu
    }
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
