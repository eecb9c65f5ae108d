// The model DSL, imported by model files as "semic/dsl". These are typed declarations only:
// the compiler never runs a model file. compiler/frontend reads the source with ts-morph,
// recognises a call as a DSL op when the type checker resolves it to a declaration in this
// file, and partially evaluates everything else (constants, loops, helpers) into the IR.
//
// Keep this file free of imports: the frontend copies it into in-memory projects as is.

declare const tensorBrand: unique symbol;
declare const modelBrand: unique symbol;
declare const semiringBrand: unique symbol;

/** A tensor of the model graph. Opaque: only its static shape is readable, at compile time. */
export interface Tensor {
  readonly [tensorBrand]: true;
  /** The static shape, known at compile time (e.g. `const [n, d] = x.shape`). */
  readonly shape: readonly number[];
}

/** A tensor, or a number (it becomes a scalar constant). */
export type TensorLike = Tensor | number;

/** Nested arrays of numbers, for `constant`. */
export type NestedNumbers = number | readonly NestedNumbers[];

/** Compile-time configuration values; `--config key=value` overrides them. */
export type ConfigValue = number | string | boolean | readonly ConfigValue[];
export type Config = Readonly<Record<string, ConfigValue>>;

export interface Model<C extends Config = Config> {
  readonly [modelBrand]: C;
}

/** A semiring element as seen by `defineSemiring` functions: one number per lane. */
export type Lanes = readonly number[];

/**
 * A user semiring. The functions are compiled into Sx (the compiler's scalar language), so
 * their bodies may use only: numeric literals, `Infinity`, lane reads (`a[0]` or destructured
 * parameters), + - * / and unary -, comparisons, && || !, `?:` (it becomes a select), the
 * functions Math.exp log log1p sqrt abs max min tanh sin cos floor, `const` bindings, and
 * helper functions of the same kind.
 */
export interface SemiringSpec {
  /** Lowercase, no separator (the CLI name). */
  readonly name: string;
  readonly summary?: string;
  /** Name of the readout, for reports ("value" by default). */
  readonly reads?: string;
  readonly lanes: readonly string[];
  readonly zero: Lanes;
  readonly one: Lanes;
  /** a ⊕ b */
  readonly plus: (a: Lanes, b: Lanes) => Lanes;
  /** a ⊗ b */
  readonly times: (a: Lanes, b: Lanes) => Lanes;
  /** A local Jacobian weight w as a semiring element. */
  readonly lift: (w: number) => Lanes;
  /** What the user reads from a final adjoint. */
  readonly readout: (a: Lanes) => number | Lanes;
  /** a ⊕ a = a (max-style reductions). */
  readonly idempotentPlus?: boolean;
}

export interface SemiringDef {
  readonly [semiringBrand]: true;
}

const NOT_RUN = "semic DSL functions are compiled, not run: use `semic compile`";

/** Every DSL function at run time: it only says that model files are compiled, not run. */
function compiledOnly<F>(): F {
  return ((..._args: unknown[]): never => {
    throw new Error(NOT_RUN);
  }) as F;
}

// ---------------------------------------------------------------- models

/**
 * A model: `body` builds the graph and returns its (scalar) output. With a `config` object of
 * compile-time constants, `body` receives it, with `--config key=value` overrides applied.
 */
export const model: {
  (name: string, body: () => Tensor): Model;
  <C extends Config>(name: string, config: C, body: (config: C) => Tensor): Model<C>;
} = compiledOnly();

// ---------------------------------------------------------------- leaves

/** A model input, named by `name` (f32 values, or i32 token ids). */
export const input: (name: string, shape: readonly number[], dtype?: "f32" | "i32") => Tensor = compiledOnly();
/** A trained parameter, named by `name` (its key in a weights file). */
export const param: (name: string, shape: readonly number[]) => Tensor = compiledOnly();
/** Values fixed at compile time: a number or nested arrays of numbers. */
export const constant: (values: NestedNumbers) => Tensor = compiledOnly();

