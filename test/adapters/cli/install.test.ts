// Getting `ssod` on the PATH from this repository, here into temporary prefixes: `npm pack`, then a
// global install of the tarball (README "Install"); and `npm install -g .`, the quick start's link.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { operatorEnv } from '../../helpers/npm.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
};
const work = mkdtempSync(path.join(os.tmpdir(), 'ssod-global-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The names that the installed packages (scoped ones included) list as their own dependencies. */
function requiredByInstalled(modules: string): Set<string> {
  const names = new Set<string>();
  const packageDirs = readdirSync(modules).flatMap((entry) =>
    entry.startsWith('@')
      ? readdirSync(path.join(modules, entry)).map((name) => path.join(modules, entry, name))
      : [path.join(modules, entry)],
  );
  for (const dir of packageDirs) {
    const file = path.join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const own = JSON.parse(readFileSync(file, 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(own.dependencies ?? {})) names.add(name);
  }
  return names;
}

function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? work, env: options.env ?? operatorEnv(), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
        else resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

test('npm pack, then npm install -g of the tarball, puts a working ssod on the PATH', { timeout: 180_000 }, async () => {
  // The suite runs after the build, so packing needs no `prepare` (tsc) again.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT });
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = path.join(work, `ssod-${manifest.version}.tgz`);
  const listing = (await run('tar', ['tzf', tarball])).stdout.split('\n');
  assert.ok(listing.includes('package/dist/src/app/main.js'), 'the compiled CLI is packed');
  assert.ok(listing.includes('package/deploy/ssod.service'), 'the systemd unit is packed');
  assert.ok(
    !listing.some((file) => file.startsWith('package/dist/test/') || file.startsWith('package/src/')),
    'no tests or TypeScript sources',
  );

  // From the npm cache when it holds the dependencies (`npm ci` filled it). Install scripts are
  // skipped: better-sqlite3 compiles SQLite from source for minutes on two cores, and that build is
  // the one `npm ci` already made for this suite. What this checks is the package itself: its
  // files, its bin link, and that the CLI loads with production dependencies only.
  const prefix = path.join(work, 'prefix');
  const installed = await run('npm', [
    'install',
    '--global',
    '--prefix',
    prefix,
    '--prefer-offline',
    '--ignore-scripts',
    '--no-audit',
    '--no-fund',
    tarball,
  ]);
  assert.equal(installed.code, 0, installed.stderr);
  const packageDir = path.join(prefix, 'lib', 'node_modules', 'ssod');
  // A development dependency is installed only when a production dependency needs it itself (the SAML
  // library ships its typings with @types/* dependencies, which bring @types/node along).
  const required = requiredByInstalled(path.join(packageDir, 'node_modules'));
  for (const dev of Object.keys(manifest.devDependencies)) {
    assert.ok(
      !existsSync(path.join(packageDir, 'node_modules', dev)) || required.has(dev),
      `development dependency ${dev} is not installed unless a dependency needs it`,
    );
  }
  assert.ok(readdirSync(path.join(packageDir, 'node_modules')).includes('commander'));

  const version = await run(path.join(prefix, 'bin', 'ssod'), ['--version']);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout.trim(), manifest.version);

  // As an operator types it: found on the PATH by name.
  const env = operatorEnv({ PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` });
  const help = await run('ssod', ['--help'], { env });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: ssod /m);
  for (const command of ['serve', 'users', 'mode', 'backup']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
});

test(
  'npm install -g . after npm ci, as the quick start does it, links this checkout: ssod on the PATH runs its build',
  { timeout: 120_000 },
  async () => {
    const prefix = path.join(work, 'linked');
    // Scripts skipped: `prepare` would compile this checkout again while other test files run from it;
    // the quick start's `npm ci` has compiled it already.
    const installed = await run('npm', ['install', '--global', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', ROOT]);
    assert.equal(installed.code, 0, installed.stderr);
    assert.equal(realpathSync(path.join(prefix, 'lib', 'node_modules', 'ssod')), realpathSync(ROOT), 'a link to the checkout');
    const env = operatorEnv({ PATH: `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}` });
    const version = await run('ssod', ['--version'], { env });
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout.trim(), manifest.version);
    const mode = await run('ssod', ['mode', '--data-dir', path.join(work, 'no-installation')], { env });
    assert.equal(mode.code, 1);
    assert.match(mode.stderr, /^ssod: no ssod store at /, 'an operator command of the README, found by name');
  },
);
