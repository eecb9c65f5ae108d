// A WebGPU device in Node: Dawn (the `webgpu` package) on SwiftShader, Chromium's CPU Vulkan
// driver (see shared WEBGPU.md). Where no adapter exists the WGSL suites skip, saying why,
// except on CI, where they fail: CI installs the driver, so a missing adapter is a broken setup.

import { existsSync, writeFileSync } from "node:fs";
import { afterAll, describe, test } from "vitest";

export const NO_ADAPTER = "no WebGPU adapter: install libvulkan1 and chromium (apt-get install -y libvulkan1 chromium)";
const SWIFTSHADER = "/usr/lib/chromium/libvk_swiftshader.so";

let pending: Promise<GPUDevice | undefined> | undefined;
// Dawn's GPU instance must outlive every device made from it: collected, it takes the process
// down (segfaults) at the next asynchronous call. Held here for the process's life.
let instance: GPU | undefined;

/** One device per test process (created on first use); undefined where no adapter exists. */
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
  let device: GPUDevice;
  try {
    instance = webgpu.create(["enable-dawn-features=disable_workgroup_init"]);
    const adapter = await instance.requestAdapter();
    if (!adapter) return undefined;
    device = await adapter.requestDevice();
  } catch {
    return undefined;
  }
  device.addEventListener("uncapturederror", (e) => console.error("WebGPU error:", (e as GPUUncapturedErrorEvent).error.message));
  return device;
}

/**
 * The device for a WGSL suite (top-level await in the test file). Without an adapter the suite is
 * skipped (describeGpu says why), except on CI, where a failing test reports the missing driver.
 */
export async function suiteDevice(): Promise<GPUDevice | undefined> {
  const device = process.env["SEMIC_NO_WEBGPU"] ? undefined : await dawnDevice();
  if (!device && process.env["CI"]) describe("WebGPU", () => test("has an adapter on CI", () => { throw new Error(NO_ADAPTER); }));
  if (device) afterAll(() => device.destroy());
  return device;
}

/** describe() that runs only with a device, its name saying why it was skipped. */
export function describeGpu(device: GPUDevice | undefined, name: string, body: () => void): void {
  describe.skipIf(!device)(device ? name : `${name} (skipped: ${NO_ADAPTER})`, body);
}
