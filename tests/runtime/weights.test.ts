import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  bf16ToNumber,
  bindTensors,
  f16ToNumber,
  fromNested,
  loadTensorFile,
  readJsonTensors,
  readSafetensors,
  toNested,
  WeightsError,
  writeSafetensors,
  type ExpectedTensor,
  type LoadedTensor,
} from "../../runtime/weights.ts";

/** A safetensors file built by hand: header (object or raw text) + data bytes. */
function raw(header: object | string, data: Uint8Array = new Uint8Array(0), headerLen?: number): Uint8Array {
  const h = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerLen ?? h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

const u16le = (...xs: number[]): Uint8Array => {
  const b = new Uint8Array(2 * xs.length);
  const dv = new DataView(b.buffer);
  xs.forEach((x, i) => dv.setUint16(2 * i, x, true));
  return b;
};

/** Run f, expect a WeightsError, and return it. */
function weightsError(f: () => unknown): WeightsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return e as WeightsError;
  }
  throw new Error("expected a WeightsError, nothing was thrown");
}

const f32bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

describe("safetensors round trip", () => {
  const tensors = {
    w1: { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
    b1: { shape: [3], data: new Float32Array([Infinity, -Infinity, NaN]) },
    s: { shape: [], data: new Float32Array([42]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    ids: { shape: [2], data: new Int32Array([7, -2147483648]) },
  };

  it("reads back what it wrote, names, dtypes, shapes and bits", () => {
    const bytes = writeSafetensors(tensors, { format: "pt", note: "x" });
    const got = readSafetensors(bytes, "rt.safetensors");
    expect([...got.keys()].sort()).toEqual(["b1", "empty", "ids", "s", "w1"]);
    for (const [name, t] of Object.entries(tensors)) {
      const g = got.get(name)!;
      expect(g.shape).toEqual(t.shape);
      expect(g.dtype).toBe(t.data instanceof Int32Array ? "I32" : "F32");
      expect(g.data.constructor).toBe(t.data.constructor);
      expect(Array.from(new Uint32Array(g.data.buffer, g.data.byteOffset, g.data.length))).toEqual(
        Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)),
      );
    }
  });

  it("is deterministic: sorted keys, header padded to 8 bytes, independent of insertion order", () => {
    const a = writeSafetensors({ b: tensors.b1, a: tensors.w1 }, { z: "1", a: "2" });
    const b = writeSafetensors({ a: tensors.w1, b: tensors.b1 }, { a: "2", z: "1" });
    expect(a).toEqual(b);
    const n = new DataView(a.buffer).getUint32(0, true);
    expect((8 + n) % 8).toBe(0);
    const header = new TextDecoder().decode(a.subarray(8, 8 + n));
    expect(header.trimEnd()).toBe(
      '{"__metadata__":{"a":"2","z":"1"},' +
        '"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},' +
        '"b":{"dtype":"F32","shape":[3],"data_offsets":[24,36]}}',
    );
    expect(a.length).toBe(8 + n + 36);
  });

  it("reads from a view at an unaligned offset inside a larger buffer", () => {
    const bytes = writeSafetensors({ w: tensors.w1 });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const got = readSafetensors(big.subarray(3), "view");
    expect(Array.from(got.get("w")!.data)).toEqual(Array.from(tensors.w1.data));
  });

  it("rejects data that does not match the shape on write", () => {
    const e = weightsError(() => writeSafetensors({ w: { shape: [2, 2], data: new Float32Array(3) } }));
    expect(e.message).toContain("tensor 'w': shape [2,2] has 4 elements but the data has 3");
  });
});

describe("safetensors dtype conversion", () => {
  const f16Cases: [number, number][] = [
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x3800, 0.5],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x8001, -(2 ** -24)],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ];

  it("converts F16 exactly, including subnormals, ±0, ±inf and NaN", () => {
    const bits = [...f16Cases.map((c) => c[0]), 0x8000, 0x7e00, 0x7e01];
    const file = raw({ h: { dtype: "F16", shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, u16le(...bits));
    const t = readSafetensors(file, "f16.safetensors").get("h")!;
    expect(t.dtype).toBe("F16");
    expect(t.data).toBeInstanceOf(Float32Array);
    f16Cases.forEach(([, v], i) => expect(t.data[i]).toBe(v));
    expect(Object.is(t.data[f16Cases.length], -0)).toBe(true);
    expect(t.data[f16Cases.length + 1]).toBeNaN();
    // the NaN payload is carried over bit-exactly
    const u = new Uint32Array(t.data.buffer);
    expect(u[f16Cases.length + 1]).toBe(0x7fc00000);
    expect(u[f16Cases.length + 2]).toBe(0x7fc02000);
    for (const [h, v] of f16Cases) expect(f16ToNumber(h)).toBe(v);
  });

  it("converts every finite F16 bit pattern to the value the formula gives", () => {
    for (let h = 0; h < 0x10000; h++) {
      const e = (h >> 10) & 0x1f;
      if (e === 0x1f) continue;
      const f = h & 0x3ff;
      const mag = e === 0 ? f * 2 ** -24 : (1 + f / 1024) * 2 ** (e - 15);
      const v = h & 0x8000 ? -mag : mag;
      if (f16ToNumber(h) !== v) throw new Error(`f16 0x${h.toString(16)}: got ${f16ToNumber(h)}, want ${v}`);
    }
  });

  it("converts BF16 exactly, including subnormals, inf and NaN", () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc000, -2],
      [0x4049, 3.140625],
      [0x0001, 2 ** -133], // smallest bf16 subnormal (an f32 subnormal)
      [0x0080, 2 ** -126], // smallest normal
      [0x7f7f, 3.3895313892515355e38], // largest finite
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    const bits = [...cases.map((c) => c[0]), 0x7fc1];
    const file = raw({ b: { dtype: "BF16", shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, u16le(...bits));
    const t = readSafetensors(file).get("b")!;
    expect(t.dtype).toBe("BF16");
    cases.forEach(([, v], i) => expect(t.data[i]).toBe(v));
    expect(t.data[cases.length]).toBeNaN();
    expect(new Uint32Array(t.data.buffer)[cases.length]).toBe(0x7fc10000);
    for (const [h, v] of cases) expect(bf16ToNumber(h)).toBe(v);
    expect(f32bits(bf16ToNumber(0x8000))).toBe(0x80000000);
  });

  it("narrows I64 to i32, and names the tensor and element when out of range", () => {
    const data = new Uint8Array(8 * 4);
    const dv = new DataView(data.buffer);
    [0n, -1n, 2147483647n, -2147483648n].forEach((v, i) => dv.setBigInt64(8 * i, v, true));
    const ok = readSafetensors(raw({ ids: { dtype: "I64", shape: [2, 2], data_offsets: [0, 32] } }, data), "ids.st");
    expect(ok.get("ids")!.dtype).toBe("I64");
    expect(ok.get("ids")!.data).toBeInstanceOf(Int32Array);
    expect(Array.from(ok.get("ids")!.data)).toEqual([0, -1, 2147483647, -2147483648]);

    dv.setBigInt64(24, 2147483648n, true);
    const e = weightsError(() =>
      readSafetensors(raw({ ids: { dtype: "I64", shape: [2, 2], data_offsets: [0, 32] } }, data), "ids.st"),
    );
    expect(e.file).toBe("ids.st");
    expect(e.tensor).toBe("ids");
    expect(e.message).toContain("ids.st");
    expect(e.message).toContain("2147483648 at ids[1][1]");
    expect(e.message).toContain("outside the i32 range");
  });

  it("reads I32", () => {
    const data = new Uint8Array(new Int32Array([5, -6]).buffer);
    const t = readSafetensors(raw({ i: { dtype: "I32", shape: [2], data_offsets: [0, 8] } }, data)).get("i")!;
    expect(Array.from(t.data)).toEqual([5, -6]);
  });
});

describe("safetensors validation", () => {
  const good = writeSafetensors({
    a: { shape: [4], data: new Float32Array([1, 2, 3, 4]) },
    b: { shape: [2, 2], data: new Float32Array([5, 6, 7, 8]) },
  });

  it("a file shorter than the header length", () => {
    const e = weightsError(() => readSafetensors(good.subarray(0, 5), "w.safetensors"));
    expect(e.file).toBe("w.safetensors");
    expect(e.message).toMatch(/^w\.safetensors: truncated/);
  });

  it("a file cut inside the header", () => {
    const e = weightsError(() => readSafetensors(good.subarray(0, 20), "w.safetensors"));
    expect(e.message).toMatch(/^w\.safetensors: truncated file: header length \d+ needs \d+ bytes but the file has 20/);
  });

  it("a file cut inside the data names the tensor that runs off the end", () => {
    const e = weightsError(() => readSafetensors(good.subarray(0, good.length - 4), "w.safetensors"));
    expect(e.tensor).toBe("b");
    expect(e.message).toContain("w.safetensors: tensor 'b': data_offsets [16,32] out of range");
    expect(e.message).toContain("28 bytes");
    expect(e.message).toContain("truncated");
  });

  it("a corrupted header (not JSON)", () => {
    const bytes = good.slice();
    bytes[8] = "x".charCodeAt(0);
    const e = weightsError(() => readSafetensors(bytes, "w.safetensors"));
    expect(e.message).toMatch(/^w\.safetensors: corrupted header: not valid JSON/);
  });

  it("a header that is not an object, or not UTF-8", () => {
    expect(weightsError(() => readSafetensors(raw("[1,2]"), "f")).message).toContain("expected a JSON object, got an array");
    const bad = raw("{}  ");
    bad[10] = 0xff;
    expect(weightsError(() => readSafetensors(bad, "f")).message).toContain("not valid UTF-8");
  });

  it("an implausible header length", () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint32(4, 1, true); // 2^32 + n
    expect(weightsError(() => readSafetensors(bytes, "f")).message).toContain("implausibly large");
    expect(weightsError(() => readSafetensors(raw("{}", undefined, 0), "f")).message).toContain("too small");
  });

  it("offsets beyond the data section", () => {
    const e = weightsError(() =>
      readSafetensors(raw({ w: { dtype: "F32", shape: [2], data_offsets: [8, 16] } }, new Uint8Array(8)), "f.st"),
    );
    expect(e.tensor).toBe("w");
    expect(e.message).toContain("tensor 'w': data_offsets [8,16] out of range: the data section has only 8 bytes");
  });

  it("offsets inconsistent with dtype × shape", () => {
    const e = weightsError(() =>
      readSafetensors(raw({ w: { dtype: "F16", shape: [2, 3], data_offsets: [0, 8] } }, new Uint8Array(16)), "f.st"),
    );
    expect(e.message).toContain("tensor 'w': data_offsets [0,8] span 8 bytes but F16 × [2,3] needs 12");
  });

  it("overlapping tensors", () => {
    const e = weightsError(() =>
      readSafetensors(
        raw(
          {
            p: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
            q: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
        "f.st",
      ),
    );
    expect(e.message).toContain("tensors 'p' [0,8) and 'q' [4,12) overlap");
  });

  it("bad dtype, shape, offsets and metadata", () => {
    const d = new Uint8Array(8);
    const msg = (h: object) => weightsError(() => readSafetensors(raw(h, d), "f.st")).message;
    expect(msg({ w: { dtype: "F64", shape: [1], data_offsets: [0, 8] } })).toContain(
      "tensor 'w': unsupported dtype F64 (supported: F32, F16, BF16, I32, I64)",
    );
    expect(msg({ w: { shape: [1], data_offsets: [0, 8] } })).toContain("tensor 'w' has no dtype");
    expect(msg({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 8] } })).toContain("tensor 'w' has an invalid shape [-1]");
    expect(msg({ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 8] } })).toContain("invalid shape");
    expect(msg({ w: { dtype: "F32", shape: [2], data_offsets: [0] } })).toContain("tensor 'w' has invalid data_offsets [0]");
    expect(msg({ w: { dtype: "F32", shape: [0], data_offsets: [8, 0] } })).toContain("begin > end");
    expect(msg({ w: 3 })).toContain("tensor 'w' is not an object");
    expect(msg({ __metadata__: { a: 1 } })).toContain("__metadata__ must be an object of strings");
  });

  it("accepts a header with only metadata, and empty tensors", () => {
    expect(readSafetensors(raw({ __metadata__: { a: "b" } })).size).toBe(0);
    const t = readSafetensors(raw({ z: { dtype: "F32", shape: [3, 0], data_offsets: [0, 0] } })).get("z")!;
    expect(t.shape).toEqual([3, 0]);
    expect(t.data.length).toBe(0);
  });
});

