// Semiring axioms and readouts, on elements that are genuinely reachable: ⊕ of ⊗-chains of lifted
// weights (exact 0, negatives and ties included). Every Sx is evaluated both over variables (the
// form backends render) and constant-folded, and no evaluation may produce NaN.

import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import * as S from "../ir/scalar.ts";
import { evaluate, type Sx } from "../ir/scalar.ts";
import { semiringByName, semiringNames, semirings, topk } from "../ir/semirings/index.ts";
import type { Semiring } from "../ir/semirings/semiring.ts";

// ---------------------------------------------------------------- numeric view of a semiring

type El = number[];

const vars = (prefix: string, n: number): Sx[] => Array.from({ length: n }, (_, i) => S.v(`${prefix}${i}`));

function run(build: () => Sx[], bind: Record<string, number>, folded: () => Sx[]): El {
  const env = { vars: bind, load: () => { throw new Error("no loads in semiring rules"); } };
  const out = build().map((x) => evaluate(x, env));
  const consts = folded();
  consts.forEach((x, i) => {
    expect(x.k, "constant inputs fold to a constant").toBe("const");
    if (x.k === "const") expect(Object.is(x.v, out[i]) || x.v === out[i], `folded lane ${i}: ${x.v} vs ${out[i]}`).toBe(true);
  });
  if (out.some(Number.isNaN)) throw new Error(`NaN in [${out.join(", ")}] from ${JSON.stringify(bind)}`);
  return out;
}

const bindLanes = (prefix: string, xs: readonly number[]) => Object.fromEntries(xs.map((x, i) => [`${prefix}${i}`, x]));

/** The semiring's functions, evaluated through Sx. Built once per semiring. */
function numeric(sr: Semiring) {
  const n = sr.lanes.length;
  const [A, B, W] = [vars("a", n), vars("b", n), S.v("w")];
  const plusSx = sr.plus(A, B), timesSx = sr.times(A, B), liftSx = sr.lift(W), readSx = sr.readout(A);
  const scaleSx = sr.scale?.(W, B);
  const cs = (xs: readonly number[]) => xs.map(S.c);
  const two = (sx: Sx[], f: (a: Sx[], b: Sx[]) => Sx[]) => (a: El, b: El) =>
    run(() => sx, { ...bindLanes("a", a), ...bindLanes("b", b) }, () => f(cs(a), cs(b)));
  return {
    sr,
    zero: [...sr.zero],
    one: [...sr.one],
    plus: two(plusSx, (a, b) => sr.plus(a, b)),
    times: two(timesSx, (a, b) => sr.times(a, b)),
    lift: (w: number) => run(() => liftSx, { w }, () => sr.lift(S.c(w))),
    scale: scaleSx && ((w: number, g: El) => run(() => scaleSx, { w, ...bindLanes("b", g) }, () => sr.scale!(S.c(w), cs(g)))),
    readout: (a: El) => run(() => readSx, bindLanes("a", a), () => sr.readout(cs(a))),
  };
}
type Num = ReturnType<typeof numeric>;

/** lift(w1) ⊗ (lift(w2) ⊗ (… ⊗ 1̄)): lifted weights on the left, as the backward pass builds them. */
const chain = (N: Num, path: readonly number[]) => path.reduceRight<El>((acc, w) => N.times(N.lift(w), acc), N.one);
const fold = (N: Num, paths: readonly (readonly number[])[]) => paths.reduce<El>((acc, p) => N.plus(acc, chain(N, p)), N.zero);

// ---------------------------------------------------------------- comparison

const close = (x: number, y: number, rel = 1e-9) =>
  !Number.isFinite(x) || !Number.isFinite(y) ? x === y : Math.abs(x - y) <= rel * Math.max(1, Math.abs(x), Math.abs(y));

function expectClose(got: readonly number[], want: readonly number[], what = "") {
  expect(got.length, what).toBe(want.length);
  const ok = got.every((g, i) => close(g, want[i]!));
  if (!ok) expect(got, what).toEqual(want); // prints both
}

// ---------------------------------------------------------------- generators

const weight = fc.oneof(
  fc.constant(0),
  fc.integer({ min: -3, max: 3 }),
  fc.tuple(fc.boolean(), fc.double({ min: 0.05, max: 3, noNaN: true })).map(([s, x]) => (s ? -x : x)),
);
const path = fc.array(weight, { maxLength: 3 });
const pathSet = fc.array(path, { maxLength: 4 });

