// Invalid IR, one case per error code (MLIR invalid.mlir style): each case takes a valid graph
// parsed from text and breaks one thing that GraphBuilder and the parser would have refused.

import { describe, expect, test } from "vitest";
import { SemicError, type Graph, type Node } from "../../ir/graph.ts";
import type { OpName } from "../../ir/ops/index.ts";
import { parseGraph } from "../../ir/text/index.ts";
import { f32 } from "../../ir/types.ts";
import { verifyGraph } from "../../ir/verify.ts";
import { randomGraph } from "../oracle/randomGraph.ts";

const valid = parseGraph(
  `model @mlp {
  %0 = input {name = "x", shape = [4]} : f32[4]
  %1 = param {name = "w1", shape = [4, 16]} : f32[4,16]
  %2 = matmul %0, %1 : f32[16]
  %3 = relu %2 : f32[16]
  %4 = sum %3 {axes = [0]} : f32[]
  return %4
}`,
  "mlp.ir",
);

/** `valid` with node k patched. */
const patch = (k: number, p: Partial<Omit<Node, "id">>): Graph => ({
  ...valid,
  nodes: valid.nodes.map((n) => (n.id === k ? { ...n, ...p } : n)),
});

function verifyError(g: Graph): SemicError {
  try {
    verifyGraph(g);
  } catch (e) {
    if (e instanceof SemicError) return e;
    throw e;
  }
  throw new Error("verifyGraph accepted an invalid graph");
}

describe("verifyGraph", () => {
  test("accepts valid graphs", () => {
    verifyGraph(valid);
    for (let seed = 0; seed < 100; seed++) verifyGraph(randomGraph(seed));
  });

  // [what, graph, code, message fragment, "line:col" of the offending node or null]
  const cases: [string, Graph, string, string, string | null][] = [
    ["operand defined later", patch(2, { inputs: [0, 3] }), "E_SSA", "%2 = matmul: operand %3 is not defined before use", "4:3"],
    ["operand refers to itself", patch(3, { inputs: [3] }), "E_SSA", "%3 = relu: operand %3", "5:3"],
    ["operand out of range", patch(3, { inputs: [-1] }), "E_SSA", "operand %-1", "5:3"],
    ["id is not the position", { ...valid, nodes: valid.nodes.map((n) => (n.id === 1 ? { ...n, id: 7 } : n)) }, "E_SSA", "position 1 has id %7", "3:3"],
    ["output undefined", { ...valid, output: 9 }, "E_SSA", "the output %9 is not defined", null],
    ["unknown op", patch(3, { op: "frobnicate" as OpName }), "E_UNKNOWN_OP", `unknown op "frobnicate"`, "5:3"],
    ["too many operands", patch(3, { inputs: [2, 2] }), "E_ARITY", "relu takes 1 operand(s), got 2", "5:3"],
    ["too few operands", patch(2, { inputs: [0] }), "E_ARITY", "matmul takes 2 operand(s), got 1", "4:3"],
    ["missing attribute", patch(1, { attrs: { name: "w1" } }), "E_ATTR", `param needs attribute "shape" (ints)`, "3:3"],
    ["unknown attribute", patch(3, { attrs: { alpha: 0.1 } }), "E_ATTR", `relu has no attribute "alpha"`, "5:3"],
    ["ill-typed attribute", patch(4, { attrs: { axes: 0 } }), "E_ATTR", `attribute "axes" of sum must be ints, got 0`, "6:3"],
    ["non-integer list", patch(4, { attrs: { axes: [0.5] } }), "E_ATTR", "must be ints, got [0.5]", "6:3"],
    ["stored type differs", patch(3, { type: f32(15) }), "E_TYPE", "stored type f32[15] differs from the inferred f32[16]", "5:3"],
    ["stored dtype differs", patch(3, { type: { dtype: "i32", shape: [16] } }), "E_TYPE", "stored type i32[16]", "5:3"],
    ["types no longer infer", patch(1, { attrs: { name: "w1", shape: [3, 16] }, type: f32(3, 16) }), "E_TYPE", "matmul(f32[4], f32[3,16]): contracted dims differ", "4:3"],
    ["output not a scalar", { ...valid, output: 3 }, "E_OUTPUT", "the model output %3 must be a scalar", "5:3"],
    ["one name, two shapes", patch(1, { op: "input", attrs: { name: "x", shape: [4, 16] } }), "E_NAME", `"x" is already input %0 of type f32[4], here input of type f32[4,16]`, "3:3"],
  ];

  test.each(cases)("%s", (_what, g, code, fragment, at) => {
    const e = verifyError(g);
    expect(e.code).toBe(code);
    expect(e.message).toContain(fragment);
    if (at) expect(e.message.startsWith(`mlp.ir:${at}: `), e.message).toBe(true);
  });

  test("an input and a param may not share a name", () => {
    const src = `model @m {
  %0 = input {name = "x", shape = [2]} : f32[2]
  %1 = param {name = "x", shape = [2]} : f32[2]
  %2 = add %0, %1 : f32[2]
  %3 = sum %2 : f32[]
  return %3
}`;
    expect(() => parseGraph(src, "m.ir")).toThrow(/^m\.ir:3:3: param "x": the name is already used by the input at m\.ir:2:3/);
  });

  test("a leaf name may not repeat, even with the same type (feeds and results are keyed by name)", () => {
    const src = `model @m {
  %0 = param {name = "w", shape = [2]} : f32[2]
  %1 = param {name = "w", shape = [2]} : f32[2]
  %2 = add %0, %1 : f32[2]
  %3 = sum %2 : f32[]
  return %3
}`;
    expect(() => parseGraph(src, "m.ir")).toThrow(/^m\.ir:3:3: param "w": the name is already used by the param at m\.ir:2:3/);
  });
});
