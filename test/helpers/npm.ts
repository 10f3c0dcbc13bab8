// For the tests that run npm itself (pack, install, npx), as an operator would from a shell.

/**
 * The environment of an operator's shell: the test's own, without the npm_* variables an outer
 * `npm test` sets (npm_config_prefix, npm_lifecycle_event, …) and without SSOD_* settings.
 */
export function operatorEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(npm_|SSOD_)/i.test(key))), ...extra };
}
