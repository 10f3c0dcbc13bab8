// The version of ssod, as package.json names it (`ssod --version`, `ssod status`, the ssod_info metric).
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function packageVersion(): string {
  version ??=
    (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  return version;
}
