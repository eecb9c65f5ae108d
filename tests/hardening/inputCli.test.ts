// Bad input through the CLI, as a user meets it: every case is one located line, exit 1, and no
// output left behind — TypeScript syntax errors, non-finite weights, duplicate names, limits a
// model or an option runs into, and the messages that used to point the wrong way.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadTensorFile, writeSafetensors } from "../../runtime/weights.ts";
import { expectUserError, ROOT, spawnSemic } from "../cliSpawn.ts";

const MLP = join(ROOT, "examples/mlp.ts");
const PARAMS = join(ROOT, "examples/mlp.params.json");
const INPUTS = join(ROOT, "examples/mlp.inputs.json");

// Spawns share the cores with the rest of the suite: a generous bound, not a speed requirement.
const SPAWN_TIMEOUT = 180_000;

let tmp: string;
const semic = (args: readonly string[]) => spawnSemic(args, tmp);
const run = (params: string, inputs: string, ...extra: string[]) =>
  semic(["run", MLP, "--params", params, "--inputs", inputs, "-s", "sumprod", ...extra]);

/** A DSL model file whose body is `body` (x = input("x", [4]) is declared). */
const model = (body: string, imports = "input, model, sum") => `import { ${imports} } from "semic/dsl";

export default model("m", () => {
  const x = input("x", [4]);
${body}
});
`;

const files: Record<string, string> = {
  "syntax.ts": `import { input, model, sum } from "semic/dsl";

export default model("m", () => {
  const x = input("x", [4];
  return sum(x);
});
`,
  "helper.ts": `export const twice = (n: number) => n * 2 +;\n`,
  "usesHelper.ts": `import { twice } from "./helper.ts";\n${model("  return sum(x);").replace('model("m"', "model(`m${twice(1)}`")}`,
  "unknownOp.ts": model("  return sum(absolute(x));", "absolute, input, model, sum"),
  "dupInput.ts": model('  const y = input("x", [4]);\n  return sum(add(x, y));', "add, input, model, sum"),
  "dupLabel.ts": model(
    '  const a = branch(x, "b");\n  const c = branch(x, "b");\n  return sum(add(a, c));',
    "add, branch, input, model, sum",
  ),
  "loop.ts": model("  let n = 0;\n  for (let i = 0; i < 1e9; i++) n = n + 1;\n  return sum(x);"),
  "nested.ts": model("  let n = 0;\n  for (let i = 0; i < 1000; i++) for (let j = 0; j < 1000; j++) n = n + 1;\n  return sum(x);"),
  "many.ts": model("  let y = x;\n  for (let i = 0; i < 25000; i++) y = relu(y);\n  return sum(y);", "input, model, relu, sum"),
  "abs.ts": model("  return sum(Math.abs(x));"),
};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "semic-input-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
  // The MLP's params with w1[3][2] NaN and w1[1][1] +∞, as safetensors.
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of loadTensorFile(PARAMS)) tensors[k] = { shape: v.shape, data: Float32Array.from(v.data) };
  tensors["w1"]!.data[3 * 4 + 2] = NaN;
  tensors["w1"]!.data[1 * 4 + 1] = Infinity;
  writeFileSync(join(tmp, "nan.safetensors"), writeSafetensors(tensors));
  const inputs = JSON.parse(readFileSync(INPUTS, "utf8")) as Record<string, unknown>;
  const params = JSON.parse(readFileSync(PARAMS, "utf8")) as Record<string, unknown>;
  writeFileSync(join(tmp, "paramInInputs.json"), JSON.stringify({ ...inputs, b2: params["b2"] }));
  writeFileSync(join(tmp, "overflow.json"), `{"x": [1, 2, 1e999, 4]}`);
  // 200 000 ops of textual IR: refused from its size, before the parse.
  const relus = Array.from({ length: 200_000 }, (_, i) => `  %${i + 1} = relu %${i} : f32[4]`);
  writeFileSync(
    join(tmp, "big.semic"),
    [
      "model @big {",
      '  %0 = input {name = "x", shape = [4]} : f32[4]',
      ...relus,
      "  %200001 = sum %200000 : f32[]",
      "  return %200001",
      "}",
      "",
    ].join("\n"),
  );
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.concurrent("TypeScript's own errors", { timeout: SPAWN_TIMEOUT }, () => {
  test("a syntax error in the model file is located, with TypeScript's message, and nothing is written", async () => {
    expectUserError(
      await semic(["compile", "syntax.ts", "-s", "sumprod", "-o", "out-syntax"]),
      /^semic: syntax\.ts:4:27: '\)' expected \(TypeScript TS1005\)$/,
    );
    expect(existsSync(join(tmp, "out-syntax"))).toBe(false);
  });

  test("a syntax error in a file the model imports is located in that file", async () => {
    expectUserError(
      await semic(["compile", "usesHelper.ts", "-s", "sumprod", "-o", "out-helper"]),
      /^semic: helper\.ts:1:44: Expression expected \(TypeScript TS1109\)$/,
    );
    expect(existsSync(join(tmp, "out-helper"))).toBe(false);
  });

  test("importing an op semic/dsl does not have", async () => {
    expectUserError(
      await semic(["ir", "unknownOp.ts"]),
      /^semic: unknownOp\.ts:1:10: Module '"semic\/dsl"' has no exported member 'absolute' \(TypeScript TS2305\)$/,
    );
  });
});

