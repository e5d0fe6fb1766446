// The bots as a library: tests of other issues (handoff, failover) drive fleets or single bots.
export { BotError, enterWorld, obtainSession, type Session, type WorldSeat } from "./account.js";
export { Bot, type BotContext, type BotOptions, type Entry } from "./bot.js";
export { DEFAULT_PASSWORD, type FleetEntry, type FleetOptions, runFleet } from "./fleet.js";
export { Measurements, Metric } from "./measurements.js";
export { renderHtmlReport } from "./report-html.js";
export * from "./scenarios/index.js";
export { parseTickMetrics, scrapeTickMetrics, tickPercentileMs } from "./server-metrics.js";
export { percentile, Samples } from "./stats.js";
export { buildSummary, formatSummary, type SecondSample, type Summary } from "./summary.js";
export { checkThresholds, type Thresholds } from "./thresholds.js";
