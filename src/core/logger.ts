import { pino } from 'pino';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The logger every service receives. Namespaced with child({ ns }); pino checks the level before it
 * serialises anything, so debug calls on hot paths cost little when debug is off.
 */
export type Logger = pino.Logger;

export function createLogger(level: LogLevel = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
