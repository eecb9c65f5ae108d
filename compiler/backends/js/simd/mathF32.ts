// f32x4 exp and log (Cephes), emitted inline: a call would make V8 spill every live vector register.

import type { FuncBuilder } from "../wasm.ts";

/** e^x of the vector in local x (overwritten), left on the stack. */
export function emitExpF32(f: FuncBuilder, x: number): void {
  const n = f.local("v128"), y = f.local("v128");
  const splat = (v: number) => f.v128f32([v, v, v, v]);
  // x = clamp(x); n = floor(x·log2e + ½)
  f.get(x);
  splat(88.3762626647949);
  f.simd("f32x4.min");
  splat(-88.3762626647949);
  f.simd("f32x4.max").set(x);
  f.get(x);
  splat(Math.LOG2E);
  f.simd("f32x4.mul");
  splat(0.5);
  f.simd("f32x4.add").simd("f32x4.floor").set(n);
  // r = x − n·C1 − n·C2
  f.get(x).get(n);
  splat(0.693359375);
  f.simd("f32x4.mul").simd("f32x4.sub");
  f.get(n);
  splat(-2.12194440e-4);
  f.simd("f32x4.mul").simd("f32x4.sub").set(x);
  // y = poly(r)·r² + r + 1
  const p = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  splat(p[0]!);
  for (const c of p.slice(1)) {
    f.get(x).simd("f32x4.mul");
    splat(c);
    f.simd("f32x4.add");
  }
  f.get(x).get(x).simd("f32x4.mul").simd("f32x4.mul");
  f.get(x).simd("f32x4.add");
  splat(1);
  f.simd("f32x4.add").set(y);
  // · 2ⁿ, built from the exponent bits
  f.get(y);
  f.get(n).simd("i32x4.trunc_sat_f32x4_s");
  f.i32(127).simd("i32x4.splat").simd("i32x4.add");
  f.i32(23).simd("i32x4.shl");
  f.simd("f32x4.mul");
}

/** log x of the vector in local x, left on the stack. */
export function emitLogF32(f: FuncBuilder, x: number): void {
  const e = f.local("v128"), m = f.local("v128"), z = f.local("v128"), y = f.local("v128"), lt = f.local("v128");
  const splat = (v: number) => f.v128f32([v, v, v, v]);
  const isplat = (v: number) => f.i32(v).simd("i32x4.splat");
  // e = exponent − 126 (as float), m = mantissa in [½, 1)
  f.get(x).i32(23).simd("i32x4.shr_s");
  isplat(0xff);
  f.simd("v128.and");
  isplat(126);
  f.simd("i32x4.sub").simd("f32x4.convert_i32x4_s").set(e);
  f.get(x);
  isplat(0x807fffff | 0);
  f.simd("v128.and");
  isplat(0x3f000000);
  f.simd("v128.or").set(m);
  // m < √½: e −= 1, m = 2m − 1; else m = m − 1
  f.get(m);
  splat(Math.SQRT1_2);
  f.simd("f32x4.lt").set(lt);
  f.get(e);
  splat(1);
  f.get(lt).simd("v128.and").simd("f32x4.sub").set(e);
  f.get(m).get(m).get(lt).simd("v128.and").simd("f32x4.add");
  splat(1);
  f.simd("f32x4.sub").set(m);
  f.get(m).get(m).simd("f32x4.mul").set(z);
  const p = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];
  splat(p[0]!);
  for (const c of p.slice(1)) {
    f.get(m).simd("f32x4.mul");
    splat(c);
    f.simd("f32x4.add");
  }
  f.get(m).simd("f32x4.mul").get(z).simd("f32x4.mul");
  f.get(e);
  splat(-2.12194440e-4);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.get(z);
  splat(-0.5);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.get(m).simd("f32x4.add");
  f.get(e);
  splat(0.693359375);
  f.simd("f32x4.mul").simd("f32x4.add").set(y);
  // log 0 = −∞, log(x < 0) = NaN, log ∞ = ∞ (NaN stays NaN through the arithmetic below)
  splat(-Infinity);
  f.get(y);
  f.get(x);
  splat(0);
  f.simd("f32x4.eq").simd("v128.bitselect").set(y);
  splat(NaN);
  f.get(y);
  f.get(x);
  splat(0);
  f.simd("f32x4.lt").simd("v128.bitselect").set(y);
  splat(Infinity);
  f.get(y);
  f.get(x);
  splat(Infinity);
  f.simd("f32x4.eq").simd("v128.bitselect");
}
