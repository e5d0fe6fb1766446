import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger };

/**
 * Structured logs. Child loggers carry the ids that matter here: zone, region, player, trace.
 * On a terminal (`npm start` by hand) they are printed readable and coloured by pino-pretty; anywhere
 * else (PM2's log files, Kubernetes, tests, a pipe) they stay JSON lines, one per event.
 */
export function createLogger(service: string, level = "info", destination?: pino.DestinationStream): Logger {
  const options = { name: service, level, base: { service } };
  if (!destination && process.stdout.isTTY) {
    return pino(options, pretty({ sync: true, translateTime: "HH:MM:ss.l", ignore: "pid,hostname,service" }));
  }
  return pino(options, destination);
}
