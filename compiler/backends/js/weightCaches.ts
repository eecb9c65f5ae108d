// The generated module's table of caches of values computed from params alone (log|w| of a
// weight…): where each lives, its prep kernel, and a key that names what it holds by param names,
// so that createModel({ caches }) can copy a cache another module of the same weights (another
// sequence length) already computed, instead of computing it again (runtime/module/kernels.ts).

import type { Graph } from "../../../ir/graph.ts";
import { opRules } from "../../../ir/ops/index.ts";
import * as S from "../../../ir/scalar.ts";
import { sizeOf } from "../../../ir/types.ts";
import type { CacheSpec } from "../../../runtime/module/kernels.ts";
import { valueBuffer } from "../../schedule.ts";
import { tensorName } from "./edges.ts";
import type { KernelCompiler } from "./vectorize.ts";

/**
 * One entry per prep kernel. The key is the cache's definition with every buffer it reads named
 * by its param (node numbers and offsets differ between lengths; param names do not), its shape and
 * the precision; a cache that reads anything but params gets no key.
 */
export function cacheSpecs(g: Graph, compiler: KernelCompiler, offsetOf: (buffer: string) => number, shapeOf: (buffer: string) => readonly number[], precision: "f32" | "f64"): CacheSpec[] {
  const paramOf = new Map(g.nodes.filter((n) => opRules[n.op].role === "param").map((n) => [valueBuffer(g, n.id), tensorName(n)]));
  return compiler.prep.map(({ name, extent }) => {
    const buffer = name.replace(/^prep_/, "");
    const shape = shapeOf(buffer);
    const def = compiler.unfold(S.load(buffer, shape.map((_, a) => S.v(`c${a}`))));
    const refs = def ? [...new Set(S.loadsOf(def).map((l) => (l.k === "load" ? l.ref : "")))] : [];
    const named = def !== undefined && refs.length > 0 && refs.every((r) => paramOf.has(r));
    const params = named ? refs.map((r) => paramOf.get(r)!) : [];
    const key = named ? `${precision} [${shape.join(",")}] ${S.showSx(S.rewrite(def, (x) => (x.k === "load" && paramOf.has(x.ref) ? S.load(JSON.stringify(paramOf.get(x.ref)), x.index) : undefined)))}` : null;
    return { prep: name, extent, at: offsetOf(buffer), length: sizeOf(shape), key, params };
  });
}
