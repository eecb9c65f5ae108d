// TF.js graph model → semic graph. The graph is read into the ONNX importer's form and lowered
// through the TF op table, with ONNX's lowering context (known tensors, params, located errors).
//
// Placeholders of static shape become inputs. A sparse token input — USE-lite's `indices` [-1, 2]
// and `values` [-1] — has no static shape: the sentence (--text, tokenized with the vocab.json
// beside model.json) is fixed at import, so the sparse bookkeeping (SparseToDense, the padding
// mask, Where, ScatterNd/GatherNd) folds into shapes and row moves, and the graph semic
// differentiates starts at the embedding lookup, named `embedded`.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SemicError } from "../../../ir/graph.ts";
import { lowerModel, type ImportedModel } from "../onnx/index.ts";
import type { OnnxModel, OnnxValueInfo } from "../onnx/proto.ts";
import { konst, type ConstTensor } from "../onnx/tensor.ts";
import type { ImportOptions } from "../options.ts";
import { readTfjs, type TfPlaceholder } from "./model.ts";
import { tfjsOps } from "./table.ts";
import { useTokenize, type UseVocabulary } from "./tokenizer.ts";

export interface ImportedTfjs extends ImportedModel {
  /** The token ids of --text, for the report. */
  readonly tokens?: readonly { readonly id: number; readonly piece: string }[];
}

export function importTfjs(path: string, opts: ImportOptions): ImportedTfjs {
  const { model, placeholders } = readTfjs(path);
  const dynamic = placeholders.filter((p) => p.shape.some((d) => d < 0));
  const known = new Map<string, ConstTensor>(model.initializers);
  let tokens: ImportedTfjs["tokens"];
  if (dynamic.length > 0) {
    const fed = sparseTokens(model.file, dynamic, opts.text);
    tokens = fed.tokens;
    for (const [name, t] of fed.tensors) known.set(name, t);
  } else if (opts.text !== undefined) {
    throw new SemicError("E_CLI", `--text: ${model.file} has no sparse token input (indices, values); give its inputs with --inputs`);
  }
  const inputs: OnnxValueInfo[] = placeholders.filter((p) => !dynamic.includes(p)).map((p) => {
    if (p.kind === "other" || p.kind === "bool") throw new SemicError("E_TFJS", `${model.file}: input "${p.name}" is ${p.dtype}; semic reads float and integer inputs`);
    return { name: p.name, kind: p.kind, elemType: p.dtype, shape: p.shape };
  });
  const lowered: OnnxModel = { ...model, initializers: known, inputs };
  const embedded = model.nodes.filter((n) => n.opType === "GatherV2" && isTable(model.initializers.get(n.inputs[0] ?? "")) && !model.initializers.has(n.inputs[1] ?? ""));
  const names = [...opts.names, ...embedded.map((n) => ({ label: "embedded", pattern: n.name.replace(/[*?]/g, "?") }))];
  const imported = lowerModel(lowered, { ...opts, fuse: [], names }, tfjsOps);
  return { ...imported, ...(tokens ? { tokens } : {}) };
}

const isTable = (t: ConstTensor | undefined): boolean => t !== undefined && t.kind === "float" && t.shape.length === 2;

/** USE's sparse batch of one sentence: indices [[0, 0], [0, 1], …] and values = the token ids. */
function sparseTokens(file: string, dynamic: readonly TfPlaceholder[], text: string | undefined) {
  const names = dynamic.map((p) => p.name).sort().join(", ");
  if (names !== "indices, values")
    throw new SemicError("E_TFJS", `${file}: inputs ${dynamic.map((p) => `"${p.name}" [${p.shape.join(",")}]`).join(", ")} have dynamic shapes: semic compiles static shapes (it reads USE's sparse token inputs indices/values with --text)`);
  if (text === undefined) throw new SemicError("E_CLI", `${file} takes a sentence: give --text "…" (its sparse token inputs indices/values are built from it)`);
  const vocabFile = join(dirname(file), "vocab.json");
  if (!existsSync(vocabFile)) throw new SemicError("E_TFJS", `${vocabFile}: no such file (the tokenizer's vocabulary belongs beside model.json)`);
  const vocab = JSON.parse(readFileSync(vocabFile, "utf8")) as UseVocabulary;
  const ids = useTokenize(vocab, text);
  if (ids.length === 0) throw new SemicError("E_CLI", `--text: the sentence is empty`);
  const unknown = ids.indexOf(0);
  if (unknown >= 0)
    throw new SemicError("E_CLI", `--text: token ${unknown} is not in ${vocabFile} (id 0); this graph treats id 0 as padding and cannot embed it: rephrase without that character`);
  const tokens = ids.map((id) => ({ id, piece: vocab[id]![0] }));
  const tensors: [string, ConstTensor][] = [
    ["indices", konst("int", [ids.length, 2], ids.flatMap((_, i) => [0, i]))],
    ["values", konst("int", [ids.length], ids)],
  ];
  return { tokens, tensors };
}
