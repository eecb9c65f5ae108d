// Runs an example script in a fresh process, as a user runs it (`npx tsx FILE ARGS`), from the
// repository root; for the paper experiments' --quick tests.

import { join } from "node:path";
import { ROOT, spawnNode, type Spawned } from "../cliSpawn.ts";

const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");

export const runScript = (args: readonly string[]): Promise<Spawned> => spawnNode([TSX, ...args], ROOT);