describe("JSON tensors", () => {
  it("infers shapes from nesting; plain numbers are scalars", () => {
    const m = readJsonTensors(
      JSON.stringify({ x: [[1, 2, 3], [4, 5, 6]], s: 2.5, v: [7], e: [], ee: [[], []], c: [[[1], [2]]] }),
      "in.json",
    );
    const view = (n: string) => ({ shape: m.get(n)!.shape, data: Array.from(m.get(n)!.data), dtype: m.get(n)!.dtype });
    expect(view("x")).toEqual({ shape: [2, 3], data: [1, 2, 3, 4, 5, 6], dtype: "F32" });
    expect(view("s")).toEqual({ shape: [], data: [2.5], dtype: "F32" });
    expect(view("v")).toEqual({ shape: [1], data: [7], dtype: "F32" });
    expect(view("e")).toEqual({ shape: [0], data: [], dtype: "F32" });
    expect(view("ee")).toEqual({ shape: [2, 0], data: [], dtype: "F32" });
    expect(view("c")).toEqual({ shape: [1, 2, 1], data: [1, 2], dtype: "F32" });
  });

  const err = (v: unknown) => weightsError(() => readJsonTensors(JSON.stringify(v), "in.json"));

  it("ragged arrays name the key and the path", () => {
    const e = err({ ok: [1], x: [[1, 2], [3, 4], [5]] });
    expect(e.file).toBe("in.json");
    expect(e.tensor).toBe("x");
    expect(e.message).toBe("in.json: tensor 'x': x[2]: ragged array: expected 2 elements (like the first element at this depth), got 1");
    expect(err({ x: [[1, 2], [3, 4], [5, [6]]] }).message).toContain("x[2][1]: ragged array: expected a number");
    expect(err({ x: [[1, 2], "ab"] }).message).toContain('x[1]: expected an array of 2, got the string "ab"');
    expect(err({ x: [[1, 2], 3] }).message).toContain("x[1]: ragged array: expected an array of 2");
    expect(err({ x: [[1, 2], []] }).message).toContain("x[1]: ragged array: expected 2 elements");
  });

  it("non-numbers and NaN strings are errors naming the key and path", () => {
    expect(err({ x: [[1, 2], [3, "NaN"]] }).message).toBe('in.json: tensor \'x\': x[1][1]: expected a number, got the string "NaN"');
    expect(err({ x: [1, null] }).message).toContain("x[1]: expected a number, got null");
    expect(err({ x: [true] }).message).toContain("x[0]: expected a number, got boolean true");
    expect(err({ x: { a: 1 } }).message).toBe("in.json: tensor 'x': x: expected a number or nested arrays of numbers, got an object");
    expect(err({ y: "Infinity" }).message).toContain("y: expected a number or nested arrays of numbers, got the string \"Infinity\"");
    expect(weightsError(() => readJsonTensors('{"x": [1e39]}', "in.json")).message).toContain("x[0]: value 1e+39 overflows f32");
  });

  it("the file must be a JSON object", () => {
    expect(weightsError(() => readJsonTensors("[1]", "in.json")).message).toBe(
      "in.json: expected a JSON object keyed by tensor name, got an array",
    );
    expect(weightsError(() => readJsonTensors("{x: 1}", "in.json")).message).toMatch(/^in\.json: not valid JSON/);
  });

  it("toNested and fromNested are inverse", () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(toNested(data, [2, 3])).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(toNested(data, [3, 1, 2])).toEqual([[[1, 2]], [[3, 4]], [[5, 6]]]);
    expect(toNested([9], [])).toBe(9);
    expect(toNested([], [2, 0])).toEqual([[], []]);
    const back = fromNested(toNested(data, [3, 2]));
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(fromNested(9)).toEqual({ shape: [], data: new Float32Array([9]) });
    expect(() => toNested(data, [4])).toThrow("shape [4] has 4 elements but the data has 6");
  });
});