// ---------------------------------------------------------------- the semirings under test

const all: Semiring[] = [...Object.values(semirings), topk(1), topk(2), topk(3)];
const label = (sr: Semiring) => (sr.name === "topk" ? `topk(${sr.lanes.length / 2})` : sr.name);

describe.each(all.map((sr) => [label(sr), numeric(sr)] as const))("%s", (_name, N) => {
  const sr = N.sr;
  const lifted = sr.traits.liftedTimesOnly;
  const el = pathSet.map((ps) => fold(N, ps));

  it("has consistent lane counts and readout metadata", () => {
    const n = sr.lanes.length;
    expect(N.zero).toHaveLength(n);
    expect(N.one).toHaveLength(n);
    expect(N.lift(2)).toHaveLength(n);
    expect(sr.summary.length).toBeGreaterThan(0);
    expect(sr.summary).not.toContain("\n");
    expect(sr.reads.length).toBeGreaterThan(0);
    if (sr.traits.path) expect(sr.traits.path.lanes).toHaveLength(n);
  });

  test.prop([el, el])("⊕ is commutative", (a, b) => expectClose(N.plus(a, b), N.plus(b, a)));

  test.prop([el, el, el])("⊕ is associative", (a, b, c) =>
    expectClose(N.plus(N.plus(a, b), c), N.plus(a, N.plus(b, c))));

  test.prop([el])("0̄ is the identity of ⊕", (a) => {
    expectClose(N.plus(a, N.zero), a);
    expectClose(N.plus(N.zero, a), a);
  });

  if (lifted) {
    test.prop([weight, weight, el])("⊗ is an action: lift(u·v) ⊗ x = lift(u) ⊗ (lift(v) ⊗ x)", (u, v, x) => {
      expectClose(N.times(N.lift(u * v), x), N.times(N.lift(u), N.times(N.lift(v), x)));
      expectClose(N.times(N.lift(u), N.lift(v)), N.lift(u * v));
    });
    test.prop([weight, el, el])("lift(w) ⊗ distributes over ⊕", (w, b, c) =>
      expectClose(N.times(N.lift(w), N.plus(b, c)), N.plus(N.times(N.lift(w), b), N.times(N.lift(w), c))));
    test.prop([el])("1̄ = lift(1) acts as the identity", (a) => {
      expectClose(N.one, N.lift(1));
      expectClose(N.times(N.one, a), a);
    });
    test.prop([weight])("0̄ is absorbed: lift(w) ⊗ 0̄ = 0̄", (w) => expectClose(N.times(N.lift(w), N.zero), N.zero));
  } else {
    test.prop([el, el, el])("⊗ is associative", (a, b, c) =>
      expectClose(N.times(N.times(a, b), c), N.times(a, N.times(b, c))));
    test.prop([el, el, el])("⊗ distributes over ⊕ on both sides", (a, b, c) => {
      expectClose(N.times(a, N.plus(b, c)), N.plus(N.times(a, b), N.times(a, c)));
      expectClose(N.times(N.plus(b, c), a), N.plus(N.times(b, a), N.times(c, a)));
    });
    test.prop([el])("1̄ is the identity of ⊗", (a) => {
      expectClose(N.times(N.one, a), a);
      expectClose(N.times(a, N.one), a);
    });
    test.prop([el])("0̄ annihilates", (a) => {
      expectClose(N.times(N.zero, a), N.zero);
      expectClose(N.times(a, N.zero), N.zero);
    });
    test.prop([weight, weight])("lift(u) ⊗ lift(v) = lift(u·v)", (u, v) => {
      if (sr.name !== "count") expectClose(N.times(N.lift(u), N.lift(v)), N.lift(u * v));
    });
  }

  if (N.scale) {
    const scale = N.scale;
    test.prop([weight, el])("scale(w, g) = lift(w) ⊗ g", (w, g) => expectClose(scale(w, g), N.times(N.lift(w), g)));
    test.prop([weight])("scale keeps 0̄ absorbing", (w) => expectClose(scale(w, N.zero), N.zero));
  }

  if (sr.traits.plus.kind === "idempotent") {
    test.prop([el])("⊕ is idempotent", (a) => expectClose(N.plus(a, a), a));
  }

  test.prop([el])("readout has no NaN", (a) => {
    expect(N.readout(a).some(Number.isNaN)).toBe(false);
  });

  const spec = sr.traits.path;
  if (spec) {
    const W = S.v("w"), V = S.v("v");
    const ext = spec.extend(W, V);
    const extend = (w: number, v: number) => evaluate(ext, { vars: { w, v }, load: () => NaN });
    test.prop([weight, el])("path spec: each lane of lift(w) ⊗ x is the ranked best of its extended sources", (w, x) => {
      const got = N.times(N.lift(w), x);
      spec.lanes.forEach(({ sense, rank }, lane) => {
        const cands = spec.sources(lane, w >= 0)
          .map((s) => x[s]!)
          .filter(Number.isFinite) // padding / 0̄ lanes are not path values
          .map((v) => extend(w, v))
          .sort((p, q) => (sense === "max" ? q - p : p - q));
        expect(close(got[lane]!, cands[rank - 1] ?? N.zero[lane]!), `lane ${sr.lanes[lane]}`).toBe(true);
      });
    });
  }
});

