// What every experiment command shares: its --quick and --out options, a positive-integer flag
// parser, and the entry point that prints a user error as one line (exit 1) and anything else as an
// internal error (exit 2).

import { Command, InvalidArgumentError } from "commander";
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

/** The command of figure `name`: `--quick` (described by `quick`) and `--out <dir>` for `<name>.json` and `<name>.html`. */
export const figureCommand = (name: string, description: string, quick: string): Command =>
  new Command(name).description(description).option("--quick", quick).option("--out <dir>", `where ${name}.json and ${name}.html go`, `${name}-out`);
