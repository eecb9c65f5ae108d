// Random small valid graphs over whatever ops the registry holds. Generic: operands and attributes
// come from each op's arity and AttrSchema; a candidate is dry-run through the op's own infer()
// and dropped when it throws, so ops with constraints the generator does not know still appear
// whenever a random candidate happens to satisfy them. The graph always ends in `sum` (a scalar).
//
// Only the structure is random: values in `constant` nodes are not domain-aware (log may see
// negative constants), so use the graph's domains when feeding it.

import { GraphBuilder, type Graph } from "../../ir/graph.ts";
import { opNames, opRules, type OpName } from "../../ir/ops/index.ts";
import { isLeaf, type Attr, type AttrKind } from "../../ir/ops/rule.ts";
import { sizeOf, type Shape, type TensorType } from "../../ir/types.ts";
import { attrFits, attrSpecs } from "../../ir/attrs.ts";
import { rng as prng } from "../../compiler/train/random.ts";

export interface RandomGraphOptions {
  /** Non-leaf ops to add (attempted; default 1–8). */
  readonly steps?: number;
  /** Restrict the non-leaf ops drawn (leaves are always available). */
  readonly ops?: readonly OpName[];
  /** Largest rank and dimension of leaf shapes (default 3 and 3). */
  readonly maxRank?: number;
  readonly maxDim?: number;
  /** Let float attributes take -0, 1e-5, ±Infinity, NaN, 5e-324… (for printer tests). */
  readonly specialNumbers?: boolean;
}

/** mulberry32, the seeded PRNG training uses: small, seedable, good enough for test generation. */
export { prng };

const specials = [0, -0, 1, -1, 0.1, 1 / 3, 1e-5, 1e21, 1.5e-300, 5e-324, 2 ** 53 + 2, Infinity, -Infinity, NaN];
const oddNames = ["x", "w", "hidden.0", "a b", 'q"uote', "back\\slash", "tab\tnl\n", "ünï", "emoji🙂"];

