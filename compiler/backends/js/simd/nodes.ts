// The value graph of one kernel's lowering: nodes (a key, a kind, dependencies, a generator of the
// instructions that push the value) memoised by key, so equal subexpressions are one node; the
// emitter counts uses and binds shared or loop-invariant nodes to locals. Kinds: i (i32 scalar),
// f (float scalar), v (vector), b (i32 condition), m (vector mask); conversions between them.

import type { Sx } from "../../../../ir/scalar.ts";
import type { FuncBuilder, ScalarOp, SimdOp } from "../wasm.ts";
import { keyOf } from "./linearForms.ts";

export type Kind = "i" | "f" | "v" | "b" | "m";

export interface ValueNode {
  readonly id: number;
  readonly key: string;
  readonly kind: Kind;
  readonly depth: number;
  readonly deps: readonly ValueNode[];
  readonly gen: () => void;
  /** Constants and locals: re-emitting is as cheap as a local.get. */
  readonly trivial: boolean;
  uses: number;
  local?: number;
  group: number;
}

export class NodeGraph {
  constructor(
    readonly f: FuncBuilder,
    readonly F: "f32" | "f64",
    readonly VX: "f32x4" | "f64x2",
    readonly L: number,
  ) {}

  readonly nodes: ValueNode[] = [];
  readonly memo = new Map<string, ValueNode>();
  readonly sxIds = new Map<string, number>();
  /** A small id per distinct expression (its structural key is looked up once, not concatenated). */
  sx(x: Sx): number {
    const k = keyOf(x);
    let id = this.sxIds.get(k);
    if (id === undefined) {
      id = this.sxIds.size;
      this.sxIds.set(k, id);
    }
    return id;
  }

  node(key: string, kind: Kind, deps: ValueNode[], gen: () => void, opts: { depth?: number; trivial?: boolean } = {}): ValueNode {
    const hit = this.memo.get(key);
    if (hit) return hit;
    const depth = Math.max(opts.depth ?? 0, ...deps.map((d) => d.depth));
    const node: ValueNode = { id: this.nodes.length, key, kind, depth, deps, gen, trivial: opts.trivial ?? false, uses: 0, group: -2 };
    this.nodes.push(node);
    this.memo.set(key, node);
    return node;
  }

  /** Pushes a node's value. */
  use(n: ValueNode): void {
    if (n.local !== undefined) this.f.get(n.local);
    else n.gen();
  }

  fconst(v: number): ValueNode {
    return this.node(`fc:${Object.is(v, -0) ? "-0" : v}`, "f", [], () => this.f.float(this.F, v), { trivial: true });
  }
  vconst(vs: number[]): ValueNode {
    return this.node(`vc:${vs.join(",")}`, "v", [], () => (this.F === "f32" ? this.f.v128f32(vs) : this.f.v128f64(vs)), { trivial: true });
  }
  splatConst(v: number): ValueNode {
    return this.vconst(new Array<number>(this.L).fill(v));
  }
  iconst(v: number): ValueNode {
    return this.node(`ic:${v}`, "i", [], () => this.f.i32(v), { trivial: true });
  }

  fop(op: string): ScalarOp {
    return `${this.F}.${op}` as ScalarOp;
  }
  vop(op: string): SimdOp {
    return `${this.VX}.${op}` as SimdOp;
  }

  /** Vector form of a scalar float node. */
  vec(x: ValueNode): ValueNode {
    if (x.kind === "v") return x;
    if (x.kind === "m") return this.maskToNum(x);
    if (x.kind === "b") return this.vec(this.boolToNum(x));
    if (x.kind === "i") return this.vec(this.intToNum(x));
    const fc = x.key.startsWith("fc:") ? Number(x.key.slice(3)) : undefined;
    if (fc !== undefined) return this.splatConst(fc);
    return this.node(`splat(#${x.id})`, "v", [x], () => {
      this.use(x);
      this.f.simd(this.vop("splat"));
    });
  }
  mask(x: ValueNode): ValueNode {
    if (x.kind === "m") return x;
    const b = x.kind === "b" ? x : this.bool(x);
    if (b.kind === "m") return b;
    return this.node(`smask(#${b.id})`, "m", [b], () => {
      this.f.i32(0);
      this.use(b);
      this.f.op("i32.sub").simd("i32x4.splat");
    });
  }
  intToNum(x: ValueNode): ValueNode {
    return this.node(`i2f(#${x.id})`, "f", [x], () => {
      this.use(x);
      this.f.op(this.fop("convert_i32_s"));
    });
  }
  boolToNum(x: ValueNode): ValueNode {
    if (x.kind === "m") return this.maskToNum(x);
    return this.node(`b2f(#${x.id})`, "f", [x], () => {
      this.use(x);
      this.f.op(this.fop("convert_i32_s"));
    });
  }
  maskToNum(x: ValueNode): ValueNode {
    const one = this.splatConst(1);
    return this.node(`m2f(#${x.id})`, "v", [x, one], () => {
      this.use(x);
      this.use(one);
      this.f.simd("v128.and");
    });
  }
  /** A numeric node as a condition (≠ 0). */
  bool(x: ValueNode): ValueNode {
    if (x.kind === "b" || x.kind === "m") return x;
    if (x.kind === "i")
      return this.node(`i2b(#${x.id})`, "b", [x], () => {
        this.use(x);
        this.f.i32(0).op("i32.ne");
      });
    if (x.kind === "v") {
      const z = this.splatConst(0);
      return this.node(`vne0(#${x.id})`, "m", [x, z], () => {
        this.use(x);
        this.use(z);
        this.f.simd(this.vop("ne"));
      });
    }
    const z = this.fconst(0);
    return this.node(`fne0(#${x.id})`, "b", [x, z], () => {
      this.use(x);
      this.use(z);
      this.f.op(this.fop("ne"));
    });
  }
  toNum(x: ValueNode): ValueNode {
    if (x.kind === "b") return this.boolToNum(x);
    if (x.kind === "m") return this.maskToNum(x);
    if (x.kind === "i") return this.intToNum(x);
    return x;
  }

  readonly scratchLocals = new Map<string, number>();
  scratch(t: "f32" | "f64" | "v128" | "i32", tag = ""): number {
    const key = `${t}${tag}`;
    let i = this.scratchLocals.get(key);
    if (i === undefined) {
      i = this.f.local(t);
      this.scratchLocals.set(key, i);
    }
    return i;
  }

}
