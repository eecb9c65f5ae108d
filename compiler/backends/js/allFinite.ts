// The non-finite scan's fast path as a WebAssembly SIMD function of the kernel module:
// all_finite(addr, count) is 1 when the `count` floats at byte address `addr` are all finite.
// v − v is 0 for a finite v and NaN for NaN and ±∞, and NaN ≠ NaN: one subtract, one compare and
// one or per 16 bytes. Buffers are 64-byte aligned and padded, so the last step may read past
// `count` into padding, which nothing writes (zeros).

import { FuncBuilder } from "./wasm.ts";

export function allFiniteFunc(precision: "f32" | "f64"): FuncBuilder {
  const f = new FuncBuilder(["i32", "i32"], ["i32"]);
  const [addr, count] = [0, 1];
  const v = f.local("v128"), d = f.local("v128"), acc = f.local("v128"), end = f.local("i32");
  const [sub, ne] = precision === "f64" ? (["f64x2.sub", "f64x2.ne"] as const) : (["f32x4.sub", "f32x4.ne"] as const);
  f.get(addr).get(count).i32(precision === "f64" ? 8 : 4).op("i32.mul").op("i32.add").set(end);
  f.open("block").open("loop");
  f.get(addr).get(end).op("i32.ge_s").br("br_if", 1);
  f.get(addr).mem("v128.load", 0).set(v);
  f.get(v).get(v).simd(sub).tee(d).get(d).simd(ne).get(acc).simd("v128.or").set(acc);
  f.get(addr).i32(16).op("i32.add").set(addr);
  f.br("br", 0);
  f.end().end();
  f.get(acc).simd("v128.any_true").op("i32.eqz");
  return f;
}
