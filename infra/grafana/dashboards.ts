// Grafana dashboards as code (@grafana/grafana-foundation-sdk). `npm run dashboards` writes them to
// infra/grafana/dashboards/*.json for provisioning; infra/test/grafana.test.ts builds them and
// checks every query (PromQL syntax through promtool, metric names against the services' metrics).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DashboardBuilder, DashboardCursorSync, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";

const panel = (title: string, unit: string, queries: [expr: string, legend: string][], description = "") => {
  const p = new PanelBuilder().title(title).unit(unit).min(0).span(12).height(8).description(description);
  for (const [expr, legend] of queries) p.withTarget(new DataqueryBuilder().expr(expr).legendFormat(legend));
  return p;
};

/** The operators' overview of one Starlane cluster. */
export function starlaneOverview() {
  return new DashboardBuilder("Starlane / Overview")
    .uid("starlane-overview")
    .tags(["starlane", "generated"])
    .refresh("10s")
    .time({ from: "now-1h", to: "now" })
    .timezone("browser")
    .tooltip(DashboardCursorSync.Crosshair)
    .withRow(new RowBuilder("Zones"))
    .withPanel(
      panel(
        "Tick p99 per zone",
        "s",
        [
          [
            "histogram_quantile(0.99, sum by (zone, le) (rate(starlane_zone_tick_duration_seconds_bucket[$__rate_interval])))",
            "{{zone}}",
          ],
        ],
        "The tick is 50 ms at 20 Hz; StarlaneZoneTickSlow fires at 25 ms.",
      ),
    )
    .withPanel(panel("Players per region", "short", [["sum by (region) (starlane_zone_clients)", "{{region}}"]]))
    .withPanel(
      panel("Handoffs", "ops", [
        ["sum by (outcome) (rate(starlane_zone_handoffs_total[$__rate_interval]))", "{{outcome}}"],
        ["sum by (reason) (rate(starlane_zone_handoffs_aborted_total[$__rate_interval]))", "aborted: {{reason}}"],
      ]),
    )
    .withPanel(
      panel(
        "Takeovers",
        "short",
        [["sum by (zone) (increase(starlane_zone_takeovers_total[$__rate_interval]))", "{{zone}}"]],
        "Regions taken over from a dead zone (counted by the zone once failover, issue 12, lands).",
      ),
    )
    .withRow(new RowBuilder("Services"))
    .withPanel(
      panel("Persistence lag", "short", [
        ["max(starlane_persistence_stream_lag)", "ship states waiting"],
        ["sum(rate(starlane_persistence_rows_written_total[$__rate_interval]))", "rows written/s"],
      ]),
    )
    .withPanel(
      panel("Log-ins (and log-outs: one route)", "reqps", [
        ['sum by (code) (rate(starlane_login_answers_total{route="/v1/sessions"}[$__rate_interval]))', "{{code}}"],
      ]),
    )
    .withPanel(
      panel("Chat throughput", "short", [
        ["sum(rate(starlane_chat_messages_in_total[$__rate_interval]))", "in/s"],
        ["sum(rate(starlane_chat_messages_out_total[$__rate_interval]))", "out/s"],
        ["sum(starlane_chat_connections)", "connections"],
      ]),
    )
    .build();
}

export const DASHBOARDS = { "starlane-overview": starlaneOverview };

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    const file = fileURLToPath(new URL(`dashboards/${name}.json`, import.meta.url));
    writeFileSync(file, `${JSON.stringify(build(), null, 2)}\n`);
    process.stdout.write(`wrote ${file}\n`);
  }
}
