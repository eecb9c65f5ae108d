// A small WebAssembly binary writer: just what the kernel compiler (vectorize.ts) needs — one
// imported memory, imported f64 → f64 math functions, and exported kernel functions made of
// structured loops, locals, scalar and 128-bit SIMD instructions.

export type ValType = "i32" | "f32" | "f64" | "v128";
const typeCode: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** A growable byte buffer. */
export class Bytes {
  buf = new Uint8Array(256);
  length = 0;
  push(...bytes: number[]): void {
    for (const b of bytes) this.byte(b);
  }
  byte(b: number): void {
    if (this.length === this.buf.length) this.#grow(1);
    this.buf[this.length++] = b;
  }
  append(other: Bytes | Uint8Array | readonly number[]): void {
    const src = other instanceof Bytes ? other.buf.subarray(0, other.length) : other;
    this.#grow(src.length);
    if (src instanceof Uint8Array) this.buf.set(src, this.length);
    else for (let i = 0; i < src.length; i++) this.buf[this.length + i] = src[i]!;
    this.length += src.length;
  }
  f32(v: number): void {
    scratchView.setFloat32(0, v, true);
    this.append(scratchBytes.subarray(0, 4));
  }
  i32(v: number): void {
    scratchView.setInt32(0, v, true);
    this.append(scratchBytes.subarray(0, 4));
  }
  f64(v: number): void {
    scratchView.setFloat64(0, v, true);
    this.append(scratchBytes.subarray(0, 8));
  }
  #grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
const scratchBytes = new Uint8Array(8);
const scratchView = new DataView(scratchBytes.buffer);

function uleb(out: Bytes | number[], v: number): void {
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    if (Array.isArray(out)) out.push(b);
    else out.byte(b);
  } while (v !== 0);
}

function sleb(out: Bytes, v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.byte(b);
      return;
    }
    out.byte(b | 0x80);
  }
}

function ulebLength(v: number): number {
  const out: number[] = [];
  uleb(out, v);
  return out.length;
}


/** Scalar opcodes by name (the subset used). */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, return: 0x0f,
  call: 0x10, drop: 0x1a, select: 0x1b,
  "local.get": 0x20, "local.set": 0x21, "local.tee": 0x22,
  "i32.load": 0x28, "f32.load": 0x2a, "f64.load": 0x2b, "f32.store": 0x38, "f64.store": 0x39,
  "i32.eqz": 0x45, "i32.eq": 0x46, "i32.ne": 0x47, "i32.lt_s": 0x48, "i32.gt_s": 0x4a, "i32.le_s": 0x4c, "i32.ge_s": 0x4e,
  "f32.eq": 0x5b, "f32.ne": 0x5c, "f32.lt": 0x5d, "f32.gt": 0x5e, "f32.le": 0x5f, "f32.ge": 0x60,
  "f64.eq": 0x61, "f64.ne": 0x62, "f64.lt": 0x63, "f64.gt": 0x64, "f64.le": 0x65, "f64.ge": 0x66,
  "i32.add": 0x6a, "i32.sub": 0x6b, "i32.mul": 0x6c, "i32.div_s": 0x6d, "i32.rem_s": 0x6f, "i32.and": 0x71, "i32.or": 0x72, "i32.xor": 0x73, "i32.shl": 0x74,
  "f32.abs": 0x8b, "f32.neg": 0x8c, "f32.floor": 0x8e, "f32.nearest": 0x90, "f32.sqrt": 0x91, "f32.add": 0x92, "f32.sub": 0x93, "f32.mul": 0x94, "f32.div": 0x95, "f32.min": 0x96, "f32.max": 0x97,
  "f64.abs": 0x99, "f64.neg": 0x9a, "f64.floor": 0x9c, "f64.nearest": 0x9e, "f64.sqrt": 0x9f, "f64.add": 0xa0, "f64.sub": 0xa1, "f64.mul": 0xa2, "f64.div": 0xa3, "f64.min": 0xa4, "f64.max": 0xa5,
  "i32.trunc_f32_s": 0xa8, "i32.trunc_f64_s": 0xaa, "f32.convert_i32_s": 0xb2, "f32.demote_f64": 0xb6, "f64.convert_i32_s": 0xb7, "f64.promote_f32": 0xbb,
  "i32.reinterpret_f32": 0xbc, "f32.reinterpret_i32": 0xbe,
} as const;
export type ScalarOp = keyof typeof OP;

