// One sentence read at every layer's branch point (the attention input, feeding skip, query, key
// and value) with the paper's quantity, logit(correct) − logit(wrong) at [MASK]:
//   element  semic's default (the paper's Eq. 5): a unit's value is its best single path; the
//            winner is the branch whose best path is largest (tie: first branch).
//   paper    the paper library's max-product: the best per-consumer sum and the consumer pointer
//            (`hiFrom`) the library records.
// Per token the "oplus" view keeps the best unit: its value, credited to its winning branch. The
// entropy of the path distribution from each token of the layer-0 input (its units pooled by the
// entropy semiring's ⊕) is read too (Fig. 6a, Fig. 7; the same under both semantics).
//
// The graph comes from a GraphSource: the trained masked LM (one module per sentence length) or a
// Hugging Face checkpoint (checkpoint.ts, one module per sentence).

import { compileGraph, importModule, type GeneratedModel, type GeneratedResult } from "../../../compiler/compile.ts";
import { consumerLabels, type SemanticsName } from "../../../compiler/semantics.ts";
import { branchPoints } from "../../../compiler/study/views.ts";
import type { Graph } from "../../../ir/graph.ts";
import { semirings } from "../../../ir/semirings/index.ts";
import type { Sentence } from "./corpus.ts";

export const BRANCHES = ["skip", "query", "key", "value"] as const;
export type Branch = (typeof BRANCHES)[number];

/** Where a sentence's graph, weights and inputs come from. Layer i's input is named `layer{i}`. */
export interface GraphSource {
  readonly layers: number;
  /** Sentences with the same key share one compiled module. */
  key(s: Sentence): string;
  graph(s: Sentence): Graph;
  inputs(s: Sentence): Record<string, ArrayLike<number>>;
  readonly params: Record<string, ArrayLike<number>>;
}

/** One semantics' reading of one layer: per token, the winning branch and the best unit's value. */
export interface LayerReading {
  readonly winner: Branch[];
  readonly value: number[];
  /** Per branch and token, the best unit's value of that branch alone. */
  readonly byBranch: Record<Branch, number[]>;
}

export interface SentenceReading {
  /** logit(correct) − logit(wrong) at [MASK]: > 0 when the model agrees. */
  readonly margin: number;
  readonly element: LayerReading[];
  readonly paper: LayerReading[];
  /** Path entropy (nats) from each token of the layer-0 input. */
  readonly entropy: number[];
}

interface Compiled {
  readonly element: GeneratedModel;
  readonly paper: GeneratedModel;
  readonly labels: Map<number, string>;
  readonly order: Branch[][];
}

const layerName = (i: number) => `layer${i}`;

function asBranch(label: string, layer: number): Branch {
  const b = label.slice(`layer${layer}.`.length);
  if (!label.startsWith(`layer${layer}.`) || !(BRANCHES as readonly string[]).includes(b)) throw new Error(`unexpected consumer "${label}" of layer ${layer}'s input`);
  return b as Branch;
}

const maxOver = (xs: ArrayLike<number>, from: number, to: number) => {
  let m = -Infinity;
  for (let i = from; i < to; i++) m = Math.max(m, xs[i]!);
  return m;
};

/** Per branch of a layer, each token's best unit. */
function perToken(r: GeneratedResult, layer: number, seq: number, d: number): Record<Branch, number[]> {
  const one = (b: Branch) => Array.from({ length: seq }, (_, t) => maxOver(r.branches[`layer${layer}.${b}`]!.value, t * d, (t + 1) * d));
  return Object.fromEntries(BRANCHES.map((b) => [b, one(b)])) as Record<Branch, number[]>;
}

export class AgreementReader {
  readonly #modules = new Map<string, Compiled>();
  readonly #entropy = new Map<string, GeneratedModel>();

  constructor(private readonly source: GraphSource) {}

