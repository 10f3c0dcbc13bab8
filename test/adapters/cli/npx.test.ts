// `npx ssod serve`, then a signal to the npx process, as the README's operator does it: npm runs
// ssod through `sh -c` and forwards the signal to that shell only (through bash, which execs ssod,
// with the repository's .npmrc). The server must stop, free its ports and leave no process behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { operatorEnv } from '../../helpers/npm.js';
import { acceptsConnections, freePort } from '../../helpers/ports.js';
import { eventually } from '../../helpers/eventually.js';
import { defined } from '../../helpers/defined.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * A temporary project with ssod installed as a local dependency, as `npm install ssod` would
 * leave it: node_modules/ssod (here a link to this checkout) and its bin link node_modules/.bin/ssod.
 * With `npmrc`, the project has this repository's .npmrc, as `npx ssod serve` in the checkout has.
 */
function temporaryProject({ npmrc = false } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ssod-npx-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'npx-project', private: true }));
  if (npmrc) copyFileSync(path.join(ROOT, '.npmrc'), path.join(dir, '.npmrc'));
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'ssod'));
  symlinkSync('../ssod/dist/src/app/main.js', path.join(dir, 'node_modules', '.bin', 'ssod'));
  return dir;
}

/** The pids of every descendant of `pid` (from /proc). */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The field after the parenthesised command name: state, then the parent pid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const visit = (parent: number): void => {
    for (const [child, itsParent] of parentOf) {
      if (itsParent === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

function isAlive(pid: number): boolean {
  // A zombie has no open ports or files left; only its exit status waits for a reaper.
  try {
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  await eventually(condition, { timeoutMs: 60_000, intervalMs: 100, what });
}

const project = temporaryProject();
const checkoutLike = temporaryProject({ npmrc: true });
after(() => {
  for (const dir of [project, checkoutLike]) rmSync(dir, { recursive: true, force: true });
});

// SIGTERM as `kill <pid of npx>` sends it; SIGINT as Ctrl-C in a terminal sends it, to the whole
// foreground process group. In a project without the repository's .npmrc, `kill -INT <pid of npx>`
// alone does not stop it: npm runs ssod through dash, which waits for ssod on SIGINT, as POSIX
// shells do, and ssod never hears of it. The .npmrc has npm run it through bash, which execs ssod.
const cases = [
  { signal: 'SIGTERM', to: 'the npx process', group: false, cwd: project, through: 'sh' },
  { signal: 'SIGINT', to: 'the process group of npx (Ctrl-C)', group: true, cwd: project, through: 'sh' },
  { signal: 'SIGINT', to: "the npx process, with the repository's .npmrc", group: false, cwd: checkoutLike, through: 'nothing' },
] as const;

for (const { signal, to, group, cwd, through } of cases) {
  test(`${signal} to ${to} stops \`npx ssod serve\`: ports freed, no process left`, { timeout: 120_000 }, async () => {
    const dataDir = path.join(cwd, `data-${signal}`);
    const [soapPort, relayPort] = [await freePort(), await freePort()];
    const npx = spawn('npx', ['ssod', 'serve', '--data-dir', dataDir, '--soap-port', String(soapPort), '--relay-port', String(relayPort)], {
      cwd,
      env: operatorEnv(),
      detached: true, // its own process group, as a job in a terminal has
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const npxPid = defined(npx.pid, 'the pid of npx');
    let output = '';
    npx.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    npx.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    // 'close' comes once every process holding the output pipes has exited: npm, its shell and ssod.
    const closed = new Promise<void>((resolve) => npx.once('close', () => resolve()));
    let processes: number[] = [];
    try {
      await waitFor('the server to answer /healthz', async () => {
        if (npx.exitCode !== null) throw new Error(`npx exited with ${npx.exitCode}: ${output}`);
        return fetch(`http://127.0.0.1:${relayPort}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
      });
      processes = descendantsOf(npxPid);
      assert.equal(processes.length, through === 'sh' ? 2 : 1, `npx runs ssod through ${through}: ${processes.join(' ')}`);

      process.kill(group ? -npxPid : npxPid, signal);
      await waitFor('npx, its shell and ssod to exit', async () => {
        await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);
        return npx.exitCode !== null || npx.signalCode !== null ? processes.every((pid) => !isAlive(pid)) : false;
      });
      await closed;
      assert.equal(await acceptsConnections(relayPort), false, 'relay port freed');
      assert.equal(await acceptsConnections(soapPort), false, 'SOAP port freed');
      assert.match(output, /"msg":"shutting down"/, 'ssod drained its requests and stopped');
      assert.ok(existsSync(path.join(dataDir, 'ssod.db')));
    } finally {
      // A server that outlived npx is no descendant of it any more: the pids seen before count too.
      for (const pid of new Set([npxPid, ...processes, ...descendantsOf(npxPid)])) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}
