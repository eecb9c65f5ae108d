// Spawning the `semic` CLI in tests, and the user-error contract its errors must meet.

import { spawn, type ChildProcess } from "node:child_process";
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

/** Runs `node …argv` in `cwd`, collecting its output; `onStart` gets the child (to signal it). */
export function spawnNode(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env, onStart?: (child: ChildProcess) => void): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...argv], { cwd, env });
    let stdout = "",
      stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

/** Runs `node bin/semic.js …args` in `cwd` (without SEMIC_DEBUG, so errors are what a user sees). */
export const spawnSemic = (args: readonly string[], cwd: string, onStart?: (child: ChildProcess) => void): Promise<Spawned> =>
  spawnNode([BIN, ...args], cwd, { ...process.env, SEMIC_DEBUG: "" }, onStart);

/** The user-error contract: exit 1, nothing on stdout, one `semic: …` line, no stack trace. */
export function expectUserError(r: Spawned, message: RegExp): void {
  expect(r.stdout).toBe("");
  expect(r.stderr.endsWith("\n")).toBe(true);
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr.trimEnd()).toMatch(message);
  expect(r.code).toBe(1);
}
