// `semic`: compile a model's semiring backward passes to a module, print its IR, or run it on
// weights and inputs. User errors exit 1 with one line `semic: <file:line:col: message>`; a bug in
// semic exits 2 (SEMIC_DEBUG=1 shows the stack trace of either).

import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Command, CommanderError, Option } from "commander";
import type { Graph } from "../ir/graph.ts";
import { opRules } from "../ir/ops/index.ts";
import { DEFAULT_TOPK, semiringNames } from "../ir/semirings/index.ts";
import { printGraph } from "../ir/text/print.ts";
import { bindTensors, loadTensorFile, type ExpectedTensor } from "../runtime/weights.ts";
import { dawnDevice, NO_ADAPTER } from "../runtime/dawn.ts";
import type { CompileOptions, GeneratedModel, GeneratedResult } from "./compile.ts";
import { moduleBase, moduleFiles, moduleSources, modelStem } from "./compileModel.ts";
import {
  CliError,
  collect,
  loadGraph,
  loadSemiringFiles,
  parseAggregate,
  parseConfig,
  parseExpand,
  parsePositiveInt,
  parseTopPathFrom,
  resolveSemirings,
  splitList,
} from "./cli/load.ts";
import { elapsed, formatError, isUserError, Status, writeFilesAtomically } from "./cli/output.ts";
import { jsonReport, readableReport, stringifyJson, type RunOutput } from "./cli/report.ts";

// Start-up: the code generators (which load ts-morph) are imported when a command compiles, and
// the frontend (ts-morph) or IR parser (chevrotain) when a model is read (cli/load.ts), so that
// `semic --version` and `--help` stay fast.

/** Options shared by every command that builds a graph. */
interface ModelOptions {
  config?: string[];
  expand?: string[];
}
interface SemiringOptions extends ModelOptions {
  semiring?: string[];
  semiringsFrom?: string[];
  wrt?: string[];
  topk?: string;
  precision: "f32" | "f64";
}
interface CompileCliOptions extends SemiringOptions {
  target: "js" | "wgsl";
  out: string;
}
interface RunCliOptions extends SemiringOptions {
  target: "js" | "wgsl";
  params: string;
  inputs: string;
  aggregate?: string[];
  topPathFrom?: string;
  json?: boolean;
  top?: string;
}

const status = new Status();

/** The model, its semirings and the compile options the command line asks for. */
async function prepare(file: string, o: SemiringOptions) {
  const config = parseConfig(o.config);
  const expand = parseExpand(o.expand);
  const k = parsePositiveInt("--topk", o.topk, DEFAULT_TOPK);
  const t0 = performance.now();
  status.show(`semic: loading ${file}…`);
  const { graph, semirings: own } = await loadGraph(file, { config, expand });
  const semirings = resolveSemirings(splitList(o.semiring), [...own, ...(await loadSemiringFiles(o.semiringsFrom ?? []))], k);
  const options: CompileOptions = { semirings, wrt: splitList(o.wrt), precision: o.precision };
  return { graph, semirings, options, loadTime: elapsed(t0) };
}

async function compileCommand(file: string, o: CompileCliOptions): Promise<void> {
  const { graph, semirings, options, loadTime } = await prepare(file, o);
  const t0 = performance.now();
  status.show(`semic: compiling ${graph.name} (${graph.nodes.length} nodes) for ${semirings.map((s) => s.name).join(", ")}…`);
  const files = moduleFiles(await moduleSources(graph, options, o.target), join(o.out, moduleBase(modelStem(file), semirings)));
  writeFilesAtomically(files);
  status.clear();
  console.log(`wrote ${[...files.keys()].join(", ")} (load ${loadTime}, compile ${elapsed(t0)})`);
}

async function irCommand(file: string, o: ModelOptions): Promise<void> {
  status.show(`semic: loading ${file}…`);
  const { graph } = await loadGraph(file, { config: parseConfig(o.config), expand: parseExpand(o.expand) });
  status.clear();
  process.stdout.write(printGraph(graph).replace(/\n?$/, "\n"));
}

/** The params or inputs a graph expects. */
function expectedTensors(graph: Graph, kind: "param" | "input"): ExpectedTensor[] {
  return graph.nodes
    .filter((n) => opRules[n.op].role === kind)
    .map((n) => ({ name: String(n.attrs["name"]), shape: n.type.shape, dtype: n.type.dtype === "i32" ? "i32" : "f32", kind }));
}

/** Errors the generated module throws are about the inputs or options given to it. */
function asUserError(e: unknown): unknown {
  return e instanceof Error && e.constructor === Error ? new CliError(e.message) : e;
}

