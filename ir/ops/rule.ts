// The op contract: one OpRule per op gives its shape rule, its forward computation and its
// local Jacobian (the edges of the scalar gradient graph), all as data over Sx.
//
// Tensors inside a rule are referred to by role: "x0", "x1"… (inputs), "y" (output) and
// "aux:<name>" (per-op saved tensors, e.g. a softmax row max). Backends and the oracle bind
// roles to buffers; rules never see a semiring.

import * as S from "../scalar.ts";
import type { Sx, SxLike } from "../scalar.ts";
import { ShapeError, showShape, type Shape, type TensorType } from "../types.ts";

export type Attr = number | string | boolean | readonly number[];
export type Attrs = Readonly<Record<string, Attr>>;
/** Attribute schema; a trailing "?" marks an optional attribute. */
export type AttrKind = "int" | "ints" | "float" | "floats" | "string" | "bool";
export type AttrSchema = Readonly<Record<string, AttrKind | `${AttrKind}?`>>;

export interface IndexVar {
  readonly name: string;
  readonly extent: number;
}

/** One forward step: target[index] = body, or target[index] = finalize(⊙ over the other vars of body). */
export interface Stage {
  readonly target: string;
  readonly vars: readonly IndexVar[];
  readonly index: readonly Sx[];
  readonly body: Sx;
  /** Present for reductions; `index` must then be plain distinct vars, the remaining vars are reduced. */
  readonly reduce?: { readonly op: "sum" | "max"; readonly finalize?: (acc: Sx) => Sx };
}

/**
 * The edges from input `input` to the output: for every point of `vars` (where `guard` ≠ 0),
 * an edge x[inIndex] → y[outIndex] of weight ∂y[outIndex]/∂x[inIndex]. Distinct points must
 * give distinct (inIndex, outIndex) pairs.
 */
export interface EdgeSet {
  readonly input: number;
  readonly vars: readonly IndexVar[];
  readonly inIndex: readonly Sx[];
  readonly outIndex: readonly Sx[];
  readonly weight: Sx;
  readonly guard?: Sx;
}

export interface RuleCtx {
  readonly xs: readonly TensorType[];
  readonly y: TensorType;
  readonly attrs: Attrs;
}

export type Role = "input" | "param" | "constant" | "name" | "branch";
export const isLeaf = (r: OpRule): boolean => r.role === "input" || r.role === "param" || r.role === "constant";

export type Domain = "any" | "positive" | "nonzero" | "ids";

export interface OpRule {
  readonly name: string;
  /** Number of inputs, or the minimum for variadic ops. */
  readonly arity: number | { readonly min: number };
  readonly attrs: AttrSchema;
  /**
   * What passes need to know beyond the rule: leaves get their values from outside (model inputs,
   * trained params, constants); "name" and "branch" are labelled identities, a branch's adjoint
   * being reported as one consumer's contribution.
   */
  readonly role?: Role;
  /** Input domains for test generators (log wants positive inputs, gather wants ids). */
  readonly domain?: Readonly<Record<number, Domain>>;
  infer(xs: readonly TensorType[], attrs: Attrs): TensorType;
  aux?(ctx: RuleCtx): Readonly<Record<string, TensorType>>;
  forward(ctx: RuleCtx): readonly Stage[];
  edges(ctx: RuleCtx): readonly EdgeSet[];
}

// ---------------------------------------------------------------- role helpers

export const X = (i: number, index: readonly SxLike[]) => S.load(`x${i}`, index);
export const Y = (index: readonly SxLike[]) => S.load("y", index);
export const Aux = (name: string, index: readonly SxLike[]) => S.load(`aux:${name}`, index);

/** Index vars named `${prefix}0…` spanning a shape. */
export const space = (shape: Shape, prefix = "i"): IndexVar[] =>
  shape.map((extent, a) => ({ name: `${prefix}${a}`, extent }));
export const refs = (vars: readonly IndexVar[]): Sx[] => vars.map((iv) => S.v(iv.name));

