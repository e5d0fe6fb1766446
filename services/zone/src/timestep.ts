// The tick's clock: `step` every 1/hz s on a fixed schedule read from performance.now(). Not
// Colyseus's setFixedTimestep: its accumulator counts whole milliseconds of Date.now() and runs a
// step only when a full period has accumulated at the moment its 50 ms interval fires, so a timer
// that fires a fraction early (by Date.now) skips its step and the next fire runs two back to back.
// On this machine 2-4% of ticks came that way, even at 250 bots: a tick 100 ms after the last one,
// then one at once, and an input that arrived in the gap waited up to 100 ms (the input-to-observer
// p99). Here a step is due at t0 + k x period: a timer that fires early is re-armed for the rest,
// one that fires late runs the steps it owes (at most `maxCatchUp`, then the backlog is dropped, as
// Colyseus does: no spiral after a stall).
export interface Timestep {
  stop(): void;
}

export function fixedTimestep(hz: number, step: () => void, maxCatchUp = 5): Timestep {
  const period = 1000 / hz;
  let next = performance.now() + period;
  let timer: NodeJS.Timeout;
  const run = () => {
    let ran = 0;
    while (performance.now() >= next && ran < maxCatchUp) {
      next += period;
      ran++;
      step();
    }
    const now = performance.now();
    if (now >= next) next = now + period;
    timer = setTimeout(run, next - now);
  };
  timer = setTimeout(run, period);
  return { stop: () => clearTimeout(timer) };
}