/** The JS module's createModel(params), or the WebGPU module's createModel(device, params). */
interface GeneratedModule {
  meta: { branches: { label: string; shape: number[] }[] };
  createModel(...args: unknown[]): unknown;
}
type AnyModel = { run(...args: Parameters<GeneratedModel["run"]>): ReturnType<GeneratedModel["run"]> | Promise<ReturnType<GeneratedModel["run"]>> };

async function instantiate(mod: GeneratedModule, target: "js" | "wgsl", params: Record<string, ArrayLike<number>>): Promise<AnyModel> {
  if (target === "js") return mod.createModel(params) as AnyModel;
  status.show("semic: opening a WebGPU device…");
  const device = await dawnDevice();
  if (!device) throw new CliError(NO_ADAPTER);
  return (await mod.createModel(device, params)) as AnyModel;
}

async function runCommand(file: string, o: RunCliOptions): Promise<void> {
  const aggregate = parseAggregate(o.aggregate);
  const topPath = parseTopPathFrom(o.topPathFrom);
  const top = parsePositiveInt("--top", o.top, 5);
  const { graph, semirings, options, loadTime } = await prepare(file, o);

  const params = bindTensors(expectedTensors(graph, "param"), loadTensorFile(o.params), o.params, {
    allowExtra: o.params.toLowerCase().endsWith(".safetensors"),
  });
  const inputs = bindTensors(expectedTensors(graph, "input"), loadTensorFile(o.inputs), o.inputs);
  if (params.ignored.length > 0 && !o.json) {
    status.clear();
    console.error(`semic: ignoring ${params.ignored.length} tensor(s) of ${o.params} the model does not use: ${params.ignored.join(", ")}`);
  }

  const { importModule } = await import("./compile.ts");
  let t0 = performance.now();
  status.show(`semic: compiling ${graph.name} (${graph.nodes.length} nodes) for ${semirings.map((s) => s.name).join(", ")}…`);
  const source = (await moduleSources(graph, options, o.target)).js;
  const compileTime = elapsed(t0);
  t0 = performance.now();
  const mod = (await importModule(source)) as unknown as GeneratedModule;
  const importTime = elapsed(t0);

  // Readable mode shows a branch with a leading (token) axis as one ⊕-aggregate per position.
  const perToken = new Set<string>();
  const agg: Record<string, number[]> = { ...aggregate };
  if (!o.json) {
    for (const b of mod.meta.branches) {
      if (b.shape.length < 2 || Object.hasOwn(agg, b.label)) continue;
      agg[b.label] = b.shape.slice(1).map((_, a) => a + 1);
      perToken.add(b.label);
    }
  }

  const results: Record<string, GeneratedResult> = {};
  let output = NaN;
  const runTimes: string[] = [];
  try {
    const model = await instantiate(mod, o.target, params.tensors);
    for (const [i, sr] of semirings.entries()) {
      status.show(`semic: running ${sr.name} (${i + 1}/${semirings.length})…`);
      t0 = performance.now();
      const r = await model.run(inputs.tensors, {
        semirings: [sr.name],
        ...(Object.keys(agg).length > 0 ? { aggregate: agg } : {}),
        ...(topPath ? { topPath } : {}),
      });
      runTimes.push(`${sr.name} ${elapsed(t0)}`);
      output = r.output;
      results[sr.name] = r.results[sr.name]!;
    }
  } catch (e) {
    throw asUserError(e);
  }
  status.clear();

  const run: RunOutput = { output, results };
  if (o.json) {
    process.stdout.write(stringifyJson(jsonReport(run)) + "\n");
    return;
  }
  const timing = `timing: load ${loadTime} · compile ${compileTime} · import ${importTime} · run (forward + backward) ${runTimes.join(", ")}`;
  console.log(readableReport(run, { model: `${graph.name} (${file})`, semirings, top, perToken, timing }));
}

// ---- the command line

const semiringHelp = `semirings, comma-separated or repeated: ${semiringNames.join(", ")}, or a user semiring exported by the model or a --semirings-from file`;

/** Options shared by compile and run. */
function withSemiringOptions(cmd: Command, precision: "f32" | "f64"): Command {
  return cmd
    .option("-s, --semiring <names>", semiringHelp, collect)
    .option("--semirings-from <file>", "a .ts file exporting defineSemiring values (repeatable)", collect)
    .option("--wrt <names...>", "tensors to differentiate with respect to (default: f32 inputs and name()d tensors)")
    .option("--topk <k>", `k of the topk semiring (default ${DEFAULT_TOPK})`)
    .addOption(new Option("--precision <p>", "storage precision of the generated buffers").choices(["f32", "f64"]).default(precision));
}

