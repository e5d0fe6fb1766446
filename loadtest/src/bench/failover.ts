// `failover`: what a zone process dying costs its players (services/zone/bench/failover.ts). Two
// zone processes on Redis; bots fly over the victim's four regions; after a fault-free stretch
// (takeovers counted: spurious) the victim is killed with SIGKILL; the survivor takes its regions
// over from their snapshots and the bots come back by themselves. A second run freezes the victim
// past its lease (SIGSTOP, then SIGCONT) instead; its figures are in the notes.
import { type BenchGroup, rowOf } from "./group.js";
import { jsonLines, runScript } from "./script.js";

const ROWS = [
  { name: "failover_resume_p99_s", unit: "s" },
  { name: "failover_movement_lost_s", unit: "s" },
  { name: "failover_dual_owners", unit: "count" },
  { name: "failover_stale_writes_accepted", unit: "count" },
  { name: "failover_spurious_takeovers", unit: "count" },
];
const row = (name: string) => rowOf(ROWS, name);

interface Run {
  fault: "kill" | "stop";
  bots: number;
  ttlMs: number;
  snapshotMs: number;
  calmSeconds: number;
  resumed: number;
  /** null when more than 1% (50%) of the bots never came back. */
  resumeP50S: number | null;
  resumeP99S: number | null;
  movementLostP50S: number;
  movementLostP99S: number;
  dualOwners: number;
  staleWritesAccepted: number;
  /** Where staleWritesAccepted comes from, and what PostgreSQL refused (the other side). */
  /** Inputs applied in the victim's regions after the fault, and the at-most-once bound for them. */
  inputsAppliedAfterFault?: number;
  inputsBound?: number;
  /** Accounts and screens that showed other credits or cargo than the ledger committed, after the fault. */
  holdingsChanged?: number;
  sellers?: number;
  staleWritesBreakdown?: {
    redisSnapshots: number;
    postgresShipRows: number;
    postgresTrades: number;
    postgresRefused: number;
    shipRowsWritten: number;
  };
  spuriousTakeovers: number;
  loadCalm: string;
  loadFault: string;
}

const describe = (r: Run) =>
  `${r.fault === "kill" ? "SIGKILL" : "SIGSTOP past the lease"}: ${r.resumed}/${r.bots} bots back, resume p50 ${r.resumeP50S} s p99 ${r.resumeP99S} s, movement lost p50 ${r.movementLostP50S} s p99 ${r.movementLostP99S} s, dual owners ${r.dualOwners}, stale writes accepted ${r.staleWritesAccepted}, spurious takeovers ${r.spuriousTakeovers} in ${r.calmSeconds} s, inputs applied after the fault ${r.inputsAppliedAfterFault} (at most once: <= ${r.inputsBound}), holdings changed ${r.holdingsChanged} (${r.sellers} bots sold through the ledger before the fault) (lease TTL ${r.ttlMs} ms, snapshots every ${r.snapshotMs} ms; load ${r.loadCalm} calm, ${r.loadFault} after the fault)`;

const staleNote = (r: Run) => {
  const b = r.staleWritesBreakdown;
  if (!b) return `${r.fault}: ${r.staleWritesAccepted} (no breakdown)`;
  return `${r.fault}: Redis snapshots ${b.redisSnapshots}, PostgreSQL ship rows ${b.postgresShipRows} and trades ${b.postgresTrades} accepted stale (${b.postgresRefused} stale ship states refused by persistence; ${b.shipRowsWritten} ship rows written)`;
};

export const failoverGroup: BenchGroup = {
  name: "failover",
  description:
    "a zone process killed mid-run (and one frozen past its lease): resume time, movement lost, ownership and fencing violations",
  rows: ROWS,
  async run(ctx) {
    const bots = ctx.quick ? 60 : 200;
    const calm = ctx.quick ? 15 : 60;
    const runs: Run[] = [];
    for (const fault of ["kill", "stop"] as const) {
      ctx.log(`failover: ${bots} bots, ${calm} s fault-free, then ${fault} ...`);
      const out = await runScript(["services/zone/bench/failover.ts", String(bots), String(calm), fault], 600_000);
      const r = jsonLines<Run>(out).find((x) => x.fault === fault);
      if (!r) throw new Error(`services/zone/bench/failover.ts (${fault}) gave no figure: ${out.slice(-800)}`);
      runs.push(r);
    }
    const [kill, stop] = runs as [Run, Run];
    const note = `${describe(kill)}; ${describe(stop)}`;
    return [
      {
        ...row("failover_resume_p99_s"),
        value: kill.resumeP99S,
        baseline: stop.resumeP99S,
        note: `target <= 3 s; from the kill until each bot's ship moves again under its inputs (null: more than 1% of the bots never came back within 90 s); baseline: the SIGSTOP run. ${note}`,
      },
      {
        ...row("failover_movement_lost_s"),
        value: kill.movementLostP99S,
        baseline: stop.movementLostP99S,
        note: "target <= 1 s; p99 over bots of (last tick seen before the fault - tick resumed from) / tick rate; baseline: the SIGSTOP run",
      },
      {
        ...row("failover_dual_owners"),
        value: kill.dualOwners + stop.dualOwners,
        baseline: null,
        note: "target 0; ships with two owners (zones' detectors, every 25 ms) plus regions both processes ticked at overlapping times, both runs",
      },
      {
        ...row("failover_stale_writes_accepted"),
        value: kill.staleWritesAccepted + stop.staleWritesAccepted,
        baseline: null,
        note: `target 0; both runs: regions whose stored snapshot (Redis) carries an older epoch than their owner's at the end, plus ship rows (write-behind) and trades (ledger) PostgreSQL committed under an epoch below the region's fence at the time of the write (triggers in the run's own database). ${[kill, stop].map(staleNote).join("; ")}`,
      },
      {
        ...row("failover_spurious_takeovers"),
        value: kill.spuriousTakeovers + stop.spuriousTakeovers,
        baseline: null,
        note: `target 0; takeovers during the fault-free stretches (${calm} s each) at the same load`,
      },
    ];
  },
};
