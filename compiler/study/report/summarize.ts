// A results file → the numbers the report page draws: branch values per token group (means over
// every token of the group in every record), histograms of each readout, and per record a token
// heat map per semiring and the top path step by step. The page only draws; every number is
// computed here, where it is tested.

import { semirings as builtins } from "../../../ir/semirings/index.ts";
import { CliError } from "../../cli/load.ts";
import { computeBranchViews, oplusPerToken, type BranchPoint, type BranchViewName } from "../views.ts";
import { histogram, type Histogram } from "./histogram.ts";
import { readRecords, type RecordResult, type StudyRecord } from "./records.ts";

export interface ReportOptions {
  readonly title: string;
  /** Dotted path of the per-token groups in a record (default extra.meta.group when present). */
  readonly groupBy?: string;
  /** Names of integer groups: entry i names group i. */
  readonly groupLabels?: readonly string[];
  /** The wrt tensor of the heat maps (default: the first one of the first record). */
  readonly tensor?: string;
  /** Records drawn one by one (the first ones of the file). */
  readonly records: number;
  /** The model's branch points, to compute branch views from records that hold none (dataset runs). */
  readonly points?: readonly BranchPoint[];
  /** The views computed from `points` (default all). */
  readonly views?: readonly BranchViewName[];
}

export interface BarRow {
  readonly branch: string;
  readonly group: string;
  /** Mean over the group's tokens with a finite value. */
  readonly value: number;
  readonly tokens: number;
}
export interface BarChart {
  readonly semiring: string;
  readonly view: string;
  readonly rows: BarRow[];
}
export interface HeatCell {
  readonly semiring: string;
  readonly token: string;
  readonly value: number;
  /** value / the row's largest |finite value|, in [−1, 1]; 0 where the value is not finite. */
  readonly shade: number;
}
export interface PathStep {
  readonly step: number;
  readonly op: string;
  readonly tensor: string;
  readonly index: string;
  readonly weight: number;
  readonly product: number;
}
export interface RecordDetail {
  readonly id: string;
  readonly line: number;
  readonly output: number;
  readonly tokens: string[];
  readonly heat: HeatCell[];
  readonly paths: { semiring: string; steps: PathStep[] }[];
}
export interface ReportData {
  readonly title: string;
  readonly records: number;
  readonly semirings: string[];
  readonly tensor: string | null;
  readonly groupBy: string | null;
  readonly bars: BarChart[];
  readonly histograms: Histogram[];
  readonly details: RecordDetail[];
  readonly notes: string[];
}

type Obj = Record<string, unknown>;

/** The value at a dotted path (`extra.meta.group`) of a record. */
function lookup(record: StudyRecord, path: string): unknown {
  let v: unknown = record;
  for (const key of path.split(".")) v = typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj)[key] : undefined;
  return v;
}

const flatList = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flatList) : [v]);

/** Per-token group names of a record, or undefined when it has none at `path`. */
function tokenGroups(record: StudyRecord, path: string, labels: readonly string[] | undefined, file: string): string[] | undefined {
  const v = lookup(record, path);
  if (v === undefined) return undefined;
  return flatList(v).map((g, i) => {
    if (typeof g === "string") return g;
    if (typeof g === "number" && Number.isInteger(g) && g >= 0) return labels?.[g] ?? `group ${g}`;
    throw new CliError(`${file}:${record.at}: ${path}[${i}] is ${JSON.stringify(g)}; token groups are strings or non-negative integers`);
  });
}

/** One label per token: position, and the id there when an integer input has one id per token. */
function tokenLabels(record: StudyRecord, tokens: number): string[] {
  const ids = Object.values(record.inputs).find((t) => t.value.length === tokens && t.value.every(Number.isInteger));
  return Array.from({ length: tokens }, (_, i) => (ids ? `${i}:${ids.value[i]}` : String(i)));
}

/** Per-token values of a wrt tensor for one semiring: ⊕ over the last axis (rank ≥ 2), else the readout per element. */
function perToken(semiring: string, r: RecordResult, tensor: string): number[] | undefined {
  const t = r.wrt[tensor];
  if (!t) return undefined;
  if (t.shape.length < 2) return t.value;
  const agg = r.aggregated[tensor];
  if (agg && agg.value.length * t.shape[t.shape.length - 1]! === t.value.length) return agg.value;
  const sr = Object.hasOwn(builtins, semiring) ? builtins[semiring as keyof typeof builtins] : undefined;
  if (!sr || !t.lanes) return undefined;
  const folded = oplusPerToken(sr, t.lanes, t.shape);
  return Array.from(folded.value);
}

function detail(record: StudyRecord, tensor: string | null, notes: Set<string>): RecordDetail {
  const heat: HeatCell[] = [];
  let tokens: string[] = [];
  for (const [semiring, r] of Object.entries(record.results)) {
    const values = tensor ? perToken(semiring, r, tensor) : undefined;
    if (!values) {
      if (tensor && r.wrt[tensor]) notes.add(`no heat map row for ${semiring}: its values per token need --aggregate ${tensor}:-1 in the run`);
      continue;
    }
    if (tokens.length === 0) tokens = tokenLabels(record, values.length);
    const scale = Math.max(0, ...values.filter(Number.isFinite).map(Math.abs));
    values.forEach((value, i) =>
      heat.push({ semiring, token: tokens[i] ?? String(i), value, shade: Number.isFinite(value) && scale > 0 ? value / scale : 0 }),
    );
  }
  const paths = Object.entries(record.results).flatMap(([semiring, r]) => {
    if (!r.topPath || r.topPath.length === 0) return [];
    let product = 1;
    const steps = r.topPath.map((s, step) => {
      product *= s.weight;
      return { step, op: s.op, tensor: s.tensor, index: `[${s.index.join(",")}]`, weight: s.weight, product };
    });
    return [{ semiring, steps }];
  });
  return { id: String(record.id), line: record.line, output: record.output, tokens, heat, paths };
}

