// Kernel legalization: the one preparation of the schedule's kernels that every backend receives.
// - Index vars of extent 1 are not loops: they become 0 (dropUnitVars).
// - Every load reads one row-major flat offset of a physical buffer. Where a logical buffer lives
//   is the Layout's decision: the JS target keeps one array per buffer (logicalLayout), the WGSL
//   target may pack a node's adjoint lanes into one buffer at lane offsets.
// - The target element's flat offset, and whether the kernel accumulates (its update reads acc…,
//   so several points may update one element) or assigns.
// Loop order, threads, SIMD lanes and types are the backends' own.

import type { IndexVar } from "../../ir/ops/rule.ts";
import * as S from "../../ir/scalar.ts";
import type { Sx } from "../../ir/scalar.ts";
import type { DType } from "../../ir/types.ts";
import { accVar, type Kernel } from "../kernel.ts";
import { flatIndex } from "../backends/emit.ts";

/** Where a logical buffer (a tensor or one adjoint lane) lives. */
export interface Place {
  readonly buffer: string;
  readonly offset: number;
}

export interface Layout {
  readonly place: (name: string) => Place;
  readonly shape: (name: string) => readonly number[];
  readonly dtype: (buffer: string) => DType;
}

/** Every logical buffer is its own physical buffer. */
export const logicalLayout = (shape: (name: string) => readonly number[], dtype: (name: string) => DType = () => "f32"): Layout => ({
  place: (name) => ({ buffer: name, offset: 0 }),
  shape,
  dtype,
});

export interface LegalKernel {
  readonly name: string;
  readonly comment: string;
  /** The iteration space: vars of extent > 1, in schedule order. */
  readonly vars: readonly IndexVar[];
  /** Points where the guard is 0 are skipped. */
  readonly guard?: Sx;
  /** One physical place per lane; all lanes have the target's shape. */
  readonly targets: readonly Place[];
  readonly shape: readonly number[];
  /** Multi-index into the target (lane offsets come from `targets`). */
  readonly index: readonly Sx[];
  /** Flat offset of the target element within a lane. */
  readonly target: Sx;
  /** New lane values over vars and acc0…; every load is flat into a physical buffer. */
  readonly update: readonly Sx[];
  /** Several points may update one element (the update reads acc…). */
  readonly accumulates: boolean;
}

/** The kernel with its vars of extent 1 replaced by 0 (loads keep their multi-indices). */
/** The kernel's unit-extent variables, each as 0 (they index nothing). */
export const unitVars = (k: Kernel): Record<string, Sx> => Object.fromEntries(k.vars.filter((iv) => iv.extent <= 1).map((iv) => [iv.name, S.c(0)]));

export function dropUnitVars(k: Kernel): Kernel {
  const unit = unitVars(k);
  if (Object.keys(unit).length === 0) return k;
  const sub = (x: Sx) => S.substitute(x, unit);
  return {
    ...k,
    vars: k.vars.filter((iv) => iv.extent > 1),
    ...(k.guard ? { guard: sub(k.guard) } : {}),
    index: k.index.map(sub),
    update: k.update.map(sub),
  };
}

/** Whether an update reads the current lane values (acc0…). */
export const readsAcc = (update: readonly Sx[], lanes: number): boolean => {
  const accs = new Set(Array.from({ length: lanes }, (_, l) => accVar(l)));
  return update.some((u) => [...S.varsOf(u)].some((v) => accs.has(v)));
};

/** Every load of x as a load of one flat offset of its physical buffer. */
export function placeLoads(x: Sx, layout: Layout): Sx {
  return S.rewrite(x, (n) => {
    if (n.k !== "load") return undefined;
    const p = layout.place(n.ref);
    return S.load(p.buffer, [S.add(flatIndex(n.index, layout.shape(n.ref)), p.offset)]);
  });
}

export function legalizeKernel(k0: Kernel, layout: Layout): LegalKernel {
  const k = dropUnitVars(k0);
  const flat = (x: Sx): Sx => placeLoads(x, layout);
  const shape = layout.shape(k.targets[0]!);
  const index = k.index.map(flat);
  const update = k.update.map(flat);
  return {
    name: k.name,
    comment: k.comment,
    vars: k.vars,
    ...(k.guard ? { guard: flat(k.guard) } : {}),
    targets: k.targets.map((t) => layout.place(t)),
    shape,
    index,
    target: flatIndex(index, shape),
    update,
    accumulates: readsAcc(update, k.targets.length),
  };
}

/** Physical buffers a kernel touches, and whether it writes them (reads first, in reading order). */
export function kernelBuffers(k: LegalKernel): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const root of [...k.update, ...k.index, ...(k.guard ? [k.guard] : [])])
    for (const l of S.loadsOf(root)) if (l.k === "load" && !out.has(l.ref)) out.set(l.ref, false);
  for (const t of k.targets) out.set(t.buffer, true);
  return out;
}
