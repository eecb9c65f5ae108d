// How each scalar op is spelled in JavaScript. Exhaustive: a new ScalarOp fails to compile here
// until the JS backend supports it.

import type { BinaryOp, UnaryOp } from "../../../ir/scalar.ts";

export const jsUnary: { readonly [K in UnaryOp]: (x: string) => string } = {
  neg: (x) => `-${x}`,
  exp: (x) => `Math.exp(${x})`,
  log: (x) => `Math.log(${x})`,
  log1p: (x) => `Math.log1p(${x})`,
  sqrt: (x) => `Math.sqrt(${x})`,
  rsqrt: (x) => `1 / Math.sqrt(${x})`,
  sin: (x) => `Math.sin(${x})`,
  cos: (x) => `Math.cos(${x})`,
  tanh: (x) => `Math.tanh(${x})`,
  sigmoid: (x) => `1 / (1 + Math.exp(-${x}))`,
  abs: (x) => `Math.abs(${x})`,
  erf: (x) => `erf(${x})`,
  floor: (x) => `Math.floor(${x})`,
  not: (x) => `!${x}`,
  isneginf: (x) => `${x} === -Infinity`,
};

export const jsBinary: { readonly [K in BinaryOp]: (a: string, b: string) => string } = {
  add: (a, b) => `${a} + ${b}`,
  sub: (a, b) => `${a} - ${b}`,
  mul: (a, b) => `${a} * ${b}`,
  div: (a, b) => `${a} / ${b}`,
  max: (a, b) => `Math.max(${a}, ${b})`,
  min: (a, b) => `Math.min(${a}, ${b})`,
  lt: (a, b) => `${a} < ${b}`,
  le: (a, b) => `${a} <= ${b}`,
  gt: (a, b) => `${a} > ${b}`,
  ge: (a, b) => `${a} >= ${b}`,
  eq: (a, b) => `${a} === ${b}`,
  ne: (a, b) => `${a} !== ${b}`,
  and: (a, b) => `${a} && ${b}`,
  or: (a, b) => `${a} || ${b}`,
};

/** Ops whose spelling is a call (or atom) need no parentheses around them. */
export const jsAtomicUnary: ReadonlySet<UnaryOp> = new Set(["exp", "log", "log1p", "sqrt", "sin", "cos", "tanh", "abs", "erf", "floor"]);
export const jsAtomicBinary: ReadonlySet<BinaryOp> = new Set(["max", "min"]);

/** Helper functions emitted once per module, only when used. */
export const jsHelpers: Readonly<Record<string, string>> = {
  erf: `// erf (Numerical Recipes erfc fit, |error| < 1.2e-7); the same formula in every backend.
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - r : r - 1;
}`,
};
