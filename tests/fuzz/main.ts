// `npm run fuzz [-- --seed N --runs N --only graphs,dsl,cli --include-known]`: the fuzz campaigns
// at full size. Prints the seed first (a failure is reproduced by the same seed and runs), a tally
// of outcomes and the time of each campaign; exits 1 on the first counterexample, shrunk.

import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import { Command, Option } from "commander";
import { fuzzCli, fuzzDsl, fuzzGraphs, type CampaignOptions } from "./campaign.ts";

const campaigns = { graphs: fuzzGraphs, dsl: fuzzDsl, cli: fuzzCli } as const;
type Name = keyof typeof campaigns;

const program = new Command("npm run fuzz --")
  .description("random IR graphs and DSL programs against the interpreter and the path oracle; corrupted files through the CLI")
  .option("--seed <n>", "fast-check seed (default: random, printed)", (v) => Number.parseInt(v, 10))
  .option("--runs <n>", "IR graphs; DSL programs and CLI cases get a fifth of it each", (v) => Number.parseInt(v, 10), 10_000)
  .addOption(new Option("--only <names>", "comma-separated campaigns").default("graphs,dsl,cli"))
  .option("--include-known", "also fail on open findings (FINDINGS.md) instead of counting them")
  .option("--trace <file>", "append each run's input to <file> before checking it (the last line names a case that hangs)")
  .addOption(new Option("--quiet-seed").hideHelp())
  .option("--max-case-ms <ms>", "a CLI case taking longer fails as a hang", (v) => Number.parseInt(v, 10), 60_000)
  .addHelpText("after", "\nExamples:\n  npm run fuzz\n  npm run fuzz -- --seed 42 --runs 500 --only graphs\n  npm run fuzz -- --seed 7 --only cli --include-known");
program.parse();
const o = program.opts<{ seed?: number; runs: number; only: string; includeKnown?: boolean; maxCaseMs: number; trace?: string; quietSeed?: boolean }>();
const seed = o.seed ?? Math.floor(Math.random() * 0x7fffffff);
const only = o.only.split(",").map((s) => s.trim()) as Name[];
for (const name of only) if (!(name in campaigns)) program.error(`--only: unknown campaign "${name}" (graphs, dsl, cli)`);
if (!Number.isInteger(o.runs) || o.runs < 1) program.error("--runs must be a positive integer");
if (!Number.isInteger(seed)) program.error("--seed must be an integer");

if (!o.quietSeed) console.log(`fuzz seed ${seed} (reproduce: npm run fuzz -- --seed ${seed} --runs ${o.runs} --only ${only.join(",")})`);

// Generated modules, imported from data: URLs, are never unloaded (with their WebAssembly memory):
// each campaign runs in a process of its own, so a full run stays within a few GB.
if (only.length > 1) {
  const pass = process.argv.slice(2).filter((a, i, all) => a !== "--only" && all[i - 1] !== "--only" && !a.startsWith("--only=") && a !== "--seed" && all[i - 1] !== "--seed");
  for (const name of only) {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...pass, "--seed", String(seed), "--only", name, "--quiet-seed"], { stdio: "inherit" });
    if (r.status !== 0) {
      process.exitCode = 1;
      break;
    }
  }
  process.exit();
}

let failed = false;
for (const name of only) {
  const runs = name === "graphs" ? o.runs : Math.max(1, Math.round(o.runs / 5));
  const tally = new Map<string, number>();
  let done = 0;
  const t0 = performance.now();
  const opts: CampaignOptions = {
    seed,
    runs,
    includeKnown: o.includeKnown,
    maxCaseMs: o.maxCaseMs,
    trace: o.trace === undefined ? undefined : (input) => appendFileSync(o.trace!, `${name} ${JSON.stringify(input)}\n`),
    onRun: (outcome) => {
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
      if (++done % 500 === 0) process.stderr.write(`  ${name}: ${done}/${runs}\n`);
    },
  };
  try {
    await campaigns[name](opts);
  } catch (e) {
    failed = true;
    const cause = e instanceof Error && e.cause instanceof Error ? `\ncaused by: ${e.cause.message}` : "";
    console.log(`${name}: FAILED\n${e instanceof Error ? e.message : String(e)}${cause}`);
  }
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  const counts = [...tally].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(`${name}: ${done} runs in ${s} s (${counts})`);
  if (failed) break;
}
process.exitCode = failed ? 1 : 0;
