// `semic run --profile`: the per-step time table on stderr — every step of the model's passes
// listed once, shares that add up, the pass totals equal to their steps' sum — and its errors.

import { describe, expect, test } from "vitest";
import { profileTable } from "../compiler/cli/profile.ts";
import { expectUserError, ROOT, spawnSemic } from "./cliSpawn.ts";

const TRANSFORMER = ["run", "examples/transformer.ts", "--params", "examples/transformer.params.json", "--inputs", "examples/transformer.inputs.json"];

describe("semic run --profile", () => {
  test("the table of a real run: passes, costliest steps, the readable report unchanged on stdout", async () => {
    const r = await spawnSemic([...TRANSFORMER, "-s", "sumprod,entropy", "--profile", "--top", "2"], ROOT);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("output:");
    const lines = r.stderr.trimEnd().split("\n");
    const head = /^profile: ([\d.]+) ms in (\d+) steps over 2 runs/.exec(lines[0]!);
    expect(head, r.stderr).not.toBeNull();
    expect(lines[1]).toMatch(/^ {2}by pass: /);
    for (const pass of ["forward", "sumprod backward", "entropy backward"]) expect(lines[1]).toMatch(new RegExp(`${pass} [\\d.]+ ms \\([\\d.]+%\\)`));
    const steps = lines.slice(3).filter((l) => /^\s+[\d.]+\s+[\d.]+%\s+\S/.test(l));
    expect(steps).toHaveLength(8); // 4 × --top
    // A step is a kernel of an op, or the finalize step of a kernel whose reduction ends in a division or a log.
    for (const l of steps) expect(l).toMatch(/ ((sumprod|entropy)_bwd|fwd)_\d+_\d+( (js|wasm) %\d+ = \w+|_fin (js|wasm) finalize$)/);
    const times = steps.map((l) => Number(l.trim().split(/\s+/)[0]));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(lines.at(-1)).toMatch(/^ {2}… \d+ more steps, [\d.]+ ms$/);
  });

  test("pass totals are their steps' sums; shares are of the whole", () => {
    const text = profileTable({ "fwd_1_0 wasm %1 = linear": 3, fill: 1, "maxprod_bwd_1_0 js %1 = linear": 4, "maxprod_fill": 2 }, { semirings: ["maxprod"], runs: 1, top: 2 });
    expect(text).toContain("profile: 10.0 ms in 4 steps over 1 run ");
    expect(text).toContain("by pass: maxprod backward 6.0 ms (60.0%) · forward 4.0 ms (40.0%)");
    expect(text).toMatch(/4\.00\s+40\.0%\s+maxprod_bwd_1_0 js/);
    expect(text).toContain("… 2 more steps, 3.0 ms");
  });

  test("one input on the JS target only", async () => {
    expectUserError(await spawnSemic([...TRANSFORMER, "-s", "sumprod", "--profile", "--target", "wgsl"], ROOT), /--profile times the steps of the JS module.*--target js/);
    expectUserError(await spawnSemic(["run", "examples/transformer.ts", "--params", "examples/transformer.params.json", "-s", "sumprod", "--dataset", "x.jsonl", "-o", "y.jsonl", "--profile"], ROOT), /--profile times the run of one input/);
  });
});
