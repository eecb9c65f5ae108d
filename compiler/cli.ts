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
  parseMaxMemory,
  parsePositiveInt,
  parseTopk,
  parseTopPathFrom,
  resolveSemirings,
  splitList,
  spreadMultiValues,
} from "./cli/load.ts";
import { checkLimits, MAX_TOPK } from "./limits.ts";
import { addDatasetOptions, addMergeCommand, runDataset, type DatasetCliOptions } from "./cli/dataset.ts";
import { checkIdRanges } from "./importers/ids.ts";
import { modelArgument, withImportOptions, parseImportOptions, type ImportCliOptions } from "./importers/options.ts";
import { elapsed, formatError, isUserError, Status, writeFilesAtomically } from "./cli/output.ts";
import { fmt, jsonReport, readableReport, stringifyJson, type RunOutput } from "./cli/report.ts";
import { profileTable, startProfile } from "./cli/profile.ts";
import { addReportCommand } from "./cli/reportCommand.ts";
import { addTrainCommand } from "./cli/train.ts";
import { addQueueOption, addWorkerCommand, runQueue, type QueueCliOptions } from "./cli/worker.ts";
import { expandFor, semantics, semanticsNames, semiringsFor, type SemanticsName } from "./semantics.ts";
import { branchViewsJson, computeBranchViews, parseBranchViews, readableBranchViews, requireBranchPoints } from "./study/views.ts";

// Start-up: the code generators (which load ts-morph) are imported when a command compiles, and
// the frontend (ts-morph) or IR parser (chevrotain) when a model is read (cli/load.ts), so that
// `semic --version` and `--help` stay fast.

/** Options shared by every command that builds a graph. */
interface ModelOptions extends ImportCliOptions {
  config?: string[];
  expand?: string[];
  semantics: SemanticsName;
}
interface SemiringOptions extends ModelOptions {
  semiring?: string[];
  semiringsFrom?: string[];
  wrt?: string[];
  topk?: string;
  maxMemory?: string;
  precision: "f32" | "f64";
  target: "js" | "wgsl";
  strict?: boolean;
}
interface CompileCliOptions extends SemiringOptions {
  out?: string;
  emit: "module" | "kernels";
}
interface RunCliOptions extends SemiringOptions {
  params?: string;
  inputs?: string;
  aggregate?: string[];
  topPathFrom?: string;
  json?: boolean;
  top?: string;
  branchView?: string[];
  profile?: boolean;
}

const status = new Status();

/** The model, its semirings and the compile options the command line asks for. */
async function prepare(file: string, o: SemiringOptions) {
  const config = parseConfig(o.config);
  const expand = parseExpand(o.expand);
  const k = parseTopk(o.topk);
  const maxMemory = parseMaxMemory(o.maxMemory);
  const t0 = performance.now();
  status.show(`semic: loading ${file}…`);
  // A semantics other than the default expands composites its own way, at compile time.
  const byCompiler = o.semantics !== "element";
  const { graph, semirings: own, weights } = await loadGraph(file, { config, expand: byCompiler ? [] : expand, import: parseImportOptions(file, o) });
  // As the semantics schedules them (the report then says what their values are).
  const semirings = semiringsFor(resolveSemirings(splitList(o.semiring), [...own, ...(await loadSemiringFiles(o.semiringsFrom ?? []))], k), o.semantics);
  const options: CompileOptions = {
    semirings,
    wrt: splitList(o.wrt),
    precision: o.precision,
    strict: o.strict ?? false,
    semantics: o.semantics,
    ...(byCompiler ? { expand } : {}),
  };
  checkLimits(graph, semirings, { precision: o.precision, target: o.target, wrt: options.wrt, ...(maxMemory === undefined ? {} : { maxMemory }) });
  return { graph, semirings, options, weights, loadTime: elapsed(t0) };
}

