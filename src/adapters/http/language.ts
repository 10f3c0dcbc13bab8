// Which language a page speaks (the relay listener's pages, the admin console's sign-in page): the person's browser says it in
// Accept-Language (RFC 9110, section 12.5.4), with weights; English when it names none we have.
import type { IncomingMessage } from 'node:http';

export const LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What is read of the header at most: a browser sends a few dozen bytes; the rest of a huge one is ignored unread. */
const MAX_HEADER_CHARS = 1024;
const MAX_RANGES = 32;

// A language range (`de`, `de-CH`, `*`) with an optional weight `q=0.5`; anything else is skipped.
const RANGE = /^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*[qQ]\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?$/;

function isLanguage(tag: string): tag is Language {
  return (LANGUAGES as readonly string[]).includes(tag);
}

/**
 * The language to answer in: the supported one with the highest weight, the first named on a tie;
 * a range of weight 0 is "not this one". `*` stands for English. English when nothing fits, and for
 * a header that is absent or not readable.
 */
export function pickLanguage(header: string | undefined): Language {
  if (header === undefined) return 'en';
  let best: { language: Language; weight: number } | null = null;
  for (const range of header.slice(0, MAX_HEADER_CHARS).split(',', MAX_RANGES)) {
    const match = RANGE.exec(range.trim());
    if (match === null) continue;
    const primary = (match[1] ?? '').split('-', 1)[0]?.toLowerCase() ?? '';
    const language = primary === '*' ? 'en' : primary;
    const weight = match[2] === undefined ? 1 : Number(match[2]);
    if (isLanguage(language) && weight > 0 && (best === null || weight > best.weight)) best = { language, weight };
  }
  return best?.language ?? 'en';
}

export function languageOf(req: IncomingMessage): Language {
  return pickLanguage(req.headers['accept-language']);
}
