// What every experiment command shares: a positive-integer flag parser and the entry point that
// prints a user error as one line (exit 1) and anything else as an internal error (exit 2).

import { InvalidArgumentError } from "commander";
import { formatError, isUserError } from "../../compiler/cli/output.ts";

export const positiveInt = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${what} must be a positive integer`);
  return n;
};

/** Runs `main` when `moduleFile` is the script node was started with. */
export function runCommand(moduleFile: string, main: () => Promise<void>): void {
  if (process.argv[1] !== moduleFile) return;
  main().catch((e: unknown) => {
    console.error(formatError(e));
    if (process.env["SEMIC_DEBUG"] && e instanceof Error) console.error(e.stack);
    process.exit(isUserError(e) ? 1 : 2);
  });
}
