// Sx → value-graph nodes for one kernel: index expressions as i32, float expressions as scalars
// or vectors along the plan's vector variable (contiguous loads as v128 loads, others gathered lane
// by lane), conditions as i32 or masks. exp/log run as inline f32x4 polynomials, or per lane
// through the host's Math (f64); anything else the lowering does not do is Unsupported.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import type { FuncBuilder, ScalarOp } from "../wasm.ts";
import { linearize, linToSx, mentions } from "./linearForms.ts";
import { emitExpF32, emitLogF32 } from "./mathF32.ts";
import { NodeGraph, type ValueNode } from "./nodes.ts";
import { type LoopLevel, type LoweringTarget, type VectorPlan, SCRATCH, Unsupported } from "./types.ts";

/**
 * Vector max/min are the "pseudo" forms (one maxps/minps; NaN-propagating max/min take several
 * instructions): they differ only on NaN operands and on the sign of a zero result, and
 * semiring values never hold NaN.
 */
export const vecOp = (op: string): string => (op === "max" ? "pmax" : op === "min" ? "pmin" : op);

export class ExprLowering extends NodeGraph {
  readonly depthOfVar = new Map<string, number>();
  readonly levelOfVar = new Map<string, LoopLevel>();
  readonly accLocal = new Map<string, number>();
  /** Scalar locals read as variables (log-sum-exp references M). */
  readonly scalarLocal = new Map<string, { local: number; depth: number }>();
  readonly n: number;

  constructor(
    readonly c: LoweringTarget,
    f: FuncBuilder,
    readonly plan: VectorPlan,
  ) {
    super(f, c.F, c.VX, c.L);
    this.n = plan.levels.length;
    plan.levels.forEach((lv, d) => {
      this.depthOfVar.set(lv.name, d + 1);
      this.levelOfVar.set(lv.name, lv);
      lv.local = f.local("i32");
    });
    // sep: the reduction loops run only in the per-row pre-pass, deeper than any main-loop node.
    for (const lv of plan.sep?.red ?? []) {
      this.depthOfVar.set(lv.name, this.n + 1);
      this.levelOfVar.set(lv.name, lv);
      lv.local = f.local("i32");
    }
  }

  get v() { return this.plan.v; }

  // ---------------------------------------------------------------- index expressions (i32)

