// The compiler API (`import … from "semic"`): compile a model file in one call (`compile`, what
// `semic compile` does), or step by step: load a model, compile its semiring backward passes,
// print or parse the textual IR. The CLI (compiler/cli.ts) is a thin layer over these.

// The WebGPU types (GPUDevice…) of the runtime's declarations are globals: consumers need them too.
/// <reference types="@webgpu/types" preserve="true" />

export { compile, moduleFiles } from "./compileModel.ts";
export type { CompiledModel, ModelCompileOptions, ModuleSources, Target } from "./compileModel.ts";
export { compileGraph, compileGraphWgsl, importModule } from "./compile.ts";
export type { CompileOptions, Compiled, GeneratedModel, GeneratedResult, GeneratedStep, GeneratedTensor } from "./compile.ts";
export type { JsModule, JsModuleOptions } from "./backends/js/module.ts";
export type { WgslModule } from "./backends/wgsl/module.ts";
export { buildBackward, defaultWrt } from "./backward.ts";
export { consumerLabels, semantics, semanticsNames } from "./semantics.ts";
export type { SemanticsName } from "./semantics.ts";
export { initParams, train } from "./train/train.ts";
export type { Loss, Progress, Trained, TrainOptions } from "./train/train.ts";
export type { BackwardPlan } from "./backward.ts";

export { loadModel, loadSemirings } from "./frontend/index.ts";
export type { ConfigOverrides, LoadedModel, LoadOptions, MemoryFiles } from "./frontend/index.ts";

export { parseGraph, printGraph } from "../ir/text/index.ts";
export { expandComposites } from "../ir/passes/expand.ts";
export type { Composite } from "../ir/passes/expand.ts";
export { interpret } from "../ir/interpret.ts";
export type { Feeds, Trace } from "../ir/interpret.ts";
export { verifyGraph } from "../ir/verify.ts";

export { DEFAULT_TOPK, semiringByName, semiringNames, semirings, topk } from "../ir/semirings/index.ts";
export type { Lanes, PathSpec, Semiring, SemiringName } from "../ir/semirings/index.ts";

export { GraphBuilder, SemicError } from "../ir/graph.ts";
export type { Graph, Node, SourceLoc } from "../ir/graph.ts";
export type { DType, Shape, TensorType } from "../ir/types.ts";
