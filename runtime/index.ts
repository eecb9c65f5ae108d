// The runtime API (`import … from "semic/runtime"`): what a program that runs a generated module
// needs besides the module itself: tensor files (safetensors and JSON nested arrays) read, written
// and bound to a model's params or inputs, and a WebGPU device in Node for the wgsl target.

// The WebGPU types (GPUDevice…) of the runtime's declarations are globals: consumers need them too.
/// <reference types="@webgpu/types" preserve="true" />

export * from "./weights.ts";
export { dawnDevice, NO_ADAPTER } from "./dawn.ts";