  idx(x: Sx): ValueNode {
    const key = `I${this.sx(x)}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    switch (x.k) {
      case "const":
        if (!Number.isInteger(x.v)) throw new Unsupported();
        return this.iconst(x.v);
      case "var": {
        const lv = this.levelOfVar.get(x.name);
        if (!lv) throw new Unsupported();
        return this.node(key, "i", [], () => this.f.get(lv.local), { depth: this.depthOfVar.get(x.name)!, trivial: true });
      }
      case "load": {
        if (!this.c.layout.isInt(x.ref)) throw new Unsupported();
        const addr = this.scalarAddr(x.ref, x.index[0]!, 4);
        return this.node(key, "i", [addr.base], () => {
          this.use(addr.base);
          this.f.mem("i32.load", addr.offset);
        });
      }
      case "un": {
        if (x.op === "neg") {
          const a = this.idx(x.x);
          return this.node(key, "i", [a], () => {
            this.f.i32(0);
            this.use(a);
            this.f.op("i32.sub");
          });
        }
        if (x.op === "floor" && x.x.k === "bin" && x.x.op === "div" && x.x.b.k === "const" && Number.isInteger(x.x.b.v) && x.x.b.v > 0) {
          // Indices are non-negative: floor division is truncating division.
          const a = this.idx(x.x.a);
          const d = x.x.b.v;
          return this.node(key, "i", [a], () => {
            this.use(a);
            this.f.i32(d).op("i32.div_s");
          });
        }
        throw new Unsupported();
      }
      case "bin": {
        const ops: Partial<Record<string, ScalarOp>> = { add: "i32.add", sub: "i32.sub", mul: "i32.mul" };
        const op = ops[x.op];
        if (!op) throw new Unsupported();
        const a = this.idx(x.a), b = this.idx(x.b);
        return this.node(key, "i", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(op);
        });
      }
      default:
        throw new Unsupported();
    }
  }

  /** Byte address of element `index` of a buffer: a base node plus a constant memarg offset. */
  scalarAddr(ref: string, index: Sx, size: number): { base: ValueNode; offset: number } {
    const lin = linearize(index);
    const bufAddr = this.c.addr(ref);
    const withOffset = bufAddr + size * lin.c >= 0;
    const rest = linToSx(lin, !withOffset);
    const offset = withOffset ? bufAddr + size * lin.c : bufAddr;
    const base = this.byteAddr(rest, size);
    if (ref !== SCRATCH) return { base, offset };
    // Each thread has its own scratch region, at param 2.
    return {
      base: this.node(`sb(#${base.id})`, "i", [base], () => {
        this.use(base);
        this.f.get(2).op("i32.add");
      }),
      offset,
    };
  }
  byteAddr(rest: Sx, size: number): ValueNode {
    if (rest.k === "const") return this.iconst(rest.v * size);
    const r = this.idx(rest);
    const sh = size === 8 ? 3 : size === 4 ? 2 : 0;
    return this.node(`addr${size}(#${r.id})`, "i", [r], () => {
      this.use(r);
      this.f.i32(sh).op("i32.shl");
    });
  }

  // ---------------------------------------------------------------- float expressions

  esize() {
    return this.F === "f32" ? 4 : 8;
  }

  load(x: Extract<Sx, { k: "load" }>): ValueNode {
    const v = this.v;
    const index = x.index[0]!;
    if (x.ref !== SCRATCH && this.c.layout.isInt(x.ref)) {
      if (mentions(index, v)) return this.gather(x);
      return this.intToNum(this.idx(x));
    }
    const lin = linearize(index);
    const vt = lin.terms.get(`$${v}`);
    const inAtoms = [...lin.terms.entries()].some(([key, t]) => key !== `$${v}` && mentions(t.atom, v));
    const es = this.esize();
    const loadOp = this.fop("load");
    if (!vt && !inAtoms) {
      const a = this.scalarAddr(x.ref, index, es);
      return this.node(`F${this.sx(x)}`, "f", [a.base], () => {
        this.use(a.base);
        this.f.mem(loadOp, a.offset);
      });
    }
    if (vt && vt.coef === 1 && !inAtoms) {
      const a = this.scalarAddr(x.ref, index, es);
      return this.node(`V${this.sx(x)}`, "v", [a.base], () => {
        this.use(a.base);
        this.f.mem("v128.load", a.offset);
      });
    }
    return this.gather(x);
  }

  /** Lane by lane: the load with the vector variable at v + l. */
  gather(x: Extract<Sx, { k: "load" }>): ValueNode {
    const v = this.v;
    const int = x.ref !== SCRATCH && this.c.layout.isInt(x.ref);
    const es = int ? 4 : this.esize();
    const addrs = [...Array(this.L).keys()].map((l) => this.scalarAddr(x.ref, S.substitute(x.index[0]!, { [v]: S.add(S.v(v), l) }), es));
    const loadOp: ScalarOp = int ? "i32.load" : this.fop("load");
    return this.node(`G${this.sx(x)}`, "v", addrs.map((a) => a.base), () => {
      addrs.forEach((a, l) => {
        this.use(a.base);
        this.f.mem(loadOp, a.offset);
        if (int) this.f.op(this.fop("convert_i32_s"));
        // The vector so far is under the lane value: (vector, scalar) is replace_lane's order.
        if (l === 0) this.f.simd(this.vop("splat"));
        else this.f.lane(this.vop("replace_lane"), l);
      });
    });
  }

  /** The value of variable `name` as a number (the vector variable: one lane index per lane). */
  varNum(name: string): ValueNode {
    const sl = this.scalarLocal.get(name);
    if (sl) return this.node(`sl:${name}`, "f", [], () => this.f.get(sl.local), { depth: sl.depth, trivial: true });
    if (this.accLocal.has(name)) {
      const local = this.accLocal.get(name)!;
      return this.node(`acc:${name}`, "v", [], () => this.f.get(local), { depth: this.n, trivial: true });
    }
    const i = this.idx(S.v(name));
    if (name !== this.v) return this.intToNum(i);
    const base = this.vec(this.intToNum(i));
    const lanes = this.vconst([...Array(this.L).keys()]);
    return this.node(`lanes(${name})`, "v", [base, lanes], () => {
      this.use(base);
      this.use(lanes);
      this.f.simd(this.vop("add"));
    });
  }

  num(x: Sx): ValueNode {
    const key = `N${this.sx(x)}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    switch (x.k) {
      case "const": return this.fconst(x.v);
      case "var": return this.varNum(x.name);
      case "load": return this.load(x);
      case "select": {
        const c = this.cond(x.c);
        const a = this.num(x.a), b = this.num(x.b);
        if (c.kind === "b" && a.kind === "f" && b.kind === "f")
          return this.node(key, "f", [a, b, c], () => {
            this.use(a);
            this.use(b);
            this.use(c);
            this.f.op("select");
          });
        const va = this.vec(a), vb = this.vec(b), m = this.mask(c);
        return this.node(key, "v", [va, vb, m], () => {
          this.use(va);
          this.use(vb);
          this.use(m);
          this.f.simd("v128.bitselect");
        });
      }
      case "un": return this.unary(x, key);
      case "bin": return this.binary(x, key);
    }
  }

  unary(x: Extract<Sx, { k: "un" }>, key: string): ValueNode {
    switch (x.op) {
      case "not": case "isneginf": return this.toNum(this.cond(x));
      case "rsqrt": return this.num(S.div(1, S.sqrt(x.x)));
      case "sigmoid": return this.num(S.div(1, S.add(1, S.exp(S.neg(x.x)))));
      case "neg": case "abs": case "sqrt": case "floor": {
        const a = this.num(x.x);
        return this.node(key, a.kind === "v" ? "v" : "f", [a], () => {
          this.use(a);
          if (a.kind === "v") this.f.simd(this.vop(x.op));
          else this.f.op(this.fop(x.op));
        });
      }
      default: break;
    }
    const imp = this.c.mathImport(x.op);
    if (imp !== undefined) return this.perLane(imp, this.num(x.x), key);
    // f32 lanes: polynomial exp and log, and the rest through them. (An f64 function without its
    // import stays JS: the polynomials are f32x4 code.)
    if (this.F !== "f32") throw new Unsupported();
    switch (x.op) {
      case "exp": case "log":
        return this.vinline(x.op === "exp" ? emitExpF32 : emitLogF32, this.num(x.x), key);
      case "log1p": return this.num(S.log(S.add(1, x.x)));
      case "tanh": return this.num(S.sub(1, S.div(2, S.add(S.exp(S.mul(2, x.x)), 1))));
      case "erf": {
        // The same Numerical Recipes fit as the JS helper.
        const z = S.abs(x.x);
        const t = S.div(1, S.add(1, S.mul(0.5, z)));
        const coeffs = [-0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368];
        let p: Sx = S.c(0.17087277);
        for (const cf of coeffs) p = S.add(cf, S.mul(t, p));
        const r = S.mul(t, S.exp(S.add(S.sub(S.neg(S.mul(z, z)), 1.26551223), S.mul(t, p))));
        return this.num(S.select(S.ge(x.x, 0), S.sub(1, r), S.sub(r, 1)));
      }
      default: throw new Unsupported();
    }
  }

  /**
   * An f32x4 function emitted inline (a call would make V8 spill every live vector register),
   * applied to a vector, or to a scalar through lane 0.
   */
  vinline(body: (f: FuncBuilder, x: number) => void, a: ValueNode, key: string): ValueNode {
    const va = this.vec(a);
    return this.node(key, a.kind === "v" ? "v" : "f", [va], () => {
      const x = this.f.local("v128");
      this.use(va);
      this.f.set(x);
      body(this.f, x);
      if (a.kind !== "v") this.f.lane(this.vop("extract_lane"), 0);
    });
  }

  /** A host f64 → f64 function, lane by lane. */
  perLane(fn: number, a: ValueNode, key: string): ValueNode {
    const toHost = () => this.F === "f32" && this.f.op("f64.promote_f32");
    const fromHost = () => this.F === "f32" && this.f.op("f32.demote_f64");
    if (a.kind !== "v")
      return this.node(key, "f", [a], () => {
        this.use(a);
        toHost();
        this.f.call(fn);
        fromHost();
      });
    return this.node(key, "v", [a], () => {
      const src = this.f.local("v128");
      const dst = this.f.local("v128");
      this.use(a);
      this.f.set(src);
      for (let l = 0; l < this.L; l++) {
        if (l > 0) this.f.get(dst);
        this.f.get(src).lane(this.vop("extract_lane"), l);
        toHost();
        this.f.call(fn);
        fromHost();
        if (l === 0) this.f.simd(this.vop("splat"));
        else this.f.lane(this.vop("replace_lane"), l);
        this.f.set(dst);
      }
      this.f.get(dst);
    });
  }

  binary(x: Extract<Sx, { k: "bin" }>, key: string): ValueNode {
    const arith = ["add", "sub", "mul", "div", "max", "min"];
    if (!arith.includes(x.op)) return this.toNum(this.cond(x));
    const a = this.num(x.a), b = this.num(x.b);
    if (a.kind === "f" && b.kind === "f")
      return this.node(key, "f", [a, b], () => {
        this.use(a);
        this.use(b);
        this.f.op(this.fop(x.op));
      });
    const va = this.vec(a), vb = this.vec(b);
    return this.node(key, "v", [va, vb], () => {
      this.use(va);
      this.use(vb);
      this.f.simd(this.vop(vecOp(x.op)));
    });
  }

  cond(x: Sx): ValueNode {
    const key = `B${this.sx(x)}`;
    const hit = this.memo.get(key);
    if (hit) return hit;
    if (x.k === "un" && x.op === "not") {
      const a = this.cond(x.x);
      return this.node(key, a.kind, [a], () => {
        this.use(a);
        if (a.kind === "m") this.f.simd("v128.not");
        else this.f.op("i32.eqz");
      });
    }
    if (x.k === "un" && x.op === "isneginf") return this.cond(S.eq(x.x, S.NEG_INF));
    if (x.k === "bin" && (x.op === "and" || x.op === "or")) {
      const a = this.cond(x.a), b = this.cond(x.b);
      if (a.kind === "b" && b.kind === "b")
        return this.node(key, "b", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(x.op === "and" ? "i32.and" : "i32.or");
        });
      const ma = this.mask(a), mb = this.mask(b);
      return this.node(key, "m", [ma, mb], () => {
        this.use(ma);
        this.use(mb);
        this.f.simd(x.op === "and" ? "v128.and" : "v128.or");
      });
    }
    const cmp: Record<string, string> = { lt: "lt", le: "le", gt: "gt", ge: "ge", eq: "eq", ne: "ne" };
    if (x.k === "bin" && cmp[x.op]) {
      const a = this.num(x.a), b = this.num(x.b);
      if (a.kind === "f" && b.kind === "f")
        return this.node(key, "b", [a, b], () => {
          this.use(a);
          this.use(b);
          this.f.op(this.fop(cmp[x.op]!));
        });
      const va = this.vec(a), vb = this.vec(b);
      return this.node(key, "m", [va, vb], () => {
        this.use(va);
        this.use(vb);
        this.f.simd(this.vop(cmp[x.op]!));
      });
    }
    return this.bool(this.num(x));
  }
}
