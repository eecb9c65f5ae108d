// The `semic` CLI end to end: spawns `node bin/semic.js` (each spawn pays the tsx + ts-morph
// start-up, so commands are batched and run concurrently) on examples/mlp.ts and checks files,
// the §3 JSON against the interpreter and finite differences, the readable report, the textual-IR
// path, and that user errors are one located line with exit code 1 and leave no output behind.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { GeneratedModel } from "../compiler/compile.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import type { Graph } from "../ir/graph.ts";
import { interpret } from "../ir/interpret.ts";
import { semiringNames } from "../ir/semirings/index.ts";
import { printGraph } from "../ir/text/index.ts";
import { loadTensorFile, writeSafetensors } from "../runtime/weights.ts";
import { expectUserError, ROOT, spawnSemic, type Spawned } from "./cliSpawn.ts";
import { expectLanesClose, splitFeeds } from "./oracle/check.ts";
import { finiteDiff } from "./oracle/finiteDiff.ts";

const MLP = join(ROOT, "examples/mlp.ts");
const PARAMS = join(ROOT, "examples/mlp.params.json");
const INPUTS = join(ROOT, "examples/mlp.inputs.json");

/** Runs the CLI in `cwd` (the temp dir by default). */
const semic = (args: readonly string[], cwd = tmp): Promise<Spawned> => spawnSemic(args, cwd);

/** A spawn started once and shared by the tests that read it. */
function shared(args: () => readonly string[]): () => Promise<Spawned> {
  let p: Promise<Spawned> | undefined;
  return () => (p ??= semic(args()));
}

/** JSON numbers written as "Infinity"/"-Infinity" strings, back to numbers. */
const parseJson = (text: string): unknown =>
  JSON.parse(text, (_k, v: unknown) => (v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v));

interface JsonTensor {
  shape: number[];
  value: unknown;
  lanes?: Record<string, unknown>;
  axes?: number[];
}
interface JsonResult {
  wrt: Record<string, JsonTensor>;
  branches: Record<string, JsonTensor>;
  topPath?: { op: string; tensor: string; index: number[]; weight: number }[];
  aggregated?: Record<string, JsonTensor>;
}
interface JsonRun {
  output: number;
  results: Record<string, JsonResult>;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
const shapeOf = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

let tmp: string;
let graph: Graph;
let feeds: Record<string, Float64Array>;
let reference: number;

const userSemirings = `import { defineSemiring } from "semic/dsl";
// log of the largest |path product|, like the built-in maxabs.
export const maxplus = defineSemiring({
  name: "maxplus",
  lanes: ["v"],
  zero: [-Infinity],
  one: [0],
  plus: ([a], [b]) => [Math.max(a!, b!)],
  times: (a, b) => [a[0]! + b[0]!],
  lift: (w) => [Math.log(Math.abs(w))],
  readout: (a) => a[0]!,
  idempotentPlus: true,
});
`;

const badModel = `import { input, matmul, model, param, sum } from "semic/dsl";

export default model("bad", () => {
  const x = input("x", [4]);
  return sum(matmul(x, param("w", [3, 2])));
});
`;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "semic-cli-"));
  graph = loadModel(MLP).graph;
  feeds = {};
  const given = new Map([...loadTensorFile(PARAMS), ...loadTensorFile(INPUTS)]);
  for (const [k, v] of given) feeds[k] = Float64Array.from(v.data);
  reference = interpret(graph, feeds).values[graph.output]![0]!;

  writeFileSync(join(tmp, "semirings.ts"), userSemirings);
  writeFileSync(join(tmp, "bad.ts"), badModel);
  const params = JSON.parse(readFileSync(PARAMS, "utf8")) as Record<string, number[][]>;
  writeFileSync(join(tmp, "wrong.json"), JSON.stringify({ ...params, w1: params["w1"]!.slice(0, 5) }));
  // A checkpoint with a tensor the model does not use, and the same file cut short.
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = { "pooler.weight": { shape: [2], data: new Float32Array([1, 2]) } };
  for (const [k, v] of loadTensorFile(PARAMS)) tensors[k] = { shape: v.shape, data: v.data as Float32Array };
  const bytes = writeSafetensors(tensors);
  writeFileSync(join(tmp, "ckpt.safetensors"), bytes);
  writeFileSync(join(tmp, "truncated.safetensors"), bytes.subarray(0, bytes.length - 40));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const runArgs = (model: string) => ["run", model, "--params", PARAMS, "--inputs", INPUTS, "-s", "sumprod,maxprod,entropy,maxabs", "--wrt", "x", "h", "w1", "--aggregate", "h:0", "--json"];
const tsRun = shared(() => runArgs(MLP));

