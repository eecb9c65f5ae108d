// Shared by the benchmark scripts: deterministic parameters and inputs for a graph.

import type { Graph } from "../ir/graph.ts";

/** Park–Miller generator: the same parameters in every run and for every framework. */
export function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Small uniform weights (±0.05·√(512/fan-in)); LayerNorm gains 1, biases small. */
export function randomParams(g: Graph, seed: number): Record<string, Float32Array> {
  const r = rng(seed);
  const out: Record<string, Float32Array> = {};
  for (const n of g.nodes) {
    if (n.op !== "param") continue;
    const name = String(n.attrs["name"]);
    const shape = n.type.shape;
    const a = new Float32Array(sizeOf(shape));
    const fanIn = shape.length === 2 ? shape[1]! : shape[0]!;
    const scale = shape.length === 2 ? Math.sqrt(3 / fanIn) : 0.02;
    for (let i = 0; i < a.length; i++) a[i] = (2 * r() - 1) * scale;
    if (/LayerNorm\.weight|layer_norm.*weight|ln.*\.weight|gamma/i.test(name)) for (let i = 0; i < a.length; i++) a[i] = 1 + (2 * r() - 1) * 0.05;
    out[name] = a;
  }
  return out;
}

/** Inputs: token ids spread over the vocabulary, positions 0…n−1, token types 0; f32 inputs uniform. */
export function modelInputs(g: Graph, seed = 7): Record<string, number[]> {
  const r = rng(seed);
  const out: Record<string, number[]> = {};
  for (const n of g.nodes) {
    if (n.op !== "input") continue;
    const name = String(n.attrs["name"]);
    const size = sizeOf(n.type.shape);
    if (n.type.dtype === "i32") {
      const limit = vocabOf(g, n.id);
      out[name] = /position/.test(name) ? [...Array(size).keys()] : /type/.test(name) ? new Array(size).fill(0) : Array.from({ length: size }, () => Math.floor(r() * limit));
    } else out[name] = Array.from({ length: size }, () => 2 * r() - 1);
  }
  return out;
}

/** The smallest first-axis extent of the tables an id input gathers from. */
function vocabOf(g: Graph, id: number): number {
  let limit = Infinity;
  for (const n of g.nodes) if (n.op === "gather" && n.inputs[1] === id) limit = Math.min(limit, g.nodes[n.inputs[0]!]!.type.shape[0]!);
  return Number.isFinite(limit) ? limit : 1;
}
