// A WebGPU device in Node: Dawn (the `webgpu` package) on whatever Vulkan driver exists; on a
// machine without a GPU, Chromium's SwiftShader (Debian's chromium ships it) runs WGSL on the CPU.

import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NO_ADAPTER = "no WebGPU adapter: install libvulkan1 and chromium (apt-get install -y libvulkan1 chromium)";
const SWIFTSHADER = "/usr/lib/chromium/libvk_swiftshader.so";

// Dawn's GPU instance must outlive every device made from it: collected, it takes the process
// down (segfaults) at the next asynchronous call. Held here for the process's life.
let instance: GPU | undefined;
let pending: Promise<GPUDevice | undefined> | undefined;

/** One device per process (created on first use); undefined where no adapter exists. */
export function dawnDevice(): Promise<GPUDevice | undefined> {
  return (pending ??= open());
}

async function open(): Promise<GPUDevice | undefined> {
  // The Vulkan loader reads this when Dawn creates its instance, so it must be set first.
  if (!process.env["VK_ICD_FILENAMES"] && existsSync(SWIFTSHADER)) {
    const icd = "/tmp/swiftshader_icd.json";
    writeFileSync(icd, JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: SWIFTSHADER, api_version: "1.0.5" } }));
    process.env["VK_ICD_FILENAMES"] = icd;
  }
  // Without it SwiftShader prints "XDG_RUNTIME_DIR is invalid" on every start.
  process.env["XDG_RUNTIME_DIR"] ??= mkdtempSync(join(tmpdir(), "semic-xdg-"));
  let webgpu: typeof import("webgpu");
  try {
    webgpu = await import("webgpu");
  } catch {
    return undefined;
  }
  Object.assign(globalThis, webgpu.globals);
  // Kernels write every workgroup array element before a barrier and read it only after, so
  // Dawn's zero-initialisation of workgroup memory is dead work; on SwiftShader, which lacks the
  // Vulkan extension for it, its polyfill multiplies pipeline compile times by about 10.
  try {
    instance = webgpu.create(["enable-dawn-features=disable_workgroup_init"]);
    const adapter = await instance.requestAdapter();
    if (!adapter) return undefined;
    const device = await adapter.requestDevice();
    device.addEventListener("uncapturederror", (e) => console.error("WebGPU error:", (e).error.message));
    return device;
  } catch {
    return undefined;
  }
}