async function compileCommand(file: string, o: CompileCliOptions): Promise<void> {
  const { graph, semirings, options, loadTime } = await prepare(file, o);
  const t0 = performance.now();
  status.show(`semic: compiling ${graph.name} (${graph.nodes.length} nodes) for ${semirings.map((s) => s.name).join(", ")}…`);
  const base = moduleBase(modelStem(file), semirings);
  if (o.emit === "kernels") {
    // Like `semic ir`: to stdout unless an output directory is given.
    const { kernelListing } = await import("./kernels/listing.ts");
    const text = kernelListing(graph, options);
    status.clear();
    if (o.out === undefined) return void process.stdout.write(text);
    const path = join(o.out, `${base}.kernels.txt`);
    writeFilesAtomically(new Map([[path, text]]));
    console.log(`wrote ${path} (load ${loadTime}, compile ${elapsed(t0)})`);
    return;
  }
  const outBase = join(o.out ?? "out", base);
  const files = moduleFiles(await moduleSources(graph, options, o.target, outBase), outBase);
  writeFilesAtomically(files);
  status.clear();
  console.log(`wrote ${[...files.keys()].join(", ")} (load ${loadTime}, compile ${elapsed(t0)})`);
}

async function irCommand(file: string, o: ModelOptions): Promise<void> {
  status.show(`semic: loading ${file}…`);
  const expand = parseExpand(o.expand);
  const loaded = await loadGraph(file, { config: parseConfig(o.config), expand: o.semantics === "element" ? expand : [], import: parseImportOptions(file, o) });
  // The graph the semantics compiles: tensor-level pointers name its node numbers.
  const graph = o.semantics === "element" ? loaded.graph : expandFor(loaded.graph, o.semantics, expand);
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

async function runCommand(file: string, o: RunCliOptions & DatasetCliOptions): Promise<void> {
  if (o.profile && (o.dataset !== undefined || (o as QueueCliOptions).queue !== undefined)) throw new CliError("--profile times the run of one input (--inputs); a study's time per record is in its progress lines");
  if ((o as QueueCliOptions).queue !== undefined) return runQueue(file, o);
  if (o.dataset !== undefined) return runDataset(file, o);
  if (o.branchValues === false) throw new CliError("--no-branch-values applies to a study (--dataset or --queue): one input's report always has its branch values");
  const aggregate = parseAggregate(o.aggregate);
  const topPath = parseTopPathFrom(o.topPathFrom);
  const top = parsePositiveInt("--top", o.top, 5);
  const { graph, semirings, options, weights, loadTime } = await prepare(file, o);
  const views = parseBranchViews(o.branchView);
  const points = requireBranchPoints(graph, views);

  const [wantParams, wantInputs] = [expectedTensors(graph, "param"), expectedTensors(graph, "input")];
  // An ONNX model carries its weights; --params replaces them.
  if (o.params === undefined && !weights) throw new CliError(`--params is required: ${file} carries no weights`);
  const params = o.params === undefined ? { tensors: weights!.params, ignored: [] } : bindTensors(wantParams, loadTensorFile(o.params), o.params, {
    allowExtra: o.params.toLowerCase().endsWith(".safetensors"),
    others: wantInputs,
  });
  // A checkpoint directory run with --text brings its token ids.
  if (o.inputs === undefined && !weights?.inputs) throw new CliError("give --inputs FILE (one input) or --dataset FILE.jsonl (a study, one input per line)");
  const inputs = o.inputs === undefined ? { tensors: weights!.inputs! } : bindTensors(wantInputs, loadTensorFile(o.inputs), o.inputs, { others: wantParams });
  if (weights) checkIdRanges(inputs.tensors, weights.idRanges, o.inputs ?? "--text");
  if (params.ignored.length > 0 && !o.json) {
    status.clear();
    console.error(`semic: ignoring ${params.ignored.length} tensor(s) of ${o.params} the model does not use: ${params.ignored.join(", ")}`);
  }

  const { importModule } = await import("./compile.ts");
  let t0 = performance.now();
  status.show(`semic: compiling ${graph.name} (${graph.nodes.length} nodes) for ${semirings.map((s) => s.name).join(", ")}…`);
  if (o.profile && o.target !== "js") throw new CliError("--profile times the steps of the JS module (its JS loops and WebAssembly kernels); run it with --target js");
  const source = (await moduleSources(graph, o.profile ? { ...options, profile: true } : options, o.target)).js;
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
      // The token axis is the first one of extent > 1 (an exported model's batch of one comes first).
      const tokens = Math.max(0, b.shape.slice(0, -1).findIndex((d) => d > 1));
      agg[b.label] = b.shape.map((_, a) => a).filter((a) => a !== tokens);
      perToken.add(b.label);
    }
  }

  const results: Record<string, GeneratedResult> = {};
  let output = NaN;
  const runTimes: string[] = [];
  const warnings = new Set<string>();
  const profile = o.profile ? startProfile() : undefined;
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
      for (const w of r.warnings) warnings.add(w);
      output = r.output;
      results[sr.name] = r.results[sr.name]!;
    }
  } catch (e) {
    throw asUserError(e);
  }
  status.clear();
  for (const w of warnings) console.error(`semic: warning: ${w}`);
  if (profile) console.error(profileTable(profile(), { semirings: semirings.map((sr) => sr.name), runs: semirings.length, top: 4 * top }));

  const run: RunOutput = { output, results };
  const viewsOf = new Map(semirings.map((sr) => [sr.name, computeBranchViews(points, sr, results[sr.name]!, views)]));
  if (o.json) {
    const json = jsonReport(run);
    if (views.length > 0) for (const [name, r] of Object.entries(json.results)) Object.assign(r, { branchViews: branchViewsJson(viewsOf.get(name)!) });
    process.stdout.write(stringifyJson(json) + "\n");
    return;
  }
  const timing = `timing: load ${loadTime} · compile ${compileTime} · import ${importTime} · run (forward + backward) ${runTimes.join(", ")}`;
  console.log(readableReport(run, { model: `${graph.name} (${file})`, semirings, top, perToken, timing }));
  for (const sr of views.length > 0 ? semirings : []) console.log([`\n${sr.name} — branch views`, ...readableBranchViews(sr, viewsOf.get(sr.name)!, views, fmt)].join("\n"));
}

