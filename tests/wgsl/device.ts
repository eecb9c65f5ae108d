// A WebGPU device in Node: Dawn (the `webgpu` package) on SwiftShader, Chromium's CPU Vulkan
// driver (see shared WEBGPU.md). Where no adapter exists the WGSL suites skip, saying why,
// except on CI, where they fail: CI installs the driver, so a missing adapter is a broken setup.

import { afterAll, describe, test } from "vitest";
import { dawnDevice, NO_ADAPTER } from "../../runtime/dawn.ts";

export { dawnDevice, NO_ADAPTER };

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
