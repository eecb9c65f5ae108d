// The page's only contact with semic's generated modules: the paper's transformer
// (examples/transformer.ts) compiled by the bundler plugin for sumprod and maxprod, once as the
// JS module (WebAssembly kernels, run in a worker) and once as the WebGPU module. Each import is
// dynamic, so the worker's bundle holds only the JS module and the page's only the WebGPU one.
// Weights are read as f32, as `semic run` reads them, so the page gives the CLI's numbers.

import params from "../transformer.params.json";

export const SEMIRINGS = ["sumprod", "maxprod"] as const;
export const BRANCHES = ["skip", "query", "key", "value"] as const;
export type SemiringName = (typeof SEMIRINGS)[number];
export type BranchLabel = (typeof BRANCHES)[number];

/** The model's vocabulary size and sequence length (its config in examples/transformer.ts). */
export const VOCAB = 12;
export const SEQ = 6;

export interface Step {
  op: string;
  tensor: string;
  index: number[];
  weight: number;
}

/** What the page shows: plain numbers, so that a worker can post them and a test can read them. */
export interface Explanation {
  ids: number[];
  /** log p(class 1 | ids): "the first token appears again". */
  output: number;
  /** Per semiring and branch, the ⊕ over each token's hidden units (−∞: no path). */
  bars: Record<SemiringName, Record<BranchLabel, number[]>>;
  /** maxprod's best path from the embeddings to the output. */
  topPath: Step[];
}

const f32 = (v: unknown) => Float32Array.from([v].flat(3) as number[]);
const weights = () => Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f32(v)])) as Record<keyof typeof params, Float32Array>;

/** Per token: ⊕ each branch over its last axis (the token's hidden units), as `--aggregate b:1`. */
const runOptions = { aggregate: Object.fromEntries(BRANCHES.map((b) => [b, [1]])) };

interface Result {
  output: number;
  results: Record<SemiringName, { aggregated?: Record<string, { value: ArrayLike<number> }>; topPath?: Step[] }>;
}

function explanation(ids: number[], { output, results }: Result): Explanation {
  const bars = Object.fromEntries(
    SEMIRINGS.map((s) => [s, Object.fromEntries(BRANCHES.map((b) => [b, Array.from(results[s].aggregated?.[b]?.value ?? [])]))]),
  ) as Explanation["bars"];
  const topPath = (results.maxprod.topPath ?? []).map(({ op, tensor, index, weight }) => ({ op, tensor, index: [...index], weight }));
  return { ids, output, bars, topPath };
}

type JsModel = ReturnType<typeof import("../transformer.ts?semiring=sumprod,maxprod&wrt=embeddings").createModel>;
let jsModel: Promise<JsModel> | undefined;

/** The JS module (its WebAssembly kernels compile synchronously: call it in a worker). */
export async function explainWithJs(ids: number[]): Promise<Explanation> {
  jsModel ??= import("../transformer.ts?semiring=sumprod,maxprod&wrt=embeddings").then((m) => m.createModel(weights()));
  return explanation(ids, (await jsModel).run({ ids }, runOptions));
}

type GpuModel = Awaited<ReturnType<typeof import("../transformer.ts?semiring=sumprod,maxprod&wrt=embeddings&target=wgsl").createModel>>;
const gpuModels = new WeakMap<GPUDevice, Promise<GpuModel>>();

/** The WebGPU module on `device` (the caller's); its pipelines are compiled once per device. */
export async function explainWithWebGpu(device: GPUDevice, ids: number[]): Promise<Explanation> {
  let model = gpuModels.get(device);
  if (!model) {
    model = import("../transformer.ts?semiring=sumprod,maxprod&wrt=embeddings&target=wgsl").then((m) => m.createModel(device, weights()));
    gpuModels.set(device, model);
  }
  return explanation(ids, await (await model).run({ ids }, runOptions));
}
