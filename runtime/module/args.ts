// Checks of what a generated module is given: params at createModel, inputs and options at run().
// The JS and the WebGPU modules embed this file as text (compiler/backends/embed.ts), so it
// is self-contained: no imports, nothing that needs Node. Every problem is one Error whose message
// names the argument, the element and the value, because the caller may be a user's own program.

/** An integer input element used as a gather index: valid ids are [0, rows). */
export interface IdRange {
  readonly rows: number;
  /** The gather, as `gather(table [rows,d])`. */
  readonly op: string;
  /** Flat elements of the input this range applies to; every element when absent. */
  readonly elements?: readonly number[];
}

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: "f32" | "i32";
  /** i32 inputs: the gathers their elements index. */
  readonly ids?: readonly IdRange[];
}

/** What run()'s options may name. */
export interface OptionSpace {
  readonly semirings: readonly string[];
  /** wrt tensors and branches by name, with their shapes. */
  readonly wrt: Readonly<Record<string, readonly number[]>>;
  readonly branches: Readonly<Record<string, readonly number[]>>;
}

const I32_MIN = -2147483648;
const I32_MAX = 2147483647;

const shapeText = (shape: readonly number[]) => `[${shape.join(",")}]`;

/** A value as a message shows it: short, and never throwing. */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (typeof x === "string") return x.length > 40 ? `a string of ${x.length} characters` : `the string ${JSON.stringify(x)}`;
  if (typeof x === "number" || typeof x === "boolean") return String(x);
  if (typeof x === "bigint") return `the bigint ${String(x)}n`;
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}${"length" in x ? ` of ${String(x.length)}` : ""}`;
  if (typeof x === "function") return "a function";
  return "an object";
}

/** A name given as an argument: quoted when it is a string. */
const quoted = (x: unknown): string => (typeof x === "string" ? JSON.stringify(x) : describeValue(x));

/** `name[i,j]` for flat element `flat` of a tensor of this shape. */
export function elementName(name: string, shape: readonly number[], flat: number): string {
  const index: number[] = new Array<number>(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = flat % shape[a]!;
    flat = Math.floor(flat / shape[a]!);
  }
  return `${name}[${index.join(",")}]`;
}

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);

const isNumericView = (x: unknown): x is ArrayLike<number> =>
  ArrayBuffer.isView(x) && !(x instanceof DataView) && !(x instanceof BigInt64Array) && !(x instanceof BigUint64Array);

/**
 * The values of one named tensor, checked: an array or typed array of the right length whose
 * elements are numbers (f32; NaN and ±Infinity pass here, the forward pass reports where they
 * lead) or integer ids in range (i32).
 */
export function checkTensor(fn: string, what: "input" | "parameter", given: unknown, spec: TensorSpec): ArrayLike<number> {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const label = `${what} "${spec.name}"`;
  const kind = spec.dtype === "i32" ? "integer ids" : "numbers";
  const expected = `an array of ${size} ${kind} (shape ${shapeText(spec.shape)})`;
  if (!Array.isArray(given) && !isNumericView(given)) throw new Error(`${fn}: ${label} must be ${expected}, got ${describeValue(given)}`);
  const data = given as ArrayLike<unknown>;
  if (data.length !== size) throw new Error(`${fn}: ${label} must be ${expected}, got ${describeValue(given)}`);
  const plain = Array.isArray(given);
  if (spec.dtype === "f32") {
    if (plain)
      for (let i = 0; i < size; i++)
        if (typeof data[i] !== "number") throw new Error(`${fn}: ${what} ${elementName(spec.name, spec.shape, i)} must be a number, got ${describeValue(data[i])}`);
    return data as ArrayLike<number>;
  }
  for (let i = 0; i < size; i++) {
    const v = data[i];
    if (typeof v !== "number" || !Number.isInteger(v) || v < I32_MIN || v > I32_MAX)
      throw new Error(`${fn}: ${what} ${elementName(spec.name, spec.shape, i)} = ${describeValue(v)} is not an integer id`);
  }
  for (const r of spec.ids ?? []) {
    const check = (i: number) => {
      const v = data[i] as number;
      if (!(v >= 0 && v < r.rows))
        throw new Error(`${fn}: ${what} ${elementName(spec.name, spec.shape, i)} = ${v} is out of range for ${r.op}: ids must be in [0, ${r.rows})`);
    };
    if (r.elements) for (const i of r.elements) check(i);
    else for (let i = 0; i < size; i++) check(i);
  }
  return data as ArrayLike<number>;
}

/** Every tensor of `specs` from the object `given` (extra keys are ignored). */
export function checkTensors(fn: string, what: "input" | "parameter", given: unknown, specs: readonly TensorSpec[]): Record<string, ArrayLike<number>> {
  const plural = what === "input" ? "inputs" : "params";
  const names = specs.map((s) => s.name).join(", ");
  if (!isPlainObject(given)) throw new Error(`${fn}: ${plural} must be an object of arrays by name (${names || "none"}), got ${describeValue(given)}`);
  const out: Record<string, ArrayLike<number>> = {};
  for (const spec of specs) {
    if (!Object.prototype.hasOwnProperty.call(given, spec.name) || given[spec.name] === undefined) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      throw new Error(`${fn}: missing ${what} "${spec.name}" (${spec.dtype}${shapeText(spec.shape)}, ${size} values)`);
    }
    out[spec.name] = checkTensor(fn, what, given[spec.name], spec);
  }
  return out;
}

function checkNameList(fn: string, key: string, given: unknown, valid: readonly string[], what: string): void {
  if (!Array.isArray(given)) throw new Error(`${fn}: options.${key} must be an array of names (${valid.join(", ") || "none"}), got ${describeValue(given)}`);
  given.forEach((n: unknown, i) => {
    if (typeof n !== "string" || !valid.includes(n))
      throw new Error(`${fn}: options.${key}[${i}] = ${quoted(n)} is not ${what} (compiled: ${valid.join(", ") || "none"})`);
  });
}

function checkIntegers(fn: string, key: string, given: unknown, bound: (i: number) => number, expected: string): void {
  if (!Array.isArray(given)) throw new Error(`${fn}: ${key} must be ${expected}, got ${describeValue(given)}`);
  given.forEach((v: unknown, i) => {
    const n = bound(i);
    if (typeof v !== "number" || !Number.isInteger(v) || v < -n || v >= n)
      throw new Error(`${fn}: ${key}[${i}] = ${describeValue(v)} must be an integer in [${-n}, ${n})`);
  });
}

/** The top-path start: false, or { from?: a wrt tensor or branch, index?: one integer per axis }. */
export function checkTopPath(fn: string, given: unknown, space: OptionSpace): void {
  if (given === undefined || given === false) return;
  if (!isPlainObject(given)) throw new Error(`${fn}: options.topPath must be false or { from?, index? }, got ${describeValue(given)}`);
  for (const k of Object.keys(given))
    if (k !== "from" && k !== "index") throw new Error(`${fn}: unknown option topPath.${k} (valid: from, index)`);
  const starts = { ...space.branches, ...space.wrt };
  const from = given["from"] ?? Object.keys(space.wrt)[0];
  if (typeof from !== "string" || !Object.prototype.hasOwnProperty.call(starts, from))
    throw new Error(`${fn}: options.topPath.from = ${quoted(from)} is not a wrt tensor or branch of this module (valid: ${Object.keys(starts).join(", ") || "none"})`);
  if (given["index"] === undefined) return;
  const shape = starts[from]!;
  const index = given["index"];
  if (!Array.isArray(index) || index.length !== shape.length)
    throw new Error(`${fn}: options.topPath.index must be ${shape.length} integer(s) for ${from}${shapeText(shape)}, got ${describeValue(index)}`);
  checkIntegers(fn, "options.topPath.index", index, (a) => shape[a]!, `${shape.length} integers`);
}

/** run()'s options: known keys only, names compiled into the module, integer axes and indices in range. */
export function checkRunOptions(fn: string, given: unknown, space: OptionSpace): void {
  if (given === undefined) return;
  if (!isPlainObject(given)) throw new Error(`${fn}: options must be an object, got ${describeValue(given)}`);
  const valid = ["semirings", "wrt", "aggregate", "topPath", "strict"];
  for (const k of Object.keys(given))
    if (!valid.includes(k)) throw new Error(`${fn}: unknown option "${k}" (valid: ${valid.join(", ")})`);
  if (given["semirings"] !== undefined) checkNameList(fn, "semirings", given["semirings"], space.semirings, "a semiring compiled into this module");
  if (given["wrt"] !== undefined) checkNameList(fn, "wrt", given["wrt"], Object.keys(space.wrt), "a wrt tensor of this module");
  const aggregate = given["aggregate"];
  if (aggregate !== undefined) {
    if (!isPlainObject(aggregate)) throw new Error(`${fn}: options.aggregate must be an object of axes by name, got ${describeValue(aggregate)}`);
    const tensors = { ...space.branches, ...space.wrt };
    for (const [name, axes] of Object.entries(aggregate)) {
      const shape = tensors[name];
      if (!shape) throw new Error(`${fn}: cannot aggregate "${name}": not a wrt tensor or branch of this module (valid: ${Object.keys(tensors).join(", ") || "none"})`);
      checkIntegers(fn, `options.aggregate.${name}`, axes, () => shape.length, `an array of axes of ${name}${shapeText(shape)}`);
    }
  }
  checkTopPath(fn, given["topPath"], space);
  const strict = given["strict"];
  if (strict !== undefined && typeof strict !== "boolean") throw new Error(`${fn}: options.strict must be true or false, got ${describeValue(strict)}`);
}

/**
 * createModel's options: { caches?: a Map kept across models of the same params } (see
 * fillCaches in kernels.ts); returns the Map, or undefined.
 */
export function checkModelOptions(fn: string, given: unknown): Map<string, never> | undefined {
  if (given === undefined) return undefined;
  if (!isPlainObject(given)) throw new Error(`${fn}: options must be an object ({ caches }), got ${describeValue(given)}`);
  for (const k of Object.keys(given)) if (k !== "caches") throw new Error(`${fn}: unknown option "${k}" (valid: caches)`);
  const caches = given["caches"];
  if (caches === undefined) return undefined;
  if (!(caches instanceof Map)) throw new Error(`${fn}: options.caches must be a Map (new Map(), kept across models of the same params), got ${describeValue(caches)}`);
  return caches as Map<string, never>;
}

/** A semiring name given to backward() or topPath(). */
export function checkSemiring(fn: string, name: unknown, space: OptionSpace): string {
  if (typeof name !== "string" || !space.semirings.includes(name))
    throw new Error(`${fn}: semiring ${quoted(name)} was not compiled into this module (compiled: ${space.semirings.join(", ")})`);
  return name;
}
