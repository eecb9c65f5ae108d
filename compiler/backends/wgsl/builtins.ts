// WGSL helper functions as raw text, emitted into a module only when a kernel uses them. WGSL's
// builtins are loose where semirings need exactness (log 0 = −∞, tanh of large values) and sin/cos
// may be off by 2^-11 absolute (SwiftShader's are, even near 0), so those get portable versions
// accurate to a few ulp, that agree with the JS backend within f32 rounding.

/** Helpers each helper calls. */
export const builtinDeps: Readonly<Record<string, readonly string[]>> = {
  log_: ["f32_bits"],
  log1p_: ["log_"],
  sin_: ["sincos_"],
  cos_: ["sincos_"],
};

export const wgslBuiltins: Readonly<Record<string, string>> = {
  // Bits → f32 through a function argument: a literal bitcast of ±∞ is a constant expression, and
  // WGSL rejects constant expressions that are not finite.
  f32_bits: `fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }`,
  // WGSL has no log1p. Goldberg's trick: exact where 1 + x rounds to 1, relative error ~ulp elsewhere.
  log1p_: `fn log1p_(x: f32) -> f32 {
  let u = 1.0 + x;
  if (u == 1.0 || bitcast<u32>(u) == 0x7f800000u) { return select(x, u, u != 1.0); }
  return log_(u) * (x / (u - 1.0));
}`,
  // log 0 = −∞ and log +∞ = +∞ as in IEEE; WGSL leaves both to the implementation.
  log_: `fn log_(x: f32) -> f32 {
  if (x == 0.0) { return f32_bits(0xff800000u); }
  if (bitcast<u32>(x) == 0x7f800000u) { return x; }
  return log(x);
}`,
  // Cephes sinf/cosf: reduction by π/4 in three parts (exact for |x| < 8192), then the minimax
  // polynomial of the octant. Returns the value of sin (want_cos = false) or cos.
  sincos_: `fn sincos_(x: f32, want_cos: bool) -> f32 {
  let a = abs(x);
  if (a > 8192.0) { return select(sin(x), cos(x), want_cos); }
  var j = u32(a * 1.27323954473516);
  var y = f32(j);
  if ((j & 1u) == 1u) { j += 1u; y += 1.0; }
  j = j & 7u;
  var neg = select(x < 0.0, false, want_cos);
  if (j > 3u) { j -= 4u; neg = !neg; }
  if (want_cos && j > 1u) { neg = !neg; }
  let r = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  let z = r * r;
  let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
  let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
  let v = select(s, c, (j == 1u || j == 2u) != want_cos);
  return select(v, -v, neg);
}`,
  sin_: `fn sin_(x: f32) -> f32 { return sincos_(x, false); }`,
  cos_: `fn cos_(x: f32) -> f32 { return sincos_(x, true); }`,
  // Builtin tanh overflows to NaN for |x| ≳ 44 on some drivers (SwiftShader); tanh(±10) is ±1 in f32.
  tanh_: `fn tanh_(x: f32) -> f32 { return tanh(clamp(x, -10.0, 10.0)); }`,
  // erf: the Numerical Recipes erfc fit of ir/scalar.ts erfApprox (|error| < 1.2e-7), the same
  // formula in every backend.
  erf_: `fn erf_(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.5 * z);
  let r = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return select(r - 1.0, 1.0 - r, x >= 0.0);
}`,
};
