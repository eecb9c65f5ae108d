#!/usr/bin/env node
// The `semic` command: runs compiler/cli.ts through tsx's ESM loader, so the CLI works straight
// from the TypeScript sources after `npm install`, with no build step.

import { register } from "tsx/esm/api";

register();
const { main } = await import("../compiler/cli.ts");
process.exitCode = await main(process.argv);