// ---- the command line

const semiringHelp = `semirings, comma-separated or repeated: ${semiringNames.join(", ")}, or a user semiring exported by the model or a --semirings-from file`;

/** Options shared by compile and run. */
function withSemiringOptions(cmd: Command, precision: "f32" | "f64"): Command {
  return cmd
    .option("-s, --semiring <names>", semiringHelp, collect)
    .option("--semirings-from <file>", "a .ts file exporting defineSemiring values (repeatable)", collect)
    .option("--wrt <names>", "tensors to differentiate with respect to, comma-separated or repeated (default: f32 inputs and name()d tensors)", collect)
    .option("--topk <k>", `k of the topk semiring, 1 to ${MAX_TOPK} (default ${DEFAULT_TOPK})`)
    .option("--max-memory <size>", "refuse a model whose estimated memory (buffers and generated code) exceeds this, e.g. 8G or 512M (default: half this machine's memory)")
    .option("--strict", "a non-finite forward value (NaN, ±Infinity) is an error, not a warning")
    .addOption(new Option("--precision <p>", "storage precision of the generated buffers").choices(["f32", "f64"]).default(precision));
}

function withModelOptions(cmd: Command): Command {
  return withImportOptions(cmd)
    .option("--expand <composites>", "expand composites into elementary ops: softmax,layerNorm,logSoftmax or all (repeatable)", collect)
    .option("--config <key=value>", "override the model's config, e.g. hidden=32 (repeatable; DSL models only)", collect)
    .addOption(
      new Option("--semantics <s>", semanticsNames.map((n) => `${n}: ${semantics[n].summary}`).join("; ")).choices(semanticsNames).default("element"),
    );
}

