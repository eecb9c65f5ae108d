// Generated code is part of the product: snapshots of it are committed and reviewed as diffs
// (regenerate intended changes with `npx vitest run tests/golden.test.ts -u`).

import { describe, expect, test } from "vitest";
import { compileGraph, compileGraphWgsl } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { kernelListing } from "../compiler/kernels/listing.ts";
import { printGraph } from "../ir/text/index.ts";
import { semiringNames, semiringByName } from "../ir/semirings/index.ts";

const mlp = loadModel("examples/mlp.ts").graph;
const transformer = loadModel("examples/transformer.ts").graph;

describe("golden generated code", () => {
  test("mlp IR", async () => {
    await expect(printGraph(mlp)).toMatchFileSnapshot("golden/mlp.ir");
  });

  test.each(semiringNames)("mlp × %s", async (name) => {
    // As semic compile writes it: the WebAssembly kernels in a file beside the module.
    const { js } = compileGraph(mlp, { semirings: [semiringByName(name, { k: 2 })], wasmFile: `mlp.${name}.wasm` });
    await expect(js.js).toMatchFileSnapshot(`golden/mlp.${name}.js`);
  });

  test.each(["sumprod", "maxprod", "entropy"])("mlp × %s kernels (--emit kernels)", async (name) => {
    const text = kernelListing(mlp, { semirings: [semiringByName(name)] });
    await expect(text).toMatchFileSnapshot(`golden/mlp.${name}.kernels`);
  });

  test.each(["sumprod", "maxprod"])("transformer × %s", async (name) => {
    const { js } = compileGraph(transformer, { semirings: [semiringByName(name)], wasmFile: `transformer.${name}.wasm` });
    await expect(js.js).toMatchFileSnapshot(`golden/transformer.${name}.js`);
  });

  test("transformer × sumprod (WGSL)", async () => {
    const { wgsl } = compileGraphWgsl(transformer, { semirings: [semiringByName("sumprod")] });
    expect(Object.keys(wgsl.wgsl)).toEqual(["forward", "backward.sumprod"]);
    await expect(wgsl.wgsl["forward"]).toMatchFileSnapshot("golden/transformer.forward.wgsl");
    await expect(wgsl.wgsl["backward.sumprod"]).toMatchFileSnapshot("golden/transformer.sumprod.wgsl");
  });

  // Each kernel numbers its own temporaries t0, t1…, so a change to one kernel leaves the names
  // in every other kernel (and the rest of a golden diff) as they were.
  test("temporaries are numbered per kernel in JS and WGSL", () => {
    const sr = [semiringByName("maxprod")];
    const tempsOf = (block: string) => [...new Set([...block.matchAll(/\b(?:const|let) (t\d+) =/g)].map((m) => m[1]!))];
    const firsts = (blocks: string[]) => blocks.map(tempsOf).filter((ts) => ts.length > 0);
    const js = firsts(compileGraph(transformer, { semirings: sr }).js.js.split(/\n\s*\{ \/\/ /).slice(1));
    const wgsl = Object.values(compileGraphWgsl(transformer, { semirings: sr }).wgsl.wgsl).flatMap((src) => firsts(src.split(/\n@compute /).slice(1)));
    for (const ts of [...js, ...wgsl]) expect(ts).toEqual(ts.map((_, n) => `t${n}`));
    expect(js.length).toBeGreaterThan(20);
    expect(wgsl.length).toBeGreaterThan(20);
  });

  test("mlp × sumprod+maxprod+entropy (.d.ts)", async () => {
    const sr = ["sumprod", "maxprod", "entropy"].map((n) => semiringByName(n));
    const { js } = compileGraph(mlp, { semirings: sr, wasmFile: "mlp.sumprod+maxprod+entropy.wasm" });
    await expect(js.dts).toMatchFileSnapshot("golden/mlp.sumprod+maxprod+entropy.d.ts");
  });

  test("generation is deterministic", () => {
    const sr = semiringNames.map((n) => semiringByName(n));
    const a = compileGraph(loadModel("examples/mlp.ts").graph, { semirings: sr }).js.js;
    const b = compileGraph(loadModel("examples/mlp.ts").graph, { semirings: sr }).js.js;
    expect(a).toBe(b);
  });

  test("maxprod code calls no semiring object: ⊕ and ⊗ are inlined", () => {
    const { js } = compileGraph(mlp, { semirings: [semiringByName("maxprod")] });
    const backward = js.js.slice(js.js.indexOf("function maxprodBackward"), js.js.indexOf("const adjoints"));
    expect(backward).toMatch(/Math\.max\(/);
    expect(backward).not.toMatch(/\b(plus|times|lift|scale)\(/);
  });
});
