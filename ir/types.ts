// Tensor types: a dtype and a static shape. Storage is dense and row-major everywhere.

export type DType = "f32" | "i32";
export type Shape = readonly number[];

export interface TensorType {
  readonly dtype: DType;
  readonly shape: Shape;
}

export const f32 = (...shape: number[]): TensorType => ({ dtype: "f32", shape });
export const i32 = (...shape: number[]): TensorType => ({ dtype: "i32", shape });

export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export const showShape = (shape: Shape): string => `[${shape.join(",")}]`;
export const showType = (t: TensorType): string => `${t.dtype}${showShape(t.shape)}`;
export const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** Flat row-major offset → multi-index. */
export function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    idx[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}

export function ravel(index: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) flat = flat * shape[i]! + index[i]!;
  return flat;
}

/** Normalises a possibly negative axis; throws a message naming the rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new ShapeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** A shape rule's complaint; the graph builder adds the op name and location. */
export class ShapeError extends Error {}
