// What the WebAssembly compiler prepares beyond the shared legalization: it plans on the kernel's
// own multi-index form first (linear forms of the indices), so it applies the legalization's steps
// (compiler/kernels/legalize.ts: unit variables as 0, loads placed at flat offsets) expression by
// expression; and transcendental subexpressions of constant buffers become caches that prep kernels
// fill once, at createModel.

import * as S from "../../../../ir/scalar.ts";
import type { Sx } from "../../../../ir/scalar.ts";
import type { Kernel } from "../../../kernel.ts";
import { logicalLayout, placeLoads, unitVars } from "../../../kernels/legalize.ts";
import { keyOf, mentions } from "./linearForms.ts";
import type { WasmLayout } from "./types.ts";

/** Unit-extent variables as 0, and `prep`: an expression with them substituted and its loads flattened. */
export function prepareKernel(k: Kernel, shapeOf: (buffer: string) => readonly number[]): { prep: (x: Sx) => Sx; unit: Record<string, Sx> } {
  const unit = unitVars(k);
  const layout = logicalLayout(shapeOf);
  return { prep: (x: Sx) => placeLoads(S.substitute(x, unit), layout), unit };
}

/** The caches of one module, and the prep kernels that fill them. */
export class ConstantCaches {
  /** `compileWhole` compiles a prep kernel to WebAssembly whole (it returns its outer extent), or gives null. */
  constructor(
    readonly layout: WasmLayout,
    readonly compileWhole: (fill: Kernel) => { readonly extent: number } | null,
  ) {}

  /** Kernels that fill caches, to run once the parameters are in memory. */
  readonly prep: { name: string; extent: number }[] = [];
  /** Cache by canonical expression; null where its prep kernel could not be compiled. */
  readonly #caches = new Map<string, string | null>();
  readonly #cacheDefs = new Map<string, { canon: Sx; vars: string[] }>();

  /** The definition of a cache load (its expression at the load's indices). */
  unfold(x: Sx): Sx | undefined {
    if (x.k !== "load") return undefined;
    const def = this.#cacheDefs.get(x.ref);
    if (!def) return undefined;
    return S.substitute(def.canon, Object.fromEntries(def.vars.map((v, a) => [v, x.index[a]!])));
  }

  /**
   * A cache of `x` (over kernel k's variables) when it reads only constant buffers, or undefined:
   * its load, filled once by a prep kernel.
   */
  cacheOf(x: Sx, k: Kernel): Sx | undefined {
    if (!this.#constOnly(x, k)) return undefined;
    const vars = k.vars.filter((iv) => iv.extent > 1 && mentions(x, iv.name));
    const size = vars.reduce((p, iv) => p * iv.extent, 1);
    if (vars.length === 0 || size > 1 << 24 || S.loadsOf(x).length === 0) return undefined;
    // Canonical names, so equal expressions over equal extents share one cache.
    const canon = S.substitute(x, Object.fromEntries(vars.map((iv, a) => [iv.name, S.v(`c${a}`)])));
    const key = `${keyOf(canon)}@${vars.map((iv) => iv.extent).join(",")}`;
    if (this.#caches.has(key) && this.#caches.get(key) === null) return undefined;
    let name = this.#caches.get(key) ?? undefined;
    if (!name) {
      name = `cache${this.#caches.size}`;
      const cvars = vars.map((iv, a) => ({ name: `c${a}`, extent: iv.extent }));
      const fill: Kernel = { name: `prep_${name}`, comment: `${name} = ${S.showSx(canon)}`, vars: cvars, targets: [name], index: cvars.map((iv) => S.v(iv.name)), update: [canon] };
      // The cache exists only if its prep kernel compiles (a JS fallback could not fill it).
      this.layout.addBuffer(name, cvars.map((iv) => iv.extent));
      const done = this.compileWhole(fill);
      if (!done) {
        this.#caches.set(key, null);
        return undefined;
      }
      this.#caches.set(key, name);
      this.#cacheDefs.set(name, { canon, vars: cvars.map((iv) => iv.name) });
      this.prep.push({ name: fill.name, extent: done.extent });
    }
    return S.load(name, vars.map((iv) => S.v(iv.name)));
  }

  /** x reads only constant buffers (at indices of the kernel's variables). */
  #constOnly(x: Sx, k: Kernel): boolean {
    const ext = new Map(k.vars.map((iv) => [iv.name, iv.extent]));
    const go = (y: Sx): boolean => (y.k === "load" ? this.layout.isConst(y.ref) && y.index.every(go) : y.k === "var" ? (ext.get(y.name) ?? 0) > 1 : S.children(y).every(go));
    return go(x);
  }

  /**
   * Transcendental subexpressions that read only constant buffers (log|w| of a weight, say) are
   * computed once into a cache by a prep kernel, and loaded instead.
   */
  materialize(k: Kernel): Kernel {
    const costly = new Set(["exp", "log", "log1p", "tanh", "erf", "sin", "cos", "sigmoid"]);
    const memo = new Map<string, Sx>();
    const go = (x: Sx): Sx => {
      const key = keyOf(x);
      const hit = memo.get(key);
      if (hit) return hit;
      let out: Sx;
      if (x.k === "un" && costly.has(x.op) && this.#constOnly(x, k)) out = this.cacheOf(x, k) ?? x;
      else
        switch (x.k) {
          case "const": case "var": case "load": out = x; break;
          case "un": out = S.un(x.op, go(x.x)); break;
          case "bin": out = S.bin(x.op, go(x.a), go(x.b)); break;
          case "select": out = S.select(go(x.c), go(x.a), go(x.b)); break;
        }
      memo.set(key, out);
      return out;
    };
    return { ...k, update: k.update.map(go) };
  }
}
