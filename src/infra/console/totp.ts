// Time-based one-time passwords (RFC 6238) for the admin console's second factor, with the otpauth
// package (core/ports/oneTimeCodes.ts): SHA-1, 6 digits, 30-second steps, one step of drift either
// way. Which step was last accepted, and so which code is a replay, is the core's rule.
import { Secret, TOTP } from 'otpauth';
import { TOTP_DIGITS, TOTP_PERIOD_S, TOTP_WINDOW, type OneTimeCodes } from '../../core/ports/oneTimeCodes.js';

/** 160 bits, the key length RFC 4226 recommends for SHA-1. */
const SECRET_BYTES = 20;

function totpOf(secret: string, issuer = '', label = 'ssod'): TOTP {
  return new TOTP({ issuer, label, secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_S });
}

/** The admin console's TOTP codes. */
export const oneTimeCodes: OneTimeCodes = {
  newSecret: () => new Secret({ size: SECRET_BYTES }).base32,
  uri: (secret, issuer, account) => totpOf(secret, issuer, account).toString(),
  matchStep(secret, code, now) {
    const delta = totpOf(secret).validate({ token: code, timestamp: now, window: TOTP_WINDOW });
    return delta === null ? null : TOTP.counter({ period: TOTP_PERIOD_S, timestamp: now }) + delta;
  },
  codeAt: (secret, step) => totpOf(secret).generate({ timestamp: step * TOTP_PERIOD_S * 1000 }),
};
