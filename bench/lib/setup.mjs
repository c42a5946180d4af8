// Builds the workspace and installs the bench's own dependencies and each peer's folder when missing.
// Peers never enter the workspace: each Emmett store has its own folder, package.json and lockfile,
// because their peer-dependency ranges collide with each other and with ours.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** `npm run build` at the root: our packages are benchmarked from their built dist/. */
export function buildWorkspace(log) {
  log('Building the workspace (npm run build)...');
  execFileSync(npm, ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

function installIfMissing(dir, extraArgs, log) {
  if (existsSync(`${dir}node_modules/.package-lock.json`)) return;
  log(`Installing ${dir.slice(ROOT.length)} from its lockfile (npm ci ${extraArgs.join(' ')})...`);
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', ...extraArgs], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Installs bench/ and the named peer folders (under bench/peers/) that are not installed yet. */
export function ensureInstalled(peerFolders, log) {
  installIfMissing(BENCH, [], log);
  for (const folder of new Set(peerFolders)) installIfMissing(`${BENCH}peers/${folder}/`, ['--legacy-peer-deps'], log);
}
