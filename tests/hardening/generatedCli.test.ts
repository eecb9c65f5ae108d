// What `semic run` makes of the generated module's checks: an id out of range is one line and
// exit 1 (JS and WGSL targets); a non-finite forward value is a warning on stderr with NaN
// readouts ("NaN" strings in --json), and with --strict one line and exit 1.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dawnDevice } from "../../runtime/dawn.ts";
import { spawnSemic } from "../cliSpawn.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BERT = join(ROOT, "examples/bert.ts");
const BERT_PARAMS = join(ROOT, "examples/bert.safetensors");

const semic = (args: readonly string[]) => spawnSemic(args, tmp);

const overflow = `import { exp, input, model, mul, name, sum } from "semic/dsl";

export default model("overflow", () => {
  const x = input("x", [3]);
  const h = name(exp(mul(x, 1000)), "h");
  return sum(h);
});
`;

let tmp = "";
const webgpu = !process.env["SEMIC_NO_WEBGPU"] && (await dawnDevice()) !== undefined;
const runs: Record<string, Promise<{ code: number | null; stdout: string; stderr: string }>> = {};

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "semic-hardening-"));
  writeFileSync(join(tmp, "overflow.ts"), overflow);
  writeFileSync(join(tmp, "none.json"), "{}");
  writeFileSync(join(tmp, "x.json"), JSON.stringify({ x: [0, 1, 0.5] }));
  writeFileSync(join(tmp, "ids.json"), JSON.stringify({ ids: [1, 12, 27, 4, 50, 9, 41, 2] }));
  writeFileSync(join(tmp, "negative.json"), JSON.stringify({ ids: [1, 12, 27, 4, -1, 9, 41, 2] }));
  const common = ["--params", "none.json", "--inputs", "x.json", "-s", "sumprod,maxprod,entropy"];
  // Started together: each spawn pays the CLI's start-up.
  runs["ids"] = semic(["run", BERT, "--params", BERT_PARAMS, "--inputs", "ids.json", "-s", "sumprod"]);
  runs["negative"] = semic(["run", BERT, "--params", BERT_PARAMS, "--inputs", "negative.json", "-s", "sumprod"]);
  if (webgpu) runs["ids wgsl"] = semic(["run", BERT, "--params", BERT_PARAMS, "--inputs", "ids.json", "-s", "sumprod", "--target", "wgsl"]);
  runs["warn"] = semic(["run", "overflow.ts", ...common, "--json"]);
  runs["strict"] = semic(["run", "overflow.ts", ...common, "--strict"]);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RANGE = "is out of range for gather(bert.embeddings.word_embeddings.weight [50,32]): ids must be in [0, 50)";
const WARNING = "non-finite forward value: exp %3[1] = Infinity at overflow.ts:5:18 (the first in program order); every readout that depends on it is NaN";

// Spawns wait on the CLI's start-up, which a saturated machine stretches: a generous limit.
describe("semic run and the generated module's checks", { timeout: 300_000 }, () => {
  test("an id equal to the vocabulary size: one line, exit 1", async () => {
    const r = await runs["ids"]!;
    expect(r.stderr.trim()).toBe(`semic: run(): input ids[4] = 50 ${RANGE}`);
    expect([r.code, r.stdout]).toEqual([1, ""]);
  });

  test("id −1: one line, exit 1 (not an internal error)", async () => {
    const r = await runs["negative"]!;
    expect(r.stderr.trim()).toBe(`semic: run(): input ids[4] = -1 ${RANGE}`);
    expect(r.code).toBe(1);
  });

  test.skipIf(!webgpu)("an id out of range on the WGSL target: the same line, exit 1", async () => {
    const r = await runs["ids wgsl"]!;
    expect(r.stderr.trim()).toBe(`semic: run(): input ids[4] = 50 ${RANGE}`);
    expect(r.code).toBe(1);
  });

  test("a non-finite forward value: a warning on stderr, NaN readouts as \"NaN\" in --json, exit 0", async () => {
    const r = await runs["warn"]!;
    expect(r.stderr.trim()).toBe(`semic: warning: ${WARNING}`);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as { output: unknown; results: Record<string, { wrt: Record<string, { value: unknown[] }> }> };
    expect(json.output).toBe("Infinity");
    for (const sr of ["sumprod", "maxprod", "entropy"]) {
      expect(json.results[sr]!.wrt["x"]!.value, sr).toEqual(["NaN", "NaN", "NaN"]);
      // h's only edges lead to sum, weight 1: its readouts do not depend on the overflow.
      expect(json.results[sr]!.wrt["h"]!.value.includes("NaN"), sr).toBe(false);
    }
  });

  test("--strict: the warning is an error, one line, exit 1", async () => {
    const r = await runs["strict"]!;
    expect(r.stderr.trim()).toBe(`semic: run(): ${WARNING}`);
    expect([r.code, r.stdout]).toEqual([1, ""]);
  });
});
