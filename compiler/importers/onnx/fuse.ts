export type Fusion = "layerNorm" | "softmax" | "gelu";
import type { OnnxModel, OnnxNode } from "./proto.ts";
export function fuse(model: OnnxModel, _which: readonly Fusion[]): readonly OnnxNode[] {
  return model.nodes;
}
