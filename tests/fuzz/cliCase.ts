// Corrupted files through the CLI entry: `main()` runs in-process on a small model (ids gathered
// from an embedding, linear, layerNorm, logSoftmax) with one of its files corrupted, and must
// either fail as a user error (exit 1, one `semic: …` line) or succeed with the answer of what
// the files now say, as read by independent readers (reference.ts) and the interpreter.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ts } from "ts-morph";
import { main } from "../../compiler/cli.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { namedNodes, type Graph } from "../../ir/graph.ts";
import { interpret } from "../../ir/interpret.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { printGraph } from "../../ir/text/print.ts";
import { parseGraph } from "../../ir/text/toIr.ts";
import { writeSafetensors } from "../../runtime/safetensors.ts";
import { bruteForce } from "../oracle/paths.ts";
import { Mismatch } from "./graphCheck.ts";
import { mutateAll, mutationArb, type Mutation } from "./mutate.ts";
import { bindRef, readJsonRef, readSafetensorsRef, type RefTensors } from "./reference.ts";

const MODEL = `import { add, gather, input, layerNorm, linear, logSoftmax, mean, model, name, param, pick, relu } from "semic/dsl";

export default model("tiny", { vocab: 5, d: 3 }, ({ vocab, d }) => {
  const ids = input("ids", [2], "i32");
  const x = input("x", [d]);
  const e = mean(gather(param("emb", [vocab, d]), ids), 0);
  const h = name(relu(linear(add(e, x), param("w", [d, d]), param("b", [d]))), "h");
  return pick(logSoftmax(layerNorm(h, param("g", [d]), param("beta", [d]))), [1]);
});
`;

const PARAMS: Record<string, number[][] | number[]> = {
  emb: [[0.5, -1, 0.25], [1.5, 0.75, -0.5], [-0.25, 2, 1], [0.1, -0.3, 0.7], [1, 1, -1]],
  w: [[0.4, 1.1, -1.1], [-0.9, 0.3, 0.8], [0.6, -0.5, 0.2]],
  b: [0.1, -0.2, 0.3],
  g: [1, 0.5, 2],
  beta: [0, 0.1, -0.1],
};
const INPUTS = { ids: [1, 3], x: [0.5, -1.25, 2] };

export const fixtureFiles = ["model.ts", "model.semic", "params.json", "params.safetensors", "inputs.json"] as const;
export type FixtureFile = (typeof fixtureFiles)[number];

const shapeOf = (v: number[][] | number[]): number[] => (Array.isArray(v[0]) ? [v.length, (v[0] as number[]).length] : [v.length]);

/** The fixture's files, as bytes (the IR text is what the DSL model lowers to). */
export function fixture(): Record<FixtureFile, Uint8Array> {
  const enc = (s: string) => new TextEncoder().encode(s);
  const { graph } = loadModel("/fixture/model.ts", { fs: { "/fixture/model.ts": MODEL } });
  const st = Object.fromEntries(Object.entries(PARAMS).map(([k, v]) => [k, { shape: shapeOf(v), data: Float32Array.from(v.flat()) }]));
  return {
    "model.ts": enc(MODEL),
    "model.semic": enc(printGraph(graph)),
    "params.json": enc(JSON.stringify(PARAMS, null, 1)),
    "params.safetensors": writeSafetensors(st),
    "inputs.json": enc(JSON.stringify(INPUTS)),
  };
}

export interface CliCase {
  readonly target: FixtureFile;
  readonly mutations: readonly Mutation[];
  /** Which model and params files the command uses (when they are not the target). */
  readonly ir: boolean;
  readonly safetensors: boolean;
}

export const cliCaseArb: fc.Arbitrary<CliCase> = fc.record({
  target: fc.constantFrom(...fixtureFiles),
  mutations: fc.oneof({ arbitrary: fc.tuple(mutationArb), weight: 3 }, fc.array(mutationArb, { minLength: 1, maxLength: 3 })),
  ir: fc.boolean(),
  safetensors: fc.boolean(),
});

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `main(argv)` in-process with stdout and stderr captured. */
export async function runCli(args: readonly string[]): Promise<CliResult> {
  let stdout = "", stderr = "";
  const saved = { log: console.log, error: console.error, warn: console.warn, out: process.stdout.write, err: process.stderr.write };
  console.log = (...xs: unknown[]) => void (stdout += xs.join(" ") + "\n");
  console.error = console.warn = (...xs: unknown[]) => void (stderr += xs.join(" ") + "\n");
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await main(["node", "semic", ...args]);
    return { code, stdout, stderr };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn });
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}

