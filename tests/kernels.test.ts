// The one kernel legalization (compiler/kernels/legalize.ts), the iteration-space analysis read by
// the backends (space.ts), and the printed kernel form with `semic compile --emit kernels`.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { flatIndex, flattenLoads } from "../compiler/backends/emit.ts";
import { buildBackward, defaultWrt } from "../compiler/backward.ts";
import { loadModel } from "../compiler/frontend/index.ts";
import type { Kernel } from "../compiler/kernel.ts";
import { dropUnitVars, legalizeKernel, logicalLayout, type Layout } from "../compiler/kernels/legalize.ts";
import { kernelListing } from "../compiler/kernels/listing.ts";
import { printKernel, showInfix } from "../compiler/kernels/print.ts";
import { injective, solveTarget } from "../compiler/kernels/space.ts";
import { adjointBuffers, backwardSteps, forwardBuffers, forwardSteps } from "../compiler/schedule.ts";
import * as S from "../ir/scalar.ts";
import { semiringByName, semiringNames } from "../ir/semirings/index.ts";
import { expectUserError, ROOT, spawnSemic } from "./cliSpawn.ts";

const shapes: Record<string, readonly number[]> = { w: [3, 4], x: [4], y: [3], a_hi: [3], a_lo: [3] };
const logical = logicalLayout((b) => shapes[b]!);
const [i, j, u] = [S.v("i"), S.v("j"), S.v("u")];

/** y[i] ⊕= w[i, j] · x[j] with a unit var u that indexes nothing but an offset. */
const matvec: Kernel = {
  name: "k",
  comment: "matvec",
  vars: [{ name: "i", extent: 3 }, { name: "u", extent: 1 }, { name: "j", extent: 4 }],
  targets: ["y"],
  index: [i],
  update: [S.add(S.v("acc0"), S.mul(S.load("w", [i, S.add(j, u)]), S.load("x", [j])))],
};

describe("legalizeKernel", () => {
  test("drops unit vars, flattens loads row-major, finds the target offset and accumulation", () => {
    const k = legalizeKernel(matvec, logical);
    expect(k.vars.map((iv) => iv.name)).toEqual(["i", "j"]);
    expect(k.accumulates).toBe(true);
    expect(S.showSx(k.target)).toBe("i");
    expect(showInfix(k.update[0]!)).toBe("acc0 + w[i * 4 + j] * x[j]");
    expect(k.targets).toEqual([{ buffer: "y", offset: 0 }]);
  });

  test("dropUnitVars keeps multi-indices (the form that loop order and caches read)", () => {
    const k = dropUnitVars(matvec);
    expect(k.vars.map((iv) => iv.name)).toEqual(["i", "j"]);
    expect(S.showSx(k.update[0]!)).toBe("add(acc0, mul(w[i, j], x[j]))");
  });

  test("a layout that packs lanes places them at offsets", () => {
    const packed: Layout = { ...logical, place: (b) => (b.startsWith("a_") ? { buffer: "a", offset: b === "a_lo" ? 3 : 0 } : { buffer: b, offset: 0 }) };
    const k = legalizeKernel({ ...matvec, targets: ["a_hi", "a_lo"], update: [S.load("a_lo", [i]), S.load("y", [i])] }, packed);
    expect(k.targets).toEqual([{ buffer: "a", offset: 0 }, { buffer: "a", offset: 3 }]);
    expect(showInfix(k.update[0]!)).toBe("a[i + 3]");
    expect(k.accumulates).toBe(false);
    const printed = printKernel(k, { role: () => undefined, dtype: () => "f32" }).split("\n");
    expect(printed.slice(-2)).toEqual(["  a[i] = a[i + 3]", "  a[i + 3] = y[i]"]);
  });
});

