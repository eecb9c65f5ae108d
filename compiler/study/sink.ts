// The results and errors files of a study: records are written whole, one line per synchronous
// write, in input order, so that an interrupted run leaves both files valid up to the last
// complete record. Resuming reads what they hold (dropping a torn last line a kill may leave) and
// the run skips those lines: nothing is computed or written twice.

import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { CliError } from "../cli/load.ts";
import { jsonLine, type ErrorRecord, type OutputRecord } from "./record.ts";

/** Lines already done in a results or errors file, and where its last complete record ends. */
function scan(path: string): { lines: Set<number>; end: number } {
  const lines = new Set<number>();
  if (!existsSync(path)) return { lines, end: 0 };
  const bytes = readFileSync(path);
  const end = bytes.lastIndexOf(0x0a) + 1;
  const text = bytes.subarray(0, end).toString("utf8");
  let lineNo = 0;
  for (const row of text.split("\n")) {
    lineNo++;
    if (row === "") continue;
    let line: unknown;
    try {
      line = (JSON.parse(row) as { line?: unknown }).line;
    } catch {
      throw new CliError(`${path}:${lineNo}: not a record of a semic results file (cannot --resume it)`);
    }
    if (typeof line !== "number" || !Number.isInteger(line)) throw new CliError(`${path}:${lineNo}: a record without its "line" number (cannot --resume it)`);
    lines.add(line);
  }
  return { lines, end };
}

export interface SinkPaths {
  readonly results: string;
  readonly errors: string;
}

/** Writes records in input order: `deliver(seq, …)` may arrive in any order; seq counts from 0. */
export class OrderedSink {
  readonly #results: number;
  readonly #errors: number;
  readonly #waiting = new Map<number, { ok: OutputRecord } | { error: ErrorRecord }>();
  #next = 0;
  written = 0;
  failed = 0;

  /** Lines already in the files when resuming (empty otherwise). */
  readonly done: ReadonlySet<number>;

  /** "new" refuses existing files, "force" truncates them, "resume" continues them. */
  constructor(paths: SinkPaths, mode: "new" | "force" | "resume") {
    const resume = mode === "resume";
    if (mode === "new") {
      for (const p of [paths.results, paths.errors]) {
        if (existsSync(p)) throw new CliError(`${p} exists: finish that run with --resume, or remove it (or pass --force to start over)`);
      }
    }
    const done = new Set<number>();
    const open = (p: string) => {
      const { lines, end } = resume ? scan(p) : { lines: new Set<number>(), end: 0 };
      lines.forEach((l) => done.add(l));
      try {
        const fd = openSync(p, resume ? "a+" : "w");
        if (resume) ftruncateSync(fd, end); // a torn last line left by a kill
        return fd;
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new CliError(`cannot write ${p} (${err.code ?? err.message})`);
      }
    };
    this.#results = open(paths.results);
    this.#errors = open(paths.errors);
    this.done = done;
  }

  deliver(seq: number, result: { ok: OutputRecord } | { error: ErrorRecord }): void {
    this.#waiting.set(seq, result);
    for (let r = this.#waiting.get(this.#next); r; r = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next++);
      if ("ok" in r) {
        writeSync(this.#results, jsonLine(r.ok));
        this.written++;
      } else {
        writeSync(this.#errors, jsonLine(r.error));
        this.failed++;
      }
    }
  }

  /** Records delivered but not yet written (an earlier one is still running). */
  get pending(): number {
    return this.#waiting.size;
  }

  close(): void {
    closeSync(this.#results);
    closeSync(this.#errors);
  }
}
