// The daemon's logger: human-readable lines (pino-pretty) when stdout is a terminal, one JSON object per
// line otherwise (journald, files, log shippers); `--log-format pretty|json` decides explicitly.
import type { Logger } from 'pino';
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** `--log-format` when given, else pretty on a terminal and JSON otherwise. */
export function chooseLogFormat(option: string | undefined, isTty: boolean): LogFormat {
  if (option === undefined) return isTty ? 'pretty' : 'json';
  if ((LOG_FORMATS as readonly string[]).includes(option)) return option as LogFormat;
  throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
}

/** The root logger for `serve`; stream defaults to stdout. */
export function createLogger(
  level: string,
  format: LogFormat,
  stream: NodeJS.WritableStream = process.stdout,
): Logger {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  if (format === 'json') return pino({ level, base: { pid: process.pid } }, stream);
  const pretty = PinoPretty({
    destination: stream,
    sync: true,
    colorize: (stream as { isTTY?: boolean }).isTTY === true,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname,topic',
    singleLine: true,
    messageFormat: '{if topic}{topic}: {end}{msg}',
  });
  return pino({ level }, pretty);
}
