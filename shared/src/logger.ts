import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Child loggers carry the ids that matter here: zone, region, player, trace.
 * STARLANE_LOG_PRETTY is not offered on purpose: pipe through `pino-pretty` if you want colours.
 */
export function createLogger(service: string, level = "info", destination?: pino.DestinationStream): Logger {
  return pino({ name: service, level, base: { service } }, destination);
}