/** The record's own branch views, or those computed from its branch readouts and the model's branch points. */
type ViewValues = Record<string, Record<string, { readonly value: ArrayLike<number> }>>;
function viewsOf(semiring: string, r: RecordResult, opts: ReportOptions, file: string, at: number): ViewValues {
  if (Object.keys(r.branchViews).length > 0 || !opts.points || !Object.hasOwn(builtins, semiring)) return r.branchViews;
  try {
    return computeBranchViews(opts.points, builtins[semiring as keyof typeof builtins], r, opts.views ?? ["oplus", "bucket_sum", "sum"]);
  } catch (e) {
    throw new CliError(`${file}:${at}: ${semiring}: ${(e as Error).message}`);
  }
}

/** Running sums per (semiring, view, branch, group). */
class GroupMeans {
  readonly #cells = new Map<string, { semiring: string; view: string; branch: string; group: string; sum: number; n: number }>();
  readonly #groups: string[] = [];
  skipped = 0;

  add(semiring: string, view: string, branch: string, group: string, value: number): void {
    if (!this.#groups.includes(group)) this.#groups.push(group);
    const key = JSON.stringify([semiring, view, branch, group]);
    const cell = this.#cells.get(key) ?? { semiring, view, branch, group, sum: 0, n: 0 };
    if (Number.isFinite(value)) {
      cell.sum += value;
      cell.n++;
    } else this.skipped++;
    this.#cells.set(key, cell);
  }

  charts(): BarChart[] {
    const charts = new Map<string, BarChart>();
    const order = (g: string) => this.#groups.indexOf(g);
    for (const c of this.#cells.values()) {
      const key = `${c.semiring} ${c.view}`;
      const chart = charts.get(key) ?? { semiring: c.semiring, view: c.view, rows: [] };
      chart.rows.push({ branch: c.branch, group: c.group, value: c.n > 0 ? c.sum / c.n : 0, tokens: c.n });
      charts.set(key, chart);
    }
    for (const chart of charts.values()) chart.rows.sort((a, b) => order(a.group) - order(b.group));
    return [...charts.values()];
  }
}

/** Reads a results file and computes everything the report page shows. */
export async function summarize(file: string, opts: ReportOptions): Promise<ReportData> {
  const notes = new Set<string>();
  const means = new GroupMeans();
  const readouts = new Map<string, number[]>();
  const outputs: number[] = [];
  const details: RecordDetail[] = [];
  const semiringNames: string[] = [];
  let tensor: string | null = opts.tensor ?? null;
  let groupBy: string | null = opts.groupBy ?? null;
  let records = 0;

  for await (const record of readRecords(file)) {
    records++;
    outputs.push(record.output);
    if (records === 1) {
      tensor ??= Object.values(record.results)[0] ? (Object.keys(Object.values(record.results)[0]!.wrt)[0] ?? null) : null;
      if (!opts.groupBy && lookup(record, "extra.meta.group") !== undefined) groupBy = "extra.meta.group";
    }
    if (opts.tensor && !Object.values(record.results).some((r) => r.wrt[opts.tensor!])) {
      throw new CliError(`${file}:${record.at}: no wrt tensor "${opts.tensor}" in the record (it has ${[...new Set(Object.values(record.results).flatMap((r) => Object.keys(r.wrt)))].join(", ") || "none"})`);
    }
    const groups = groupBy ? tokenGroups(record, groupBy, opts.groupLabels, file) : undefined;
    if (groupBy && opts.groupBy && !groups) throw new CliError(`${file}:${record.at}: the record has no ${groupBy} (--group-by)`);

    for (const [semiring, r] of Object.entries(record.results)) {
      if (!semiringNames.includes(semiring)) semiringNames.push(semiring);
      for (const [name, t] of Object.entries(r.wrt)) {
        const key = `${semiring} · ${name}`;
        const list = readouts.get(key) ?? [];
        for (const x of t.value) list.push(x);
        readouts.set(key, list);
      }
      for (const [view, byLabel] of Object.entries(viewsOf(semiring, r, opts, file, record.at))) {
        for (const [branch, t] of Object.entries(byLabel)) {
          if (groups && groups.length !== t.value.length) {
            throw new CliError(`${file}:${record.at}: ${groupBy} has ${groups.length} entries but branch ${branch} has ${t.value.length} tokens`);
          }
          Array.from(t.value).forEach((x, i) => means.add(semiring, view, branch, groups?.[i] ?? "all tokens", x));
        }
      }
    }
    if (details.length < opts.records) details.push(detail(record, tensor, notes));
  }
  if (records === 0) throw new CliError(`${file}: no records`);

  const bars = means.charts();
  if (bars.length === 0) notes.add("no branch values per token: give the model (--model) so its branch points group the records' branches, or run with --branch-view");
  if (means.skipped > 0) notes.add(`${means.skipped} token values with no path (±∞) left out of the branch means`);
  const histograms = [histogram("output", outputs), ...[...readouts].map(([title, values]) => histogram(title, values))];
  return { title: opts.title, records, semirings: semiringNames, tensor, groupBy, bars, histograms, details, notes: [...notes] };
}
