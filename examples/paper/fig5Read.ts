// What fig5.ts reads from one trained classifier (fig5Model.ts): the code length of a labelled
// input (−log₂ p(label | ids)), whether the label scores highest of all outputs, and the gradient
// entropy per token — the entropy semiring at "embeddings", ⊕-pooled over the embedding
// dimensions, of the correct class's logit (the quantity the paper reads), averaged over the
// sequence's tokens (padding excluded).

import { compileGraph, importModule, type GeneratedModel } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { initParams } from "../../compiler/train/train.ts";
import type { Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { semirings } from "../../ir/semirings/index.ts";

type Factory = (params: Record<string, ArrayLike<number>>) => GeneratedModel;
export type ModelSizes = Record<string, number>;

/** The two compiled modules of one model size (the same for every task, seed and block). */
export class Fig5Modules {
  private constructor(
    private readonly logProb: Factory,
    private readonly entropy: Factory,
    private readonly graph: Graph,
    readonly classes: number,
  ) {}

  static async create(modelFile: string, sizes: ModelSizes): Promise<Fig5Modules> {
    const compile = async (logit: boolean, semiring: "sumprod" | "entropy") => {
      const { graph } = loadModel(modelFile, { config: { ...sizes, logit } });
      const js = compileGraph(graph, { semirings: [semirings[semiring]], wrt: ["embeddings"], precision: "f64" }).js.js;
      return (await importModule(js)).createModel;
    };
    const { graph, config } = loadModel(modelFile, { config: sizes });
    return new Fig5Modules(await compile(false, "sumprod"), await compile(true, "entropy"), graph, (config as { classes: number }).classes);
  }

  /** The untrained model: the seeded initial weights training starts from. */
  initial(seed: number): Fig5Reader {
    return this.reader(initParams(this.graph, seed));
  }

  reader(params: Record<string, Float64Array>): Fig5Reader {
    return new Fig5Reader(this.logProb(params), this.entropy(params), this.classes, this.graph, params);
  }
}

export class Fig5Reader {
  constructor(
    private readonly logProb: GeneratedModel,
    private readonly entropyModel: GeneratedModel,
    private readonly classes: number,
    private readonly graph: Graph,
    private readonly params: Record<string, Float64Array>,
  ) {}

  /** −log₂ p(label | ids). */
  bits(ids: readonly number[], label: number): number {
    return -this.logProb.forward({ ids, label: [label] }) / Math.LN2;
  }

  /** The label scores highest of all outputs (first wins a tie); one forward pass when p(label) > ½. */
  correct(ids: readonly number[], label: number): boolean {
    const own = this.logProb.forward({ ids, label: [label] });
    if (own > Math.log(0.5)) return true;
    for (let c = 0; c < this.classes; c++) {
      if (c === label) continue;
      const other = this.logProb.forward({ ids, label: [c] });
      if (other > own || (other === own && c < label)) return false;
    }
    return true;
  }

  /** Mean over the first `len` tokens of the path entropy (nats) pooled over each token's embedding dimensions. */
  entropy(ids: readonly number[], label: number, len: number): number {
    const r = this.entropyModel.run({ ids, label: [label] }, { topPath: false, aggregate: { embeddings: [1] } }).results["entropy"]!;
    const perToken = r.aggregated!["embeddings"]!.value;
    let sum = 0;
    for (let t = 0; t < len; t++) sum += perToken[t]!;
    return sum / len;
  }

  /**
   * Mean entropy (nats) of the attention rows of the first `len` positions, over every layer and
   * head: how many tokens the model spreads its attention over (0: one token; log(seq): all).
   */
  attentionEntropy(ids: readonly number[], len: number): number {
    const trace = interpret(this.graph, { ...this.params, ids, label: [0] });
    let sum = 0, rows = 0;
    for (const n of this.graph.nodes.filter((x) => x.op === "softmax")) {
      const [heads, seq, keys] = n.type.shape as [number, number, number];
      const p = trace.values[n.id]!;
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < len; i++, rows++) {
          for (let j = 0; j < keys; j++) {
            const q = p[(h * seq + i) * keys + j]!;
            if (q > 0) sum -= q * Math.log(q);
          }
        }
      }
    }
    return sum / rows;
  }
}
