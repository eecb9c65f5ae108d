// The f32x4 log alone (compiler/backends/js/simd/mathF32.ts): `tsx bench/vectorLog.ts [--reps N]`.
// One WebAssembly loop takes the log of 1 M vectors (4 MB) and sums them; prints the fastest of N
// runs in ns per vector, for positive normals and for data that sends vectors to the slow path.

import { emitLogF32 } from "../compiler/backends/js/simd/mathF32.ts";
import { FuncBuilder, ModuleBuilder } from "../compiler/backends/js/wasm.ts";

const args = process.argv.slice(2);
const reps = Number(args.includes("--reps") ? args[args.indexOf("--reps") + 1] : "15");
const N = 1 << 22;
const pages = (N * 4) / 65536;

const mod = new ModuleBuilder(pages);
const f = new FuncBuilder(["i32"], []);
const at = f.local("i32"), x = f.local("v128"), acc = f.local("v128");
f.i32(0).set(at);
f.open("loop");
f.get(at).mem("v128.load", 0).set(x);
f.get(acc);
emitLogF32(f, x);
f.simd("f32x4.add").set(acc);
f.get(at).i32(16).op("i32.add").tee(at).get(0).i32(2).op("i32.shl").op("i32.lt_s").br("br_if", 0);
f.end();
// The sum is stored, so the loop is not dead code.
f.i32(0).get(acc).mem("v128.store", 0);
mod.addFunc(f, "run");
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
const { run } = new WebAssembly.Instance(new WebAssembly.Module(mod.encode()), { env: { memory } }).exports as { run: (n: number) => void };
const view = new Float32Array(memory.buffer, 0, N);

const normal = (i: number) => 0.5 + (i % 977) / 300;
const cases: [string, (i: number) => number][] = [
  ["positive normals", normal],
  ["a zero lane in 1 vector of 8", (i) => (i % 32 === 5 ? 0 : normal(i))],
  ["a subnormal lane in 1 vector of 8", (i) => (i % 32 === 5 ? 1e-40 : normal(i))],
  ["a subnormal lane in every vector", (i) => (i % 4 === 1 ? 1e-40 : normal(i))],
];
for (const [name, fill] of cases) {
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < N; i++) view[i] = fill(i);
    const t0 = performance.now();
    run(N);
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${name}: ${((best * 1e6) / (N / 4)).toFixed(2)} ns per f32x4 log`);
}
