// Runs an example script in a fresh process, as a user runs it (`npx tsx FILE ARGS`), from the
// repository root; for the paper experiments' --quick tests.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { ROOT, spawnNode, type Spawned } from "../cliSpawn.ts";

const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");

export const runScript = (args: readonly string[]): Promise<Spawned> => spawnNode([TSX, ...args], ROOT);

/** What a `--quick` figure run left: its output folder, the process, and `<fig>.json` where it exited 0. */
export interface QuickFigure<R> {
  readonly out: string;
  run: Spawned;
  results: R;
}

/**
 * Registers, in the enclosing describe block, a run of `examples/paper/<fig>.ts --quick` into a
 * temporary folder before its tests (and the folder's removal after); the fields are set once
 * beforeAll has run.
 */
export function quickFigure<R>(fig: string): QuickFigure<R> {
  const state = { out: mkdtempSync(join(tmpdir(), `semic-${fig}-`)) } as QuickFigure<R>;
  beforeAll(async () => {
    state.run = await runScript([`examples/paper/${fig}.ts`, "--quick", "--out", state.out]);
    if (state.run.code === 0) state.results = JSON.parse(readFileSync(join(state.out, `${fig}.json`), "utf8")) as R;
  }, 240_000);
  afterAll(() => rmSync(state.out, { recursive: true, force: true }));
  return state;
}