/** SIMD opcodes (prefix 0xfd) by name (the subset used). */
export const SIMD = {
  "v128.load": 0x00, "v128.load32_splat": 0x09, "v128.load64_splat": 0x0a, "v128.store": 0x0b, "v128.const": 0x0c,
  "i32x4.splat": 0x11, "f32x4.splat": 0x13, "f64x2.splat": 0x14,
  "i32x4.extract_lane": 0x1b, "f32x4.extract_lane": 0x1f, "f32x4.replace_lane": 0x20, "f64x2.extract_lane": 0x21, "f64x2.replace_lane": 0x22,
  "i32x4.eq": 0x37, "i32x4.gt_s": 0x3b,
  "f32x4.eq": 0x41, "f32x4.ne": 0x42, "f32x4.lt": 0x43, "f32x4.gt": 0x44, "f32x4.le": 0x45, "f32x4.ge": 0x46,
  "f64x2.eq": 0x47, "f64x2.ne": 0x48, "f64x2.lt": 0x49, "f64x2.gt": 0x4a, "f64x2.le": 0x4b, "f64x2.ge": 0x4c,
  "v128.not": 0x4d, "v128.and": 0x4e, "v128.andnot": 0x4f, "v128.or": 0x50, "v128.xor": 0x51, "v128.bitselect": 0x52, "v128.any_true": 0x53,
  "f32x4.floor": 0x68, "f32x4.nearest": 0x6a, "f64x2.floor": 0x75, "f64x2.nearest": 0x94,
  "i32x4.all_true": 0xa3, "i32x4.shl": 0xab, "i32x4.shr_s": 0xac, "i32x4.add": 0xae, "i32x4.sub": 0xb1, "i32x4.mul": 0xb5,
  "f32x4.abs": 0xe0, "f32x4.neg": 0xe1, "f32x4.sqrt": 0xe3, "f32x4.add": 0xe4, "f32x4.sub": 0xe5, "f32x4.mul": 0xe6, "f32x4.div": 0xe7, "f32x4.min": 0xe8, "f32x4.max": 0xe9, "f32x4.pmin": 0xea, "f32x4.pmax": 0xeb,
  "f64x2.abs": 0xec, "f64x2.neg": 0xed, "f64x2.sqrt": 0xef, "f64x2.add": 0xf0, "f64x2.sub": 0xf1, "f64x2.mul": 0xf2, "f64x2.div": 0xf3, "f64x2.min": 0xf4, "f64x2.max": 0xf5, "f64x2.pmin": 0xf6, "f64x2.pmax": 0xf7,
  "i32x4.trunc_sat_f32x4_s": 0xf8, "f32x4.convert_i32x4_s": 0xfa,
} as const;
export type SimdOp = keyof typeof SIMD;

/** One function body under construction: locals by type, and the instruction bytes. */
export class FuncBuilder {
  readonly code = new Bytes();
  readonly #locals: ValType[] = [];
  constructor(readonly params: readonly ValType[], readonly results: readonly ValType[]) {}

  local(t: ValType): number {
    this.#locals.push(t);
    return this.params.length + this.#locals.length - 1;
  }
  op(name: ScalarOp): this {
    this.code.push(OP[name]);
    return this;
  }
  simd(name: SimdOp): this {
    this.code.push(0xfd);
    uleb(this.code, SIMD[name]);
    return this;
  }
  lane(name: SimdOp, lane: number): this {
    this.simd(name);
    this.code.push(lane);
    return this;
  }
  /** A memory access with natural alignment and a constant offset. */
  mem(name: ScalarOp | SimdOp, offset: number): this {
    const simd = name in SIMD;
    if (simd) this.simd(name as SimdOp);
    else this.op(name as ScalarOp);
    const align = name.startsWith("v128") ? (name === "v128.load64_splat" ? 3 : name === "v128.load32_splat" ? 2 : 4) : name.startsWith("f64") ? 3 : 2;
    this.code.push(align);
    uleb(this.code, offset >>> 0);
    return this;
  }
  get(i: number): this {
    this.code.push(OP["local.get"]);
    uleb(this.code, i);
    return this;
  }
  set(i: number): this {
    this.code.push(OP["local.set"]);
    uleb(this.code, i);
    return this;
  }
  tee(i: number): this {
    this.code.push(OP["local.tee"]);
    uleb(this.code, i);
    return this;
  }
  i32(v: number): this {
    this.code.push(0x41);
    sleb(this.code, v | 0);
    return this;
  }
  f32(v: number): this {
    this.code.byte(0x43);
    this.code.f32(v);
    return this;
  }
  f64(v: number): this {
    this.code.byte(0x44);
    this.code.f64(v);
    return this;
  }
  /** A scalar constant of the kernel's float type. */
  float(F: "f32" | "f64", v: number): this {
    return F === "f32" ? this.f32(v) : this.f64(v);
  }
  v128f32(vs: readonly number[]): this {
    this.simd("v128.const");
    for (const v of vs) this.code.f32(v);
    return this;
  }
  v128i32(vs: readonly number[]): this {
    this.simd("v128.const");
    for (const v of vs) this.code.i32(v);
    return this;
  }
  v128f64(vs: readonly number[]): this {
    this.simd("v128.const");
    for (const v of vs) this.code.f64(v);
    return this;
  }
  call(fn: number): this {
    this.code.push(OP.call);
    uleb(this.code, fn);
    return this;
  }
  /** block/loop/if with no result. */
  open(kind: "block" | "loop" | "if"): this {
    this.code.push(OP[kind], 0x40);
    return this;
  }
  end(): this {
    this.code.push(OP.end);
    return this;
  }
  br(kind: "br" | "br_if", depth: number): this {
    this.code.push(OP[kind]);
    uleb(this.code, depth);
    return this;
  }

