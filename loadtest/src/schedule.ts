// A bot's input clock: `fn` every `period` ms on a fixed schedule from a random phase. Not
// setInterval: Node re-arms an interval from when its callback ran, so every interval that ran late
// in the same turn of the event loop (a burst of state frames just arrived) comes back in step with
// the others; after a while a process's bots all send just after the zone's frames, that is just
// after a tick, and every input waits most of a tick (at 40 bots the inputs' median wait for a tick
// was 34 ms instead of 25). Here each call is due at phase + k x period; one that is late is not
// made up (no burst), the next keeps the schedule.
export function everyPeriod(period: number, fn: () => void, phase = Math.random() * period): () => void {
  const t0 = performance.now() + phase;
  let k = 0;
  let timer = setTimeout(function step() {
    fn();
    const now = performance.now();
    k = Math.max(k + 1, Math.ceil((now - t0) / period));
    timer = setTimeout(step, t0 + k * period - now);
  }, phase);
  return () => clearTimeout(timer);
}
