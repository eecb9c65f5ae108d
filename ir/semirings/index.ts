// The single list of semirings. CLI values, axiom tests, the op × semiring matrix and golden
// runs read this registry; adding a semiring is one file plus one line here.

import { count } from "./count.ts";
import { entropy } from "./entropy.ts";
import { expectation } from "./expectation.ts";
import { logsum } from "./logsum.ts";
import { maxabs } from "./maxabs.ts";
import { maxprod } from "./maxprod.ts";
import type { Semiring } from "./semiring.ts";
import { sumprod } from "./sumprod.ts";
import { topk } from "./topk.ts";

export type { Lanes, PathSpec, Semiring } from "./semiring.ts";
export { scaleBy } from "./semiring.ts";

export const semirings = { sumprod, maxprod, entropy, expectation, count, logsum, maxabs } satisfies Record<string, Semiring>;

/** topk is parameterised by k (a compile option). */
export { topk };
export const DEFAULT_TOPK = 3;

export type SemiringName = keyof typeof semirings | "topk";
export const semiringNames: readonly SemiringName[] = [...(Object.keys(semirings) as (keyof typeof semirings)[]), "topk"];

export function semiringByName(name: string, opts: { k?: number } = {}): Semiring {
  if (name === "topk") return topk(opts.k ?? DEFAULT_TOPK);
  if (Object.hasOwn(semirings, name)) return semirings[name as keyof typeof semirings];
  throw new Error(`unknown semiring "${name}"; valid names: ${semiringNames.join(", ")}`);
}
