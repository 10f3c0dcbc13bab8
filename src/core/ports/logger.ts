// What the core asks of a log (infra/log.ts writes it): a line per event, at a level. Callers pass
// only fields that are safe to log; no password, token, session id, cookie or private key.

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}
