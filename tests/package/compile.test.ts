// The API's compile(model, options): the module `semic compile` writes (the golden code), from a
// file or a graph, for both targets, and a one-line error for what a caller can get wrong.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { compile } from "../../compiler/compileModel.ts";
import { parseGraph } from "../../ir/text/toIr.ts";

const MLP = "examples/mlp.ts";
const golden = (name: string) => readFileSync(new URL(`../golden/${name}`, import.meta.url), "utf8");

describe.concurrent("compile(model, options)", () => {
  test("a DSL file: the golden module, named as semic compile names it", async () => {
    const r = await compile(MLP, { semirings: ["sumprod", "maxprod", "entropy"] });
    expect([...r.files.keys()]).toEqual(["mlp.sumprod+maxprod+entropy.js", "mlp.sumprod+maxprod+entropy.d.ts", "mlp.sumprod+maxprod+entropy.wasm"]);
    expect(r.dts).toBe(golden("mlp.sumprod+maxprod+entropy.d.ts"));
    expect(r.semirings.map((s) => s.name)).toEqual(["sumprod", "maxprod", "entropy"]);
    expect(r.graph.name).toBe("mlp");
  });

  test("topk takes its k from the options", async () => {
    const r = await compile(MLP, { semirings: ["topk"], topk: 2 });
    expect(r.js).toBe(golden("mlp.topk.js"));
  });

  test("a textual-IR graph compiles to the same module as its DSL file, but for the source locations it reports", async () => {
    const fromIr = await compile(parseGraph(golden("mlp.ir"), "mlp.ir"), { semirings: ["maxprod"] });
    // Non-finite values are reported at the model's file:line:col, which differ between the two.
    const withoutLocs = (js: string) => js.replace(/"loc":"[^"]*"/g, '"loc":…');
    expect(fromIr.js).toContain('"loc":"mlp.ir:2:3"');
    expect(withoutLocs(fromIr.js)).toBe(withoutLocs(golden("mlp.maxprod.js")));
    expect([...fromIr.files.keys()]).toEqual(["mlp.maxprod.js", "mlp.maxprod.d.ts", "mlp.maxprod.wasm"]);
  });

  test("the wgsl target: host module, declarations and one WGSL source per pass", async () => {
    const r = await compile(MLP, { semirings: ["maxprod"], target: "wgsl", config: { hidden: "8" } });
    expect([...r.files.keys()]).toEqual(["mlp.maxprod.webgpu.js", "mlp.maxprod.webgpu.d.ts", "mlp.maxprod.forward.wgsl", "mlp.maxprod.backward.maxprod.wgsl"]);
    expect(r.wgsl?.["forward"]).toContain("@compute");
    expect(r.graph.nodes.find((n) => n.attrs["name"] === "w1")?.type.shape).toEqual([8, 4]);
  });

  test.each([
    [{ semirings: ["bogus"] }, /^unknown semiring "bogus" \(valid names: sumprod, /],
    [{ semirings: [] }, /^no semiring given/],
    [{ semirings: ["sumprod"], target: "glsl" }, /^compile: target must be "js" or "wgsl", got "glsl"$/],
    [{ semirings: ["topk"], topk: 0 }, /^compile: topk must be a positive integer, got 0$/],
    [{ semirings: ["sumprod"], precision: "f16" }, /^compile: precision must be "f32" or "f64", got "f16"$/],
  ])("rejects %j", async (options, message) => {
    await expect(compile(MLP, options as never)).rejects.toThrow(message);
  });

  test("a missing model file", async () => {
    await expect(compile("nope.ts", { semirings: ["sumprod"] })).rejects.toThrow(/^nope\.ts: no such model file$/);
  });
});
