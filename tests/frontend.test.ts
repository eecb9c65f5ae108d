// The DSL frontend: source snippets (in-memory files) → graphs, checked by op sequence, attributes
// and shapes; unsupported syntax and shape errors → located SemicErrors; defineSemiring → Sx.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, expect, test } from "vitest";
import { loadModel, loadSemirings, type LoadOptions } from "../compiler/frontend/index.ts";
import { openProject } from "../compiler/frontend/project.ts";
import * as dsl from "../runtime/dsl.ts";
import { SemicError, type Graph } from "../ir/graph.ts";
import * as S from "../ir/scalar.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";

const DSL = `import { add, branch, concat, constant, defineSemiring, div, exp, input, linear, logSoftmax, matmul, mean, model, mul, name, neg, param, pick, relu, reshape, slice, softmax, sub, sum, transpose, type Tensor } from "semic/dsl";`;

/** Loads `/model.ts` = the DSL import line + `src` (so `src` starts on line 2). */
function load(src: string, opts: LoadOptions & { files?: Record<string, string> } = {}) {
  return loadModel("/model.ts", { ...opts, fs: { "/model.ts": `${DSL}\n${src}`, ...opts.files } });
}

/** One line per node: `op {attrs} : shape` with inputs as %ids. */
function ops(g: Graph): string[] {
  return g.nodes.map((n) => {
    const attrs = Object.keys(n.attrs).length ? ` ${JSON.stringify(n.attrs)}` : "";
    const ins = n.inputs.length ? ` ${n.inputs.map((i) => `%${i}`).join(",")}` : "";
    return `${n.op}${ins}${attrs} : [${n.type.shape.join(",")}]`;
  });
}

function semicError(f: () => unknown): SemicError {
  try {
    f();
  } catch (e) {
    if (e instanceof SemicError) return e;
    throw e;
  }
  throw new Error("expected a SemicError");
}

