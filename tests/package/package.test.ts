// semic as a user installs it: `npm pack` of a copy of the repository (so the build it runs never
// replaces the dist/ other tests may be using), the tarball installed into a fresh project, then
// `npx semic run` on a shipped example, `semic` on the user's own model, a plain-Node
// `import { compile } from "semic"`, and tsc over a consumer of the "semic", "semic/dsl" and
// "semic/runtime" declarations. npm installs from its cache when it can (`npm ci` has filled it).

import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compile } from "../../compiler/compileModel.ts";
import { importModule } from "../../compiler/compile.ts";
import { loadTensorFile } from "../../runtime/weights.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// What `npm pack` reads: the package's own files plus the sources and configs its build needs.
const PACKED = ["package.json", "package-lock.json", "README.md", "tsconfig.json", "tsconfig.build.json", "bin", "ir", "compiler", "runtime", "examples", "tsserver"];

interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: readonly string[], cwd: string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    // npm_config_* of the npm running the tests (e.g. `npm test`) would leak into these npm calls.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")));
    const child = spawn(cmd, args, { cwd, env: { ...env, SEMIC_DEBUG: "" } });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The installed `semic` (what `npx semic` runs, without npx's own start-up). */
const semic = (args: readonly string[]) => ok(process.execPath, [join(app, "node_modules/.bin/semic"), ...args], app);

async function ok(cmd: string, args: readonly string[], cwd: string): Promise<Exec> {
  const r = await exec(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r;
}

/** A model of the user's own: y = Σ x·w, so ∂y/∂x = w. */
const userModel = `import { input, model, mul, param, sum } from "semic/dsl";

export default model("dot", { n: 3 }, ({ n }) => sum(mul(input("x", [n]), param("w", [n]))));
`;

/** Plain-Node use of the API, as in the README, with params read through semic/runtime. */
const apiScript = `import { compile, importModule } from "semic";
import { readJsonTensors } from "semic/runtime";

const compiled = await compile("dot.ts", { semirings: ["sumprod", "maxprod"], config: { n: "3" } });
const { createModel } = await importModule(compiled);
const w = readJsonTensors('{"w": [0.5, -2, 3]}').get("w").data;
const { output, results } = createModel({ w }).run({ x: [1, 2, 4] });
console.log(JSON.stringify({ files: [...compiled.files.keys()], output, grad: Array.from(results.sumprod.wrt.x.value), best: results.maxprod.topPathValue }));
`;

/** A TypeScript consumer of the three entry points' declarations. */
const consumer = `import { compile, type CompiledModel } from "semic";
import { input, model, param, sum, mul } from "semic/dsl";
import { readSafetensors, dawnDevice } from "semic/runtime";

export const m = model("t", {}, () => sum(mul(input("x", [2]), param("w", [2]))));
export const pending: Promise<CompiledModel> = compile("dot.ts", { semirings: ["sumprod"], target: "js" });
export const read: typeof readSafetensors = readSafetensors;
export const device: () => Promise<unknown> = dawnDevice;
// @ts-expect-error the target is "js" or "wgsl"
export const wrong = compile("dot.ts", { semirings: ["sumprod"], target: "glsl" });
`;

const tsconfig = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: [] },
  files: ["consumer.ts"],
};

