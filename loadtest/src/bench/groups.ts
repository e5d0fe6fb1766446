// The benchmark groups, in table order. A group's name and its rows' names are what other work
// streams pick (`--only`) and compare across commits: change them only on purpose.
import { bytesGroup } from "./bytes.js";
import { capacityGroup } from "./capacity.js";
import { chatGroup } from "./chat.js";
import { failoverGroup } from "./failover.js";
import type { BenchGroup } from "./group.js";
import { handoffGroup } from "./handoff.js";
import { loginsGroup } from "./logins.js";
import { persistenceGroup } from "./persistence.js";
import { tradesGroup } from "./trades.js";

export const GROUPS: readonly BenchGroup[] = [
  capacityGroup,
  bytesGroup,
  handoffGroup,
  failoverGroup,
  persistenceGroup,
  loginsGroup,
  tradesGroup,
  chatGroup,
];

/** `--list`: each group with its rows. */
export function formatGroups(groups: readonly BenchGroup[] = GROUPS): string {
  return groups
    .map((g) => `${g.name}: ${g.description}\n${g.rows.map((r) => `  ${r.name} (${r.unit})`).join("\n")}`)
    .join("\n");
}
