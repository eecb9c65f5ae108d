// One validation input of the §5.1 task read at the embeddings' branch point (skip, query, key,
// value) under both semantics, with the quantity the paper reads: the logit of the correct class.
//   element  semic's default (the paper's Eq. 5): a unit's value is its best single path; its
//            winner is the branch whose best path is largest (tie: first branch).
//   paper    the paper library's max-product: a unit's value is the best per-consumer sum and its
//            winner the consumer pointer (`hiFrom`) the library records.
// Per token the "oplus" view keeps the best unit: its value, credited to its winning branch.

import { compileGraph, importModule, type GeneratedModel, type GeneratedResult } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { consumerLabels, type SemanticsName } from "../../compiler/semantics.ts";
import { branchPoints } from "../../compiler/study/views.ts";
import type { Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { semirings } from "../../ir/semirings/index.ts";

export const BRANCHES = ["skip", "query", "key", "value"] as const;
export type Branch = (typeof BRANCHES)[number];

/** One semantics' oplus reading of one input: per token, the winning branch and its value. */
export interface OplusReading {
  readonly winner: Branch[];
  readonly value: number[];
  /** Per branch, the best unit's value of that branch alone at the first and at the repeated token. */
  readonly atFirst: Record<Branch, number>;
  readonly atRepeated: Record<Branch, number>;
}

export interface InputReading {
  readonly ids: number[];
  readonly repeat: number;
  readonly element: OplusReading;
  readonly paper: OplusReading;
  /** Attention weight from position 0 (the classifier's) to the repeated token, per head. */
  readonly attention: number[];
}

type Modules = Record<SemanticsName, GeneratedModel[]>; // one module per target class

const asBranch = (label: string): Branch => {
  if (!(BRANCHES as readonly string[]).includes(label)) throw new Error(`unexpected consumer "${label}" at the embeddings`);
  return label as Branch;
};

const maxOver = (xs: ArrayLike<number>, from: number, to: number) => {
  let m = -Infinity;
  for (let i = from; i < to; i++) m = Math.max(m, xs[i]!);
  return m;
};

/** Reads inputs with one set of trained weights. */
export class Fig2Reader {
  private constructor(
    private readonly modules: Modules,
    private readonly labels: Map<number, string>,
    private readonly forwardGraph: Graph,
    private readonly params: Record<string, Float64Array>,
    private readonly d: number,
    private readonly heads: number,
    private readonly seq: number,
    private readonly order: readonly Branch[],
  ) {}

  static async create(modelFile: string, params: Record<string, Float64Array>): Promise<Fig2Reader> {
    const modules = { element: [], paper: [] } as Modules;
    let labels = new Map<number, string>();
    for (const semantics of ["element", "paper"] as const) {
      for (const target of [0, 1]) {
        const { graph } = loadModel(modelFile, { config: { target, logit: true } });
        const compiled = compileGraph(graph, { semirings: [semirings.maxprod], wrt: ["embeddings"], precision: "f64", semantics });
        if (semantics === "paper") labels = consumerLabels(compiled.graph);
        modules[semantics].push((await importModule(compiled.js.js)).createModel(params));
      }
    }
    const { graph, config } = loadModel(modelFile, { config: { logit: true } });
    const { d, heads, seq } = config as { d: number; heads: number; seq: number };
    const order = branchPoints(graph).find((p) => p.labels.includes("key"))!.labels.map(asBranch);
    return new Fig2Reader(modules, labels, graph, params, d, heads, seq, order);
  }

  read(ids: number[], label: 0 | 1, repeat: number): InputReading {
    const run = (s: SemanticsName) =>
      this.modules[s][label]!.run({ ids }, { topPath: false, aggregate: { embeddings: [1] } }).results["maxprod"]!;
    return { ids, repeat, element: this.element(run("element"), repeat), paper: this.paper(run("paper"), repeat), attention: this.attention(ids, repeat) };
  }

  private atToken(r: GeneratedResult, t: number): Record<Branch, number> {
    const d = this.d;
    return Object.fromEntries(BRANCHES.map((b) => [b, maxOver(r.branches[b]!.value, t * d, (t + 1) * d)])) as Record<Branch, number>;
  }

  /** Element oplus: the token's best unit and, at it, the branch with the best path (tie: first in program order). */
  private element(r: GeneratedResult, repeat: number): OplusReading {
    const d = this.d;
    const winner: Branch[] = [], value: number[] = [];
    for (let t = 0; t < this.seq; t++) {
      let w: Branch = this.order[0]!;
      let best = -Infinity;
      for (const b of this.order) {
        const v = maxOver(r.branches[b]!.value, t * d, (t + 1) * d);
        if (v > best) [w, best] = [b, v];
      }
      winner.push(w);
      value.push(best);
    }
    return { winner, value, atFirst: this.atToken(r, 0), atRepeated: this.atToken(r, repeat) };
  }

  private paper(r: GeneratedResult, repeat: number): OplusReading {
    const agg = r.aggregated!["embeddings"]!;
    const from = agg.lanes!["hiFrom"]!;
    return {
      winner: Array.from({ length: this.seq }, (_, t) => asBranch(this.labels.get(from[t]!) ?? `%${from[t]}`)),
      value: Array.from(agg.value),
      atFirst: this.atToken(r, 0), atRepeated: this.atToken(r, repeat),
    };
  }

  private attention(ids: number[], repeat: number): number[] {
    const trace = interpret(this.forwardGraph, { ...this.params, ids });
    const sm = this.forwardGraph.nodes.find((n) => n.op === "softmax")!;
    const p = trace.values[sm.id]!;
    const seq = this.seq;
    return Array.from({ length: this.heads }, (_, h) => p[h * seq * seq + repeat]!);
  }
}
