// Loading model weights and inputs: safetensors (read and write), JSON nested arrays, and binding
// what a file holds to what a model expects. Every problem is a WeightsError naming the file and,
// where there is one, the tensor.

import { readFileSync } from "node:fs";
import { readJsonTensors } from "./jsonTensors.ts";
import { readSafetensors } from "./safetensors.ts";
import { WeightsError, type TensorMap } from "./tensors.ts";

export * from "./bindTensors.ts";
export * from "./jsonTensors.ts";
export * from "./safetensors.ts";
export * from "./tensors.ts";

/** Read a `.safetensors` or `.json` tensor file from disk. */
export function loadTensorFile(path: string): TensorMap {
  const lower = path.toLowerCase();
  const kind = lower.endsWith(".safetensors") ? "safetensors" : lower.endsWith(".json") ? "json" : undefined;
  if (!kind) {
    throw new WeightsError(path, `${path}: unsupported tensor file type (expected a .safetensors or .json file)`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory" : err.code ?? err.message;
    throw new WeightsError(path, `${path}: cannot read tensor file (${why})`);
  }
  if (kind === "safetensors") return readSafetensors(bytes, path);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new WeightsError(path, `${path}: not valid UTF-8 text`);
  }
  return readJsonTensors(text, path);
}
