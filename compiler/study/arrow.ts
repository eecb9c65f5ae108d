// The results file as an Arrow IPC file (one row per record) for pandas (`pyarrow.ipc`), polars
// (`pl.read_ipc`) and DuckDB. Nested results are flattened into columns named by their path:
//
//   line int32 · id utf8 (numbers as text) · output float64
//   extra.<key>[.<key>…]                    a record's other keys, nested objects flattened: int32,
//                                           float64, utf8 or bool where every record's value has that
//                                           type, list<int32>/list<float64> for flat number arrays,
//                                           else the value as JSON text (null where a record has none)
//   inputs.<name>                           list<int32>   row-major values of an id input
//   <semiring>.wrt.<name>, .shape           list<float64>, list<int32>   readout, row-major, and its shape
//   <semiring>.branch.<label>, .shape       the same for a branch
//   <semiring>.aggregated.<name>, .shape    the same for an --aggregate view
//   <semiring>.view.<view>.<label>, .shape  a --branch-view's per-token values of a branch
//   <semiring>.topPathValue                 float64
//   <semiring>.topPath                      list<struct<op utf8, tensor utf8, index list<int32>, weight float64>>
//
// Raw semiring lanes stay in the JSONL only. ±Infinity are real floats here.

import { renameSync, rmSync, writeFileSync } from "node:fs";
import { Bool, Field, Float64, Int32, List, Struct, tableToIPC, Table, Utf8, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { CliError } from "../cli/load.ts";

type Json = unknown;

const num = (v: Json): number => (typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN);

function flat(v: Json, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flat(x, out);
  else out.push(num(v));
  return out;
}

function shapeOf(v: Json): number[] {
  const s: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0] as Json) {
    s.push(x.length);
    if (x.length === 0) break;
  }
  return s;
}

const listOf = (t: DataType) => new List(new Field("item", t, true));
const stepType = new Struct([
  new Field("op", new Utf8(), true),
  new Field("tensor", new Utf8(), true),
  new Field("index", listOf(new Int32()), true),
  new Field("weight", new Float64(), true),
]);

interface Column {
  type: DataType;
  values: Json[];
}

const plainObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A record's extra keys as dotted paths to their values (a nested object is flattened; an empty one is a value). */
function leaves(v: Json, prefix: string, out: Map<string, Json>): Map<string, Json> {
  if (plainObject(v) && Object.keys(v).length > 0) for (const [k, x] of Object.entries(v)) leaves(x, `${prefix}.${k}`, out);
  else if (v !== null && v !== undefined) out.set(prefix, v);
  return out;
}

const isInt32 = (v: Json) => Number.isInteger(v) && Math.abs(v as number) < 2 ** 31;
const isNumbers = (v: Json): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");

/** The type of an extra column from its values (undefined where a record has none), and the values to store. */
function extraColumn(values: Json[]): Column {
  const given = values.filter((v) => v !== undefined);
  const all = (p: (v: Json) => boolean) => given.every(p);
  const keep = (type: DataType) => ({ type, values: values.map((v) => v ?? null) });
  if (all(isInt32)) return keep(new Int32());
  if (all((v) => typeof v === "number")) return keep(new Float64());
  if (all((v) => typeof v === "string")) return keep(new Utf8());
  if (all((v) => typeof v === "boolean")) return keep(new Bool());
  if (all((v) => isNumbers(v) && v.every(isInt32))) return keep(listOf(new Int32()));
  if (all(isNumbers)) return keep(listOf(new Float64()));
  return { type: new Utf8(), values: values.map((v) => (v === undefined ? null : JSON.stringify(v))) };
}

/** Builds the columns of `records` (results-file objects); a record without a column gets null. */
function columnsOf(records: readonly Record<string, Json>[]): Map<string, Column> {
  const cols = new Map<string, Column>();
  const set = (name: string, type: DataType, row: number, value: Json) => {
    let c = cols.get(name);
    if (!c) cols.set(name, (c = { type, values: new Array<Json>(records.length).fill(null) }));
    c.values[row] = value;
  };
  const tensors = (prefix: string, group: Json, row: number) => {
    for (const [name, t] of Object.entries((group ?? {}) as Record<string, { value?: Json }>)) {
      set(`${prefix}.${name}`, listOf(new Float64()), row, flat(t.value));
      set(`${prefix}.${name}.shape`, listOf(new Int32()), row, shapeOf(t.value));
    }
  };
  const extra = new Map<string, Json[]>();
  records.forEach((r, row) => {
    set("line", new Int32(), row, r["line"]);
    set("id", new Utf8(), row, String(r["id"]));
    set("output", new Float64(), row, num(r["output"]));
    for (const [path, v] of leaves(r["extra"], "extra", new Map())) {
      if (!extra.has(path)) extra.set(path, new Array<Json>(records.length).fill(undefined));
      extra.get(path)![row] = v;
    }
    for (const [name, v] of Object.entries((r["inputs"] ?? {}) as Record<string, Json>)) set(`inputs.${name}`, listOf(new Int32()), row, flat(v));
    for (const [sr, res] of Object.entries((r["results"] ?? {}) as Record<string, Record<string, Json>>)) {
      tensors(`${sr}.wrt`, res["wrt"], row);
      tensors(`${sr}.branch`, res["branches"], row);
      tensors(`${sr}.aggregated`, res["aggregated"], row);
      for (const [view, byLabel] of Object.entries((res["branchViews"] ?? {}) as Record<string, Json>)) tensors(`${sr}.view.${view}`, byLabel, row);
      if (res["topPathValue"] !== undefined) set(`${sr}.topPathValue`, new Float64(), row, num(res["topPathValue"]));
      if (Array.isArray(res["topPath"])) {
        const steps = (res["topPath"] as Record<string, Json>[]).map((s) => ({ op: s["op"], tensor: s["tensor"], index: s["index"], weight: num(s["weight"]) }));
        set(`${sr}.topPath`, listOf(stepType), row, steps);
      }
    }
  });
  // The record's own columns first, then its metadata, then the results.
  const [line, id, output, ...results] = cols;
  return new Map([...(line ? [line, id!, output!] : []), ...[...extra].map(([path, values]): [string, Column] => [path, extraColumn(values)]), ...results]);
}

/** The Arrow table of results-file objects. */
export function resultsTable(records: readonly Record<string, Json>[]): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, c] of columnsOf(records)) vectors[name] = vectorFromArray(c.values, c.type);
  return new Table(vectors);
}

/** Writes results-file objects as an Arrow IPC file (whole or not at all). */
export function writeArrow(records: readonly Record<string, Json>[], path: string): void {
  const bytes = tableToIPC(resultsTable(records), "file");
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`cannot write ${path} (${err.code ?? err.message})`);
  }
}