describe("graphs", () => {
  test("a small MLP: one node per DSL call, in program order, with shapes", () => {
    const { graph } = load(`
export default model("mlp", () => {
  const x = input("x", [4]);
  const h = relu(add(matmul(x, param("w1", [4, 8])), param("b1", [8])));
  return sum(mul(h, 2));
});`);
    expect(graph.name).toBe("mlp");
    expect(ops(graph)).toEqual([
      `input {"name":"x","shape":[4]} : [4]`,
      `param {"name":"w1","shape":[4,8]} : [4,8]`,
      `matmul %0,%1 : [8]`,
      `param {"name":"b1","shape":[8]} : [8]`,
      `add %2,%3 : [8]`,
      `relu %4 : [8]`,
      `constant {"shape":[],"values":[2]} : []`,
      `mul %5,%6 : [8]`,
      `sum %7 : []`,
    ]);
    expect(graph.output).toBe(8);
    expect(graph.nodes[2]!.loc).toEqual({ file: "/model.ts", line: 5, col: 22 });
  });

  test("attributes: constants, axes, perm, slices, concat, labels", () => {
    const { graph } = load(`
export default model("m", () => {
  const x = input("x", [2, 3]);
  const c = constant([[1, 2, 3], [4, 5, 6]]);
  const t = transpose(add(x, c), [1, 0]);
  const s = concat([slice(t, 0, 0, 1), slice(t, 0, 1, 3)], 0);
  const r = reshape(name(s, "s"), [6]);
  return mean(sum(branch(reshape(r, [2, 3]), "rows"), 1));
});`);
    expect(ops(graph)).toEqual([
      `input {"name":"x","shape":[2,3]} : [2,3]`,
      `constant {"shape":[2,3],"values":[1,2,3,4,5,6]} : [2,3]`,
      `add %0,%1 : [2,3]`,
      `transpose %2 {"perm":[1,0]} : [3,2]`,
      `slice %3 {"axis":0,"start":0,"end":1} : [1,2]`,
      `slice %3 {"axis":0,"start":1,"end":3} : [2,2]`,
      `concat %4,%5 {"axis":0} : [3,2]`,
      `name %6 {"label":"s"} : [3,2]`,
      `reshape %7 {"shape":[6]} : [6]`,
      `reshape %8 {"shape":[2,3]} : [2,3]`,
      `branch %9 {"label":"rows"} : [2,3]`,
      `sum %10 {"axes":[1]} : [2]`,
      `mean %11 : []`,
    ]);
  });

  test("defaults of optional arguments: gelu erf, layerNorm eps 1e-5, linear without bias; gather ids", () => {
    const { graph } = loadModel("/m.ts", {
      fs: {
        "/m.ts": `import { gather, gelu, input, layerNorm, linear, model, param, softmax, sum } from "semic/dsl";
const cfg = { vocab: 10, d: 4 };
export default model("enc", () => {
  const e = gather(param("emb", [cfg.vocab, cfg.d]), input("ids", [3], "i32"));
  const h = layerNorm(gelu(e), param("g", [cfg.d]), param("b", [cfg.d]));
  const t = gelu(layerNorm(h, param("g2", [cfg.d]), param("b2", [cfg.d]), 1e-12), "tanh");
  return sum(softmax(linear(t, param("w", [2, cfg.d]))));
});`,
      },
    });
    expect(ops(graph)).toEqual([
      `param {"name":"emb","shape":[10,4]} : [10,4]`,
      `input {"name":"ids","shape":[3],"dtype":"i32"} : [3]`,
      `gather %0,%1 : [3,4]`,
      `gelu %2 {"approximate":"erf"} : [3,4]`,
      `param {"name":"g","shape":[4]} : [4]`,
      `param {"name":"b","shape":[4]} : [4]`,
      `layer_norm %3,%4,%5 {"eps":0.00001} : [3,4]`,
      `param {"name":"g2","shape":[4]} : [4]`,
      `param {"name":"b2","shape":[4]} : [4]`,
      `layer_norm %6,%7,%8 {"eps":1e-12} : [3,4]`,
      `gelu %9 {"approximate":"tanh"} : [3,4]`,
      `param {"name":"w","shape":[2,4]} : [2,4]`,
      `linear %10,%11 : [3,2]`,
      `softmax %12 : [3,2]`,
      `sum %13 : []`,
    ]);
  });

  test("recursive helpers with a compile-time base case; closures made in loops keep their iteration", () => {
    const { graph } = load(`
function stack(x: Tensor, n: number): Tensor {
  return n === 0 ? x : stack(relu(x), n - 1);
}
export default model("m", () => {
  const fs: ((t: Tensor) => Tensor)[] = [];
  for (let i = 1; i <= 2; i++) fs.push((t) => mul(t, i));
  const x = stack(input("x", [2]), 2);
  return sum(fs.reduce((acc, f) => f(acc), x));
});`);
    expect(graph.nodes.map((n) => n.op)).toEqual(["input", "relu", "relu", "constant", "mul", "constant", "mul", "sum"]);
    expect(graph.nodes.filter((n) => n.op === "constant").map((n) => n.attrs["values"])).toEqual([[1], [2]]);
  });

  test("for loops with let reassignment, template names, shape arithmetic and x.shape", () => {
    const { graph } = load(`
const layers = 3;
export default model("deep", () => {
  let h = input("x", [2]);
  for (let i = 0; i < layers; i++) {
    const [d] = h.shape;
    h = relu(matmul(h, param(\`layer\${i}.w\`, [d, d * 2])));
  }
  return sum(h);
});`);
    const params = graph.nodes.filter((n) => n.op === "param").map((n) => [n.attrs["name"], n.type.shape]);
    expect(params).toEqual([["layer0.w", [2, 4]], ["layer1.w", [4, 8]], ["layer2.w", [8, 16]]]);
    expect(graph.nodes.filter((n) => n.op === "relu")).toHaveLength(3);
  });

  test("for-of, break/continue, if/else and ?: on compile-time values", () => {
    const { graph } = load(`
const widths = [3, 5, 7, 9];
export default model("m", () => {
  const x = input("x", [3]);
  const outs: Tensor[] = [];
  for (const w of widths) {
    if (w === 5) continue;
    if (w > 7) break;
    outs.push(w < 4 ? relu(x) : neg(x));
  }
  let y = outs[0]!;
  for (const o of outs.slice(1)) y = add(y, o);
  return sum(y);
});`);
    expect(graph.nodes.map((n) => n.op)).toEqual(["input", "relu", "neg", "add", "sum"]);
  });

  test("helpers: declarations, arrows, defaults, objects and arrays of tensors, destructuring", () => {
    const { graph } = load(`
function dense(x: Tensor, prefix: string, n = 4) {
  return relu(matmul(x, param(prefix + ".w", [x.shape[0]!, n])));
}
const pair = (x: Tensor) => ({ pos: relu(x), neg: neg(x) });
const twice = (f: (t: Tensor, i: number) => Tensor, x: Tensor) => [f(x, 1), f(x, 2)];
export default model("m", () => {
  const x = input("x", [2]);
  const { pos, neg: n } = pair(dense(x, "a"));
  const [u, v] = twice((t, i) => dense(t, "b" + i, 3), pos);
  return sum(add(add(u!, v!), sum(n)));
});`);
    expect(ops(graph)).toEqual([
      `input {"name":"x","shape":[2]} : [2]`,
      `param {"name":"a.w","shape":[2,4]} : [2,4]`,
      `matmul %0,%1 : [4]`,
      `relu %2 : [4]`,
      `relu %3 : [4]`,
      `neg %3 : [4]`,
      `param {"name":"b1.w","shape":[4,3]} : [4,3]`,
      `matmul %4,%6 : [3]`,
      `relu %7 : [3]`,
      `param {"name":"b2.w","shape":[4,3]} : [4,3]`,
      `matmul %4,%9 : [3]`,
      `relu %10 : [3]`,
      `add %8,%11 : [3]`,
      `sum %5 : []`,
      `add %12,%13 : [3]`,
      `sum %14 : []`,
    ]);
  });

  test("helpers imported from other DSL files (named, namespace, nested, relative paths)", () => {
    const files = {
      "/lib/layers.ts": `import { matmul, param, relu, type Tensor } from "semic/dsl";
import { HIDDEN } from "./consts.ts";
export function block(x: Tensor, name: string): Tensor {
  return relu(matmul(x, param(name, [x.shape[0]!, HIDDEN])));
}
export const scale = 2;`,
      "/lib/consts.ts": `export const HIDDEN = 5;`,
    };
    const { graph } = load(`
import { block } from "./lib/layers.ts";
import * as L from "./lib/layers";
export default model("m", () => sum(mul(block(block(input("x", [3]), "l0"), "l1"), L.scale)));`, { files });
    expect(ops(graph).slice(0, 7)).toEqual([
      `input {"name":"x","shape":[3]} : [3]`,
      `param {"name":"l0","shape":[3,5]} : [3,5]`,
      `matmul %0,%1 : [5]`,
      `relu %2 : [5]`,
      `param {"name":"l1","shape":[5,5]} : [5,5]`,
      `matmul %3,%4 : [5]`,
      `relu %5 : [5]`,
    ]);
    expect(graph.nodes[1]!.loc?.file).toBe("/lib/layers.ts");
    expect(graph.nodes[1]!.loc?.line).toBe(4);
  });

  test("a user function named like a DSL op is not the DSL op", () => {
    const { graph } = loadModel("/m.ts", {
      fs: {
        "/m.ts": `import { add as plus, input, model, sum, type Tensor } from "semic/dsl";
function add(a: number, b: number): number { return a * 10 + b; }
const relu = (x: Tensor) => x; // shadows nothing from the DSL: relu is not imported
export default model("m", () => sum(plus(relu(input("x", [add(1, 2)])), 1)));`,
      },
    });
    expect(ops(graph)).toEqual([
      `input {"name":"x","shape":[12]} : [12]`,
      `constant {"shape":[],"values":[1]} : []`,
      `add %0,%1 : [12]`,
      `sum %2 : []`,
    ]);
  });

  test("DSL ops through a namespace import; the single exported model", () => {
    const { graph } = loadModel("/m.ts", {
      fs: { "/m.ts": `import * as D from "semic/dsl";\nexport const net = D.model("net", () => D.sum(D.exp(D.input("x", [2]))));` },
    });
    expect(graph.name).toBe("net");
    expect(graph.nodes.map((n) => n.op)).toEqual(["input", "exp", "sum"]);
  });

  test("config: defaults, body destructuring, string overrides coerced to the default's type", () => {
    const src = `
export default model("cfg", { layers: 1, width: 3, act: "relu", bias: false, sizes: [2, 2] }, ({ layers, width, act, bias, sizes }) => {
  let h = input("x", [width]);
  for (let i = 0; i < layers; i++) h = act === "relu" ? relu(h) : neg(h);
  if (bias) h = add(h, param("b", [width]));
  return sum(mul(h, sizes.length));
});`;
    const a = load(src);
    expect(a.config).toEqual({ layers: 1, width: 3, act: "relu", bias: false, sizes: [2, 2] });
    expect(a.graph.nodes.map((n) => n.op)).toEqual(["input", "relu", "constant", "mul", "sum"]);
    const b = load(src, { config: { layers: "2", width: "5", act: "neg", bias: "true", sizes: "1,2,3" } });
    expect(b.config).toEqual({ layers: 2, width: 5, act: "neg", bias: true, sizes: [1, 2, 3] });
    expect(ops(b.graph)).toEqual([
      `input {"name":"x","shape":[5]} : [5]`,
      `neg %0 : [5]`,
      `neg %1 : [5]`,
      `param {"name":"b","shape":[5]} : [5]`,
      `add %2,%3 : [5]`,
      `constant {"shape":[],"values":[3]} : []`,
      `mul %4,%5 : [5]`,
      `sum %6 : []`,
    ]);
  });

  test("files on disk: relative imports, and edits are seen by the next load", () => {
    const dir = mkdtempSync(join(tmpdir(), "semic-frontend-"));
    try {
      mkdirSync(join(dir, "lib"));
      const helper = (op: string) => `import { ${op}, type Tensor } from "semic/dsl";\nexport const act = (x: Tensor) => ${op}(x);\n`;
      writeFileSync(join(dir, "lib", "act.ts"), helper("relu"));
      writeFileSync(join(dir, "m.ts"), `import { input, model, sum } from "semic/dsl";\nimport { act } from "./lib/act";\nexport default model("m", () => sum(act(input("x", [3]))));\n`);
      expect(loadModel(join(dir, "m.ts")).graph.nodes.map((n) => n.op)).toEqual(["input", "relu", "sum"]);
      writeFileSync(join(dir, "lib", "act.ts"), helper("tanh"));
      expect(loadModel(join(dir, "m.ts")).graph.nodes.map((n) => n.op)).toEqual(["input", "tanh", "sum"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the example MLP loads from disk, with a config override, reading only its own files", () => {
    const { graph, config } = loadModel("examples/mlp.ts");
    const again = loadModel("examples/mlp.ts", { config: { hidden: "8" } });
    // What keeps a load fast, checked without a clock: no TypeScript lib files, one reused project.
    const files = openProject("examples/mlp.ts").project.getSourceFiles().map((sf) => relative(process.cwd(), sf.getFilePath()));
    expect(files).toEqual(expect.arrayContaining(["examples/mlp.ts", "runtime/dsl.ts"]));
    expect(files.filter((f) => /(^|\/)lib\.[\w.]*\.d\.ts$/.test(f) || f.includes("node_modules"))).toEqual([]);
    expect(config).toEqual({ hidden: 16, classes: 3, target: 1 });
    expect(graph.nodes.map((n) => n.op)).toEqual([
      "input", "param", "param", "linear", "relu", "name", "branch", "param", "param", "linear", "log_softmax", "pick",
    ]);
    expect(graph.nodes[1]!.type.shape).toEqual([16, 4]);
    expect(again.graph.nodes[1]!.type.shape).toEqual([8, 4]);
    expect(graph.nodes[0]!.loc?.file).toBe("examples/mlp.ts");
    expect(graph.nodes[graph.output]!.type.shape).toEqual([]);
  });
});

test("DSL functions exist at run time but only say that models are compiled", () => {
  expect(() => dsl.add(1, 2)).toThrow("semic DSL functions are compiled, not run: use `semic compile`");
  expect(() => dsl.model("m", () => dsl.input("x", [1]))).toThrow(/compiled, not run/);
});

describe("located errors", () => {
  const cases: [string, string, string, RegExp][] = [
    ["a while loop", "  let i = 0;\n  while (i < 3) i++;", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:5:3: while loops are not supported: loop bounds must be known at compile time/],
    ["Math.random()", "  const r = Math.random();", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:13: Math\.random\(\) is not supported: a model must be deterministic/],
    ["an unknown function", "  const y = frobnicate(x);", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:13: call to unknown function `frobnicate`/],
    ["a non-constant loop bound", "  for (let i = 0; i < x; i++) {}", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:23: a for-loop bound must be known at compile time, but `x` is a tensor f32\[2\]/],
    ["tensor arithmetic with operators", "  const y = x + x;", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:13: operator `\+` cannot be applied to tensors: use the DSL op add\(a, b\)/],
    ["an if on a tensor", "  if (x) {}", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:7: an if condition must be known at compile time, but it is a tensor f32\[2\]/],
    ["reassigning a const", "  const n = 1;\n  n = 2;", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:5:3: `n` is a constant/],
    ["a class", "  class A {}", "E_UNSUPPORTED_SYNTAX", /^\/model\.ts:4:3: classes are not supported/],
  ];
  test.each(cases)("%s", (_what, body, code, message) => {
    const e = semicError(() => load(`export default model("m", () => {\n  const x = input("x", [2]);\n${body}\n  return sum(x);\n});`));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  test("a loop bound declared without a value", () => {
    const e = semicError(() => load(`declare const n: number;\nexport default model("m", () => {\n  for (let i = 0; i < n; i++) {}\n  return sum(input("x", [2]));\n});`));
    expect(e.code).toBe("E_UNSUPPORTED_SYNTAX");
    expect(e.message).toMatch(/^\/model\.ts:4:23: `n` is declared without a compile-time value/);
  });

  test("a shape error names the op, both shapes and the line of the call", () => {
    const e = semicError(() => load(`export default model("m", () => {
  const a = param("a", [2, 3]);
  const b = param("b", [4, 5]);
  return sum(matmul(a, b));
});`));
    expect(e.code).toBe("E_SHAPE");
    expect(e.message).toMatch(/^\/model\.ts:5:14: matmul\(f32\[2,3\], f32\[4,5\]\)/);
  });

  test("a shape error inside an imported helper points into the helper's file", () => {
    const e = semicError(() => load(`import { mm } from "./h.ts";\nexport default model("m", () => sum(mm(param("a", [2, 3]))));`, {
      files: { "/h.ts": `import { matmul, param, type Tensor } from "semic/dsl";\nexport const mm = (x: Tensor) =>\n  matmul(x, param("w", [4, 5]));` },
    }));
    expect(e.message).toMatch(/^\/h\.ts:3:3: matmul\(f32\[2,3\], f32\[4,5\]\)/);
  });

  test("an unknown config key lists the known keys", () => {
    const e = semicError(() => load(`export default model("m", { width: 2, depth: 1 }, ({ width }) => sum(input("x", [width])));`, { config: { widht: "3" } }));
    expect(e.code).toBe("E_CONFIG");
    expect(e.message).toBe(`/model.ts:2:16: unknown config key "widht" (known keys: width, depth)`);
  });

  test("a config value of the wrong type", () => {
    const e = semicError(() => load(`export default model("m", { width: 2 }, ({ width }) => sum(input("x", [width])));`, { config: { width: "wide" } }));
    expect(e.message).toMatch(/config "width" must be a number/);
  });

  test("a non-scalar output", () => {
    const e = semicError(() => load(`export default model("m", () => {\n  return relu(input("x", [2]));\n});`));
    expect(e.code).toBe("E_OUTPUT");
    expect(e.message).toMatch(/^\/model\.ts:3:10: the model output must be a scalar/);
  });

  test("imports of non-DSL modules are errors where used", () => {
    const e = semicError(() => load(`import { readFileSync } from "node:fs";\nexport default model("m", () => sum(input("x", [readFileSync("n")])));`));
    expect(e.message).toMatch(/^\/model\.ts:3:49: `readFileSync` is imported from "node:fs", which is not a DSL file/);
  });

  test("a file without a model", () => {
    expect(semicError(() => load(`export const n = 1;`)).code).toBe("E_NO_MODEL");
  });
});

describe("defineSemiring", () => {
  const file = `import { defineSemiring } from "semic/dsl";
const best = (x: number, y: number) => Math.max(x, y);
export const maxplus = defineSemiring({
  name: "maxplus",
  summary: "longest path in log-space",
  lanes: ["v"],
  zero: [-Infinity],
  one: [0],
  plus: ([a], [b]) => [best(a!, b!)],
  times: (a, b) => [a[0]! + b[0]!],
  lift: (w) => [Math.log(Math.abs(w))],
  readout: (a) => a[0]!,
  idempotentPlus: true,
});
export const minsum = defineSemiring({
  name: "minsum",
  lanes: ["lo", "arg"],
  zero: [Infinity, -1],
  one: [0, -1],
  plus: (a, b) => (b[0]! < a[0]! ? b : a),
  times(a, b) { const s = a[0]! + b[0]!; return [s, a[1]! >= 0 ? a[1]! : b[1]!]; },
  lift: (w) => [-w, w > 0 && w < 1 ? 1 : 0],
  readout: (a) => [a[0]!, -a[0]!],
});`;
  const num = (xs: readonly S.Sx[]) => xs.map((x) => S.evaluate(x, { vars: {}, load: () => 0 }));
  const lanes = (...xs: number[]) => xs.map(S.c);
  const bySemiring = (list: Semiring[], name: string) => list.find((s) => s.name === name)!;

  test("maxplus: lanes, identities, traits and numbers", () => {
    const sr = bySemiring(loadSemirings("/sr.ts", { fs: { "/sr.ts": file } }), "maxplus");
    expect(sr).toMatchObject({ lanes: ["v"], zero: [-Infinity], one: [0], reads: "value", summary: "longest path in log-space" });
    expect(sr.traits.plus.kind).toBe("idempotent");
    expect(num(sr.plus(lanes(2), lanes(5)))).toEqual([5]);
    expect(num(sr.times(lanes(2), lanes(5)))).toEqual([7]);
    expect(num(sr.lift(S.c(-Math.E)))).toEqual([1]);
    expect(num(sr.readout(lanes(4)))).toEqual([4]);
    expect(num(sr.plus(lanes(-Infinity), lanes(3)))).toEqual([3]);
    // Symbolic lanes stay symbolic: the functions substitute into Sx templates.
    const sym = sr.times([S.v("p")], [S.v("q")])[0]!;
    expect(S.evaluate(sym, { vars: { p: 1.5, q: 2 }, load: () => 0 })).toBe(3.5);
  });

  test("minsum: two lanes, ?: becomes a select, && and comparisons", () => {
    const sr = bySemiring(loadSemirings("/sr.ts", { fs: { "/sr.ts": file } }), "minsum");
    expect(sr.traits.plus.kind).toBe("other");
    expect(num(sr.plus(lanes(3, 1), lanes(2, 0)))).toEqual([2, 0]);
    expect(num(sr.plus(lanes(1, 1), lanes(2, 0)))).toEqual([1, 1]);
    expect(num(sr.times(lanes(1, -1), lanes(2, 7)))).toEqual([3, 7]);
    expect(num(sr.lift(S.c(0.5)))).toEqual([-0.5, 1]);
    expect(num(sr.lift(S.c(2)))).toEqual([-2, 0]);
    expect(num(sr.readout(lanes(4, 0)))).toEqual([4, -4]);
    const sel = sr.plus([S.v("a"), S.v("i")], [S.v("b"), S.v("j")])[0]!;
    expect(sel.k).toBe("select");
    expect(S.evaluate(sel, { vars: { a: 5, b: 4, i: 0, j: 0 }, load: () => 0 })).toBe(4);
  });

  test("semirings exported next to a model come back from loadModel", () => {
    const { semirings } = loadModel("/m.ts", {
      fs: { "/sr.ts": file, "/m.ts": `import { input, model, sum } from "semic/dsl";\nexport { maxplus } from "./sr.ts";\nexport default model("m", () => sum(input("x", [2])));` },
    });
    expect(semirings.map((s) => s.name)).toEqual(["maxplus"]);
  });

  test.each([
    ["a tensor op in a semiring", `plus: (a, b) => [exp(a)]`, /exp\(\) can only be called inside a model body/],
    ["a wrong lane count", `plus: (a, b) => [a[0]!, b[0]!]`, /`plus` must return 1 lane value\(s\), got 2/],
    ["an if on lane values", `plus: (a, b) => { if (a[0]! > b[0]!) return a; return b; }`, /an if condition on lane values is not supported: use \?:/],
    ["an unsupported operator", `plus: (a, b) => [a[0]! % b[0]!]`, /operator `%` is not supported on lane values/],
  ])("%s is a located error", (_what, plus, message) => {
    const src = `import { defineSemiring, exp } from "semic/dsl";
export const s = defineSemiring({ name: "s", lanes: ["v"], zero: [0], one: [1],
  ${plus},
  times: (a, b) => [a[0]! * b[0]!], lift: (w) => [w], readout: (a) => a,
});`;
    const e = semicError(() => loadSemirings("/s.ts", { fs: { "/s.ts": src } }));
    expect(e.message).toMatch(/^\/s\.ts:\d+:\d+: /);
    expect(e.message).toMatch(message);
  });
});