let tmp: string;
let app: string;
let tarball: string;
const npm = "npm";
const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "semic-package-"));
  const stage = join(tmp, "stage");
  for (const p of PACKED) cpSync(join(ROOT, p), join(stage, p), { recursive: true, filter: (src) => !src.endsWith(".tsbuildinfo") });
  symlinkSync(join(ROOT, "node_modules"), join(stage, "node_modules"), "dir");
  const packed = await ok(npm, ["pack", "--json", "--pack-destination", tmp, ...quiet], stage);
  tarball = join(tmp, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);

  app = join(tmp, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // webgpu (optional, a native Dawn build) is left out: these checks run the JS target.
  await ok(npm, ["install", tarball, "--prefer-offline", "--omit=optional", ...quiet], app);
  writeFileSync(join(app, "dot.ts"), userModel);
  writeFileSync(join(app, "use.mjs"), apiScript);
  writeFileSync(join(app, "consumer.ts"), consumer);
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe.concurrent("the installed package", () => {
  test("ships the build, the examples and the DSL declarations, not the tests, the sources or tsx", () => {
    const pkg = join(app, "node_modules/semic");
    expect(readdirSync(pkg).sort()).toEqual(["README.md", "bin", "dist", "examples", "package.json", "tsserver"]);
    for (const f of ["dist/compiler/index.js", "dist/compiler/index.d.ts", "dist/compiler/cli.js", "dist/runtime/dsl.d.ts", "dist/runtime/index.d.ts", "examples/mlp.ts", "tsserver/index.js", "dist/compiler/plugin/tsserver.cjs"]) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(existsSync(join(pkg, "tests"))).toBe(false);
    expect(existsSync(join(app, "node_modules/tsx"))).toBe(false);
  });

  test("npx semic run on a shipped example gives the repository's answer", async () => {
    const ex = "node_modules/semic/examples";
    const r = await ok("npx", ["semic", "run", `${ex}/mlp.ts`, "--params", `${ex}/mlp.params.json`, "--inputs", `${ex}/mlp.inputs.json`, "-s", "sumprod", "--json"], app);
    const got = JSON.parse(r.stdout) as { output: number; results: { sumprod: { wrt: { x: { value: number[] } } } } };

    // The same model compiled and run here from the sources.
    const ref = await compile(join(ROOT, "examples/mlp.ts"), { semirings: ["sumprod"], precision: "f64" });
    const tensors = (file: string) => Object.fromEntries([...loadTensorFile(join(ROOT, "examples", file))].map(([k, t]) => [k, t.data]));
    const want = (await importModule(ref)).createModel(tensors("mlp.params.json")).run(tensors("mlp.inputs.json"));
    expect(got.output).toBeCloseTo(want.output, 10);
    expect(got.results.sumprod.wrt.x.value).toEqual(Array.from(want.results["sumprod"]!.wrt["x"]!.value));
  });

  test("semic compiles and runs the user's own model importing semic/dsl", async () => {
    writeFileSync(join(app, "dot.params.json"), JSON.stringify({ w: [0.5, -2, 3] }));
    writeFileSync(join(app, "dot.inputs.json"), JSON.stringify({ x: [1, 2, 4] }));
    const [run, compiled, version] = await Promise.all([
      semic(["run", "dot.ts", "--params", "dot.params.json", "--inputs", "dot.inputs.json", "-s", "sumprod", "--json"]),
      semic(["compile", "dot.ts", "-s", "maxprod", "-o", "gen"]),
      semic(["--version"]),
    ]);
    const got = JSON.parse(run.stdout) as { output: number; results: { sumprod: { wrt: { x: { value: number[] } } } } };
    expect(got.output).toBe(0.5 - 4 + 12);
    expect(got.results.sumprod.wrt.x.value).toEqual([0.5, -2, 3]);
    expect(compiled.stdout).toMatch(/^wrote gen\/dot\.maxprod\.js, gen\/dot\.maxprod\.d\.ts /);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test("a user error from the installed CLI is one located line and exit 1", async () => {
    writeFileSync(join(app, "bad.ts"), `import { input, model, sum } from "semic/dsl";\nexport default model("bad", {}, () => sum(input("x", [2]), 7));\n`);
    const r = await exec(process.execPath, [join(app, "node_modules/.bin/semic"), "compile", "bad.ts", "-s", "sumprod"], app);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^semic: bad\.ts:2:\d+: /);
  });

  test("plain Node imports compile from semic (and a reader from semic/runtime) and runs the module it returns", async () => {
    const r = await ok(process.execPath, ["use.mjs"], app);
    expect(JSON.parse(r.stdout)).toEqual({ files: ["dot.sumprod+maxprod.js", "dot.sumprod+maxprod.d.ts"], output: 8.5, grad: [0.5, -2, 3], best: 3 });
  });

  test("the declarations of semic, semic/dsl and semic/runtime type-check a strict consumer (skipLibCheck off)", async () => {
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const r = await exec(process.execPath, [tsc, "-p", "tsconfig.json"], app);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});
