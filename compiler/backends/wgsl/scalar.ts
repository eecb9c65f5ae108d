// How each scalar op is spelled in WGSL, for f32 operands (types.ts decides types; integer
// index arithmetic is spelled by the renderer). Exhaustive: a new ScalarOp fails to compile here
// until the WGSL backend supports it.

import type { BinaryOp, UnaryOp } from "../../../ir/scalar.ts";
import type { DType } from "../../../ir/types.ts";

/** Storage element type per tensor dtype. */
export const typeMap: { readonly [K in DType]: string } = { f32: "f32", i32: "i32" };

export const wgslUnary: { readonly [K in UnaryOp]: (x: string) => string } = {
  neg: (x) => `(-${x})`,
  exp: (x) => `exp(${x})`,
  log: (x) => `log_(${x})`,
  log1p: (x) => `log1p_(${x})`,
  sqrt: (x) => `sqrt(${x})`,
  rsqrt: (x) => `inverseSqrt(${x})`,
  sin: (x) => `sin_(${x})`,
  cos: (x) => `cos_(${x})`,
  tanh: (x) => `tanh_(${x})`,
  sigmoid: (x) => `(1.0 / (1.0 + exp(-${x})))`,
  abs: (x) => `abs(${x})`,
  erf: (x) => `erf_(${x})`,
  floor: (x) => `floor(${x})`,
  not: (x) => `(!${x})`,
  // Compared by bits: WGSL lets implementations assume no infinities in float comparisons.
  isneginf: (x) => `(bitcast<u32>(${x}) == 0xff800000u)`,
};

export const wgslBinary: { readonly [K in BinaryOp]: (a: string, b: string) => string } = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  max: (a, b) => `max(${a}, ${b})`,
  min: (a, b) => `min(${a}, ${b})`,
  lt: (a, b) => `(${a} < ${b})`,
  le: (a, b) => `(${a} <= ${b})`,
  gt: (a, b) => `(${a} > ${b})`,
  ge: (a, b) => `(${a} >= ${b})`,
  eq: (a, b) => `(${a} == ${b})`,
  ne: (a, b) => `(${a} != ${b})`,
  and: (a, b) => `(${a} && ${b})`,
  or: (a, b) => `(${a} || ${b})`,
};

/** Helper functions (builtins.ts) each op needs. */
export const wgslHelperOf: Partial<Record<UnaryOp | "inf", string>> = {
  log: "log_",
  sin: "sin_",
  cos: "cos_",
  log1p: "log1p_",
  tanh: "tanh_",
  erf: "erf_",
  inf: "f32_bits",
};

const bitsOf = (v: number) => `f32_bits(0x${new Uint32Array(new Float32Array([v]).buffer)[0]!.toString(16).padStart(8, "0")}u)`;

/**
 * A WGSL f32 literal. Values a literal cannot hold (±∞, NaN, and f32 overflow, which WGSL rejects
 * as constants; subnormals, which it may flush) come from their f32 bits (builtins f32_bits).
 */
export function f32Literal(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f) || (f !== 0 && Math.abs(f) < 1.1754943508222875e-38)) return bitsOf(f);
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  const s = String(v);
  const lit = /[.e]/.test(s) ? s : `${s}.0`;
  return v < 0 ? `(${lit})` : lit;
}
