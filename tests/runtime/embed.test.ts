// Each generated module embeds only the run time its target and semirings use
// (compiler/backends/embed.ts), and every combination of parts is a valid module on its own.

import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { buildBackward, defaultWrt } from "../../compiler/backward.ts";
import { declarationSource, jsModuleRuntime, wgslModuleRuntime } from "../../compiler/backends/embed.ts";
import { renderJsModule } from "../../compiler/backends/js/module.ts";
import { renderWgslModule } from "../../compiler/backends/wgsl/module.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { semirings } from "../../ir/semirings/index.ts";

const g = loadModel("examples/mlp.ts").graph;
const plan = buildBackward(g, defaultWrt(g));

/** Names of the run time's parts, as their functions are declared in a module's text. */
const declares = (js: string, name: string) => new RegExp(`^function ${name}\\(`, "m").test(js);

describe("embedded run time", () => {
  test("a WebGPU module carries no WebAssembly, threads or JS-module runner; the path walk only with a selecting semiring", () => {
    const plain = renderWgslModule(plan, [semirings.sumprod]).js;
    for (const absent of ["WebAssembly", "worker_threads", "instantiateKernels", "startThreads", "makeModel", "newMemory", "walkPath"]) expect(plain).not.toContain(absent);
    expect(declares(plain, "semiringResult")).toBe(true);
    expect(declares(renderWgslModule(plan, [semirings.sumprod, semirings.maxprod]).js, "topPaths")).toBe(true);
  });

  test("a JS module carries kernels and threads only when it has them, the path walk only with a selecting semiring", () => {
    const loops = renderJsModule(plan, [semirings.sumprod], { wasm: false }).js;
    expect(declares(loops, "makeModel")).toBe(true);
    for (const absent of ["instantiateKernels", "startThreads", "walkPath", "wasmKernels"]) expect(loops).not.toContain(absent);
    const simd = renderJsModule(plan, [semirings.maxprod]).js;
    expect(declares(simd, "instantiateKernels")).toBe(true);
    expect(declares(simd, "topPaths")).toBe(true);
    // The MLP's kernels are too small to split over threads.
    expect(simd).not.toContain("startThreads");
  });

  test.each([
    ["JS, every part", jsModuleRuntime({ kernels: true, threads: true, paths: true })],
    ["JS, no part", jsModuleRuntime({ kernels: false, threads: false, paths: false })],
    ["WebGPU, path walk", wgslModuleRuntime({ paths: true })],
    ["WebGPU, no path walk", wgslModuleRuntime({ paths: false })],
  ])("%s: one valid module (no name declared twice, no import left)", async (_, text) => {
    expect(text).not.toMatch(/^\s*(import|export) /m);
    await import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(`${text}\nexport {};`).toString("base64")}`);
  });

  test("generated .d.ts files declare the result types of runtime/module/types.ts, verbatim", () => {
    const source = readFileSync("runtime/module/types.ts", "utf8");
    const types = declarationSource("module/types.ts");
    expect(source.endsWith(`${types}\n`)).toBe(true);
    expect(types.startsWith("export interface Tensor {")).toBe(true);
    expect(renderJsModule(plan, [semirings.sumprod]).dts).toContain(types);
    expect(renderWgslModule(plan, [semirings.sumprod]).dts).toContain(types);
  });
});