// ---------------------------------------------------------------- readouts against direct statistics

const prodOf = (p: readonly number[]) => p.reduceRight((acc, w) => w * acc, 1);

function direct(name: string, k: number, paths: readonly (readonly number[])[]): { readout: number[]; lanes?: number[] } {
  const ps = paths.map(prodOf);
  const abs = ps.map(Math.abs);
  const Z = abs.reduce((s, x) => s + x, 0);
  switch (name) {
    case "sumprod": return { readout: [ps.reduce((s, x) => s + x, 0)] };
    case "count": return { readout: [ps.length] };
    case "maxprod": return { readout: [Math.max(...ps)], lanes: [Math.max(...ps), Math.min(...ps)] };
    case "logsum": return { readout: [Math.log(Z)] };
    case "maxabs": return { readout: [Math.log(Math.max(0, ...abs))] };
    case "entropy":
    case "expectation": {
      if (Z === 0) return { readout: [0] };
      return { readout: [-abs.reduce((h, x) => (x === 0 ? h : h + (x / Z) * Math.log(x / Z)), 0)] };
    }
    case "topk": {
      const desc = [...ps].sort((a, b) => b - a);
      const asc = [...ps].sort((a, b) => a - b);
      const hi = Array.from({ length: k }, (_, i) => desc[i] ?? -Infinity);
      const lo = Array.from({ length: k }, (_, i) => asc[i] ?? Infinity);
      return { readout: hi, lanes: [...hi, ...lo] };
    }
  }
  throw new Error(name);
}

const withTopk = [...Object.values(semirings), topk(1), topk(3), topk(7)];

function checkAgainstDirect(paths: readonly (readonly number[])[]) {
  for (const sr of withTopk) {
    const N = numeric(sr);
    const a = fold(N, paths);
    const want = direct(sr.name, sr.lanes.length / 2, paths);
    expectClose(N.readout(a), want.readout, `${label(sr)} readout of ${JSON.stringify(paths)}`);
    if (want.lanes) expectClose(a, want.lanes, `${label(sr)} lanes of ${JSON.stringify(paths)}`);
  }
}

describe("readouts equal statistics computed directly from the path products", () => {
  it("on a hand-made path set (products −6, 2, −2, 0, 3, 2)", () => {
    const paths = [[2, -3], [0.5, 4], [-1, -1, -2], [0, 5], [3], [-2, -1]];
    checkAgainstDirect(paths);
    // and spelled out
    const read = (name: string, k?: number) => numeric(semiringByName(name, { k })).readout(fold(numeric(semiringByName(name, { k })), paths));
    const Z = 15, p = [6, 2, 2, 0, 3, 2].map((x) => x / Z);
    expectClose(read("sumprod"), [-1]);
    expectClose(read("count"), [6]);
    expectClose(read("maxprod"), [3]);
    expectClose(read("logsum"), [Math.log(15)]);
    expectClose(read("maxabs"), [Math.log(6)]);
    expectClose(read("entropy"), [-p.reduce((h, q) => (q === 0 ? h : h + q * Math.log(q)), 0)]);
    expectClose(read("expectation"), read("entropy"));
    expectClose(read("topk", 4), [3, 2, 2, 0]);
    expectClose(read("topk", 8), [3, 2, 2, 0, -2, -6, -Infinity, -Infinity]);
  });

  it("on no paths (0̄) and on zero-weight paths only", () => {
    checkAgainstDirect([]);
    checkAgainstDirect([[0], [0, 1], [2, 0, -3]]);
    checkAgainstDirect([[]]);
  });

  test.prop([pathSet])("on random path sets", (paths) => checkAgainstDirect(paths));
});

