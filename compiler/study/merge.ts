// `semic merge`: the results (and errors) files of the shards of one study back into one results
// file and one errors file in dataset order, refusing duplicates and, given the dataset, missing
// lines. A file may be a results file or an errors file (told apart per record by its "error" key),
// so `semic merge shard*.jsonl` takes `shardI.jsonl` and `shardI.errors.jsonl` alike.

import { readFileSync } from "node:fs";
import { CliError } from "../cli/load.ts";

export interface Merged {
  /** Results-file lines (text, without newline), in dataset order. */
  readonly results: string[];
  readonly errors: string[];
  /** Dataset lines no file holds (only known with the dataset; else gaps in the line numbers). */
  readonly missing: number[];
}

const listLines = (ls: readonly number[]) => (ls.length > 8 ? `${ls.slice(0, 8).join(", ")}… (${ls.length} in all)` : ls.join(", "));

function readRecords(file: string): { line: number; error: boolean; text: string }[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out: { line: number; error: boolean; text: string }[] = [];
  text.split("\n").forEach((row, i) => {
    if (row.trim() === "") return;
    let obj: { line?: unknown; error?: unknown };
    try {
      obj = JSON.parse(row) as typeof obj;
    } catch {
      throw new CliError(`${file}:${i + 1}: not valid JSON (a torn last line? finish that shard with --resume first)`);
    }
    if (typeof obj.line !== "number" || !Number.isInteger(obj.line) || obj.line < 1) throw new CliError(`${file}:${i + 1}: not a semic results or errors record (no "line")`);
    out.push({ line: obj.line, error: typeof obj.error === "string", text: row });
  });
  return out;
}

/** Non-blank line numbers of a dataset. */
export function datasetLines(dataset: string): number[] {
  let text: string;
  try {
    text = readFileSync(dataset, "utf8");
  } catch (e) {
    throw new CliError(`${dataset}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return text.split("\n").flatMap((row, i) => (row.trim() === "" ? [] : [i + 1]));
}

export function mergeShards(files: readonly string[], dataset?: string): Merged {
  const seen = new Map<number, string>();
  const all: { line: number; error: boolean; text: string }[] = [];
  const dups: string[] = [];
  for (const f of files) {
    for (const r of readRecords(f)) {
      const before = seen.get(r.line);
      if (before !== undefined) dups.push(`line ${r.line} in ${before} and ${f}`);
      seen.set(r.line, f);
      all.push(r);
    }
  }
  if (dups.length > 0) throw new CliError(`duplicate records: ${dups.slice(0, 5).join("; ")}${dups.length > 5 ? `; … (${dups.length} in all)` : ""}`);
  all.sort((a, b) => a.line - b.line);
  let missing: number[];
  if (dataset) {
    const expected = datasetLines(dataset);
    const wanted = new Set(expected);
    const stray = all.filter((r) => !wanted.has(r.line)).map((r) => r.line);
    if (stray.length > 0) throw new CliError(`records of lines ${listLines(stray)} are not records of ${dataset} (blank or past its end): another dataset?`);
    missing = expected.filter((l) => !seen.has(l));
    if (missing.length > 0) throw new CliError(`incomplete: no record for ${missing.length} line(s) of ${dataset}: ${listLines(missing)} (a shard missing or unfinished? finish it with --resume)`);
  } else {
    const max = all.at(-1)?.line ?? 0;
    missing = [];
    for (let l = 1; l <= max; l++) if (!seen.has(l)) missing.push(l);
  }
  return { results: all.filter((r) => !r.error).map((r) => r.text), errors: all.filter((r) => r.error).map((r) => r.text), missing };
}
