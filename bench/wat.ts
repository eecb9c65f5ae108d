// Dev tool: prints one kernel of a generated module as WebAssembly text (the opcode subset the
// kernel compiler emits). `tsx bench/wat.ts <model.ts> <kernel-name> [--semiring S] [--config k=v…]`

import { loadModel } from "../compiler/frontend/index.ts";
import { renderJsModule } from "../compiler/backends/js/module.ts";
import { buildBackward } from "../compiler/backward.ts";
import { semirings } from "../ir/semirings/index.ts";
import { OP, SIMD } from "../compiler/backends/js/wasm.ts";

const args = process.argv.slice(2);
const [file, kernel] = args;
const opt = (n: string, d: string) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1]! : d);
const config = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === "--config" ? [a.split("=") as [string, string]] : [])));
const { graph } = loadModel(file!, { config });
const srs = opt("semiring", "sumprod").split(",").map((n) => semirings[n as keyof typeof semirings]);
const { js } = renderJsModule(buildBackward(graph, [opt("wrt", "embeddings")]), srs, { precision: (opt("precision", "f32") as "f32") });
const b64 = /^  code: "([^"]+)",$/m.exec(js)![1]!;
const bytes = Buffer.from(b64, "base64");

const scalarName = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
const simdName = new Map<number, string>(Object.entries(SIMD).map(([k, v]) => [v, k]));
let p = 0;
const u = () => {
  let r = 0, s = 0, b;
  do { b = bytes[p++]!; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
  return r >>> 0;
};
const sl = () => {
  let r = 0, s = 0, b;
  do { b = bytes[p++]!; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
  if (s < 32 && b & 0x40) r |= -1 << s;
  return r;
};
// sections
p = 8;
const sections = new Map<number, [number, number]>();
const customs: [number, number][] = [];
while (p < bytes.length) {
  const id = bytes[p++]!;
  const len = u();
  if (id === 0) customs.push([p, len]);
  else sections.set(id, [p, len]);
  p += len;
}
// imports count, names
const names = new Map<number, string>();
for (const [start] of customs) {
  p = start;
  const nl = u(); p += nl;
  p++; u();
  const n = u();
  for (let i = 0; i < n; i++) { const idx = u(); const l = u(); names.set(idx, bytes.subarray(p, p + l).toString()); p += l; }
}
p = sections.get(2)![0];
const nImports = u() - 1; // memory is one
const target = [...names].find(([, n]) => n === kernel)?.[0];
if (target === undefined) throw new Error(`no kernel ${kernel}; some: ${[...names.values()].slice(0, 20).join(", ")}`);
p = sections.get(10)![0];
const nf = u();
for (let i = 0; i < nf; i++) {
  const size = u();
  const end = p + size;
  if (i + nImports !== target) { p = end; continue; }
  const nl = u();
  const locals: string[] = [];
  for (let j = 0; j < nl; j++) { const c = u(); const t = bytes[p++]!; locals.push(`${c}×${({ 0x7f: "i32", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128" } as Record<number, string>)[t]}`); }
  console.log(`(func ${kernel} (locals ${locals.join(" ")})`);
  let ind = 1;
  while (p < end) {
    const op = bytes[p++]!;
    let text: string;
    if (op === 0xfd) {
      const so = u();
      const nm = simdName.get(so) ?? `simd_${so.toString(16)}`;
      text = nm;
      if (nm === "v128.const") { const dv = new DataView(bytes.buffer, bytes.byteOffset + p, 16); text += ` ${[0, 4, 8, 12].map((o) => dv.getFloat32(o, true)).join(" ")}`; p += 16; }
      else if (nm.includes("lane")) text += ` ${bytes[p++]}`;
      else if (nm.startsWith("v128.load") || nm === "v128.store") { u(); text += ` offset=${u()}`; }
    } else {
      const nm = scalarName.get(op) ?? `op_${op.toString(16)}`;
      text = nm;
      if (["block", "loop", "if"].includes(nm)) { p++; }
      else if (nm.startsWith("local") || nm === "br" || nm === "br_if") text += ` ${u()}`;
      else if (nm === "call") { const f = u(); text += ` ${names.get(f) ?? f}`; }
      else if (nm.endsWith("load") || nm.endsWith("store")) { u(); text += ` offset=${u()}`; }
      else if (op === 0x41) text = `i32.const ${sl()}`;
      else if (op === 0x43) { text = `f32.const ${new DataView(bytes.buffer, bytes.byteOffset + p, 4).getFloat32(0, true)}`; p += 4; }
      else if (op === 0x44) { text = `f64.const ${new DataView(bytes.buffer, bytes.byteOffset + p, 8).getFloat64(0, true)}`; p += 8; }
    }
    if (text === "end" || text === "else") ind--;
    console.log("  ".repeat(Math.max(ind, 0)) + text);
    if (["block", "loop", "if", "else"].includes(text)) ind++;
  }
}