export const attrNum = (attrs: Attrs, key: string, fallback?: number): number => {
  const a = attrs[key];
  if (typeof a === "number") return a;
  if (fallback !== undefined) return fallback;
  throw new ShapeError(`missing attribute ${key}`);
};
export const attrInts = (attrs: Attrs, key: string): readonly number[] => {
  const a = attrs[key];
  if (Array.isArray(a)) return a as readonly number[];
  throw new ShapeError(`missing attribute ${key}`);
};
export const attrStr = (attrs: Attrs, key: string, fallback?: string): string => {
  const a = attrs[key];
  if (typeof a === "string") return a;
  if (fallback !== undefined) return fallback;
  throw new ShapeError(`missing attribute ${key}`);
};

export function expectFloat(t: TensorType, what: string): void {
  if (t.dtype !== "f32") throw new ShapeError(`${what} must be f32, got ${t.dtype}`);
}

// ---------------------------------------------------------------- broadcasting

/** numpy broadcasting of two or more shapes. */
export function broadcastShapes(shapes: readonly Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let a = 0; a < rank; a++) {
    let d = 1;
    for (const s of shapes) {
      const sd = s[s.length - rank + a] ?? 1;
      if (sd === d || sd === 1) continue;
      if (d !== 1) throw new ShapeError(`cannot broadcast ${shapes.map(showShape).join(" and ")}`);
      d = sd;
    }
    out.push(d);
  }
  return out;
}

/** The element of a (broadcast) input that feeds output element `outIdx`. */
export function broadcastIndex(inShape: Shape, outIdx: readonly Sx[]): Sx[] {
  const off = outIdx.length - inShape.length;
  return inShape.map((d, a) => (d === 1 ? S.c(0) : outIdx[a + off]!));
}

// ---------------------------------------------------------------- factories

export interface ElementwiseSpec {
  readonly name: string;
  readonly arity: number;
  readonly attrs?: AttrSchema;
  readonly domain?: Readonly<Record<number, Domain>>;
  readonly forward: (xs: readonly Sx[], attrs: Attrs) => Sx;
  /** ∂y/∂xᵢ for each input, over the input elements and the output element y. */
  readonly jacobian: (xs: readonly Sx[], y: Sx, attrs: Attrs) => readonly Sx[];
}

/** Elementwise ops with numpy broadcasting: each output element has one edge per input. */
export function elementwise(spec: ElementwiseSpec): OpRule {
  const at = (ctx: RuleCtx) => {
    const vars = space(ctx.y.shape);
    const out = refs(vars);
    const xs = ctx.xs.map((t, i) => X(i, broadcastIndex(t.shape, out)));
    return { vars, out, xs, ins: ctx.xs.map((t) => broadcastIndex(t.shape, out)) };
  };
  return {
    name: spec.name,
    arity: spec.arity,
    attrs: spec.attrs ?? {},
    domain: spec.domain,
    infer(xs) {
      xs.forEach((t, i) => expectFloat(t, `operand ${i}`));
      return { dtype: "f32", shape: broadcastShapes(xs.map((t) => t.shape)) };
    },
    forward(ctx) {
      const { vars, out, xs } = at(ctx);
      return [{ target: "y", vars, index: out, body: spec.forward(xs, ctx.attrs) }];
    },
    edges(ctx) {
      const { vars, out, xs, ins } = at(ctx);
      const ws = spec.jacobian(xs, Y(out), ctx.attrs);
      return ctx.xs.map((_, i) => ({ input: i, vars, inIndex: ins[i]!, outIndex: out, weight: ws[i]! }));
    },
  };
}

/** Normalised, sorted, de-duplicated reduction axes (all axes when absent). */
export function reductionAxes(rank: number, axes: Attr | undefined): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list: readonly number[] = Array.isArray(axes) ? (axes as readonly number[]) : [axes as number];
  const norm = list.map((a) => (a < 0 ? a + rank : a));
  for (const a of norm) if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`axis ${a} is out of range for rank ${rank}`);
  return [...new Set(norm)].sort((a, b) => a - b);
}

