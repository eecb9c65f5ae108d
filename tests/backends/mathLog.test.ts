// The f32x4 log of the WebAssembly kernels (compiler/backends/js/simd/mathF32.ts) against the
// correctly rounded log, run for real over a dense sweep of f32: every value of the binades
// [½, 2) (where log x is near 0 and only the polynomial's error shows), every 127th bit pattern
// from 0 to ∞ (subnormals and every binade), and the special values.
// Reference: Math.log in f64 rounded to f32 (double rounding could move it by 1 ulp only when
// log x lies within 2⁻²⁹ relative of an f32 midpoint).

import { describe, expect, it } from "vitest";
import { emitLogF32 } from "../../compiler/backends/js/simd/mathF32.ts";
import { FuncBuilder, ModuleBuilder } from "../../compiler/backends/js/wasm.ts";

const CHUNK = 1 << 20;

/** log over the first `count` f32 of memory (a multiple of 4), in place. */
function vectorLog(): { view: Float32Array; bits: Int32Array; run: (count: number) => void } {
  const mod = new ModuleBuilder(CHUNK / (1 << 14));
  const f = new FuncBuilder(["i32"], []);
  const at = f.local("i32"), x = f.local("v128");
  f.i32(0).set(at);
  f.open("loop");
  f.get(at).mem("v128.load", 0).set(x);
  f.get(at);
  emitLogF32(f, x);
  f.mem("v128.store", 0);
  f.get(at).i32(16).op("i32.add").tee(at).get(0).i32(2).op("i32.shl").op("i32.lt_s").br("br_if", 0);
  f.end();
  mod.addFunc(f, "run");
  const memory = new WebAssembly.Memory({ initial: CHUNK / (1 << 14), maximum: CHUNK / (1 << 14), shared: true });
  const { run } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as { run: (n: number) => void };
  return { view: new Float32Array(memory.buffer, 0, CHUNK), bits: new Int32Array(memory.buffer, 0, CHUNK), run };
}

/** Bit patterns as a line where adjacent floats are 1 apart (−0 and +0 both 0). */
const ordered = (b: number) => (b < 0 ? -(b & 0x7fffffff) : b);

describe("f32x4 log", () => {
  const { view, bits, run } = vectorLog();
  const ref = new Float32Array(1);
  const refBits = new Int32Array(ref.buffer);

  /** The largest distance in ulps from the correctly rounded log over the bit patterns from `lo`, by `step`, `count` of them. */
  function sweep(lo: number, step: number, count: number): { ulps: number; at: number } {
    let worst = { ulps: 0, at: NaN };
    for (let done = 0; done < count; done += CHUNK) {
      const n = Math.min(CHUNK, count - done);
      for (let i = 0; i < n; i++) bits[i] = lo + (done + i) * step;
      const xs = Float32Array.from(view.subarray(0, n));
      run((n + 3) & ~3);
      for (let i = 0; i < n; i++) {
        ref[0] = Math.log(xs[i]!);
        const d = Math.abs(ordered(bits[i]!) - ordered(refBits[0]!));
        if (d > worst.ulps || Number.isNaN(view[i]!)) worst = { ulps: Number.isNaN(view[i]!) ? Infinity : d, at: xs[i]! };
      }
    }
    return worst;
  }

  it("is within 1 ulp of the correctly rounded log over every f32 of [½, 2)", () => {
    expect(sweep(0x3f000000, 1, 1 << 24)).toEqual({ ulps: 1, at: expect.any(Number) as number });
  });

  it("is within 1 ulp from the smallest subnormal to the largest finite f32 (every 127th)", () => {
    const count = Math.floor((0x7f7fffff - 1) / 127) + 1;
    expect(sweep(1, 127, count).ulps).toBeLessThanOrEqual(1);
  });

  it("is exact at the special values: log 0 = −∞, log ∞ = ∞, NaN for negatives and NaN", () => {
    const xs = [0, -0, Infinity, -Infinity, NaN, -1, -(2 ** -149), 1, 2 ** -149, 2 ** -126, 2 ** 127, 2];
    view.set(xs);
    run(xs.length);
    const want = xs.map((x) => Math.fround(Math.log(x)));
    expect([...view.subarray(0, xs.length)]).toEqual(want);
  });

  it("mixes special and ordinary lanes in one vector without disturbing the ordinary ones", () => {
    const xs = [0, 3, 2 ** -140, 0.75, -1, 1e30, Infinity, 1e-40];
    view.set(xs);
    run(xs.length);
    xs.forEach((x, i) => {
      ref[0] = Math.log(Math.fround(x));
      const got = view[i]!;
      if (!Number.isFinite(ref[0])) expect(got, `log ${x}`).toEqual(ref[0]);
      else expect(Math.abs(got - ref[0]), `log ${x}`).toBeLessThanOrEqual(Math.abs(ref[0]) * 2 ** -23);
    });
  });
});
