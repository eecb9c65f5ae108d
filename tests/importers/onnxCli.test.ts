// `semic run/compile` on .onnx files and checkpoint directories through the real CLI (spawned, concurrently): the exported
// BERT's word-embedding gradient equals torch's, and user errors are one line, exit 1, no files.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, test } from "vitest";
import { encodeModel } from "./onnxModel.ts";
import { spawnSemic, type Spawned } from "../cliSpawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIX = join(ROOT, "tests/fixtures/onnx");

const semic = (args: readonly string[]) => spawnSemic(args, tmp);

function expectUserError(r: Spawned, message: RegExp): void {
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.code).toBe(1);
}

let tmp = "";
let runs: Spawned[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "semic-onnx-"));
  writeFileSync(
    join(tmp, "celu.onnx"),
    encodeModel({ inputs: [{ name: "x", shape: [2] }], nodes: [{ name: "/act/Celu", op: "Celu", inputs: ["x"], outputs: ["y"] }], outputs: ["y"] }),
  );
  writeFileSync(join(tmp, "ids.json"), JSON.stringify({ input_ids: [[1, 7, 3, 24, 5, 2]] }));
  const bert = join(FIX, "bert.opset14.onnx");
  runs = await Promise.all([
    semic(["run", bert, "--inputs", join(FIX, "bert.opset14.inputs.json"), "--pick", "0,1", "-s", "sumprod", "--json", "--name", "words=*/word_embeddings/Gather", "--wrt", "words"]),
    semic(["compile", join(tmp, "celu.onnx"), "-s", "sumprod", "-o", join(tmp, "out")]),
    semic(["run", bert, "--inputs", join(tmp, "ids.json"), "--pick", "0,1", "-s", "sumprod"]),
    semic(["run", "--hf", join(FIX, "hf-bert"), "--text", "the keys to the cabinet [MASK] on the table", "--compare", "are,is", "-s", "sumprod,maxprod", "--json"]),
  ]);
}, 120_000);

test("run: the BERT fixture's output and word-embedding gradient equal torch's", () => {
  const [r] = runs;
  expect(r!.code, r!.stderr).toBe(0);
  const exp = JSON.parse(readFileSync(join(FIX, "bert.opset14.expected.json"), "utf8")) as { value: number; wordsGrad: unknown };
  const out = JSON.parse(r!.stdout) as { output: number; results: { sumprod: { wrt: { words: { shape: number[]; value: unknown } } } } };
  expect(out.output).toBeCloseTo(exp.value, 6);
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const got = flat(out.results.sumprod.wrt.words.value), want = flat(exp.wordsGrad);
  expect(out.results.sumprod.wrt.words.shape).toEqual([1, 6, 8]);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-6));
});

test("compile: an unsupported op is one line, exit 1, and nothing is written", () => {
  expectUserError(runs[1]!, /^semic: .*celu.onnx: node "\/act\/Celu" \(Celu, opset 14\): op Celu is not supported/);
  expect(existsSync(join(tmp, "out"))).toBe(false);
});

test("run: an id outside the embedding table is a user error", () => {
  expectUserError(runs[2]!, /^semic: input input_ids: id 24 at flat position 3 is outside the table's range \[0, 24\)/);
});

test("run: a checkpoint directory with --text and --compare gives torch's logit difference", () => {
  const r = runs[3]!;
  expect(r.code, r.stderr).toBe(0);
  const exp = JSON.parse(readFileSync(join(FIX, "hf-bert/expected.json"), "utf8")) as { value: number };
  const out = JSON.parse(r.stdout) as { output: number; results: Record<string, { wrt: Record<string, unknown> }> };
  expect(out.output).toBeCloseTo(exp.value, 5);
  expect(Object.keys(out.results)).toEqual(["sumprod", "maxprod"]);
  expect(Object.keys(out.results["maxprod"]!.wrt)).toEqual(["embeddings"]);
});