describe.concurrent("weights and inputs", { timeout: SPAWN_TIMEOUT }, () => {
  test("NaN or ±Infinity in a safetensors param names the file, tensor and element", async () => {
    expectUserError(
      await run("nan.safetensors", INPUTS),
      /^semic: param w1: w1\[1\]\[1\] is Infinity in nan\.safetensors \(2 non-finite values in all\); weights and inputs must be finite/,
    );
  });

  test("a JSON number beyond f64 (1e999 parses as Infinity) is refused at its element", async () => {
    expectUserError(
      await run(PARAMS, "overflow.json"),
      /^semic: overflow\.json: tensor 'x': x\[2\]: expected a finite number, got Infinity$/,
    );
  });

  test("a param placed in the inputs file is said to belong in --params", async () => {
    expectUserError(
      await run(PARAMS, "paramInInputs.json"),
      /^semic: b2 \[3\] in paramInInputs\.json is a param of the model: it belongs in the params file \(--params\)$/,
    );
  });
});

describe.concurrent("duplicate names", { timeout: SPAWN_TIMEOUT }, () => {
  test("a second input of the same name is an error at the second, naming the first", async () => {
    expectUserError(
      await semic(["ir", "dupInput.ts"]),
      /^semic: dupInput\.ts:5:13: input "x": the name is already used by the input at dupInput\.ts:4:13 \(.*reuse the tensor the first input\(\) returned\)$/,
    );
  });

  test("a repeated branch() label", async () => {
    expectUserError(
      await semic(["ir", "dupLabel.ts"]),
      /^semic: dupLabel\.ts:6:13: branch "b": the name is already used by the branch at dupLabel\.ts:5:13 /,
    );
  });
});