  /**
   * The layer-0 path entropy per token alone (one entropy module per key and semantics): what
   * Fig. 6a and 7 read. Entropy has no tensor-level reading, so under the paper semantics it is the
   * entropy of the graph with the library's composites decomposed (softmax, layer norm, log-softmax).
   */
  async entropy(s: Sentence, semantics: SemanticsName = "element"): Promise<number[]> {
    const key = `${semantics} ${this.source.key(s)}`;
    let m = this.#entropy.get(key);
    if (!m) {
      const compiled = compileGraph(this.source.graph(s), { semirings: [semirings.entropy], wrt: ["layer0"], precision: "f64", semantics });
      m = (await importModule(compiled.js.js)).createModel(this.source.params);
      this.#entropy.set(key, m);
    }
    const r = m.run(this.source.inputs(s), { topPath: false, aggregate: { layer0: [1] } });
    return Array.from(r.results["entropy"]!.aggregated!["layer0"]!.value);
  }

  /** How many modules were compiled so far (one per distinct key and reading). */
  get compiled(): number {
    return this.#modules.size + this.#entropy.size;
  }

  async read(s: Sentence): Promise<SentenceReading> {
    const m = await this.#module(s);
    const layers = Array.from({ length: this.source.layers }, (_, i) => layerName(i));
    const inputs = this.source.inputs(s);
    const el = m.element.run(inputs, { topPath: false, aggregate: { layer0: [1] } });
    const pa = m.paper.run(inputs, { topPath: false, aggregate: Object.fromEntries(layers.map((l) => [l, [1]])) });
    const units = el.results["maxprod"]!.wrt["layer0"]!.shape[1]!;
    return {
      margin: el.output,
      element: layers.map((_, i) => this.#element(el.results["maxprod"]!, i, s.ids.length, units, m.order[i]!)),
      paper: layers.map((l, i) => this.#paper(pa.results["maxprod"]!, l, i, m.labels, s.ids.length, units)),
      entropy: Array.from(el.results["entropy"]!.aggregated!["layer0"]!.value),
    };
  }

  async #module(s: Sentence): Promise<Compiled> {
    const key = this.source.key(s);
    const have = this.#modules.get(key);
    if (have) return have;
    const graph = this.source.graph(s);
    const wrt = Array.from({ length: this.source.layers }, (_, i) => layerName(i));
    const element = compileGraph(graph, { semirings: [semirings.maxprod, semirings.entropy], wrt, precision: "f64", semantics: "element" });
    const paper = compileGraph(graph, { semirings: [semirings.maxprod], wrt, precision: "f64", semantics: "paper" });
    const points = branchPoints(graph);
    const order = wrt.map((_, i) => {
      const p = points.find((q) => q.labels.some((l) => l.startsWith(`layer${i}.`)));
      if (!p) throw new Error(`the graph has no branch point layer${i}.skip/query/key/value`);
      return p.labels.map((l) => asBranch(l, i));
    });
    const made: Compiled = {
      element: (await importModule(element.js.js)).createModel(this.source.params),
      paper: (await importModule(paper.js.js)).createModel(this.source.params),
      labels: consumerLabels(paper.graph),
      order,
    };
    this.#modules.set(key, made);
    return made;
  }

  /** Element oplus: the token's best unit and, at it, the branch with the best path (tie: first in program order). */
  #element(r: GeneratedResult, layer: number, seq: number, d: number, order: readonly Branch[]): LayerReading {
    const byBranch = perToken(r, layer, seq, d);
    const winner: Branch[] = [], value: number[] = [];
    for (let t = 0; t < seq; t++) {
      let w = order[0]!, best = -Infinity;
      for (const b of order) if (byBranch[b][t]! > best) [w, best] = [b, byBranch[b][t]!];
      winner.push(w);
      value.push(best);
    }
    return { winner, value, byBranch };
  }

  #paper(r: GeneratedResult, name: string, layer: number, labels: Map<number, string>, seq: number, d: number): LayerReading {
    const agg = r.aggregated![name]!;
    const from = agg.lanes["hiFrom"]!;
    return {
      winner: Array.from(from, (id) => asBranch(labels.get(id) ?? `%${id}`, layer)),
      value: Array.from(agg.value),
      byBranch: perToken(r, layer, seq, d),
    };
  }
}