export interface ReduceSpec {
  readonly name: string;
  readonly op: "sum" | "max";
  /** acc, and the number of reduced elements, → y. */
  readonly finalize?: (acc: Sx, n: number) => Sx;
  /** ∂y/∂x for one reduced element x, with n reduced elements; null: the op has no gradient edges. */
  readonly weight: ((x: Sx, y: Sx, n: number) => Sx) | null;
}

/** Reductions over `axes` (attribute; all axes when absent), dropping the reduced axes. */
export function reduction(spec: ReduceSpec): OpRule {
  const at = (ctx: RuleCtx) => {
    const shape = ctx.xs[0]!.shape;
    const axes = reductionAxes(shape.length, ctx.attrs["axes"]);
    const vars = space(shape);
    const inIdx = refs(vars);
    const outIdx = inIdx.filter((_, a) => !axes.includes(a));
    const n = axes.reduce((p, a) => p * shape[a]!, 1);
    return { vars, inIdx, outIdx, n };
  };
  return {
    name: spec.name,
    arity: 1,
    attrs: { axes: "ints?" },
    infer([x], attrs) {
      expectFloat(x!, "operand");
      const axes = reductionAxes(x!.shape.length, attrs["axes"]);
      return { dtype: "f32", shape: x!.shape.filter((_, a) => !axes.includes(a)) };
    },
    forward(ctx) {
      const { vars, inIdx, outIdx, n } = at(ctx);
      const fin = spec.finalize;
      return [{
        target: "y", vars, index: outIdx, body: X(0, inIdx),
        reduce: { op: spec.op, finalize: fin ? (acc: Sx) => fin(acc, n) : undefined },
      }];
    },
    edges(ctx) {
      if (!spec.weight) return [];
      const { vars, inIdx, outIdx, n } = at(ctx);
      return [{ input: 0, vars, inIndex: inIdx, outIndex: outIdx, weight: spec.weight(X(0, inIdx), Y(outIdx), n) }];
    },
  };
}

/** Ops whose output is an input's elements moved around (weight-1 edges). */
export interface MoveSpec {
  readonly name: string;
  readonly arity: number | { readonly min: number };
  readonly attrs: AttrSchema;
  infer(xs: readonly TensorType[], attrs: Attrs): TensorType;
  /** For input i: the vars to loop over, and the input and output elements each point links. */
  links(ctx: RuleCtx): readonly { input: number; vars: readonly IndexVar[]; inIndex: readonly Sx[]; outIndex: readonly Sx[]; guard?: Sx }[];
}

export function movement(spec: MoveSpec): OpRule {
  return {
    name: spec.name,
    arity: spec.arity,
    attrs: spec.attrs,
    infer: (xs, attrs) => spec.infer(xs, attrs),
    forward(ctx) {
      return spec.links(ctx).map((l) => {
        if (l.guard) throw new Error(`${spec.name}: guarded links cannot define the forward pass`);
        return { target: "y", vars: l.vars, index: l.outIndex, body: X(l.input, l.inIndex) };
      });
    },
    edges(ctx) {
      return spec.links(ctx).map((l) => ({ ...l, weight: S.c(1) }));
    },
  };
}

/** Leaves: values from outside the graph; the shape comes from an attribute. */
export function leaf(spec: {
  readonly name: string;
  readonly role: "input" | "param" | "constant";
  readonly attrs: AttrSchema;
  readonly dtype?: (attrs: Attrs) => "f32" | "i32";
  readonly check?: (shape: readonly number[], attrs: Attrs) => void;
}): OpRule {
  return {
    name: spec.name,
    arity: 0,
    attrs: spec.attrs,
    role: spec.role,
    infer(_xs, attrs) {
      const shape = attrs["shape"];
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))
        throw new ShapeError(`bad shape ${JSON.stringify(shape)}: dimensions must be positive integers`);
      spec.check?.(shape, attrs);
      return { dtype: spec.dtype?.(attrs) ?? "f32", shape };
    },
    forward: () => [],
    edges: () => [],
  };
}
