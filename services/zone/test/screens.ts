// The economy property tests' screen check: what a player's screen showed is only committed credits,
// in commit order, ending at the account's.
import assert from "node:assert/strict";

/** A balance the ledger committed for a player (from an operation's result). */
export interface CommittedBalance {
  playerId: string;
  credits: number;
  ledgerVersion: number;
}

export function assertScreenFollowsLedger(
  id: string,
  startCredits: number,
  balances: CommittedBalance[],
  seen: number[],
  accountCredits: number,
): void {
  const history = [
    startCredits,
    ...balances
      .filter((b) => b.playerId === id)
      .sort((a, b) => a.ledgerVersion - b.ledgerVersion)
      .map((b) => b.credits),
  ];
  let k = 0;
  for (const v of seen) {
    while (k < history.length && history[k] !== v) k++;
    assert.ok(k < history.length, `${id} saw ${v}: not committed then (${history.join(",")}; seen ${seen.join(",")})`);
  }
  assert.equal(seen.at(-1), accountCredits, `${id}'s screen ends at the ledger's`);
}