export function buildProgram(): Command {
  const program = new Command("semic")
    .description("semiring backpropagation compiler: gradients, top gradient paths, path entropy…")
    .version("0.1.0")
    .showSuggestionAfterError()
    .addHelpText(
      "after",
      `
Models are TypeScript DSL files (.ts), textual IR (.semic, .ir, as printed by \`semic ir\`) or ONNX graphs (.onnx).

Examples:
  semic compile examples/mlp.ts --semiring maxprod
  semic ir examples/mlp.ts --expand logSoftmax
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json --semiring sumprod,maxprod,entropy`,
    );

  const compile = program
    .command("compile")
    .description("compile the backward passes of the chosen semirings into a module (<out>/<model>.<semirings joined by +>.js, .d.ts and .wasm, its WebAssembly kernels)")
    .argument("<model>", "model file (.ts DSL, .semic/.ir textual IR, .onnx), or a Hugging Face checkpoint directory")
    .addOption(
      new Option("--target <target>", "js: an ES module (.js + .d.ts, and .wasm beside it when it has WebAssembly kernels); wgsl: a WebGPU module (.webgpu.js + .webgpu.d.ts, WGSL embedded) and one .wgsl per pass")
        .choices(["js", "wgsl"])
        .default("js"),
    )
    .option("-o, --out <dir>", "output directory (default: out; with --emit kernels, stdout)")
    .addOption(
      new Option("--emit <what>", "module: the generated module; kernels: every kernel after legalization, as every backend receives it, in text")
        .choices(["module", "kernels"])
        .default("module"),
    );
  withModelOptions(withSemiringOptions(compile, "f32"))
    .addHelpText(
      "after",
      `
Examples:
  semic compile examples/mlp.ts --semiring maxprod                      # out/mlp.maxprod.js + .d.ts
  semic compile examples/mlp.ts -s sumprod,maxprod,entropy -o gen       # one module, shared forward pass
  semic compile examples/mlp.ts -s topk --topk 5 --wrt x --config hidden=32
  semic compile model.semic -s maxabs --expand all --precision f64
  semic compile examples/mlp.ts -s sumprod --emit kernels               # the kernels, printed (-o DIR: <model>.<semirings>.kernels.txt)`,
    )
    .action((file: string, o: CompileCliOptions) => compileCommand(file, o));

  const ir = program
    .command("ir")
    .description("print the model's textual IR (after --config and --expand)")
    .argument("<model>", "model file (.ts DSL, .semic/.ir textual IR, .onnx), or a Hugging Face checkpoint directory");
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
    .argument("[model]", "model file (.ts DSL, .semic/.ir textual IR, .onnx), or a Hugging Face checkpoint directory")
    .option("--hf <dir>", "a Hugging Face BERT checkpoint directory (the same as giving it as the model), with --text and --compare")
    .option("--params <file>", "weights: JSON object of nested arrays by name, or .safetensors (unused tensors are ignored); an ONNX model's own by default")
    .option("--inputs <file>", "inputs: JSON object of nested arrays by name (a checkpoint directory takes --text instead)")
    .addOption(new Option("--target <target>", "js: run the generated JS; wgsl: run the WGSL kernels on WebGPU (Dawn)").choices(["js", "wgsl"]).default("js"))
    .option("--aggregate <name:axes>", "⊕ a wrt tensor or branch over axes, e.g. h:0 or emb:1,2 (repeatable; negative axes count from the end)", collect)
    .option("--top-path-from <name[:i,j]>", "where the top path starts (default: the best element of the first wrt tensor)")
    .option("--json", "print the results as JSON (DESIGN.md §3); ±Infinity is written as the strings \"Infinity\"/\"-Infinity\"")
    .option("--top <n>", "elements listed per tensor in the readable report", "5")
    .option("--branch-view <views>", "per-token readings of each branch point: oplus,bucket_sum (the paper's, maxprod/maxabs), sum (semic's ⊕); with --dataset, stored in each record", collect)
    .option("--profile", "time every step of the generated module (forward and each backward kernel, JS loops or WebAssembly) and print the costliest to stderr, with their share of the total");
  addQueueOption(addDatasetOptions(withModelOptions(withSemiringOptions(run, "f64"))))
    .addHelpText(
      "after",
      `
Examples:
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json -s sumprod,maxprod,entropy
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json -s maxprod --top-path-from x:2 --json
  semic run examples/mlp.ts --params ckpt.safetensors --inputs in.json -s entropy --aggregate h:0
  semic run examples/mlp.ts --params examples/mlp.params.json --inputs examples/mlp.inputs.json -s maxprod --strict   # NaN/±Infinity in the forward pass: exit 1
  semic run examples/transformer.ts --params examples/transformer.params.json --inputs examples/transformer.inputs.json -s maxprod --branch-view oplus,bucket_sum,sum

The run computes in double precision unless --precision f32 is given.`,
    )
    .action((file: string | undefined, o: RunCliOptions & DatasetCliOptions & { hf?: string }) => runCommand(modelArgument(file, o.hf), o));
  addMergeCommand(program);

  addTrainCommand(program);
  addReportCommand(program);
  addWorkerCommand(program);
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
    await program.parseAsync(spreadMultiValues(argv));
    return typeof process.exitCode === "number" ? process.exitCode : 0; // a study with failed records sets 3
  } catch (e) {
    status.clear();
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    console.error(debug && e instanceof Error ? e.stack : formatError(e));
    return isUserError(e) ? 1 : 2;
  }
}

// `tsx compiler/cli.ts …` runs it directly; bin/semic.js imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) process.exitCode = await main();