describe("entropy (stable) and expectation (raw) agree", () => {
  const ent = numeric(semirings.entropy), exp = numeric(semirings.expectation);
  const w = fc.oneof(fc.constant(0), fc.double({ min: -10, max: 10, noNaN: true }).filter((x) => Math.abs(x) > 0.1));
  const ps = fc.array(fc.array(w, { maxLength: 8 }), { maxLength: 8 });
  test.prop([ps])("H = L − e = log Z − r/Z where Z is moderate", (paths) => {
    const a = fold(exp, paths);
    fc.pre(a[0] === 0 || (a[0]! > 1e-100 && a[0]! < 1e100));
    expectClose(ent.readout(fold(ent, paths)), exp.readout(a));
    const b = fold(ent, paths);
    expectClose([b[0]!], [Math.log(a[0]!)]);
  });

  it("entropy stays finite where the raw form overflows", () => {
    const long = (x: number) => Array<number>(400).fill(x);
    const h = ent.readout(fold(ent, [long(10), long(10)]));
    expectClose(h, [Math.log(2)]);
    expect(fold(exp, [long(10)])[0]).toBe(Infinity);
  });
});

describe("NaN guards", () => {
  it("maxprod: 0̄ ⊗ lift(0) and scale(0, 0̄) stay 0̄", () => {
    const N = numeric(semirings.maxprod);
    expect(N.times(N.zero, N.lift(0))).toEqual([-Infinity, Infinity]);
    expect(N.times(N.lift(0), N.zero)).toEqual([-Infinity, Infinity]);
    expect(N.times(N.zero, N.zero)).toEqual([-Infinity, Infinity]);
    expect(N.scale!(0, N.zero)).toEqual([-Infinity, Infinity]);
    expect(N.scale!(-2, N.zero)).toEqual([-Infinity, Infinity]);
    expectClose(N.scale!(0, [3, -1]), [0, 0]);
  });
  it("entropy and expectation: lift(0) is 0̄ and 0̄ ⊕ 0̄ = 0̄", () => {
    for (const sr of [semirings.entropy, semirings.expectation]) {
      const N = numeric(sr);
      expect(N.lift(0)).toEqual(N.zero);
      expect(N.plus(N.zero, N.zero)).toEqual(N.zero);
      expect(N.readout(N.zero)).toEqual([0]);
    }
  });
  it("topk: lift(0) ⊗ x keeps padding as padding", () => {
    const N = numeric(topk(3));
    const x = fold(N, [[2], [-1]]);
    expectClose(N.times(N.lift(0), x), [0, 0, -Infinity, 0, 0, Infinity]);
    expectClose(N.times(N.lift(-2), x), [2, -4, -Infinity, -4, 2, Infinity]);
  });
});

describe("registry", () => {
  it("semiringByName finds every semiring and builds topk with k", () => {
    for (const [name, sr] of Object.entries(semirings)) expect(semiringByName(name, {})).toBe(sr);
    const t = semiringByName("topk", { k: 4 });
    expect(t.name).toBe("topk");
    expect(t.lanes).toEqual(["hi1", "hi2", "hi3", "hi4", "lo1", "lo2", "lo3", "lo4"]);
    expect(semiringNames).toContain("topk");
  });
  it("an unknown name throws and lists the valid ones", () => {
    expect(() => semiringByName("maxplus", {})).toThrow(/maxplus.*sumprod.*maxprod.*entropy.*expectation.*count.*logsum.*maxabs.*topk/);
  });
  it("topk rejects a bad k", () => {
    expect(() => topk(0)).toThrow();
    expect(() => topk(1.5)).toThrow();
  });
  it("an idempotent ⊕ is declared by exactly maxprod and maxabs; topk alone is liftedTimesOnly", () => {
    expect(all.filter((s) => s.traits.plus.kind === "idempotent").map((s) => s.name)).toEqual(["maxprod", "maxabs"]);
    expect(all.filter((s) => s.traits.liftedTimesOnly).map((s) => s.name)).toEqual(["topk", "topk", "topk"]);
    for (const s of all) expect(s.name === "topk" || semirings[s.name as keyof typeof semirings] === s).toBe(true);
  });
});
