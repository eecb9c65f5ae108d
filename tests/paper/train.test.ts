// Training (compiler/train, `semic train`): deterministic for a seed, the loss goes down on a tiny
// task, the label can be a model input or a config value, and user errors are one line.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { rng } from "../../compiler/train/random.ts";
import { train, type TrainOptions } from "../../compiler/train/train.ts";
import { readSafetensors } from "../../runtime/weights.ts";
import { spawnSemic } from "../cliSpawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const LABELLED = join(ROOT, "tests/paper/fixtures/labelled.ts");
const MLP = join(ROOT, "examples/mlp.ts");

/** x ∈ [−1, 1]², label 1 iff x0 > x1. */
function rows(seed: number, n: number) {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const x = [r() * 2 - 1, r() * 2 - 1];
    return { x, label: x[0]! > x[1]! ? 1 : 0 };
  });
}
const base: TrainOptions = {
  model: LABELLED,
  train: rows(3, 64),
  val: rows(4, 32),
  loss: { kind: "nll", label: "label" },
  epochs: 3,
  lr: 0.1,
  batch: 8,
  seed: 1,
};

describe("train API", () => {
  test("the loss goes down and the classifier learns; the same seed gives the same weights", async () => {
    const a = await train(base);
    const b = await train(base);
    const losses = a.history.map((p) => p.loss);
    expect(losses.at(-1)!).toBeLessThan(0.6 * losses[0]!);
    expect(a.history.at(-1)!.valAccuracy!).toBeGreaterThanOrEqual(0.9);
    expect(a.params).toEqual(b.params);
    const c = await train({ ...base, seed: 2 });
    expect(c.params["w"]).not.toEqual(a.params["w"]);
  });

  test("a config value as the label: one module per class", async () => {
    // examples/mlp.ts scores class `target`; a 3-class task read from the record key "y".
    const r = rng(9);
    const data = Array.from({ length: 48 }, () => {
      const x = [r(), r(), r(), r()];
      return { x, y: x.indexOf(Math.max(...x.slice(0, 3))) };
    });
    const out = await train({ model: MLP, train: data, val: data, loss: { kind: "nll", label: "y", labelConfig: "target" }, epochs: 4, lr: 0.05, batch: 8 });
    expect(out.history.at(-1)!.loss).toBeLessThan(out.history[0]!.loss);
    expect(out.history.at(-1)!.valAccuracy).toBeGreaterThan(0.5);
    expect(Object.keys(out.params).sort()).toEqual(["b1", "b2", "w1", "w2"]);
  });

  test("a masked LM: the label is the target token, an integer input; accuracy over the vocabulary", async () => {
    // Position 1 is masked (token 0); the masked token is the one at position 3.
    const r = rng(5);
    const token = () => 1 + Math.floor(r() * 5);
    const data = Array.from({ length: 96 }, () => {
      const ids = [token(), 0, token(), token()];
      return { ids, target: ids[3] };
    });
    const model = join(ROOT, "tests/paper/fixtures/maskedLm.ts");
    const out = await train({ model, train: data.slice(0, 64), val: data.slice(64), loss: { kind: "nll", label: "target" }, epochs: 6, lr: 0.05, batch: 8 });
    expect(out.history.at(-1)!.loss).toBeLessThan(0.3 * out.history[0]!.loss);
    expect(out.history.at(-1)!.valAccuracy!).toBeGreaterThanOrEqual(0.9);
  });

  test("a label that is not an integer input is a located error", async () => {
    await expect(train({ ...base, loss: { kind: "nll", label: "x" } })).rejects.toThrow(/reads the label "x" as an integer scalar input/);
    const bad = [...base.train.slice(0, 3), { x: [1], label: 0 }];
    await expect(train({ ...base, train: bad })).rejects.toThrow(/^train record 4: input x: expected \[2\], got \[1\]/);
  });
});

describe("semic train", () => {
  const tmp = mkdtempSync(join(tmpdir(), "semic-train-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const jsonl = (name: string, data: readonly object[]) => {
    writeFileSync(join(tmp, name), data.map((d) => JSON.stringify(d)).join("\n") + "\n");
    return join(tmp, name);
  };
  const semic = (args: readonly string[]) => spawnSemic(args, tmp);

  test("writes the API's weights as safetensors, with one line per epoch; errors are one line", async () => {
    const trainFile = jsonl("train.jsonl", base.train);
    const valFile = jsonl("val.jsonl", base.val!);
    const out = join(tmp, "w.safetensors");
    const common = ["--dataset", trainFile, "--val", valFile, "--loss", "nll", "--epochs", "3", "--lr", "0.1", "--batch", "8"];
    const [ok, missing] = await Promise.all([
      semic(["train", LABELLED, ...common, "-o", out]),
      semic(["train", LABELLED, ...common, "--label", "nolabel", "-o", join(tmp, "never.safetensors")]),
    ]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^epoch 1\/3 {2}loss \d\.\d{4} {2}val loss \d\.\d{4} {2}val acc \d+\.\d% {2}\(/m);
    expect(ok.stdout).toMatch(/wrote .*w\.safetensors \(2 tensors\)/);
    const api = await train(base);
    const file = readSafetensors(readFileSync(out), out);
    expect([...file.get("w")!.data]).toEqual([...Float32Array.from(api.params["w"]!)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/^semic: .*labelled\.ts: --loss nll reads the label "nolabel"/);
    expect(existsSync(join(tmp, "never.safetensors"))).toBe(false);
  });
});
