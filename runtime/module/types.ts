// What a generated module's run() returns and accepts: the one definition of these types. The JS
// module, the WebGPU driver (runtime/webgpu.ts) and compile.ts use them, and every generated .d.ts
// declares them from this file's text, everything below this header (compiler/backends/embed.ts).

export interface Tensor {
  /** Shape of the value (the tensor's shape, plus [k] when the readout has k values). */
  shape: number[];
  /** The semiring's readout per element (gradient, top path product, entropy…). */
  value: Float64Array;
  /** The raw semiring lanes per element. */
  lanes: Record<string, Float32Array | Float64Array>;
}
export interface PathStep {
  op: string;
  tensor: string;
  index: number[];
  /** Local derivative of the edge taken (1 for the starting element). */
  weight: number;
}
export interface SemiringResult<W extends string, B extends string> {
  wrt: Record<W, Tensor>;
  branches: Record<B, Tensor>;
  aggregated?: Record<string, Tensor & { axes: number[] }>;
  /** Selecting semirings: the best path from the chosen element to the output. */
  topPath?: PathStep[];
  topPathValue?: number;
  /** topk: the k best paths. */
  topPaths?: { value: number; steps: PathStep[] }[];
}
export interface RunOptions<S extends string, W extends string> {
  semirings?: S[];
  wrt?: W[];
  /** ⊕ over these axes of a wrt tensor or branch, e.g. { embeddings: [1] } per token. */
  aggregate?: Record<string, number[]>;
  /** Where the top path starts (default: the best element of the first wrt tensor); false: none. */
  topPath?: { from?: string; index?: number[] } | false;
  /** A non-finite forward value throws instead of being a warning (default: as compiled, --strict). */
  strict?: boolean;
}
/** createModel's options. */
export interface ModelOptions {
  /**
   * Values computed from the params alone (log|w|…), kept across models: pass one `new Map()` to
   * every createModel given the same param arrays (models of other lengths of the same weights),
   * and each computes them once. Arrays changed in place after that are not noticed.
   */
  caches?: Map<string, unknown>;
}