  /** The function's code-section entry. */
  encode(out: Bytes): void {
    const body = new Bytes();
    // Runs of equal types compress the locals declaration.
    const runs: [number, ValType][] = [];
    for (const t of this.#locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    uleb(body, runs.length);
    for (const [n, t] of runs) {
      uleb(body, n);
      body.push(typeCode[t]);
    }
    body.append(this.code);
    body.byte(OP.end);
    uleb(out, body.length);
    out.append(body);
  }
}

interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

/** A module: memory import "env.memory", function imports "math.<name>", functions, exports. */
export class ModuleBuilder {
  readonly #types: FuncType[] = [];
  readonly #imports: { name: string; type: number }[] = [];
  readonly #funcs: { type: number; body: FuncBuilder; export?: string }[] = [];
  constructor(public memoryPages: number) {}
  /** Byte offset of the memory import's limits flag in the last encoding. */
  memoryFlagAt = -1;

  /** The function index of an exported function. */
  exportIndex(name: string): number {
    const i = this.#funcs.findIndex((f) => f.export === name);
    if (i < 0) throw new Error(`no function ${name}`);
    return this.#imports.length + i;
  }

  #typeIndex(t: FuncType): number {
    const key = JSON.stringify(t);
    const i = this.#types.findIndex((x) => JSON.stringify(x) === key);
    if (i >= 0) return i;
    this.#types.push(t);
    return this.#types.length - 1;
  }
  /** Imports must all be declared before any function is added (they come first in the index space). */
  importFunc(name: string, params: readonly ValType[], results: readonly ValType[]): number {
    if (this.#funcs.length > 0) throw new Error("imports must precede functions");
    this.#imports.push({ name, type: this.#typeIndex({ params, results }) });
    return this.#imports.length - 1;
  }
  /** Reserves a function index; its body may be filled in later. */
  addFunc(body: FuncBuilder, exportName?: string): number {
    this.#funcs.push({ type: this.#typeIndex({ params: body.params, results: body.results }), body, export: exportName });
    return this.#imports.length + this.#funcs.length - 1;
  }
  get nextFuncIndex(): number {
    return this.#imports.length + this.#funcs.length;
  }

  encode(): Uint8Array<ArrayBuffer> {
    const out = new Bytes();
    out.push(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    const section = (id: number, content: Bytes | number[]) => {
      out.byte(id);
      uleb(out, content.length);
      out.append(content);
    };
    const name = (s: string, to: number[]) => {
      const bytes = new TextEncoder().encode(s);
      uleb(to, bytes.length);
      to.push(...bytes);
    };
    const types: number[] = [];
    uleb(types, this.#types.length);
    for (const t of this.#types) {
      types.push(0x60);
      uleb(types, t.params.length);
      types.push(...t.params.map((p) => typeCode[p]));
      uleb(types, t.results.length);
      types.push(...t.results.map((p) => typeCode[p]));
    }
    section(1, types);
    const imports: number[] = [];
    uleb(imports, this.#imports.length + 1);
    name("env", imports);
    name("memory", imports);
    // Shared (threads), with maximum = initial. The flag byte's offset is recorded: a loader without
    // SharedArrayBuffer patches it to 0x01 (not shared, same length).
    imports.push(0x02, 0x03);
    this.memoryFlagAt = imports.length - 1;
    uleb(imports, this.memoryPages);
    uleb(imports, this.memoryPages);
    for (const im of this.#imports) {
      name("math", imports);
      name(im.name, imports);
      imports.push(0x00);
      uleb(imports, im.type);
    }
    const importsStart = out.length + 1 + ulebLength(imports.length);
    section(2, imports);
    this.memoryFlagAt += importsStart;
    const funcs: number[] = [];
    uleb(funcs, this.#funcs.length);
    for (const f of this.#funcs) uleb(funcs, f.type);
    section(3, funcs);
    const exports: number[] = [];
    const exported = this.#funcs.map((f, i) => [f, i] as const).filter(([f]) => f.export);
    uleb(exports, exported.length);
    for (const [f, i] of exported) {
      name(f.export!, exports);
      exports.push(0x00);
      uleb(exports, this.#imports.length + i);
    }
    section(7, exports);
    const code = new Bytes();
    uleb(code, this.#funcs.length);
    for (const f of this.#funcs) f.body.encode(code);
    section(10, code);
    // "name" custom section: function names, so profilers show kernels by name.
    const names: number[] = [];
    name("name", names);
    const fnames: number[] = [];
    const named = this.#funcs.map((f, i) => [f.export ?? `helper${i}`, this.#imports.length + i] as const);
    uleb(fnames, named.length + this.#imports.length);
    this.#imports.forEach((im, i) => {
      uleb(fnames, i);
      name(`math.${im.name}`, fnames);
    });
    for (const [n, i] of named) {
      uleb(fnames, i);
      name(n, fnames);
    }
    names.push(1);
    uleb(names, fnames.length);
    for (const b of fnames) names.push(b);
    section(0, names);
    return new Uint8Array(out.bytes());
  }
}