// The preparation the JS renderer and the WebAssembly compiler (js/vectorize.ts) each wrote: vars
// of extent 1 substituted by 0, then multi-index loads flattened. The legal form must equal it on
// every kernel of the examples, so that either can read LegalKernel instead.
describe("legalizeKernel equals the backends' former preparation", () => {
  const models = ["mlp", "transformer"].map((m) => loadModel(`examples/${m}.ts`).graph);
  test.each(models.map((g) => [g.name, g] as const))("every kernel of %s, forward and every semiring's backward", (_name, g) => {
    const plan = buildBackward(g, defaultWrt(g));
    const bufs = new Map(forwardBuffers(g).map((b) => [b.name, b.shape]));
    const steps = [...forwardSteps(g)];
    for (const name of semiringNames) {
      const sr = semiringByName(name, { k: 2 });
      for (const b of adjointBuffers(plan, sr)) bufs.set(b.name, b.shape);
      steps.push(...backwardSteps(plan, sr));
    }
    const shapeOf = (b: string) => bufs.get(b)!;
    let checked = 0;
    for (const st of steps) {
      if (st.k !== "kernel") continue;
      const k = st.kernel;
      const unit = Object.fromEntries(k.vars.filter((iv) => iv.extent <= 1).map((iv) => [iv.name, S.c(0)]));
      const prep = (x: S.Sx) => flattenLoads(S.substitute(x, unit), shapeOf);
      const legal = legalizeKernel(k, logicalLayout(shapeOf));
      const key = (xs: readonly S.Sx[]) => xs.map(S.sxKey);
      expect(key(legal.update)).toEqual(key(k.update.map(prep)));
      expect(S.sxKey(legal.target)).toBe(S.sxKey(prep(flatIndex(k.index, shapeOf(k.targets[0]!)))));
      expect(legal.guard && S.sxKey(legal.guard)).toBe(k.guard && S.sxKey(prep(k.guard)));
      expect(key(dropUnitVars(k).update)).toEqual(key(k.update.map((u) => S.substitute(u, unit))));
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe("iteration space", () => {
  test("target vars are solved from coordinates, the rest looped", () => {
    const s = solveTarget(legalizeKernel(matvec, logical));
    expect(Object.keys(s.solved)).toEqual(["i"]);
    expect(s.loops.map((iv) => iv.name)).toEqual(["j"]);
    expect(s.plain).toBe(true);
  });

  test("injective: one element per point, or not", () => {
    const flatTarget: Kernel = { ...matvec, vars: [{ name: "i", extent: 3 }], index: [i], update: [S.load("y", [i])] };
    expect(injective(legalizeKernel(flatTarget, logical))).toBe(true);
    expect(injective(legalizeKernel(matvec, logical))).toBe(false);
  });
});

describe("printed form", () => {
  test.each([
    ["a - (b - c)", S.sub(S.v("a"), S.sub(S.v("b"), S.v("c")))],
    ["a - b - c", S.sub(S.sub(S.v("a"), S.v("b")), S.v("c"))],
    ["(a + 1) * b", S.mul(S.add(S.v("a"), 1), S.v("b"))],
    ["a < 0 ? -a : max(a, -Infinity)", S.select(S.lt(S.v("a"), 0), S.un("neg", S.v("a")), S.max(S.v("a"), -Infinity))],
    ["(c ? 1 : 0) + d", S.add(S.select(S.v("c"), 1, 0), S.v("d"))],
    ["p && (q || r)", S.and(S.v("p"), S.or(S.v("q"), S.v("r")))],
  ])("infix: %s", (text, x) => {
    expect(showInfix(x)).toBe(text);
  });

  test("a kernel block: space, buffers with roles, shared subexpressions once, one line per lane", () => {
    const twoLanes: Kernel = {
      ...matvec,
      guard: S.gt(S.load("x", [j]), 0),
      targets: ["a_hi", "a_lo"],
      update: [S.max(S.v("acc0"), S.mul(S.load("w", [i, j]), S.load("x", [j]))), S.min(S.v("acc1"), S.mul(S.load("w", [i, j]), S.load("x", [j])))],
    };
    const text = printKernel(legalizeKernel(twoLanes, logical), { role: (b) => (b.startsWith("a_") ? "adjoint" : "value"), dtype: () => "f32" });
    expect(text).toBe(
      [
        "kernel k: matvec",
        "  space   i < 3, j < 4 (j reduced)",
        "  reads   w (value), x (value)",
        "  writes  a_hi (adjoint), a_lo (adjoint): f32[3], accumulating",
        "  where   x[j] > 0",
        "  let t0 = w[i * 4 + j] * x[j]",
        "  a_hi[i] = max(acc0, t0)",
        "  a_lo[i] = min(acc1, t0)",
      ].join("\n"),
    );
  });

  test("the listing has the forward pass and one backward pass per semiring, each with its kernel count", () => {
    const g = loadModel("examples/mlp.ts").graph;
    const text = kernelListing(g, { semirings: ["sumprod", "maxprod"].map((n) => semiringByName(n)) });
    const passes = text.split(/^pass /m).slice(1);
    expect(passes.map((p) => p.split(/[ :]/)[0])).toEqual(["forward", "backward.sumprod", "backward.maxprod"]);
    for (const p of passes) expect(p.match(/^kernel /gm)!.length).toBe(Number(/: (\d+) kernels?\n/.exec(p)![1]));
    expect(text).toMatch(/^kernel bwd_3_0: %3 = linear/m);
  });
});

describe("semic compile --emit kernels", () => {
  let tmp: string;
  const MLP = join(ROOT, "examples/mlp.ts");
  beforeAll(() => (tmp = mkdtempSync(join(tmpdir(), "semic-kernels-"))));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test("prints to stdout without -o, writes <model>.<semirings>.kernels.txt with it, and no module", async () => {
    const g = loadModel(MLP).graph;
    const want = kernelListing(g, { semirings: [semiringByName("sumprod"), semiringByName("entropy")] });
    const [printed, written, bad] = await Promise.all([
      spawnSemic(["compile", MLP, "-s", "sumprod,entropy", "--emit", "kernels"], tmp),
      spawnSemic(["compile", MLP, "-s", "sumprod,entropy", "--emit", "kernels", "-o", "k"], tmp),
      spawnSemic(["compile", MLP, "-s", "sumprod", "--emit", "kernel"], tmp),
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(want);
    expect(written.code, written.stderr).toBe(0);
    expect(readFileSync(join(tmp, "k", "mlp.sumprod+entropy.kernels.txt"), "utf8")).toBe(want);
    expect(existsSync(join(tmp, "k", "mlp.sumprod+entropy.js"))).toBe(false);
    expect(existsSync(join(tmp, "out"))).toBe(false);
    expectUserError(bad, /--emit .*kernel.* is invalid\. Allowed choices are module, kernels/);
  });
});
