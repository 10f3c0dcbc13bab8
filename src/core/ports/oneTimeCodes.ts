// What the core asks of time-based one-time passwords (RFC 6238), for the admin console's second
// factor (docs/admin-console.md): infra/console/totp.ts implements it with the otpauth package. The
// rule that a code is used once (a step at or before the last accepted one is refused) is the
// core's (core/admins.ts), not the port's.

/** The parameters every secret is used with: SHA-1, 6 digits, 30-second steps. */
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_S = 30;
/** How many steps before or after the current one a code may be for (clock drift). */
export const TOTP_WINDOW = 1;

export interface OneTimeCodes {
  /** A new random secret (160 bits), in base32. */
  newSecret(): string;
  /** The otpauth:// URI that authenticator apps read, for `account` of `issuer`. */
  uri(secret: string, issuer: string, account: string): string;
  /** The time step (ms since the epoch / 30 s) that `code` is right for at `now`, within ±TOTP_WINDOW; null when it is right for none. */
  matchStep(secret: string, code: string, now: number): number | null;
  /** The code of `secret` for the time step `step` (tests, and what `matchStep` compares with). */
  codeAt(secret: string, step: number): string;
}
