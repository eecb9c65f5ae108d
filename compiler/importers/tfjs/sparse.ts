// Index ops with positions known at import time: Where (the positions of a mask), SparseToDense
// (token ids into a dense batch), and ScatterNd/GatherNd, which move a model value between the
// packed form (one row per token) and the dense form ([batch, length, …]). With known positions
// both are gathers of rows: edges of weight 1, as a reshape has.

import type { Lowering, Val } from "../onnx/context.ts";
import { movementOps, reshapeTo } from "../onnx/movement.ts";
import type { OnnxOp } from "../onnx/op.ts";
import { konst, vector, type ConstTensor } from "../onnx/tensor.ts";
import { constInput, via } from "./via.ts";
import { sizeOf, stridesOf } from "../../../ir/types.ts";

/** Where(cond): the multi-indices of the true elements, [count, rank], in row-major order. */
const where: OnnxOp = {
  attrs: ["T"],
  fold: ([cond]) => {
    const c = cond!;
    const out: number[] = [];
    let count = 0;
    c.data.forEach((v, f) => {
      if (v === 0) return;
      count++;
      let r = f;
      const idx = new Array<number>(c.shape.length);
      for (let a = c.shape.length - 1; a >= 0; a--) [idx[a], r] = [r % c.shape[a]!, Math.floor(r / c.shape[a]!)];
      out.push(...idx);
    });
    return [konst("int", [count, c.shape.length], out)];
  },
};

/** Flat row numbers of the multi-indices [n, k] into the leading k axes of `shape`. */
function rowsOf(ctx: Lowering, indices: ConstTensor, shape: readonly number[]): number[] {
  const k = indices.shape[indices.shape.length - 1]!;
  if (k > shape.length) ctx.fail(`indices of depth ${k} into a rank-${shape.length} tensor`);
  const st = stridesOf(shape.slice(0, k));
  const rows: number[] = [];
  for (let i = 0; i < indices.data.length / k; i++) {
    let r = 0;
    for (let a = 0; a < k; a++) {
      const v = indices.data[i * k + a]!;
      if (!Number.isInteger(v) || v < 0 || v >= shape[a]!) ctx.fail(`index ${v} is out of range for axis ${a} of extent ${shape[a]}`);
      r += v * st[a]!;
    }
    rows.push(r);
  }
  return rows;
}

/** Rows `picks` of v seen as [rows, …inner]: the ONNX Gather of known indices. */
function takeRows(ctx: Lowering, v: Val, k: number, picks: readonly number[]): Val {
  const shape = ctx.shape(v);
  const table = reshapeTo(ctx, v, [sizeOf(shape.slice(0, k)), ...shape.slice(k)]);
  const name = `${ctx.current!.name}/table`;
  ctx.set(name, table);
  const ids = constInput(ctx, "rows", vector("int", picks));
  return via(movementOps["Gather"]!, [], () => ({ inputs: [name, ids], attrs: { axis: 0 } })).lower!(ctx)[0]!;
}

/** SparseToDense(indices, shape, values, default) on known tensors. */
const sparseToDense: OnnxOp = {
  attrs: ["T", "Tindices", "validate_indices"],
  fold: ([indices, shape, values, fill], ctx) => {
    const dims = shape!.data;
    const data = new Array<number>(sizeOf(dims)).fill(fill!.data[0]!);
    const at = rowsOf(ctx, indices!.shape.length === 1 ? konst("int", [indices!.data.length, 1], indices!.data) : indices!, dims);
    at.forEach((r, i) => (data[r] = values!.data.length === 1 ? values!.data[0]! : values!.data[i]!));
    return [konst(values!.kind, dims, data)];
  },
};

/**
 * ScatterNd(indices, updates, shape): every row of the output must be written exactly once (a
 * permutation of the packed rows), since semic has no zero fill with edges; padding is an error.
 */
const scatterNd: OnnxOp = {
  attrs: ["T", "Tindices"],
  lower: (ctx) => {
    const indices = ctx.known(0, "indices"), shape = ctx.known(2, "shape").data;
    const updates = ctx.need(1, "updates");
    const k = indices.shape[indices.shape.length - 1]!;
    const rows = rowsOf(ctx, indices, shape);
    const total = sizeOf(shape.slice(0, k));
    const source = new Array<number>(total).fill(-1);
    rows.forEach((r, i) => {
      if (source[r] !== -1) ctx.fail(`row ${r} is written twice (ScatterNd adds duplicates; semic supports a permutation of rows)`);
      source[r] = i;
    });
    const unset = source.indexOf(-1);
    if (unset >= 0)
      ctx.fail(`row ${unset} of [${shape.join(",")}] is not written (padding): semic imports a scatter that fills every row, e.g. one sentence with no padding`);
    const packed = reshapeTo(ctx, updates, [rows.length, ...shape.slice(k)]);
    const identity = source.every((s, r) => s === r);
    return [reshapeTo(ctx, identity ? packed : takeRows(ctx, packed, 1, source), shape)];
  },
};

/** GatherNd(params, indices): rows of params at known multi-indices. */
const gatherNd: OnnxOp = {
  attrs: ["Tparams", "Tindices"],
  lower: (ctx) => {
    const params = ctx.need(0, "params"), indices = ctx.known(1, "indices");
    const shape = ctx.shape(params);
    const k = indices.shape[indices.shape.length - 1]!;
    const rows = rowsOf(ctx, indices, shape);
    const outShape = [...indices.shape.slice(0, -1), ...shape.slice(k)];
    const identity = rows.length === sizeOf(shape.slice(0, k)) && rows.every((r, i) => r === i);
    return [reshapeTo(ctx, identity ? params : takeRows(ctx, params, k, rows), outShape)];
  },
};

export const sparseTfOps: Record<string, OnnxOp> = {
  Where: where,
  SparseToDense: sparseToDense,
  ScatterNd: scatterNd,
  GatherNd: gatherNd,
};