describe.concurrent("semic compile", () => {
  test("every built-in semiring in one module", async () => {
    const r = await semic(["compile", MLP, "--semiring", semiringNames.join(","), "-o", "all"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const base = `mlp.${semiringNames.join("+")}`;
    expect(r.stdout).toContain(join("all", `${base}.js`));
    expect(readdirSync(join(tmp, "all")).sort()).toEqual([`${base}.d.ts`, `${base}.js`, `${base}.wasm`]); // no temporaries left
    const mod = (await import(pathToFileURL(join(tmp, "all", `${base}.js`)).href)) as { createModel: (p: object) => GeneratedModel };
    const { params, inputs } = splitFeeds(graph, feeds);
    const { output, results } = mod.createModel(params).run(inputs);
    expect(Object.keys(results)).toEqual([...semiringNames]);
    expect(output).toBeCloseTo(reference, 5); // f32 buffers by default
  });

  test.each([["maxprod"], ["entropy"], ["topk", "--topk", "2"]])("a single semiring: %s", async (name, ...extra) => {
    const r = await semic(["compile", MLP, "-s", name, "-o", `single-${name}`, ...extra]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const mod = (await import(pathToFileURL(join(tmp, `single-${name}`, `mlp.${name}.js`)).href)) as { meta: { semirings: { name: string; lanes: string[] }[] } };
    expect(mod.meta.semirings.map((s) => s.name)).toEqual([name]);
    if (name === "topk") expect(mod.meta.semirings[0]!.lanes).toEqual(["hi1", "hi2", "lo1", "lo2"]);
  });

  test("--target wgsl writes the WebGPU module and one WGSL file per pass", async () => {
    const r = await semic(["compile", MLP, "-s", "sumprod,maxprod", "--target", "wgsl", "-o", "wgsl"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const files = readdirSync(join(tmp, "wgsl"));
    expect(files).toContain("mlp.sumprod+maxprod.webgpu.js");
    expect(files).toContain("mlp.sumprod+maxprod.webgpu.d.ts");
    expect(files).toContain("mlp.sumprod+maxprod.backward.maxprod.wgsl");
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("run --target wgsl runs the kernels on WebGPU and agrees with the JS run", async () => {
    const args = ["run", MLP, "--params", PARAMS, "--inputs", INPUTS, "-s", "sumprod,maxprod", "--json"];
    const [gpu, cpu] = await Promise.all([semic([...args, "--target", "wgsl"]), semic(args)]);
    if (gpu.code !== 0 && !process.env["CI"] && /no WebGPU adapter/.test(gpu.stderr)) return; // no driver here (CI installs one)
    expect(gpu.stderr).toBe("");
    expect(gpu.code).toBe(0);
    const [g, c] = [JSON.parse(gpu.stdout), JSON.parse(cpu.stdout)] as { output: number; results: Record<string, { wrt: Record<string, { value: number[] }>; topPath: unknown[] }> }[];
    expect(g!.output).toBeCloseTo(c!.output, 5);
    for (const sr of ["sumprod", "maxprod"]) {
      const [gv, cv] = [g!.results[sr]!.wrt["x"]!.value, c!.results[sr]!.wrt["x"]!.value];
      gv.forEach((v, i) => expect(v).toBeCloseTo(cv[i]!, 4));
    }
    expect(g!.results["maxprod"]!.topPath.length).toBe(c!.results["maxprod"]!.topPath.length);
  });

  test("a user semiring from --semirings-from equals the built-in it mirrors", async () => {
    const [r, ref] = await Promise.all([
      semic(["run", MLP, "--params", PARAMS, "--inputs", INPUTS, "-s", "maxplus", "--semirings-from", "semirings.ts", "--wrt", "x", "h", "w1", "--json"]),
      tsRun(),
    ]);
    expect(r.stderr).toBe("");
    const got = parseJson(r.stdout) as JsonRun, want = parseJson(ref.stdout) as JsonRun;
    for (const w of ["x", "h", "w1"]) expectLanesClose(flat(got.results["maxplus"]!.wrt[w]!.value), flat(want.results["maxabs"]!.wrt[w]!.value), 1e-12, w);
  });
});

describe.concurrent("semic run", () => {
  test("--json has the DESIGN.md §3 shape, the interpreter's output and the finite-difference gradient", async () => {
    const r = await tsRun();
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const j = parseJson(r.stdout) as JsonRun;
    expect(Object.keys(j)).toEqual(["output", "results"]);
    expect(j.output).toBeCloseTo(reference, 12);
    expect(Object.keys(j.results)).toEqual(["sumprod", "maxprod", "entropy", "maxabs"]);
    for (const [name, res] of Object.entries(j.results)) {
      expect(Object.keys(res.wrt)).toEqual(["x", "h", "w1"]);
      expect(res.wrt["w1"]!.shape).toEqual([16, 4]);
      expect(shapeOf(res.wrt["w1"]!.value)).toEqual([16, 4]);
      for (const lane of Object.values(res.wrt["w1"]!.lanes!)) expect(shapeOf(lane)).toEqual([16, 4]);
      expect(Object.keys(res.branches)).toEqual(["head"]);
      expect(Object.keys(res.branches["head"]!)).toEqual(["shape", "value"]);
      expect(res.aggregated!["h"]).toMatchObject({ axes: [0], shape: [] });
      expect("topPath" in res, name).toBe(name === "maxprod" || name === "maxabs");
    }
    const fd = finiteDiff(graph, feeds);
    for (const w of ["x", "w1"]) expectLanesClose(flat(j.results["sumprod"]!.wrt[w]!.value), fd[w]!, 1e-6, `∂/∂${w}`, 1e-8);
    // The top path's weights multiply to the maxprod value of the element it starts from.
    const path = j.results["maxprod"]!.topPath!;
    expect(path[0]).toMatchObject({ op: "input", tensor: "x", weight: 1 });
    expect(path.at(-1)).toMatchObject({ op: "pick", index: [] });
    const hi = flat(j.results["maxprod"]!.wrt["x"]!.lanes!["hi"])[path[0]!.index[0]!]!;
    expect(path.reduce((p, s) => p * s.weight, 1)).toBeCloseTo(hi, 12);
    // Inactive ReLU units cut every path of their w1 row: log 0, written as "-Infinity".
    expect(r.stdout).toContain(`"-Infinity"`);
    const pre = interpret(graph, feeds).values[3]!;
    const logs = flat(j.results["maxabs"]!.wrt["w1"]!.value);
    for (let u = 0; u < 16; u++) expect(logs[u * 4] === -Infinity).toBe(pre[u]! <= 0);
  });

  test("the readable report shows the output, the top path with running products, and timing", async () => {
    const r = await semic(["run", MLP, "--params", "ckpt.safetensors", "--inputs", INPUTS, "-s", "sumprod,maxprod"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("semic: ignoring 1 tensor(s) of ckpt.safetensors the model does not use: pooler.weight\n");
    expect(r.stdout).toContain(`output: ${Number(reference.toPrecision(6))}`);
    expect(r.stdout).toMatch(/^sumprod — reads gradient/m);
    expect(r.stdout).toMatch(/^maxprod — reads top path product \(hi\)/m);
    expect(r.stdout).toMatch(/top path from x\[\d\] \(lane value -?[\d.]+\):\n\s+step\s+op\s+tensor\s+index\s+weight\s+running product\n\s+0\s+input\s+x/);
    for (const op of ["linear", "relu", "log_softmax", "pick"]) expect(r.stdout).toMatch(new RegExp(`^\\s+\\d+\\s+${op}\\s`, "m"));
    expect(r.stdout).toMatch(/^timing: load .* compile .* run/m);
  });

  test("a textual-IR model (from `semic ir`) prints, compiles and runs the same as the .ts", async () => {
    const ir = await semic(["ir", MLP]);
    expect(ir.code).toBe(0);
    expect(ir.stdout).toBe(printGraph(graph).replace(/\n?$/, "\n"));
    writeFileSync(join(tmp, "mlp.semic"), ir.stdout);
    const [compiled, run, ref] = await Promise.all([semic(["compile", "mlp.semic", "-s", "maxprod", "-o", "fromir"]), semic(runArgs("mlp.semic")), tsRun()]);
    expect(compiled.code).toBe(0);
    expect(existsSync(join(tmp, "fromir", "mlp.maxprod.js"))).toBe(true);
    expect(run.stderr).toBe("");
    expect(parseJson(run.stdout)).toEqual(parseJson(ref.stdout));
  });
});

describe.concurrent("user errors: exit 1, one located line, no output left behind", () => {
  test("a shape error in the model file", async () => {
    const r = await semic(["compile", "bad.ts", "-s", "sumprod", "-o", "out-bad"]);
    expectUserError(r, /^semic: bad\.ts:5:14: matmul\(f32\[4\], f32\[3,2\]\): contracted dims differ/);
    expect(existsSync(join(tmp, "out-bad"))).toBe(false);
  });

  test("an unknown semiring lists the valid names", async () => {
    const r = await semic(["compile", MLP, "-s", "sumprod,bogus", "-o", "out-unknown"]);
    expectUserError(r, new RegExp(`^semic: unknown semiring "bogus" \\(valid names: ${semiringNames.join(", ")}\\)$`));
    expect(existsSync(join(tmp, "out-unknown"))).toBe(false);
  });

  test("a missing params file", async () => {
    expectUserError(await semic(["run", MLP, "--params", "nope.json", "--inputs", INPUTS, "-s", "sumprod"]), /^semic: nope\.json: cannot read tensor file \(no such file\)$/);
  });

  test("a wrong-shaped param", async () => {
    expectUserError(await semic(["run", MLP, "--params", "wrong.json", "--inputs", INPUTS, "-s", "sumprod"]), /^semic: param w1: expected \[16,4\], got \[5,4\] in wrong\.json$/);
  });

  test("a truncated safetensors file", async () => {
    expectUserError(await semic(["run", MLP, "--params", "truncated.safetensors", "--inputs", INPUTS, "-s", "sumprod"]), /^semic: truncated\.safetensors: .*truncated/);
  });
});