describe.concurrent("limits, checked before compiling", { timeout: SPAWN_TIMEOUT }, () => {
  test("--topk is bounded, and says why", async () => {
    expectUserError(
      await semic(["compile", MLP, "-s", "topk", "--topk", "1000000", "-o", "out-topk"]),
      /^semic: --topk: at most 64, got 1000000: .* grow as k²$/,
    );
    expect(existsSync(join(tmp, "out-topk"))).toBe(false);
  });

  test("--config hidden=1e9 is refused with the estimate, not a WebAssembly error", async () => {
    expectUserError(
      await semic(["compile", MLP, "-s", "sumprod", "--config", "hidden=1e9", "-o", "out-huge"]),
      /^semic: model "mlp" \(12 nodes, sumprod\) needs an estimated [\d.]+ GiB of buffers, but the js target keeps them in one WebAssembly memory of at most 4 GiB .*; estimate: buffers [\d.]+ GiB \(forward [\d.]+ GiB, sumprod adjoints/,
    );
    expect(existsSync(join(tmp, "out-huge"))).toBe(false);
  });

  test("--max-memory lowers the limit; the message carries the estimate", async () => {
    const [low, bad] = await Promise.all([
      run(PARAMS, INPUTS, "--config", "hidden=10000000", "--max-memory", "64M"),
      semic(["compile", MLP, "-s", "sumprod", "--max-memory", "lots"]),
    ]);
    expectUserError(
      low,
      /^semic: model "mlp" \(12 nodes, sumprod\) needs an estimated [\d.]+ [MG]iB, over the limit of 64\.0 MiB \(--max-memory\); estimate: /,
    );
    expectUserError(bad, /^semic: --max-memory: expected a size such as 8G, 512M or a number of bytes, got "lots"$/);
  });

  test("a model with too many nodes for one WebAssembly module", async () => {
    expectUserError(
      await semic(["compile", "many.ts", "-s", "sumprod,maxprod,entropy", "-o", "out-many"]),
      /^semic: model "m" \(25002 nodes, sumprod, maxprod, entropy\) needs up to \d+ kernels, over WebAssembly's limit of 100000 exports/,
    );
    expect(existsSync(join(tmp, "out-many"))).toBe(false);
  });

  test("a textual-IR file of 200 000 ops", async () => {
    expectUserError(
      await semic(["compile", "big.semic", "-s", "sumprod", "-o", "out-big"]),
      /^semic: big\.semic: 200002 nodes: a model this large cannot be compiled within Node's heap limit \(at most about \d+ nodes/,
    );
    expect(existsSync(join(tmp, "out-big"))).toBe(false);
  });

  test.each([
    ["loop.ts", "6:3"],
    ["nested.ts", "6:34"],
  ])("a runaway loop (%s) is stopped by the evaluator's step budget", async (file, at) => {
    expectUserError(
      await semic(["ir", file]),
      new RegExp(`^semic: ${file.replace(".", "\\.")}:${at}: the model takes more than 200000 loop iterations and helper calls`),
    );
  });
});

describe.concurrent("messages that point at the fix", { timeout: SPAWN_TIMEOUT }, () => {
  test("Math.abs on a tensor: there is no abs op, and how to write it", async () => {
    expectUserError(
      await semic(["ir", "abs.ts"]),
      /^semic: abs\.ts:5:14: Math\.abs needs compile-time numbers, got a tensor f32\[4\]: there is no abs op; write add\(relu\(x\), relu\(neg\(x\)\)\)$/,
    );
  });

  test("--config hidden=2.5 names the fractional dimension", async () => {
    expectUserError(
      await semic(["ir", MLP, "--config", "hidden=2.5"]),
      /^semic: .*mlp\.ts:9:33: param: argument 2 must be an array of integers known at compile time, got \[2\.5, 4\] \(element 0 is 2\.5, not an integer\)$/,
    );
  });

  test("--wrt takes names, comma-separated or several, and never the model path after them", async () => {
    const [before, spaced] = await Promise.all([
      semic(["compile", "--wrt", "x", MLP, "-s", "sumprod", "-o", "out-wrt1"]),
      semic(["compile", "--wrt", "x,h", "w1", MLP, "-s", "sumprod", "-o", "out-wrt2"]),
    ]);
    for (const r of [before, spaced]) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const dts = readFileSync(join(tmp, "out-wrt2", "mlp.sumprod.d.ts"), "utf8");
    expect(dts).toMatch(/"x" \| "h" \| "w1"/);
  });
});
