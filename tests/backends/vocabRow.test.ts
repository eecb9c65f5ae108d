// A log-softmax over a BERT-sized vocabulary row (30522, not a multiple of the 4 f32 lanes): every
// kernel over the row runs as WebAssembly, its last two points as a JS tail, and the gradient
// equals the closed form in f32 and in f64.

import { describe, expect, test } from "vitest";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { GraphBuilder } from "../../ir/graph.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import { expectLanesClose } from "../oracle/check.ts";

const V = 30522;

/** out = Σ_j probe_j · log_softmax(x ⊙ w)_j. */
function vocabRow() {
  const b = new GraphBuilder("vocab_row");
  const x = b.add("input", [], { name: "x", shape: [V] });
  const w = b.add("param", [], { name: "w", shape: [V] });
  const probe = b.add("param", [], { name: "probe", shape: [V] });
  const y = b.add("log_softmax", [b.add("mul", [x, w])]);
  return b.build(b.add("sum", [b.add("mul", [y, probe])]));
}

// Deterministic values spread enough that softmax is far from uniform.
const x = Float64Array.from({ length: V }, (_, i) => Math.sin(i * 0.37) * 3);
const w = Float64Array.from({ length: V }, (_, i) => 0.5 + ((i * 7919) % 101) / 100);
const probe = Float64Array.from({ length: V }, (_, i) => ((i * 104729) % 13) / 13 - 0.4);

/** ∂out/∂x_j = (probe_j − softmax(h)_j · Σ probe) · w_j, h = x ⊙ w. */
function closedForm(): Float64Array {
  const h = x.map((v, i) => v * w[i]!);
  const m = h.reduce((a, b) => Math.max(a, b), -Infinity);
  const z = h.reduce((a, v) => a + Math.exp(v - m), 0);
  const total = probe.reduce((a, b) => a + b, 0);
  return h.map((v, i) => (probe[i]! - (Math.exp(v - m) / z) * total) * w[i]!);
}

/** The source lines opening each kernel block over the row, with the line before. */
function rowKernels(js: string): { open: string; before: string }[] {
  const lines = js.split("\n");
  return lines.flatMap((l, i) => (/\{ \/\/ .*\[30522\]/.test(l) ? [{ open: l.trim(), before: lines[i - 1]!.trim() }] : []));
}

/** Row kernels that run only as JS loops: neither a fallback after `else` nor a tail after a call. */
function scalarOnly(js: string): string[] {
  return rowKernels(js)
    .filter((k) => !/^(\} )?else$/.test(k.before) && !(/ \(\w+ from 30520\)$/.test(k.open) && /^(K\.\w+\(0|par\(\d+, K\.\w+), 30520, /.test(k.before)))
    .map((k) => k.open);
}

describe("a 30522-wide log-softmax row", () => {
  test("no semiring's kernel over the row stays a scalar loop (f32)", () => {
    const all = [...Object.values(semirings), topk(2)];
    const { js } = compileGraph(vocabRow(), { semirings: all, wrt: ["x"], precision: "f32" });
    expect(rowKernels(js.js).length).toBeGreaterThan(all.length);
    expect(scalarOnly(js.js)).toEqual([]);
  });

  test.each(["f32", "f64"] as const)("every kernel over the row is WebAssembly, and the gradient is the closed form (%s)", async (precision) => {
    const { js } = compileGraph(vocabRow(), { semirings: [semirings.sumprod], wrt: ["x"], precision });
    expect(js.js).toContain("const wasmKernels = {");
    const kernels = rowKernels(js.js);
    // forward: finalize of the product, row max, row sum, output; backward: log-softmax, product.
    expect(kernels.length).toBeGreaterThanOrEqual(5);
    // A JS loop over the row runs only as the fallback (after `else`) or as the tail of a WebAssembly call.
    expect(scalarOnly(js.js)).toEqual([]);
    if (precision === "f64") expect(kernels.filter((k) => / from 30520\)$/.test(k.open))).toEqual([]);
    const logSoftmaxBwd = kernels.find((k) => /log_softmax .* — edges from operand 0/.test(k.open) && !/ from 30520\)$/.test(k.open));
    expect(logSoftmaxBwd, "the log-softmax backward").toBeDefined();

    const model = (await importModule(js.js)).createModel({ w, probe });
    const got = model.run({ x }).results["sumprod"]!.wrt["x"]!.lanes["g"]!;
    const want = closedForm();
    // f32: sums of 30522 terms in f32 lanes (≈ 1.4e-5 of the largest element here).
    expectLanesClose(got, want, precision === "f32" ? 1e-4 : 1e-10, `${precision} ∂out/∂x`, precision === "f32" ? 1e-4 : 1e-14);
  });
});
