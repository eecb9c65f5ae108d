// Results files in the study record format, made in-process from the paper's §5.1 transformer
// (examples/transformer.ts with its trained weights) on "first token repeated once" sequences:
// per token the group 1 = first token, 2 = its repetition, 0 = any other token.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { stringifyJson, jsonReport } from "../../compiler/cli/report.ts";
import { compileGraph, importModule } from "../../compiler/compile.ts";
import { loadModel } from "../../compiler/frontend/index.ts";
import { branchPoints, branchViewsJson, computeBranchViews, type BranchViewName } from "../../compiler/study/views.ts";
import { semirings } from "../../ir/semirings/index.ts";
import { rng } from "../oracle/random.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

export interface FixtureRecord {
  readonly ids: number[];
  readonly group: number[];
}

/** `n` sequences of 6 tokens over 12 ids, half of them with the first token repeated once. */
export function sequences(n: number, seed = 1): FixtureRecord[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const first = r.int(1, 12);
    const ids = [first, ...Array.from({ length: 5 }, () => {
      let t: number;
      do t = r.int(0, 12);
      while (t === first);
      return t;
    })];
    const group = [1, 0, 0, 0, 0, 0];
    if (i % 2 === 0) {
      const at = r.int(1, 6);
      ids[at] = first;
      group[at] = 2;
    }
    return { ids, group };
  });
}

/** Writes a results file for `records`; returns its lines (JSON text, one per record). */
export async function writeResults(
  file: string,
  records: readonly FixtureRecord[],
  opts: { semirings?: (keyof typeof semirings)[]; views?: BranchViewName[] } = {},
): Promise<string[]> {
  const { graph } = loadModel(`${ROOT}examples/transformer.ts`);
  const srs = (opts.semirings ?? ["sumprod", "maxprod", "entropy"]).map((s) => semirings[s]);
  const { js } = compileGraph(graph, { semirings: srs, precision: "f64" });
  const mod = await importModule(js.js);
  const params = Object.fromEntries(
    Object.entries(JSON.parse(readFileSync(`${ROOT}examples/transformer.params.json`, "utf8")) as Record<string, unknown>).map(([k, v]) => [k, flat(v)]),
  );
  const model = mod.createModel(params);
  const points = branchPoints(graph);
  const lines = records.map((rec, i) => {
    const run = model.run({ ids: rec.ids });
    const json = jsonReport(run);
    if (opts.views) {
      for (const sr of srs) Object.assign(json.results[sr.name]!, { branchViews: branchViewsJson(computeBranchViews(points, sr, run.results[sr.name]!, opts.views)) });
    }
    const record = { line: i + 1, id: `s${i + 1}`, extra: { meta: { group: rec.group } }, inputs: { ids: rec.ids }, ...json };
    return JSON.stringify(JSON.parse(stringifyJson(record)));
  });
  writeFileSync(file, lines.join("\n") + "\n");
  return lines;
}
