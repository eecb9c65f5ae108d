// f32x4 exp (Cephes) and log (a minimax fit of our own), emitted inline: a call would make V8 spill
// every live vector register.

import type { FuncBuilder } from "../wasm.ts";

/** Constant splats, pushed where used. */
interface Splats {
  f32(v: number): void;
  i32(v: number): void;
}
const splats = (f: FuncBuilder): Splats => ({
  f32: (v) => f.v128f32([v, v, v, v]),
  i32: (v) => f.v128i32([v, v, v, v]),
});

/** e^x of the vector in local x (overwritten), left on the stack. */
export function emitExpF32(f: FuncBuilder, x: number): void {
  const n = f.local("v128"), y = f.local("v128");
  const k = splats(f);
  // x = clamp(x); n = floor(x·log2e + ½)
  f.get(x);
  k.f32(88.3762626647949);
  f.simd("f32x4.min");
  k.f32(-88.3762626647949);
  f.simd("f32x4.max").set(x);
  f.get(x);
  k.f32(Math.LOG2E);
  f.simd("f32x4.mul");
  k.f32(0.5);
  f.simd("f32x4.add").simd("f32x4.floor").set(n);
  // r = x − n·C1 − n·C2
  f.get(x).get(n);
  k.f32(0.693359375);
  f.simd("f32x4.mul").simd("f32x4.sub");
  f.get(n);
  k.f32(-2.12194440e-4);
  f.simd("f32x4.mul").simd("f32x4.sub").set(x);
  // y = poly(r)·r² + r + 1
  const p = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  k.f32(p[0]!);
  for (const c of p.slice(1)) {
    f.get(x).simd("f32x4.mul");
    k.f32(c);
    f.simd("f32x4.add");
  }
  f.get(x).get(x).simd("f32x4.mul").simd("f32x4.mul");
  f.get(x).simd("f32x4.add");
  k.f32(1);
  f.simd("f32x4.add").set(y);
  // · 2ⁿ, built from the exponent bits
  f.get(y);
  f.get(n).simd("i32x4.trunc_sat_f32x4_s");
  f.i32(127).simd("i32x4.splat").simd("i32x4.add");
  f.i32(23).simd("i32x4.shl");
  f.simd("f32x4.mul");
}

/**
 * log x of the vector in local x, left on the stack: at most 1 ulp from the correctly rounded log
 * over every f32 (tests/backends/mathLog.test.ts sweeps it). The core takes 26 instructions
 * (Cephes' logf took 38, and three bitselects): x = 2ⁿ·m with m in [⅔, 4/3) by integer arithmetic
 * on the bits, r = m − 1 exactly, and log x = (r²·p(r) + r) + n·ln2 with p of degree 7, a minimax
 * fit of (log1p r − r)/r² on [−⅓, ⅓] weighted by r²/log1p r (the relative error it leaves in the
 * sum). Zero lanes take two more (0 is the zero of every log-domain semiring); four decide whether
 * any lane is subnormal, negative, ∞ or NaN, and only then does the slow path run.
 */
export function emitLogF32(f: FuncBuilder, x: number): void {
  const k = splats(f);
  const y = f.local("v128"), zero = f.local("v128");
  k.f32(-Infinity);
  logCore(f, x, k);
  f.get(x);
  k.i32(0);
  f.simd("i32x4.eq").tee(zero).simd("v128.bitselect").set(y);
  // Other special lanes, outside [2⁻¹²⁶, ∞): bits(x) + 0x7f800000 maps the positive normals, and
  // only them, below −2²⁴ as signed integers.
  f.get(x);
  k.i32(0x7f800000);
  f.simd("i32x4.add");
  k.i32(-0x01000001);
  f.simd("i32x4.gt_s").get(zero).simd("v128.andnot").simd("v128.any_true").open("if");
  logSpecial(f, x, y);
  f.end();
  f.get(y);
}

