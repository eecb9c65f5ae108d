// Generated code as a user gets it: `semic compile` writes the module for every built-in
// semiring, a fresh Node process (no tsx, no vitest) imports and runs it on the MLP sample, and
// the results are checked against the reference interpreter (forward) and the brute-force path
// oracle (every semiring's adjoints). The emitted .d.ts must type-check a small consumer.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadModel } from "../compiler/frontend/index.ts";
import { namedNodes, type Graph } from "../ir/graph.ts";
import { interpret } from "../ir/interpret.ts";
import { semiringByName, semiringNames } from "../ir/semirings/index.ts";
import { loadTensorFile } from "../runtime/weights.ts";
import { expectLanesClose } from "./oracle/check.ts";
import { bruteForce } from "./oracle/paths.ts";
import { scalarize, type ScalarGraph } from "./oracle/scalarize.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PARAMS = join(ROOT, "examples/mlp.params.json");
const INPUTS = join(ROOT, "examples/mlp.inputs.json");
const WRT = ["x", "h", "w1"];
const MODULE = `mlp.${semiringNames.join("+")}`;

function exec(cmd: string, args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Imports the module in plain Node and prints its results as JSON (typed arrays as arrays, ±Infinity as strings). */
const runner = `import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [modulePath, paramsPath, inputsPath] = process.argv.slice(2);
const { createModel } = await import(pathToFileURL(modulePath).href);
const read = (p) => Object.fromEntries(Object.entries(JSON.parse(readFileSync(p, "utf8"))).map(([k, v]) => [k, [v].flat(Infinity)]));
const model = createModel(read(paramsPath));
const inputs = read(inputsPath);
const { output, results } = model.run(inputs);
const plain = (t) => ({ shape: t.shape, value: Array.from(t.value), lanes: Object.fromEntries(Object.entries(t.lanes).map(([k, v]) => [k, Array.from(v)])) });
const out = {
  forward: model.forward(inputs),
  output,
  results: Object.fromEntries(Object.entries(results).map(([name, r]) => [name, { wrt: Object.fromEntries(Object.entries(r.wrt).map(([w, t]) => [w, plain(t)])), topPath: r.topPath }])),
};
console.log(JSON.stringify(out, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)));
`;

/** A consumer of the generated .d.ts: what must type-check, and what must not. */
const consumer = `import { createModel, meta, type Inputs, type Params, type SemiringName } from "./${MODULE}.js";

const params: Params = { w1: new Float32Array(64), b1: new Float32Array(16), w2: new Float32Array(48), b2: [0, 0, 0] };
const inputs: Inputs = { x: [1, 2, 3, 4] };
const model = createModel(params);
const out: number = model.forward(inputs);
const { output, results } = model.run(inputs, { semirings: ["maxprod", "sumprod"], wrt: ["x"], aggregate: { h: [0] }, topPath: { from: "x", index: [0] } });
const gradient: Float64Array = results.sumprod.wrt.h.value;
const hi: Float32Array | Float64Array | undefined = results.maxprod.wrt.x.lanes["hi"];
const steps: { op: string; tensor: string; index: number[]; weight: number }[] | undefined = results.maxprod.topPath;
const head: number[] = results.entropy.branches.head.shape;
const names: SemiringName[] = meta.semirings.map((s) => s.name);
export { gradient, head, hi, names, out, output, steps };

// @ts-expect-error: not a compiled semiring
model.run(inputs, { semirings: ["nope"] });
// @ts-expect-error: not a wrt tensor
export const missing = results.sumprod.wrt.nope;
// @ts-expect-error: b2 is missing
createModel({ w1: [], b1: [], w2: [] });
`;

const tsconfig = {
  compilerOptions: { strict: true, noEmit: true, target: "ES2022", module: "ESNext", moduleResolution: "bundler", lib: ["ES2022"], types: [] },
  files: ["consumer.ts"],
};

interface Plain {
  shape: number[];
  value: (number | string)[];
  lanes: Record<string, (number | string)[]>;
}
interface RunnerOutput {
  forward: number;
  output: number;
  results: Record<string, { wrt: Record<string, Plain>; topPath?: { weight: number }[] }>;
}

const num = (v: number | string) => (typeof v === "string" ? Number(v) : v);

let tmp: string;
let run: RunnerOutput;
let typecheck: Promise<{ code: number | null; stdout: string; stderr: string }>;
let graph: Graph;
let feeds: Record<string, Float64Array>;
let sg: ScalarGraph;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "semic-import-"));
  const compiled = exec(process.execPath, [join(ROOT, "bin/semic.js"), "compile", "examples/mlp.ts", "-s", semiringNames.join(","), "--wrt", ...WRT, "-o", tmp], ROOT);
  graph = loadModel(join(ROOT, "examples/mlp.ts")).graph;
  feeds = {};
  for (const [k, v] of new Map([...loadTensorFile(PARAMS), ...loadTensorFile(INPUTS)])) feeds[k] = Float64Array.from(v.data);
  sg = scalarize(graph, feeds);

  const c = await compiled;
  if (c.code !== 0) throw new Error(`semic compile failed: ${c.stderr}`);
  writeFileSync(join(tmp, "runner.mjs"), runner);
  writeFileSync(join(tmp, "consumer.ts"), consumer);
  writeFileSync(join(tmp, "tsconfig.json"), JSON.stringify(tsconfig));
  typecheck = exec(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", tmp], tmp);
  const r = await exec(process.execPath, ["runner.mjs", join(tmp, `${MODULE}.js`), PARAMS, INPUTS], tmp);
  if (r.code !== 0) throw new Error(`importing the generated module failed: ${r.stderr}`);
  run = JSON.parse(r.stdout) as RunnerOutput;
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Buffers are f32 by default, the oracles float64.
const RTOL = 1e-5, ATOL = 1e-6;

describe("the generated module, imported in a fresh Node process", () => {
  test("forward equals the reference interpreter", () => {
    const want = interpret(graph, feeds).values[graph.output]![0]!;
    expectLanesClose([run.forward, run.output], [want, want], RTOL, "output", ATOL);
  });

  test.each(semiringNames.map((n) => [n]))("%s: every wrt adjoint equals the brute-force oracle", (name) => {
    const sr = semiringByName(name);
    const named = namedNodes(graph);
    for (const w of WRT) {
      const want = bruteForce(graph, feeds, sr, named.get(w)!.id, sg);
      const got = run.results[name]!.wrt[w]!;
      sr.lanes.forEach((lane, l) => expectLanesClose(got.lanes[lane]!.map(num), want.map((v) => v[l]!), RTOL, `${name} ∂/∂${w} lane ${lane}`, ATOL));
    }
  });

  test("the .d.ts type-checks a consumer (and rejects wrong names)", async () => {
    const r = await typecheck;
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
