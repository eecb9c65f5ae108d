// Random DSL programs as source text: a model over a few inputs and params, built by straight-line
// calls of the DSL ops, with the TypeScript the frontend evaluates at compile time around them
// (a config object, helper functions, loops, ternaries, arrays and arrow functions). The
// generator tracks every value's shape, so programs are well-typed and shape-correct; values
// that would leave an op's domain are kept inside it (log and sqrt of positives, div by nonzeros).

import { prng } from "../oracle/randomGraph.ts";

interface Val {
  readonly code: string;
  readonly shape: readonly number[];
}

const unaries = ["neg", "exp", "sin", "cos", "tanh", "sigmoid", "relu"] as const;

class Program {
  readonly #r: () => number;
  readonly lines: string[] = [];
  readonly helpers: string[] = [];
  readonly vals: Val[] = [];
  readonly used = new Set<string>(["model", "sum"]);
  readonly config: Record<string, number> = {};
  #fresh = 0;
  #leaves = 0;
  constructor(seed: number) {
    this.#r = prng(seed);
  }
  int = (lo: number, hi: number) => lo + Math.floor(this.#r() * (hi - lo + 1));
  chance = (p: number) => this.#r() < p;
  pick = <T>(xs: readonly T[]): T => xs[Math.floor(this.#r() * xs.length)]!;
  call(fn: string, ...args: string[]): string {
    this.used.add(fn);
    return `${fn}(${args.join(", ")})`;
  }
  /** Binds an expression to a fresh const and returns it as a value. */
  bind(code: string, shape: readonly number[]): Val {
    const name = `v${this.#fresh++}`;
    this.lines.push(`const ${name} = ${code};`);
    const v = { code: name, shape };
    this.vals.push(v);
    return v;
  }
  /** A dimension literal, sometimes spelled through the config or arithmetic on it. */
  dim(d: number): string {
    if (this.chance(0.25)) {
      const key = `d${d}`;
      this.config[key] = d;
      return this.chance(0.5) ? key : `${key} + 1 - 1`;
    }
    return this.chance(0.15) ? `${d + 1} - 1` : String(d);
  }
  shapeCode(shape: readonly number[]): string {
    return `[${shape.map((d) => this.dim(d)).join(", ")}]`;
  }
  shape(maxRank = 2): number[] {
    return Array.from({ length: this.int(0, maxRank) }, () => this.int(1, 3));
  }
  leaf(shape: readonly number[]): Val {
    const n = this.#leaves++;
    if (this.chance(0.15)) {
      const values = (s: readonly number[]): string =>
        s.length === 0 ? String(this.pick([0.5, -1, 2, 0.25, -0.75, 1.5])) : `[${Array.from({ length: s[0]! }, () => values(s.slice(1))).join(", ")}]`;
      return this.bind(this.call("constant", values(shape)), shape);
    }
    const kind = this.chance(0.5) ? "input" : "param";
    return this.bind(this.call(kind, JSON.stringify(`${kind === "input" ? "x" : "p"}${n}`), this.shapeCode(shape)), shape);
  }
  /** A recent value (programs are deeper than wide), or a fresh leaf. */
  operand(): Val {
    if (this.vals.length === 0 || this.chance(0.15)) return this.leaf(this.shape());
    return this.pick(this.vals.slice(-3));
  }
}

type Step = (p: Program) => Val | undefined;

/** Some suffix of the shape (numpy broadcasting), or the shape itself. */
const broadcastable = (p: Program, shape: readonly number[]) => shape.slice(p.int(0, shape.length));

const steps: readonly Step[] = [
  (p) => {
    const x = p.operand();
    return p.bind(p.call(p.pick(unaries), x.code), x.shape);
  },
  (p) => {
    const x = p.operand();
    return p.bind(p.call("gelu", x.code, ...(p.chance(0.5) ? [JSON.stringify(p.pick(["erf", "tanh"]))] : [])), x.shape);
  },
  // log and sqrt of positive values, div by nonzero ones.
  (p) => {
    const x = p.operand();
    const positive = p.chance(0.5) ? p.call("exp", x.code) : p.call("add", p.call("mul", x.code, x.code), "0.5");
    return p.bind(p.call(p.pick(["log", "sqrt"]), positive), x.shape);
  },
  (p) => {
    const x = p.operand();
    const b = p.leaf(broadcastable(p, x.shape));
    const fn = p.pick(["add", "sub", "mul", "div"]);
    const rhs = fn === "div" ? p.call("add", p.call("exp", b.code), "1") : b.code;
    return p.chance(0.5) ? p.bind(p.call(fn, x.code, rhs), x.shape) : p.bind(p.call(fn, rhs, x.code), x.shape);
  },
  (p) => {
    const x = p.operand();
    return p.bind(p.call(p.pick(["add", "sub", "mul"]), x.code, String(p.pick([2, -0.5, 1.25]))), x.shape);
  },
  // A diamond: one value reaches the next through two consumers.
  (p) => {
    const x = p.operand();
    return p.bind(p.call(p.pick(["add", "mul", "sub"]), p.call(p.pick(unaries), x.code), x.code), x.shape);
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    const n = x.shape[x.shape.length - 1]!, out = p.int(1, 3);
    const w = p.leaf([out, n]);
    const b = p.chance(0.5) ? [p.leaf([out]).code] : [];
    return p.bind(p.call("linear", x.code, w.code, ...b), [...x.shape.slice(0, -1), out]);
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0 || x.shape.length > 2) return undefined;
    const n = x.shape[x.shape.length - 1]!, out = p.int(1, 3);
    const w = p.leaf(p.chance(0.5) ? [n, out] : [n]);
    const shape = [...x.shape.slice(0, -1), ...w.shape.slice(1)];
    return p.bind(p.call("matmul", x.code, w.code), shape);
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    const fn = p.pick(["sum", "mean"]);
    if (p.chance(0.3)) return p.bind(p.call(fn, x.code), []);
    const a = p.int(0, x.shape.length - 1);
    return p.bind(p.call(fn, x.code, p.chance(0.5) ? String(a) : `[${a}]`), x.shape.filter((_, i) => i !== a));
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    return p.bind(p.call(p.pick(["softmax", "logSoftmax"]), x.code), x.shape);
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    const n = x.shape[x.shape.length - 1]!;
    const eps = p.chance(0.5) ? ["1e-5"] : [];
    return p.bind(p.call("layerNorm", x.code, p.leaf([n]).code, p.leaf([n]).code, ...eps), x.shape);
  },
  (p) => {
    const x = p.operand();
    const size = x.shape.reduce((a, b) => a * b, 1);
    const shape = size === 1 ? p.pick([[], [1], [1, 1]]) : p.chance(0.5) ? [size] : size % 2 === 0 ? [2, size / 2] : [1, size];
    return p.bind(p.call("reshape", x.code, p.shapeCode(shape)), shape);
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length < 2) return undefined;
    return p.bind(p.call("transpose", x.code), [...x.shape].reverse());
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    const a = p.int(0, x.shape.length - 1), d = x.shape[a]!;
    const start = p.int(0, d - 1), end = p.int(start + 1, d);
    return p.bind(p.call("slice", x.code, String(a), String(start), String(end)), x.shape.map((e, i) => (i === a ? end - start : e)));
  },
  (p) => {
    const x = p.operand();
    if (x.shape.length === 0) return undefined;
    const a = p.int(0, x.shape.length - 1), extra = p.int(1, 2);
    const y = p.leaf(x.shape.map((e, i) => (i === a ? extra : e)));
    return p.bind(p.call("concat", `[${x.code}, ${y.code}]`, String(a)), x.shape.map((e, i) => (i === a ? e + extra : e)));
  },
  (p) => {
    const x = p.operand();
    return p.bind(p.call("pick", x.code, `[${x.shape.map((d) => p.int(0, d - 1)).join(", ")}]`), []);
  },
  (p) => {
    const rows = p.int(2, 4), d = p.int(1, 3), n = p.int(1, 3);
    const table = p.leaf([rows, d]);
    // Integer ids are no operand of float ops: spelled inline, never bound to a reusable value.
    const ids = p.call("input", JSON.stringify(`ids${p.vals.length}`), `[${n}]`, '"i32"');
    return p.bind(p.call("gather", table.code, ids), [n, d]);
  },
  (p) => {
    const x = p.operand();
    const fn = p.pick(["branch", "name"]);
    return p.bind(p.call(fn, x.code, JSON.stringify(`${fn === "branch" ? "b" : "n"}${p.vals.length}`)), x.shape);
  },
  // TypeScript around the ops: a helper function, a loop, a ternary, an array map.
  (p) => {
    const x = p.operand();
    const fn = p.pick(unaries);
    const name = `block${p.helpers.length}`;
    p.used.add(fn);
    p.helpers.push(`function ${name}(t: Tensor, times: number): Tensor {\n  let h = t;\n  for (let i = 0; i < times; i++) h = ${fn}(h);\n  return h;\n}`);
    return p.bind(`${name}(${x.code}, ${p.int(1, 2)})`, x.shape);
  },
  (p) => {
    const x = p.operand();
    const [a, b] = [p.pick(unaries), p.pick(unaries)];
    p.used.add(a).add(b);
    const flag = `f${p.vals.length}`;
    p.config[flag] = p.int(0, 1);
    return p.bind(`${flag} > 0 ? ${a}(${x.code}) : ${b}(${x.code})`, x.shape);
  },
  (p) => {
    const x = p.operand();
    p.used.add("add").add("mul");
    const k = p.int(2, 3);
    return p.bind(`[${Array.from({ length: k }, (_, i) => i + 1).join(", ")}].map((c) => mul(${x.code}, c)).reduce((s, t) => add(s, t))`, x.shape);
  },
];

/** A random DSL program (the text of a .ts model file); the same seed gives the same text. */
export function randomDslProgram(seed: number, maxSteps = 6): string {
  const p = new Program(seed);
  const n = p.int(1, maxSteps);
  for (let i = 0; i < n; i++) {
    for (let attempt = 0; attempt < 20; attempt++) if (p.pick(steps)(p)) break;
  }
  const last = p.vals[p.vals.length - 1] ?? p.leaf(p.shape());
  const out = last.shape.length === 0 && p.chance(0.5) ? last.code : p.call("sum", last.code);
  const names = [...p.used].sort();
  const head = `import { ${names.join(", ")}, type Tensor } from "semic/dsl";`;
  const keys = Object.keys(p.config);
  const cfg = keys.length > 0 ? `{ ${keys.map((k) => `${k}: ${p.config[k]}`).join(", ")} }` : undefined;
  const params = cfg ? `, ${cfg}, ({ ${keys.join(", ")} })` : ", ()";
  const body = [...p.lines, `return ${out};`].map((l) => `  ${l}`).join("\n");
  return [head, "", ...p.helpers.flatMap((h) => [h, ""]), `export default model("fz${seed}"${params} => {`, body, "});", ""].join("\n");
}
