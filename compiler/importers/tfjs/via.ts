// Most TF ops are an ONNX op with its attributes moved: TF passes axes and permutations as Const
// inputs, ONNX as attributes. `via` rewrites the current node into the ONNX form and runs the ONNX
// op's import, so both formats share one implementation of each op.

import type { Lowering } from "../onnx/context.ts";
import type { OnnxOp } from "../onnx/op.ts";
import type { AttrValue, OnnxNode } from "../onnx/proto.ts";
import type { ConstTensor } from "../onnx/tensor.ts";

export interface OnnxForm {
  readonly inputs: readonly string[];
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

/** Runs `f` with the current node seen as `node`, then restores it (errors still name the TF node). */
function as<T>(ctx: Lowering, node: OnnxNode, f: () => T): T {
  const before = ctx.current;
  ctx.current = node;
  try {
    return f();
  } finally {
    ctx.current = before;
  }
}

/**
 * A TF op imported as the ONNX op `op`; `form` gives the ONNX inputs and attributes, reading the
 * TF node through ctx (ctx.known for Const inputs). `attrs` lists the TF attributes understood.
 */
export function via(op: OnnxOp, attrs: readonly string[], form: (ctx: Lowering) => OnnxForm): OnnxOp {
  const rewrite = (ctx: Lowering): OnnxNode => {
    const n = ctx.current!;
    const f = form(ctx);
    // The ONNX op's own attribute check happens in the TF table's entry, so the op sees only its own.
    return { ...n, inputs: f.inputs, attrs: new Map(Object.entries(f.attrs ?? {})) };
  };
  const known = (ctx: Lowering, names: readonly string[]) =>
    names.map((name) => {
      const v = name ? ctx.get(name) : undefined;
      return v && "konst" in v ? v.konst : undefined;
    });
  const fold = op.fold;
  return {
    attrs,
    ...(fold
      ? {
          fold: (_xs: readonly (ConstTensor | undefined)[], ctx: Lowering) => {
            const node = rewrite(ctx);
            return as(ctx, node, () => fold(known(ctx, node.inputs), ctx));
          },
        }
      : {}),
    lower: (ctx) => {
      const node = rewrite(ctx);
      const lower = op.lower ?? ctx.fail("needs inputs known at import time");
      return as(ctx, node, () => lower(ctx));
    },
  };
}

/** A tensor known at import time, put under a name derived from the current node so an ONNX form can refer to it. */
export function constInput(ctx: Lowering, suffix: string, t: ConstTensor): string {
  const name = `${ctx.current!.name}/${suffix}`;
  ctx.set(name, { konst: t });
  return name;
}

/** The i-th input of the current node by name (for ONNX forms that keep it). */
export const inputName = (ctx: Lowering, i: number): string => ctx.current!.inputs[i] ?? ctx.fail(`missing input ${i}`);

/** One integer from a known input (an axis). */
export function knownInt(ctx: Lowering, i: number, what: string): number {
  const t = ctx.known(i, what);
  if (t.data.length !== 1) ctx.fail(`${what} must be one integer, got [${t.data.join(",")}]`);
  return t.data[0]!;
}
