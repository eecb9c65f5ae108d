// What a study run is: everything a worker needs to compile and run records, as plain data (it is
// sent to worker threads and hashed into compile-cache keys), and the parsing of --dim and --shard.

import type { Composite } from "../../ir/passes/expand.ts";
import { CliError } from "../cli/load.ts";
import type { BranchViewName } from "./views.ts";

/** A config key set by a record's input length: config[key] = shape of `input` along `axis`. */
export interface DimRule {
  readonly key: string;
  readonly input: string;
  readonly axis: number;
}

export interface StudyOptions {
  /** The model file (.ts DSL or .semic/.ir textual IR). */
  readonly model: string;
  /** Weights: .json or .safetensors. */
  readonly params: string;
  /** Semiring names, in order. */
  readonly semirings: readonly string[];
  /** Files exporting user semirings (defineSemiring). */
  readonly semiringsFrom?: readonly string[];
  readonly topk?: number;
  readonly wrt?: readonly string[];
  readonly aggregate?: Readonly<Record<string, number[]>>;
  readonly topPath?: { readonly from: string; readonly index?: number[] };
  readonly precision?: "f32" | "f64";
  /**
   * Whether each record keeps every branch's per-element values (default true). They are most of a
   * record (BERT-6 seq 24: 25 of 28 MB of JSON); branch views (branchViews) are computed from them
   * either way. Output only: no effect on the compiled code.
   */
  readonly branchValues?: boolean;
  /** Per-token branch views stored with each record (they read the results: no effect on the compiled code). */
  readonly branchViews?: readonly BranchViewName[];
  readonly expand?: readonly Composite[];
  /** Config overrides that hold for every record (`--config`). */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** Which config key each variable input dimension sets; discovered from the model when absent. */
  readonly dims?: readonly DimRule[];
  /** The compile cache directory. */
  readonly cacheDir: string;
  /** Let the generated module split big kernels over its own worker threads (default false). */
  readonly threads?: boolean;
  /** Compiled shapes kept instantiated at once per runner (default 2; each holds its own copy of the weights). */
  readonly maxModels?: number;
}

/** `--dim seq=ids:0` (repeatable): config key `seq` is the length of input `ids` along axis 0. */
export function parseDims(values: readonly string[] | undefined): DimRule[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.flatMap((v) => v.split(",")).map((v) => {
    const m = /^\s*([A-Za-z_$][\w$]*)\s*=\s*([^:\s]+)\s*:\s*(\d+)\s*$/.exec(v);
    if (!m) throw new CliError(`--dim: expected KEY=INPUT:AXIS (e.g. seq=ids:0), got "${v}"`);
    return { key: m[1]!, input: m[2]!, axis: Number(m[3]) };
  });
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * `--shard I/N`: this run takes the dataset lines L with (L − 1) mod N = I, I from 0 to N − 1
 * (the numbering of Kubernetes indexed jobs and of `sbatch --array=0-N-1`).
 */
export function parseShard(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  const index = Number(m?.[1]), count = Number(m?.[2]);
  if (!m || count < 1 || index >= count)
    throw new CliError(`--shard: expected I/N with 0 ≤ I < N (e.g. 0/4, or $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT), got "${value}"`);
  return { index, count };
}

export const inShard = (line: number, shard: Shard | undefined): boolean => !shard || (line - 1) % shard.count === shard.index;
