// The model object a JS module's createModel returns: forward(), backward(), topPath() and run()
// over the buffers, kernels and lane functions the generated code supplies. Embedded as text in
// every JS module (compiler/backends/embed.ts).

import { checkRunOptions, checkSemiring, checkTopPath, type OptionSpace } from "./args.ts";
import { scanForward, type AllFinite, type ScanCache, type ValueInfo } from "./finite.ts";
import type { PathGraph, topPaths } from "./paths.ts";
import { semiringResult, type AnyResult, type AnyRunOptions, type Backward, type TopPath } from "./results.ts";

/** One semiring's backward pass over the module's buffers: run() fills the adjoints. */
export interface BackwardPass extends Backward {
  run(): void;
}

/** What the generated createModel hands over. */
export interface JsModel extends PathGraph {
  /** Checks and copies the inputs in, runs the forward pass, returns the scalar output; fn names the caller in errors. */
  forward(inputs: unknown, fn: string): number;
  /** Each semiring's backward pass, created on first use. */
  readonly backwards: Readonly<Record<string, () => BackwardPass>>;
  /** Forward value buffers in program order, and what the non-finite scan knows of them. */
  readonly values: readonly (ArrayLike<number> | null)[];
  readonly infos: readonly ValueInfo[];
  readonly scanCache: ScanCache;
  readonly allFinite: AllFinite | undefined;
  /** A non-finite forward value is an error unless run() says otherwise. */
  readonly strict: boolean;
}

export interface Model {
  forward(inputs: unknown): number;
  backward(name: unknown): void;
  topPath(name: unknown, options?: unknown): TopPath[];
  run(inputs: unknown, options?: unknown): { output: number; results: Record<string, AnyResult>; warnings: string[] };
}

/** The model; `walk` is the path walk (runtime/module/paths.ts), null where no semiring selects paths. */
export function makeModel(m: JsModel, walk: typeof topPaths | null): Model {
  const states: Record<string, BackwardPass> = {};
  const shapesOf = (ids: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(ids).map(([n, id]) => [n, m.shapes[id]!]));
  const space: OptionSpace = { semirings: Object.keys(m.backwards), wrt: shapesOf(m.wrt), branches: shapesOf(m.branches) };
  const stateOf = (name: string) => (states[name] ??= m.backwards[name]!());
  const walkOf = walk && ((b: Backward, start: Parameters<typeof walk>[2]) => walk(m, b, start));
  return {
    forward(inputs) {
      const output = m.forward(inputs, "forward()");
      const nf = m.strict ? scanForward(m.values, m.infos, m.scanCache, m.allFinite) : null;
      if (nf) throw new Error(`forward(): ${nf.message}`);
      return output;
    },
    backward(name) {
      stateOf(checkSemiring("backward()", name, space)).run();
    },
    topPath(name, options) {
      const b = stateOf(checkSemiring("topPath()", name, space));
      checkTopPath("topPath()", options, space);
      return walkOf && b.paths && Object.keys(m.wrt).length > 0 ? walkOf(b, options || undefined) : [];
    },
    run(inputs, given = {}) {
      checkRunOptions("run()", given, space);
      const options = given as AnyRunOptions;
      const output = m.forward(inputs, "run()");
      // One pass over the forward values; a non-finite one is a warning, or an error when strict.
      const nf = scanForward(m.values, m.infos, m.scanCache, m.allFinite);
      const warnings: string[] = [];
      if (nf) {
        if (options.strict ?? m.strict) throw new Error(`run(): ${nf.message}`);
        warnings.push(nf.message);
      }
      const results: Record<string, AnyResult> = {};
      for (const name of options.semirings ?? Object.keys(m.backwards)) {
        const b = stateOf(name);
        b.run();
        results[name] = semiringResult(m, b, options, nf, walkOf);
      }
      return { output, results, warnings };
    },
  };
}