class Gen {
  readonly #r: () => number;
  #fresh = 0;
  constructor(seed: number, readonly opts: RandomGraphOptions) {
    this.#r = prng(seed);
  }
  float = (): number => this.#r();
  int = (lo: number, hi: number): number => lo + Math.floor(this.#r() * (hi - lo + 1));
  chance = (p: number): boolean => this.#r() < p;
  pick = <T>(xs: readonly T[]): T => xs[Math.floor(this.#r() * xs.length)]!;
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  name(prefix: string): string {
    const n = this.#fresh++;
    return this.opts.specialNumbers && this.chance(0.2) ? `${this.pick(oddNames)}#${n}` : `${prefix}${n}`;
  }
  number(): number {
    if (this.opts.specialNumbers && this.chance(0.3)) return this.pick(specials);
    return this.chance(0.5) ? this.int(-3, 3) / 2 : this.#r() * 4 - 2;
  }
  shape(): number[] {
    const { maxRank = 3, maxDim = 3 } = this.opts;
    return Array.from({ length: this.int(0, maxRank) }, () => this.int(1, maxDim));
  }
  /** A random shape with `size` elements. */
  factor(size: number): number[] {
    const out: number[] = [];
    let left = size;
    while (left > 1 && out.length < 3) {
      const ds = [...Array(left).keys()].map((d) => d + 1).filter((d) => d > 1 && left % d === 0);
      const d = this.pick(ds);
      out.push(d);
      left /= d;
    }
    if (left > 1) out.push(left);
    return this.chance(0.3) ? [...out, 1] : out;
  }
}

/** Context for generating one node's attributes: its operand types and the attributes so far. */
interface AttrCtx {
  readonly xs: readonly TensorType[];
  readonly attrs: Record<string, Attr>;
}

// How to draw an attribute, by attribute name (a convention shared by many ops); anything not
// listed is drawn from its kind alone.
const byName: Readonly<Record<string, (g: Gen, c: AttrCtx) => Attr | undefined>> = {
  name: (g) => g.name("v"),
  label: (g) => g.name("l"),
  dtype: (g) => (g.chance(0.8) ? "f32" : "i32"),
  shape: (g, c) => (c.xs[0] ? g.factor(sizeOf(c.xs[0].shape)) : g.shape()),
  values: (g, c) => Array.from({ length: sizeOf((c.attrs["shape"] as Shape | undefined) ?? []) }, () => g.number()),
  axes: (g, c) => {
    const rank = c.xs[0]?.shape.length ?? 0;
    return g.shuffle([...Array(rank).keys()]).slice(0, g.int(0, rank)).map((a) => (g.chance(0.3) ? a - rank : a));
  },
  axis: (g, c) => {
    const rank = c.xs[0]?.shape.length ?? 1;
    const a = g.int(0, Math.max(rank - 1, 0));
    return g.chance(0.3) ? a - rank : a;
  },
  perm: (g, c) => g.shuffle([...Array(c.xs[0]?.shape.length ?? 0).keys()]),
  index: (g, c) => (c.xs[0]?.shape ?? []).map((d) => g.int(0, d - 1)),
  start: (g, c) => g.int(0, Math.max(0, dimAt(c) - 1)),
  end: (g, c) => g.int((c.attrs["start"] as number | undefined ?? 0) + 1, dimAt(c)),
  eps: (g) => g.pick([1e-5, 1e-6, 0.001]),
  approximate: (g) => g.pick(["erf", "tanh"]),
};

function dimAt(c: AttrCtx): number {
  const shape = c.xs[0]?.shape ?? [];
  const a = (c.attrs["axis"] as number | undefined) ?? 0;
  return shape[a < 0 ? a + shape.length : a] ?? 1;
}

const byKind: Readonly<Record<AttrKind, (g: Gen) => Attr>> = {
  int: (g) => g.int(-2, 3),
  ints: (g) => Array.from({ length: g.int(0, 3) }, () => g.int(-2, 3)),
  float: (g) => g.number(),
  floats: (g) => Array.from({ length: g.int(0, 4) }, () => g.number()),
  string: (g) => g.name("s"),
  bool: (g) => g.chance(0.5),
};

function drawAttrs(g: Gen, op: OpName, xs: readonly TensorType[]): Record<string, Attr> {
  const attrs: Record<string, Attr> = {};
  for (const s of attrSpecs(opRules[op].attrs)) {
    if (s.optional && g.chance(0.5)) continue;
    let v = byName[s.key]?.(g, { xs, attrs });
    if (v === undefined || !attrFits(s.kind, v)) v = byKind[s.kind](g);
    attrs[s.key] = v;
  }
  return attrs;
}

type Operand = { readonly id: number } | { readonly leaf: OpName; readonly attrs: Record<string, Attr> };

function tryInfer(op: OpName, xs: readonly TensorType[], attrs: Record<string, Attr>): TensorType | undefined {
  try {
    return opRules[op].infer(xs, attrs);
  } catch {
    return undefined;
  }
}

/** Builds a random valid graph; the same seed and options always give the same graph. */
export function randomGraph(seed: number, opts: RandomGraphOptions = {}): Graph {
  const g = new Gen(seed, opts);
  const b = new GraphBuilder(g.chance(0.9) ? `g${seed}` : g.name("model"));
  const leaves = opNames.filter((op) => isLeaf(opRules[op]) && opRules[op].arity === 0);
  const shaped = leaves.filter((op) => "shape" in opRules[op].attrs);
  const inner = (opts.ops ?? opNames).filter((op) => !leaves.includes(op));

  /** A fresh leaf of the given shape (and dtype, where the leaf takes one). */
  const leafOf = (shape: number[], dtype: "f32" | "i32" = "f32"): Operand | undefined => {
    const ops = shaped.filter((op) => dtype === "f32" || "dtype" in opRules[op].attrs);
    if (!ops.length) return undefined;
    const leaf = g.pick(ops);
    const attrs = drawAttrs(g, leaf, []);
    attrs["shape"] = shape;
    if ("values" in attrs) attrs["values"] = Array.from({ length: sizeOf(shape) }, () => g.number());
    if ("dtype" in opRules[leaf].attrs) {
      if (dtype === "i32") attrs["dtype"] = "i32";
      else if ("dtype" in attrs) attrs["dtype"] = "f32";
    }
    return { leaf, attrs };
  };
  const leafType = (o: Operand): TensorType | undefined =>
    "id" in o ? b.nodes[o.id]!.type : tryInfer(o.leaf, [], o.attrs);
  const add = (o: Operand): number => ("id" in o ? o.id : b.add(o.leaf, [], o.attrs));

  /** Operand i of a candidate: an existing value, or a fresh leaf shaped after earlier operands. */
  const operand = (i: number, before: readonly TensorType[], wantIds: boolean): Operand | undefined => {
    const dtype = wantIds ? "i32" : "f32";
    const existing = b.nodes.filter((n) => n.type.dtype === dtype);
    const first = before[0]?.shape ?? [];
    const last = first[first.length - 1] ?? g.int(1, 3);
    const prev = before[before.length - 1]?.shape ?? [];
    if (existing.length && g.chance(i === 0 ? 0.85 : 0.5)) {
      const same = existing.filter((n) => i > 0 && n.type.shape.join() === first.join());
      // Prefer recent values, so graphs are deep rather than wide.
      const pool = same.length && g.chance(0.6) ? same : existing.slice(-3);
      return { id: g.pick(pool).id };
    }
    if (i === 0) return leafOf(g.shape(), dtype);
    const d = g.int(1, 3);
    const shapes: number[][] = [
      [...first],
      first.slice(g.int(0, first.length)), // a broadcastable suffix
      [prev[prev.length - 1] ?? last, d], // contracts with the previous operand's last axis
      [d, last], // [out, in] with in = the first operand's last axis
      [last],
      prev.slice(0, 1), // the previous operand's first axis (a bias for [out, in])
      g.shape(),
    ];
    return leafOf(g.pick(shapes), dtype);
  };

  const steps = opts.steps ?? g.int(1, 8);
  for (let step = 0; step < steps && inner.length; step++) {
    for (let attempt = 0; attempt < 40; attempt++) {
      const op = g.pick(inner);
      const rule = opRules[op];
      const n = typeof rule.arity === "number" ? rule.arity : rule.arity.min + g.int(0, 2);
      const operands: Operand[] = [];
      const xs: TensorType[] = [];
      for (let i = 0; i < n; i++) {
        const o = operand(i, xs, rule.domain?.[i] === "ids");
        const t = o && leafType(o);
        if (!o || !t) break;
        operands.push(o);
        xs.push(t);
      }
      if (operands.length !== n) continue;
      const attrs = drawAttrs(g, op, xs);
      if (!tryInfer(op, xs, attrs)) continue;
      b.add(op, operands.map(add), attrs);
      break;
    }
  }
  // End in a scalar: sum a recent f32 value (a fresh param if there is none yet).
  const f32s = b.nodes.filter((nd) => nd.type.dtype === "f32");
  const x = f32s.length ? f32s[f32s.length - 1]!.id : add(leafOf(g.shape())!);
  return b.build(b.add("sum", [x]));
}
