// A fixed-seed slice of the fuzz campaigns (the full run is `npm run fuzz`): random IR graphs and
// DSL programs against the interpreter and the path oracle for every semiring, and corrupted
// weights, inputs, IR text and DSL source through the CLI entry. Open findings in other parts of
// semic are kept out by their symptom (campaign.ts, FINDINGS.md); the counts below make sure the
// slice still exercises what it claims to.

import { describe, expect, test } from "vitest";
import { fuzzCli, fuzzDsl, fuzzGraphs } from "./campaign.ts";

const SEED = 20261130;
// Generous: the slice takes about 15 s of CPU; the limit only catches a hang, not a slow machine.
const TIMEOUT = 600_000;

function tally() {
  const counts = new Map<string, number>();
  return {
    counts,
    onRun: (outcome: string) => void counts.set(outcome, (counts.get(outcome) ?? 0) + 1),
    get: (pattern: RegExp) => [...counts].filter(([k]) => pattern.test(k)).reduce((a, [, v]) => a + v, 0),
  };
}

describe("fuzz slice", () => {
  test("500 random IR graphs: forward, every semiring's adjoints and top paths", async () => {
    const t = tally();
    await fuzzGraphs({ seed: SEED, runs: 500, onRun: t.onRun });
    expect(t.get(/./)).toBeGreaterThanOrEqual(500);
    expect(t.get(/^checked/)).toBeGreaterThan(250);
    expect(t.get(/^checked \(f32\)$/)).toBeGreaterThan(20);
  }, TIMEOUT);

  test("64 random DSL programs through the frontend", async () => {
    const t = tally();
    await fuzzDsl({ seed: SEED, runs: 64, onRun: t.onRun });
    expect(t.get(/^checked/)).toBeGreaterThan(40);
  }, TIMEOUT);

  test("150 corrupted files through main(): a user error or the answer of what the files say", async () => {
    const t = tally();
    await fuzzCli({ seed: SEED, runs: 150, onRun: t.onRun });
    // Both sides of the contract are exercised, on every kind of file.
    expect(t.get(/: error$/)).toBeGreaterThan(30);
    expect(t.get(/: ok$/)).toBeGreaterThan(20);
    for (const f of ["model.ts", "model.semic", "params.json", "params.safetensors", "inputs.json"]) expect(t.get(new RegExp(`^${f.replace(".", "\\.")}:`))).toBeGreaterThan(5);
  }, TIMEOUT);
});