describe("loadTensorFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "semic-weights-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads .safetensors and .json by extension", () => {
    const st = join(dir, "w.safetensors");
    writeFileSync(st, writeSafetensors({ w: { shape: [2], data: new Float32Array([1.5, -2]) } }));
    expect(Array.from(loadTensorFile(st).get("w")!.data)).toEqual([1.5, -2]);
    const js = join(dir, "in.JSON");
    writeFileSync(js, JSON.stringify({ x: [[1], [2]] }));
    expect(loadTensorFile(js).get("x")!.shape).toEqual([2, 1]);
  });

  it("errors name the path", () => {
    const missing = join(dir, "nope.safetensors");
    const e = weightsError(() => loadTensorFile(missing));
    expect(e.file).toBe(missing);
    expect(e.message).toBe(`${missing}: cannot read tensor file (no such file)`);
    const bin = join(dir, "w.bin");
    writeFileSync(bin, "x");
    expect(weightsError(() => loadTensorFile(bin)).message).toContain(`${bin}: unsupported tensor file type`);
    const cut = join(dir, "cut.safetensors");
    writeFileSync(cut, writeSafetensors({ w: { shape: [8], data: new Float32Array(8) } }).subarray(0, 80));
    const c = weightsError(() => loadTensorFile(cut));
    expect(c.message).toContain(`${cut}: tensor 'w': data_offsets [0,32] out of range`);
    const badJson = join(dir, "bad.json");
    writeFileSync(badJson, JSON.stringify({ x: [1, [2]] }));
    expect(weightsError(() => loadTensorFile(badJson)).message).toContain(`${badJson}: tensor 'x': x[1]`);
  });
});