// ---------------------------------------------------------------- elementwise (numpy broadcasting)

export const add: (a: TensorLike, b: TensorLike) => Tensor = compiledOnly();
export const sub: (a: TensorLike, b: TensorLike) => Tensor = compiledOnly();
export const mul: (a: TensorLike, b: TensorLike) => Tensor = compiledOnly();
export const div: (a: TensorLike, b: TensorLike) => Tensor = compiledOnly();
export const neg: (x: Tensor) => Tensor = compiledOnly();
export const exp: (x: Tensor) => Tensor = compiledOnly();
export const log: (x: Tensor) => Tensor = compiledOnly();
export const sqrt: (x: Tensor) => Tensor = compiledOnly();
export const sin: (x: Tensor) => Tensor = compiledOnly();
export const cos: (x: Tensor) => Tensor = compiledOnly();
export const tanh: (x: Tensor) => Tensor = compiledOnly();
export const sigmoid: (x: Tensor) => Tensor = compiledOnly();
export const relu: (x: Tensor) => Tensor = compiledOnly();
/** GELU, exact ("erf", the default) or the tanh approximation. */
export const gelu: (x: Tensor, approximate?: "erf" | "tanh") => Tensor = compiledOnly();

// ---------------------------------------------------------------- contractions, shapes, reductions

/** numpy matmul: batched over leading axes; 1-D operands are vectors. */
export const matmul: (a: Tensor, b: Tensor) => Tensor = compiledOnly();
/** Reverses the axes, or permutes them by `perm`. */
export const transpose: (x: Tensor, perm?: readonly number[]) => Tensor = compiledOnly();
export const reshape: (x: Tensor, shape: readonly number[]) => Tensor = compiledOnly();
/** Elements start ≤ i < end along `axis`. */
export const slice: (x: Tensor, axis: number, start: number, end: number) => Tensor = compiledOnly();
export const concat: (xs: readonly Tensor[], axis: number) => Tensor = compiledOnly();
/** Sum over `axes` (all axes when absent); the reduced axes are dropped. */
export const sum: (x: Tensor, axes?: number | readonly number[]) => Tensor = compiledOnly();
export const mean: (x: Tensor, axes?: number | readonly number[]) => Tensor = compiledOnly();
/** Softmax over the last axis. */
export const softmax: (x: Tensor) => Tensor = compiledOnly();
/** log(softmax(x)) over the last axis. */
export const logSoftmax: (x: Tensor) => Tensor = compiledOnly();
/** Layer normalisation over the last axis; `eps` defaults to 1e-5 (BERT uses 1e-12: pass it). */
export const layerNorm: (x: Tensor, gamma: Tensor, beta: Tensor, eps?: number) => Tensor = compiledOnly();
/** x·wᵀ (+ b), with w of shape [out, in] as in PyTorch. */
export const linear: (x: Tensor, w: Tensor, b?: Tensor) => Tensor = compiledOnly();
/** Rows of `table` selected by the i32 tensor `ids` (embedding lookup). */
export const gather: (table: Tensor, ids: Tensor) => Tensor = compiledOnly();
/** The element of x at `index` (one entry per axis): a scalar. */
export const pick: (x: Tensor, index: readonly number[]) => Tensor = compiledOnly();

// ---------------------------------------------------------------- naming

/** Identity whose adjoint is this consumer's contribution (paper §4.2): a named branch. */
export const branch: (x: Tensor, label: string) => Tensor = compiledOnly();
/** Identity that names an intermediate tensor so its adjoint can be asked for (--wrt). */
export const name: (x: Tensor, label: string) => Tensor = compiledOnly();

// ---------------------------------------------------------------- semirings

/** A user semiring; export it from a DSL file to use it with `--semiring <name>`. */
export const defineSemiring: (spec: SemiringSpec) => SemiringDef = compiledOnly();
