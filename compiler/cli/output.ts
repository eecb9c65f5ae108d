// How the CLI writes: output files all-or-nothing, progress on a terminal only, and errors as
// one line `semic: <file:line:col: message>`.

import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { SemicError } from "../../ir/graph.ts";
import { WeightsError } from "../../runtime/weights.ts";
import { CliError } from "./load.ts";

/**
 * Writes every file or none: each goes to a temporary file in its target directory first, and
 * the renames happen only once all of them are written (a failure removes the temporaries).
 */
export function writeFilesAtomically(files: ReadonlyMap<string, string | Uint8Array>): void {
  const staged: [tmp: string, final: string][] = [];
  try {
    for (const [path, text] of files) {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
      staged.push([tmp, path]);
      writeFileSync(tmp, text);
    }
    for (const [tmp, path] of staged) renameSync(tmp, path);
  } catch (e) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`cannot write ${err.path ?? "output"} (${err.code ?? err.message})`);
  }
}

/** Status lines on stderr while something slow runs, only when stderr is a terminal. */
export class Status {
  readonly #tty = process.stderr.isTTY === true;
  #shown = false;

  /** Replaces the current status line. */
  show(message: string): void {
    if (!this.#tty) return;
    process.stderr.write(`\r\x1b[K${message}`);
    this.#shown = true;
  }

  /** Erases the status line (before printing results or an error). */
  clear(): void {
    if (!this.#shown) return;
    process.stderr.write("\r\x1b[K");
    this.#shown = false;
  }

  get enabled(): boolean {
    return this.#tty;
  }
}

/** Whether an error is the user's (one line, exit 1) rather than a bug in semic (exit 2). */
export const isUserError = (e: unknown): e is Error => e instanceof SemicError || e instanceof WeightsError || e instanceof CliError;

/** An error's message (or any value) on one line: multi-line messages, e.g. several binding problems, joined with "; ". */
export const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n").map((s) => s.trim()).filter((s) => s !== "").join("; ");

/** `semic: <message>` on one line. */
export function formatError(e: unknown): string {
  const line = oneLine(e);
  return isUserError(e) ? `semic: ${line}` : `semic: internal error: ${line} (set SEMIC_DEBUG=1 for the stack trace)`;
}

/** Milliseconds since `t0`, shown as "12 ms" or "1.3 s". */
export function elapsed(t0: number): string {
  const ms = performance.now() - t0;
  return ms < 1000 ? `${ms.toFixed(ms < 10 ? 1 : 0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