describe("bindTensors", () => {
  const expected: ExpectedTensor[] = [
    { name: "w1", shape: [4, 16], dtype: "f32", kind: "param" },
    { name: "b1", shape: [16], dtype: "f32", kind: "param" },
    { name: "ids", shape: [3], dtype: "i32", kind: "input" },
    { name: "t", shape: [], dtype: "f32", kind: "input" },
  ];
  const f = (shape: number[], fill = 0): LoadedTensor => ({
    dtype: "F32",
    shape,
    data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill),
  });
  const full = () =>
    new Map<string, LoadedTensor>([
      ["w1", f([4, 16], 1)],
      ["b1", f([16])],
      ["ids", { dtype: "F32", shape: [3], data: new Float32Array([0, 5, 2]) }],
      ["t", f([], 3)],
    ]);

  it("binds and converts dtypes", () => {
    const given = full();
    given.set("b1", { dtype: "I32", shape: [16], data: new Int32Array(16).fill(2) });
    const { tensors, ignored } = bindTensors(expected, given, "w.json");
    expect(Object.keys(tensors).sort()).toEqual(["b1", "ids", "t", "w1"]);
    expect(tensors.w1).toBe(given.get("w1")!.data);
    expect(tensors.ids).toBeInstanceOf(Int32Array);
    expect(Array.from(tensors.ids!)).toEqual([0, 5, 2]);
    expect(tensors.b1).toBeInstanceOf(Float32Array);
    expect(tensors.b1![0]).toBe(2);
    expect(ignored).toEqual([]);
  });

  it("passes Int32 inputs through", () => {
    const given = full();
    const ids = new Int32Array([1, 2, 3]);
    given.set("ids", { dtype: "I64", shape: [3], data: ids });
    expect(bindTensors(expected, given, "in.safetensors").tensors.ids).toBe(ids);
  });

  it("lists every missing tensor at once with its expected shape", () => {
    const given = full();
    given.delete("w1");
    given.delete("t");
    const e = weightsError(() => bindTensors(expected, given, "weights.safetensors"));
    expect(e.file).toBe("weights.safetensors");
    expect(e.message).toBe("missing tensors in weights.safetensors: param w1 [4,16], input t []");
  });

  it("lists unexpected tensors, or ignores them with allowExtra", () => {
    const given = full();
    given.set("pooler.dense.weight", f([2, 2]));
    given.set("cls", f([5]));
    const e = weightsError(() => bindTensors(expected, given, "bert.safetensors"));
    expect(e.message).toBe(
      "unexpected tensors in bert.safetensors (the model has no param or input with these names): cls [5], pooler.dense.weight [2,2]",
    );
    const ok = bindTensors(expected, given, "bert.safetensors", { allowExtra: true });
    expect(ok.ignored).toEqual(["cls", "pooler.dense.weight"]);
    expect(Object.keys(ok.tensors).sort()).toEqual(["b1", "ids", "t", "w1"]);
  });

  it("suggests a near name for a missing tensor", () => {
    const given = full();
    given.set("W1", given.get("w1")!);
    given.delete("w1");
    const e = weightsError(() => bindTensors(expected, given, "w.json"));
    expect(e.message).toContain("missing tensors in w.json: param w1 [4,16] (did you mean 'W1'?)");
    expect(e.message).toContain("unexpected tensors in w.json (the model has no param or input with these names): W1 [4,16]");
  });

  it("wrong shapes are errors with both shapes", () => {
    const given = full();
    given.set("w1", f([16, 4]));
    const e = weightsError(() => bindTensors(expected, given, "weights.safetensors"));
    expect(e.tensor).toBe("w1");
    expect(e.message).toBe("param w1: expected [4,16], got [16,4] in weights.safetensors");
  });

  it("a scalar and a [1] are different shapes", () => {
    const given = full();
    given.set("t", f([1], 3));
    expect(weightsError(() => bindTensors(expected, given, "in.json")).message).toBe(
      "input t: expected [] (scalar), got [1] in in.json",
    );
    const e2: ExpectedTensor[] = [{ name: "v", shape: [1], dtype: "f32", kind: "input" }];
    expect(weightsError(() => bindTensors(e2, new Map([["v", f([], 1)]]), "in.json")).message).toBe(
      "input v: expected [1], got [] (scalar) in in.json",
    );
  });

  it("i32 inputs must hold integers in range", () => {
    const given = full();
    given.set("ids", { dtype: "F32", shape: [3], data: new Float32Array([0, 1.5, 2]) });
    expect(weightsError(() => bindTensors(expected, given, "in.json")).message).toBe(
      "input ids: expected integers (i32), got 1.5 at ids[1] in in.json",
    );
    given.set("ids", { dtype: "F32", shape: [3], data: new Float32Array([0, 1, 2 ** 31]) });
    expect(weightsError(() => bindTensors(expected, given, "in.json")).message).toBe(
      "input ids: expected integers (i32), got 2147483648 (outside the i32 range) at ids[2] in in.json",
    );
    given.set("ids", { dtype: "F32", shape: [3], data: new Float32Array([0, NaN, 1]) });
    expect(weightsError(() => bindTensors(expected, given, "in.json")).message).toContain("got NaN at ids[1]");
  });

  it("reports all problems in one error", () => {
    const given = full();
    given.delete("b1");
    given.set("w1", f([16, 4]));
    given.set("extra", f([1]));
    given.set("ids", { dtype: "F32", shape: [3], data: new Float32Array([0, 0.25, 2]) });
    const e = weightsError(() => bindTensors(expected, given, "all.json"));
    expect(e.tensor).toBeUndefined();
    expect(e.message.split("\n")).toEqual([
      "missing tensors in all.json: param b1 [16]",
      "param w1: expected [4,16], got [16,4] in all.json",
      "input ids: expected integers (i32), got 0.25 at ids[1] in all.json",
      "unexpected tensors in all.json (the model has no param or input with these names): extra [1]",
    ]);
  });

  it("works end to end on a JSON file", () => {
    const m = readJsonTensors(JSON.stringify({ ids: [1, 2, 3], t: 0.5 }), "in.json");
    const { tensors } = bindTensors(expected.filter((e) => e.kind === "input"), m, "in.json");
    expect(Array.from(tensors.ids!)).toEqual([1, 2, 3]);
    expect(Array.from(tensors.t!)).toEqual([0.5]);
  });
});