/** log1p(r) − r ≈ r²·p(r) on [−⅓, ⅓], p's coefficients from degree 0 (f32 values). */
const LOG_P = [-0.49999937415122986, 0.33333197236061096, -0.2500782012939453, 0.20011167228221893, -0.16415956616401672, 0.13995827734470367, -0.1538855880498886, 0.14026251435279846];

/**
 * Pushes log x for the positive normal lanes of local x. Lanes in the mask `tiny` were scaled by
 * 2¹⁴⁹: their exponent is lowered by 149 (exact, unlike subtracting 149·ln2 afterwards).
 */
function logCore(f: FuncBuilder, x: number, k: Splats, tiny?: number): void {
  const n = f.local("v128"), r = f.local("v128");
  // n = (bits(x) − bits(⅔)) >> 23, m = x·2⁻ⁿ by subtracting n from the exponent field
  f.get(x);
  k.i32(0x3f2aaaab);
  f.simd("i32x4.sub").i32(23).simd("i32x4.shr_s").set(n);
  f.get(x).get(n).i32(23).simd("i32x4.shl").simd("i32x4.sub");
  k.f32(1);
  f.simd("f32x4.sub").set(r);
  if (tiny !== undefined) {
    f.get(n).get(tiny);
    k.i32(149);
    f.simd("v128.and").simd("i32x4.sub").set(n);
  }
  // p by Estrin's scheme: (c0 + c1·r) + r²·(c2 + c3·r) + r⁴·((c4 + c5·r) + r²·(c6 + c7·r)), a
  // chain of 7 dependent operations instead of Horner's 14 (the loops around it are latency-bound)
  const r2 = f.local("v128");
  f.get(r).get(r).simd("f32x4.mul").set(r2);
  const pair = (i: number) => {
    f.get(r);
    k.f32(LOG_P[i + 1]!);
    f.simd("f32x4.mul");
    k.f32(LOG_P[i]!);
    f.simd("f32x4.add");
  };
  pair(0);
  f.get(r2);
  pair(2);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.get(r2).get(r2).simd("f32x4.mul");
  pair(4);
  f.get(r2);
  pair(6);
  f.simd("f32x4.mul").simd("f32x4.add");
  f.simd("f32x4.mul").simd("f32x4.add");
  // (r²·p + r) + n·ln2: the order that keeps the error within 1 ulp without splitting ln2
  f.get(r2).simd("f32x4.mul");
  f.get(r).simd("f32x4.add");
  f.get(n).simd("f32x4.convert_i32x4_s");
  k.f32(Math.LN2);
  f.simd("f32x4.mul").simd("f32x4.add");
}

/**
 * Recomputes local y where some lane of x is not a positive normal or +0. A subnormal is
 * bits(x)·2⁻¹⁴⁹: its bits converted to float are a normal number, read with the exponent lowered by
 * 149, so no float operation reads a subnormal (an x86 multiply by one takes a microcode assist, a
 * hundred cycles). log ±0 = −∞, log ∞ = ∞, NaN for NaN and negatives.
 */
function logSpecial(f: FuncBuilder, x: number, y: number): void {
  const tiny = f.local("v128"), xs = f.local("v128");
  const k = splats(f);
  // tiny: bits(x) < 2²³ as signed integers (0, subnormals, and negatives, which end as NaN below)
  k.i32(0x00800000);
  f.get(x).simd("i32x4.gt_s").set(tiny);
  f.get(x).simd("f32x4.convert_i32x4_s").get(x).get(tiny).simd("v128.bitselect").set(xs);
  logCore(f, xs, k, tiny);
  f.set(y);
  // ∞ and NaN are their own log
  f.get(y).get(x).get(x);
  k.f32(Infinity);
  f.simd("f32x4.lt").simd("v128.bitselect").set(y);
  k.f32(-Infinity);
  f.get(y).get(x);
  k.f32(0);
  f.simd("f32x4.eq").simd("v128.bitselect").set(y);
  k.f32(NaN);
  f.get(y).get(x);
  k.f32(0);
  f.simd("f32x4.lt").simd("v128.bitselect").set(y);
}
