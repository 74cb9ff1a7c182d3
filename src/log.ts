import * as core from '@actions/core';

/** Logging that speaks the runner's language in Actions and plain text on a terminal. */
export interface Logger {
  info(line: string): void;
  warning(line: string): void;
  error(line: string): void;
  debug(line: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function createLogger(options: { inActions: boolean; verbose: boolean; redact: (s: string) => string }): Logger {
  const { inActions, verbose, redact } = options;
  if (inActions) {
    return {
      info: (l) => core.info(redact(l)),
      warning: (l) => core.warning(redact(l)),
      error: (l) => core.error(redact(l)),
      // core.debug only shows with ACTIONS_STEP_DEBUG; `verbose` makes it plain info.
      debug: (l) => (verbose ? core.info(redact(l)) : core.debug(redact(l))),
      group: (name, fn) => core.group(name, fn),
    };
  }
  const out = (l: string) => process.stdout.write(`${redact(l)}\n`);
  return {
    info: out,
    warning: (l) => out(`warning: ${l}`),
    error: (l) => out(`error: ${l}`),
    debug: (l) => (verbose ? out(`debug: ${l}`) : undefined),
    group: async (name, fn) => {
      out(`▶ ${name}`);
      return fn();
    },
  };
}
