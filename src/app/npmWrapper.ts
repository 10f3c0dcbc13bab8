// `npx ssod serve` (npm exec) and npm scripts run ssod through `sh -c`, and npm forwards SIGTERM
// and SIGINT to that shell only. dash, Debian's sh, dies of the signal without passing it on, which
// would leave the server running with its ports under a new parent. While the shell waits for ssod
// it can end only by a signal, so ssod takes the loss of the parent npm started it under as the
// signal npm meant for it. A server started any other way (systemd, a shell, `ssod serve &`) keeps
// running when its parent goes away, as a daemon should.

/** Whether npm started this process (npm sets npm_lifecycle_event for `npm exec` and npm scripts). */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== '';
}

/** Calls `onGone` once when the parent process this one started under is gone. */
export function watchParent(onGone: () => void, everyMs = 500): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, everyMs);
  timer.unref();
}
