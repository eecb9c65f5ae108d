// Generated code is part of the product: snapshots of it are committed and reviewed as diffs
// (regenerate intended changes with `npx vitest run tests/golden.test.ts -u`).

import { describe, expect, test } from "vitest";
import { compileGraph } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import { printGraph } from "../ir/text/index.ts";
import { semiringNames, semiringByName } from "../ir/semirings/index.ts";

const mlp = loadModel("examples/mlp.ts").graph;

describe("golden generated code", () => {
  test("mlp IR", async () => {
    await expect(printGraph(mlp)).toMatchFileSnapshot("golden/mlp.ir");
  });

  test.each(semiringNames)("mlp × %s", async (name) => {
    // As semic compile writes it: the WebAssembly kernels in a file beside the module.
    const { js } = compileGraph(mlp, { semirings: [semiringByName(name, { k: 2 })], wasmFile: `mlp.${name}.wasm` });
    await expect(js.js).toMatchFileSnapshot(`golden/mlp.${name}.js`);
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
