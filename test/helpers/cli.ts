// Runs the real `ssod` binary (dist/src/app/main.js) as a child process, as an operator would.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/app/main.js', import.meta.url));

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `ssod ARGS…` with the given extra environment (SSOD_* variables of the test process are not passed on). */
export function runCli(
  args: readonly string[],
  { env = {}, input }: { env?: Readonly<Record<string, string>>; input?: string } = {},
): Promise<CliResult> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SSOD_')));
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...inherited, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(new Error(`cannot run ssod: ${error.message}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

const NOBODY = 65_534;

/** Whether this test process runs as root, which passes every file permission check. */
export const isRoot = process.getuid?.() === 0;

/**
 * `ssod ARGS…` as a user without privileges, who owns none of the test's files: as nobody (through
 * setpriv, util-linux) when the tests run as root, otherwise as the test's own user.
 */
export function runUnprivileged(args: readonly string[]): Promise<CliResult> {
  const [file, prefix] = isRoot
    ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, CLI]]
    : [process.execPath, [CLI]];
  return new Promise((resolve, reject) => {
    execFile(file, [...prefix, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') reject(new Error(`cannot run ssod: ${error.message}`));
      else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** The uid and gid that runUnprivileged runs as, for chown. */
export const UNPRIVILEGED_ID = isRoot ? NOBODY : (process.getuid?.() ?? NOBODY);
