// The paper's experiments under examples/paper/: each command's --quick mode runs end to end (a
// fresh process, as a user runs it) and its results have the right shape and sane values. The
// scientific conclusion is the full runs' business (FINDINGS.md), not these tests'.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { Fig2Results } from "../../examples/paper/fig2.ts";
import { BRANCHES } from "../../examples/paper/fig2Read.ts";
import { GROUPS, wilson } from "../../examples/paper/fig2Stats.ts";
import { quickFigure, runScript } from "./runScript.ts";

describe("Wilson interval", () => {
  test("matches the textbook values", () => {
    // 8 of 10: 95% Wilson interval [0.4902, 0.9433].
    const p = wilson(8, 10);
    expect(p.low).toBeCloseTo(0.4902, 4);
    expect(p.high).toBeCloseTo(0.9433, 4);
    // The interval stays inside [0, 1] and is not empty at the ends.
    expect(wilson(0, 40)).toMatchObject({ fraction: 0, low: 0 });
    expect(wilson(0, 40).high).toBeGreaterThan(0.05);
    expect(wilson(40, 40).low).toBeLessThan(0.95);
  });
});

describe("fig2 --quick", () => {
  const fig = quickFigure<Fig2Results>("fig2");

  test("runs and reports every claim under both semantics", () => {
    expect(fig.run.stderr).not.toContain("internal error");
    expect(fig.run.code).toBe(0);
    for (const semantics of ["element", "paper"]) {
      for (const claim of ["firstQuery", "otherKey", "largestRepeatedKey"]) expect(fig.run.stdout).toMatch(new RegExp(`^${semantics} +${claim} +\\d+/40 = `, "m"));
    }
  });

  test("results have the expected shape and sane values", () => {
    expect(fig.results.experiment).toBe("fig2");
    expect(fig.results.setup).toMatchObject({ vocab: 20, seq: 10, seeds: 1, positives: 40 });
    expect(fig.results.seeds).toHaveLength(1);
    const seed = fig.results.seeds[0]!;
    expect(seed.positives).toBe(40);
    expect(seed.valInputs).toBeGreaterThanOrEqual(40);
    expect(seed.valAccuracy).toBeGreaterThanOrEqual(0);
    expect(seed.valAccuracy).toBeLessThanOrEqual(1);
    for (const semantics of ["element", "paper"] as const) {
      const s = fig.results[semantics];
      for (const p of Object.values(s.claims)) {
        expect(p.n).toBe(40);
        expect(p.fraction).toBe(p.holds / p.n);
        expect(p.low).toBeLessThanOrEqual(p.fraction);
        expect(p.high).toBeGreaterThanOrEqual(p.fraction);
        expect(p.low).toBeGreaterThanOrEqual(0);
        expect(p.high).toBeLessThanOrEqual(1);
      }
      expect(Object.values(s.largestAt).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (const g of GROUPS) {
        // Every token is won by exactly one branch, and only a branch that wins is credited.
        expect(BRANCHES.reduce((a, b) => a + s.winShare[g][b], 0)).toBeCloseTo(1, 12);
        for (const b of BRANCHES) {
          expect(Number.isFinite(s.meanOplus[g][b])).toBe(true);
          if (s.winShare[g][b] === 0) expect(s.meanOplus[g][b]).toBe(0);
        }
      }
    }
    const e = fig.results.explanation;
    for (const [at, bs] of [["first", ["skip", "query"]], ["repeated", ["key", "value"]]] as const) {
      for (const b of bs) {
        const q = e[at].sumOverPath[b]!;
        expect(q.p10).toBeLessThanOrEqual(q.median);
        expect(q.median).toBeLessThanOrEqual(q.p90);
        expect(Number.isFinite(e[at].element[b]) && Number.isFinite(e[at].paper[b])).toBe(true);
      }
    }
    expect(e.attentionToRepeated.median).toBeGreaterThan(0);
    expect(e.attentionToRepeated.median).toBeLessThan(1);
    expect(e.attentionToRepeated.meanSlope).toBeLessThanOrEqual(0.25);
  });

  test("writes a self-contained page with the figure's data", () => {
    const html = readFileSync(join(fig.out, "fig2.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=/); // no network
    expect(html).toContain("the first token's flow goes through the query branch");
    expect(html).toContain('"semantics":"paper"');
  });
});

test("fig2: a bad flag is one line and exit 1", async () => {
  const r = await runScript(["examples/paper/fig2.ts", "--seeds", "0"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain("--seeds must be a positive integer");
}, 60_000);
