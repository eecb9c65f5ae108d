// What every weights format shares: the tensor map a file loads into, the error that names the
// file and the tensor at fault, and small shape helpers.

export type SafetensorsDtype = "F32" | "F16" | "BF16" | "I32" | "I64";
export type TensorData = Float32Array | Int32Array;

/** A tensor as read from a file. F16/BF16 are widened to f32, I64 narrowed to i32. */
export interface LoadedTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

export type TensorMap = Map<string, LoadedTensor>;

/** A nested-array value: a number for a scalar, arrays of arrays … of numbers otherwise. */
export type Nested = number | Nested[];

/** A weights or inputs file could not be read, or does not fit the model. */
export class WeightsError extends Error {
  readonly code = "E_WEIGHTS";
  constructor(
    /** The file (or source description) at fault. */
    readonly file: string,
    message: string,
    /** The tensor at fault, when there is exactly one. */
    readonly tensor?: string,
  ) {
    super(message);
    this.name = "WeightsError";
  }
}

// ---------------------------------------------------------------------------------
// shapes

export const showShape = (shape: readonly number[]): string => `[${shape.join(",")}]`;

export const numelOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const isDim = (d: unknown): d is number => typeof d === "number" && Number.isSafeInteger(d) && d >= 0;

/** `x[1][2]` for flat index 5 of shape [2,3] (or just `x` for a scalar). */
export function elementPath(name: string, shape: readonly number[], flat: number): string {
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = shape[k]!;
    idx.push(flat % d);
    flat = Math.floor(flat / d);
  }
  return name + idx.reverse().map((i) => `[${i}]`).join("");
}