/** Whether TypeScript's parser reports a syntax error in a source text. */
function hasSyntaxError(text: string): boolean {
  const sf = ts.createSourceFile("model.ts", text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  return ((sf as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics?.length ?? 0) > 0;
}

/** Flattens a JSON report's nested array, reading "Infinity"/"-Infinity"/"NaN" strings back. */
function flat(v: unknown): number[] {
  if (Array.isArray(v)) return v.flatMap(flat);
  return [typeof v === "string" ? Number(v) : (v as number)];
}

const same = (a: number, e: number) =>
  (Number.isNaN(a) && Number.isNaN(e)) || a === e || (Number.isFinite(a) && Number.isFinite(e) && Math.abs(a - e) <= 1e-9 + 1e-7 * Math.abs(e));

export class CliHarness {
  readonly dir = mkdtempSync(join(tmpdir(), "semic-fuzz-"));
  readonly base = fixture();

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one case; throws a Mismatch when the CLI crashed or answered something the files do not say. */
  async check(c: CliCase): Promise<"error" | "ok"> {
    const bytes = (f: FixtureFile) => (f === c.target ? mutateAll(this.base[f], c.mutations) : this.base[f]);
    const model = c.target === "model.ts" || c.target === "model.semic" ? c.target : c.ir ? "model.semic" : "model.ts";
    const params = c.target === "params.json" || c.target === "params.safetensors" ? c.target : c.safetensors ? "params.safetensors" : "params.json";
    const files = [model, params, "inputs.json"] as const;
    for (const f of files) writeFileSync(join(this.dir, f), bytes(f));
    const at = (f: string) => join(this.dir, f);
    const r = await runCli(["run", at(model), "--params", at(params), "--inputs", at("inputs.json"), "-s", "sumprod,maxprod", "--json"]);
    const lines = r.stderr.trimEnd().split("\n");
    if (r.code !== 0) {
      if (r.code !== 1 || /internal error/.test(r.stderr) || lines.length !== 1 || !lines[0]!.startsWith("semic: ")) {
        const syntax = model === "model.ts" && hasSyntaxError(new TextDecoder().decode(bytes(model)));
        throw new Mismatch(`exit ${r.code}${syntax ? " on a DSL file with a syntax error" : ""}: ${r.stderr.trimEnd()}`);
      }
      if (r.stdout !== "") throw new Mismatch(`exit 1 with output on stdout: ${r.stdout.slice(0, 200)}`);
      return "error";
    }

    // Success: the answer must be that of what the files now say.
    const says = (what: string, read: () => unknown) => {
      try {
        return read();
      } catch (e) {
        throw new Mismatch(`exit 0, but ${what} says nothing usable: ${(e as Error).message}`);
      }
    };
    const text = new TextDecoder().decode(bytes(model));
    const graph = says(model, () =>
      model === "model.semic" ? parseGraph(text, at(model)) : loadModel(at(model), { fs: { [at(model)]: text } }).graph,
    ) as Graph;
    const readTensors = (f: FixtureFile): RefTensors => (f.endsWith(".safetensors") ? readSafetensorsRef(bytes(f)) : readJsonRef(bytes(f)));
    const feeds = says(`${params} and inputs.json`, () => ({
      ...bindRef(graph, "param", readTensors(params), params.endsWith(".safetensors")),
      ...bindRef(graph, "input", readTensors("inputs.json"), false),
    })) as Record<string, number[]>;
    const trace = says("the interpreter", () => interpret(graph, feeds)) as ReturnType<typeof interpret>;
    const report = JSON.parse(r.stdout) as { output: unknown; results: Record<string, { wrt: Record<string, { value: unknown }> }> };
    const want = trace.values[graph.output]![0]!;
    const got = flat(report.output)[0]!;
    if (!same(got, want)) throw new Mismatch(`exit 0 with output ${got}, but the files say ${want}`);
    if (!Number.isFinite(want)) return "ok";
    const named = namedNodes(graph);
    for (const [name, res] of Object.entries(report.results["sumprod"]!.wrt)) {
      const oracle = bruteForce(graph, feeds, semirings.sumprod, named.get(name)!.id).map((v) => v[0]!);
      flat(res.value).forEach((v, i) => {
        if (!same(v, oracle[i]!)) throw new Mismatch(`exit 0 with gradient ${name}[${i}] = ${v}, but the files say ${oracle[i]}`);
      });
    }
    return "ok";
  }
}

/** The files of a case, for a reproducer. */
export function describeCase(c: CliCase): string {
  return `${c.target} with ${JSON.stringify(c.mutations)}`;
}