function withModelOptions(cmd: Command): Command {
  return cmd
    .option("--expand <composites>", "expand composites into elementary ops: softmax,layerNorm,logSoftmax or all (repeatable)", collect)
    .option("--config <key=value...>", "override the model's config (DSL models only)");
}

export function buildProgram(): Command {
  const program = new Command("semic")
    .description("semiring backpropagation compiler: gradients, top gradient paths, path entropy…")
    .version("0.1.0")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      `
Models are TypeScript DSL files (.ts) or textual IR (.semic, .ir, as printed by \`semic ir\`).

Examples:
  semic compile examples/mlp.ts --semiring maxprod
  semic ir examples/mlp.ts --expand logSoftmax
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json --semiring sumprod,maxprod,entropy`,
    );

  const compile = program
    .command("compile")
    .description("compile the backward passes of the chosen semirings into a module (<out>/<model>.<semirings joined by +>.js and .d.ts)")
    .argument("<model>", "model file (.ts DSL, or .semic/.ir textual IR)")
    .addOption(
      new Option("--target <target>", "js: an ES module (.js + .d.ts); wgsl: a WebGPU module (.webgpu.js + .webgpu.d.ts, WGSL embedded) and one .wgsl per pass")
        .choices(["js", "wgsl"])
        .default("js"),
    )
    .option("-o, --out <dir>", "output directory", "out");
  withModelOptions(withSemiringOptions(compile, "f32"))
    .addHelpText(
      "after",
      `
Examples:
  semic compile examples/mlp.ts --semiring maxprod                      # out/mlp.maxprod.js + .d.ts
  semic compile examples/mlp.ts -s sumprod,maxprod,entropy -o gen       # one module, shared forward pass
  semic compile examples/mlp.ts -s topk --topk 5 --wrt x --config hidden=32
  semic compile model.semic -s maxabs --expand all --precision f64`,
    )
    .action((file: string, o: CompileCliOptions) => compileCommand(file, o));

  const ir = program
    .command("ir")
    .description("print the model's textual IR (after --config and --expand)")
    .argument("<model>", "model file (.ts DSL, or .semic/.ir textual IR)");
  withModelOptions(ir)
    .addHelpText(
      "after",
      `
Examples:
  semic ir examples/mlp.ts
  semic ir examples/mlp.ts --config hidden=8 --expand logSoftmax > mlp.semic   # compile or run it later`,
    )
    .action((file: string, o: ModelOptions) => irCommand(file, o));

  const run = program
    .command("run")
    .description("run the model on weights and inputs and report each semiring's results")
    .argument("<model>", "model file (.ts DSL, or .semic/.ir textual IR)")
    .requiredOption("--params <file>", "weights: JSON object of nested arrays by name, or .safetensors (unused tensors are ignored)")
    .requiredOption("--inputs <file>", "inputs: JSON object of nested arrays by name")
    .addOption(new Option("--target <target>", "js: run the generated JS; wgsl: run the WGSL kernels on WebGPU (Dawn)").choices(["js", "wgsl"]).default("js"))
    .option("--aggregate <name:axes...>", "⊕ a wrt tensor or branch over axes, e.g. h:0 or emb:1,2 (negative axes count from the end)")
    .option("--top-path-from <name[:i,j]>", "where the top path starts (default: the best element of the first wrt tensor)")
    .option("--json", "print the results as JSON (DESIGN.md §3); ±Infinity is written as the strings \"Infinity\"/\"-Infinity\"")
    .option("--top <n>", "elements listed per tensor in the readable report", "5");
  withModelOptions(withSemiringOptions(run, "f64"))
    .addHelpText(
      "after",
      `
Examples:
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json -s sumprod,maxprod,entropy
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json -s maxprod --top-path-from x:2 --json
  semic run examples/mlp.ts --params ckpt.safetensors --inputs in.json -s entropy --aggregate h:0

The run computes in double precision unless --precision f32 is given.`,
    )
    .action((file: string, o: RunCliOptions) => runCommand(file, o));

  return program;
}

/** Runs the CLI on `argv` (node, script, args…); returns the exit code. */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = buildProgram();
  const debug = process.env["SEMIC_DEBUG"] === "1";
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`semic: ${str.replace(/^error: /, "")}`) });
  }
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    status.clear();
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    console.error(debug && e instanceof Error ? e.stack : formatError(e));
    return isUserError(e) ? 1 : 2;
  }
}

// `tsx compiler/cli.ts …` runs it directly; bin/semic.js imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = await main();
