// Minimal reproducers of the bugs the fuzz campaigns found and that are fixed (FINDINGS.md).

import { describe, expect, test } from "vitest";
import { parseGraph } from "../../ir/text/toIr.ts";
import { checkGraph } from "./graphCheck.ts";

describe("fixed findings", () => {
  // F1: an f64 WebAssembly kernel summing log-sum-exp terms took log and exp from the f32
  // polynomials (no host import when no kernel spelled `log`): log 2 read as 0.000266.
  test("F1: entropy and logsum over a broadcast, double precision", async () => {
    const g = parseGraph(
      `model @f1 {
  %0 = param {name = "a", shape = [2, 2]} : f32[2,2]
  %1 = input {name = "b", shape = [2]} : f32[2]
  %2 = add %0, %1 : f32[2,2]
  %3 = sum %2 : f32[]
  return %3
}`,
      "f1.semic",
    );
    expect(await checkGraph(g, { a: [1, 2, 3, 4], b: [0.5, -1] })).toBe("checked");
  });
});
