// The self-fence, without sockets: a zone acts on a region only while its last confirmed renewal
// was sent less than `actForMs` ago on its monotonic clock, so it stops before the lease can expire;
// a frozen process (SIGSTOP) finds the time gone when it wakes and acts on nothing. Settings that
// cannot work are refused with the setting's name.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, createLogger, LocalRegionDirectory, loadConfig, type RegionDirectory } from "@starlane/shared";
import { leaseTiming, zoneConfig } from "../src/config.js";
import { Leases, type LossReason } from "../src/lease.js";

const log = createLogger("zone", "silent");
const timing = { ttlMs: 1000, renewMs: 250, actForMs: 750 };

function setup() {
  // One clock for the directory's lease (wall) and the zone's monotonic clock: a pause moves both.
  let now = 1_000_000;
  const directory = new LocalRegionDirectory({ now: () => now });
  const lost: [string, LossReason][] = [];
  const renewals: string[] = [];
  const leases = new Leases(
    directory,
    { zoneId: "z1", address: "a:1" },
    timing,
    log,
    { renewal: (o) => renewals.push(o), lost: (r, why) => lost.push([r, why]) },
    () => now,
  );
  return { directory, leases, lost, renewals, advance: (ms: number) => void (now += ms) };
}

test("acting stops before the lease can expire when renewals stop being confirmed", async () => {
  const { directory, leases, lost, advance } = setup();
  assert.ok(await leases.claim("r"));
  advance(700);
  assert.ok(leases.acting("r"));
  assert.equal(leases.epoch("r"), 1);
  advance(60); // 760 ms since the claim was sent: past actForMs, still inside the TTL
  assert.ok(await directory.owner("r"), "the lease itself is still alive");
  assert.equal(leases.acting("r"), false, "but the zone has stopped acting on it");
  assert.equal(leases.epoch("r"), 0, "saves carry no epoch: nothing is written");
  assert.deepEqual(lost, [["r", "fenced"]]);
  await leases.renew();
  assert.equal(leases.acting("r"), false, "a fenced region is not picked up again by a late renewal");
});

test("a confirmed renewal counts from when it was sent, not from when its answer came", async () => {
  let now = 1_000_000;
  const directory = new LocalRegionDirectory({ now: () => now });
  // The answer to each renewal arrives 400 ms after it was sent (a slow network or Redis).
  const slow: RegionDirectory = {
    claim: (...args) => directory.claim(...args),
    release: (...args) => directory.release(...args),
    owner: (region) => directory.owner(region),
    lastEpoch: (region) => directory.lastEpoch(region),
    expiresInMs: (region) => directory.expiresInMs(region),
    renew: async (...args) => {
      const ok = await directory.renew(...args);
      now += 400;
      return ok;
    },
  };
  const leases = new Leases(
    slow,
    { zoneId: "z1", address: "a:1" },
    timing,
    log,
    { renewal: () => {}, lost: () => {} },
    () => now,
  );
  assert.ok(await leases.claim("r"));
  now += 500;
  await leases.renew(); // sent at +500, confirmed at +900
  now += 340; // 740 ms after the renewal was sent
  assert.ok(leases.acting("r"));
  now += 20; // 760 ms after it was sent (only 360 after its answer)
  assert.equal(leases.acting("r"), false);
});

test("after a freeze past the TTL (SIGSTOP) the zone knows at once it lost the region", async () => {
  const { directory, leases, lost, advance } = setup();
  assert.ok(await leases.claim("r"));
  advance(5000); // frozen; meanwhile another zone takes the region over
  const rescuer = await directory.claim("r", { zoneId: "z2", address: "b:1" }, 1000);
  assert.equal(rescuer?.epoch, 2);
  assert.equal(leases.acting("r"), false, "the first thing checked on waking");
  assert.deepEqual(lost, [["r", "fenced"]]);
});

test("a refused renewal drops the region at once", async () => {
  const { directory, leases, lost, renewals } = setup();
  assert.ok(await leases.claim("r"));
  assert.ok(await directory.release("r", "z1", 1));
  await directory.claim("r", { zoneId: "z2", address: "b:1" }, 1000);
  await leases.renew();
  assert.deepEqual(renewals, ["refused"]);
  assert.deepEqual(lost, [["r", "refused"]]);
  assert.equal(leases.acting("r"), false);
});

test("lease timings that cannot work stop the zone at boot, naming the setting", () => {
  const cfg = (env: Record<string, string>) => leaseTiming(loadConfig(zoneConfig, env));
  const refused = (env: Record<string, string>, setting: string) =>
    assert.throws(
      () => cfg(env),
      (err: unknown) => err instanceof ConfigError && err.setting === setting && !err.message.includes("\n"),
    );
  refused({ STARLANE_ZONE_LEASE_TTL_MS: "1000", STARLANE_ZONE_LEASE_RENEW_MS: "400" }, "STARLANE_ZONE_LEASE_RENEW_MS");
  refused(
    { STARLANE_ZONE_LEASE_TTL_MS: "1000", STARLANE_ZONE_FENCE_MARGIN_MS: "1000" },
    "STARLANE_ZONE_FENCE_MARGIN_MS",
  );
  refused(
    { STARLANE_ZONE_LEASE_TTL_MS: "1000", STARLANE_ZONE_LEASE_RENEW_MS: "300", STARLANE_ZONE_FENCE_MARGIN_MS: "500" },
    "STARLANE_ZONE_FENCE_MARGIN_MS",
  );
  refused({ STARLANE_ZONE_LEASE_TTL_MS: "1000", STARLANE_ZONE_SNAPSHOT_MS: "1000" }, "STARLANE_ZONE_SNAPSHOT_MS");
  assert.deepEqual(cfg({}), { ttlMs: 2000, renewMs: 500, actForMs: 1500, snapshotMs: 500 });
});
