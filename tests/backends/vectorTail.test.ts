// Vector loops over an extent that is not a multiple of the lane count (4 in f32, 2 in f64) run
// the largest multiple as WebAssembly and the rest as a JS tail: each kernel form (map, separable,
// log-sum-exp, reduce) against brute-force path enumeration, for semirings of each kind.

import { describe, expect, test } from "vitest";
import { compileGraph } from "../../compiler/compile.ts";
import { semirings } from "../../ir/semirings/index.ts";
import type { GraphBuilder } from "../../ir/graph.ts";
import { expectMatchesBruteForce } from "../oracle/check.ts";
import { inp, op, probed } from "../oracle/opCases.ts";
import { randomFeed } from "../oracle/random.ts";

const cases: [string, (b: GraphBuilder) => number, string[]][] = [
  ["sigmoid [3, 7]", (b) => op(b, "sigmoid", [inp(b, "x", [3, 7])]), ["x"]],
  ["log_softmax [2, 9]", (b) => op(b, "log_softmax", [inp(b, "x", [2, 9])]), ["x"]],
  ["softmax [2, 5]", (b) => op(b, "softmax", [inp(b, "x", [2, 5])]), ["x"]],
  ["matmul [3, 5] · [5, 7]", (b) => op(b, "matmul", [inp(b, "a", [3, 5]), inp(b, "b", [5, 7])]), ["a", "b"]],
  ["sum over [3, 7] axis 1", (b) => op(b, "sum", [inp(b, "x", [3, 7])], { axes: [1] }), ["x"]],
];
const srs = [semirings.sumprod, semirings.maxprod, semirings.logsum, semirings.entropy];

describe("vector loops with a JS tail", () => {
  test.each(cases)("%s: every semiring matches brute force (f32 and f64)", async (_label, build, wrt) => {
    const g = probed(build);
    for (const precision of ["f32", "f64"] as const) {
      const { js } = compileGraph(g, { semirings: srs, wrt, precision });
      // The tails exist: a WebAssembly call stopping short of the extent, then its last points in JS.
      expect(js.js, precision).toMatch(/ from \d+\)\n/);
      await expectMatchesBruteForce(g, randomFeed(g, 41), srs, wrt, precision === "f32" ? 2e-5 : 1e-9, precision);
    }
  });
});
