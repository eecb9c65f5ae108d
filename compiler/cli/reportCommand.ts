// `semic report results.jsonl -o report.html`: one self-contained HTML page of a study's results.

import { statSync } from "node:fs";
import { basename } from "node:path";
import type { Command } from "commander";
import { renderPage } from "../study/report/page.ts";
import { summarize } from "../study/report/summarize.ts";
import { branchPoints, parseBranchViews } from "../study/views.ts";
import { loadGraph, parseConfig, parsePositiveInt, splitList } from "./load.ts";
import { writeFilesAtomically } from "./output.ts";

interface ReportCliOptions {
  out: string;
  groupBy?: string;
  groupLabels?: string;
  tensor?: string;
  records: string;
  title?: string;
  model?: string;
  config?: string[];
  branchView?: string[];
}

async function reportCommand(file: string, o: ReportCliOptions): Promise<void> {
  const records = parsePositiveInt("--records", o.records, 10);
  const views = parseBranchViews(o.branchView);
  const points = o.model ? branchPoints((await loadGraph(o.model, { config: parseConfig(o.config), expand: [] })).graph) : undefined;
  const data = await summarize(file, {
    ...(points ? { points } : {}),
    ...(views.length > 0 ? { views } : {}),
    title: o.title ?? `semic study: ${basename(file)}`,
    records,
    ...(o.groupBy ? { groupBy: o.groupBy } : {}),
    ...(o.groupLabels ? { groupLabels: splitList([o.groupLabels]) } : {}),
    ...(o.tensor ? { tensor: o.tensor } : {}),
  });
  writeFilesAtomically(new Map([[o.out, renderPage(data)]]));
  const kb = Math.round(statSync(o.out).size / 1024);
  console.log(
    `wrote ${o.out} (${kb} KB): ${data.records} records, ${data.bars.length} branch charts, ${data.histograms.length} distributions, ${data.details.length} records drawn`,
  );
  for (const n of data.notes) console.log(`note: ${n}`);
}

export function addReportCommand(program: Command): void {
  program
    .command("report")
    .description("draw a study's results (JSON Lines from `semic run --dataset`) as one self-contained HTML page")
    .argument("<results>", "results file: one JSON record per line")
    .option("-o, --out <file>", "the HTML page to write", "report.html")
    .option("--group-by <path>", "per-token groups in each record, a dotted path (default: extra.meta.group when the records have it)")
    .option("--group-labels <names>", "names of integer groups, comma-separated: the i-th names group i (e.g. other,first,repeated)")
    .option("--tensor <name>", "the wrt tensor of the per-record heat maps (default: the first one)")
    .option("--records <n>", "records drawn one by one (the first n of the file)", "10")
    .option("--title <text>", "the page's title")
    .option("--model <file>", "the model of the results: its branch points turn each record's branches into branch views per token")
    .option("--config <key=value...>", "with --model: the config the results were run with (DSL models)")
    .option("--branch-view <views>", "with --model: views computed, oplus,bucket_sum,sum (default all)", (v: string, p: string[] = []) => [...p, v])
    .addHelpText(
      "after",
      `
The page holds: per-branch bars per token group (records from \`semic run --branch-view\`, or
any results with --model, which groups each record's branches by the tensor they read),
histograms of the output and of every readout, and for the first records a token heat map per
semiring and each top path step by step. It opens offline: the plotting library is inlined.

Examples:
  semic report results.jsonl -o report.html --model examples/transformer.ts
  semic report results.jsonl -o report.html --group-by extra.meta.group --group-labels other,first,repeated
  semic report results.jsonl --tensor embeddings --records 3 --title "first token repeated"`,
    )
    .action((file: string, o: ReportCliOptions) => reportCommand(file, o));
}
