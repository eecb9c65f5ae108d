// Spawning the `semic` CLI in tests, and the user-error contract its errors must meet.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const BIN = join(ROOT, "bin/semic.js");

export interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/semic.js …args` in `cwd`. */
export function spawnSemic(args: readonly string[], cwd: string): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, SEMIC_DEBUG: "" } });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The user-error contract: exit 1, nothing on stdout, one `semic: …` line, no stack trace. */
export function expectUserError(r: Spawned, message: RegExp): void {
  expect(r.stdout).toBe("");
  expect(r.stderr.endsWith("\n")).toBe(true);
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.code).toBe(1);
}
