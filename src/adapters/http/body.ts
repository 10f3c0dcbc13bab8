// Reading a request body within a size limit, without buffering more than the limit (A5).
import type { IncomingMessage } from 'node:http';

export class BodyTooLargeError extends Error {
  constructor() {
    super('request body too large');
    this.name = 'BodyTooLargeError';
  }
}

/** The whole body, or BodyTooLargeError as soon as it is known to exceed `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) return Promise.reject(new BodyTooLargeError());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('aborted', () => reject(new Error('request aborted')));
  });
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A `%` that starts no escape (`%zz`, a `%` at the end) stands for itself in a form, as URLSearchParams reads it. */
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2})/g;

/**
 * The fields of an application/x-www-form-urlencoded body, or null when the body, or a name or value
 * once percent-decoded, is not UTF-8. URLSearchParams alone reads such bytes as replacement
 * characters, so that two different passwords (`p%E4ss`, `p%F6ss`) would become one
 * (docs/SECURITY.md, case F43). decodeURIComponent refuses what is not UTF-8, surrogates and
 * overlong forms included; a valid form is then read by URLSearchParams, whose result it is.
 */
export function decodeForm(body: Buffer): URLSearchParams | null {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return null;
  }
  for (const part of text.split('&')) {
    if (!part.includes('%')) continue;
    try {
      decodeURIComponent(part.replace(LONE_PERCENT, '%25'));
    } catch {
      return null;
    }
  }
  return new URLSearchParams(text);
}
