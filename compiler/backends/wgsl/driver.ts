// The host driver (runtime/webgpu.ts) as JavaScript text, for embedding into generated modules:
// one TypeScript source, type-checked, that a browser page gets inside the one file it imports.

import { embeddedSource } from "../embed.ts";

export const driverSource = (): string => embeddedSource("webgpu.ts");
