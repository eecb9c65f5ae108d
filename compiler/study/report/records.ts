// Reading a results file (JSON Lines in the study record format) one record at a time. Every
// problem is one located line `results.jsonl:LINE: what is wrong`, since a report built from a
// half-understood file would draw wrong figures.

import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { CliError, requireFile } from "../../cli/load.ts";

/** A tensor of a result: flat row-major values, and lanes when the record has them. */
export interface RecordTensor {
  readonly shape: number[];
  readonly value: number[];
  readonly lanes?: Record<string, number[]>;
}

export interface RecordStep {
  readonly op: string;
  readonly tensor: string;
  readonly index: number[];
  readonly weight: number;
}

export interface RecordResult {
  readonly wrt: Record<string, RecordTensor>;
  readonly branches: Record<string, RecordTensor>;
  readonly aggregated: Record<string, RecordTensor>;
  readonly topPath?: RecordStep[];
  /** view → branch label → per-token values (`semic run --branch-view`). */
  readonly branchViews: Record<string, Record<string, RecordTensor>>;
}

export interface StudyRecord {
  /** Line in the results file. */
  readonly at: number;
  /** Line of the input record in the dataset. */
  readonly line: number;
  readonly id: string | number;
  readonly extra: Record<string, unknown>;
  readonly inputs: Record<string, RecordTensor>;
  readonly output: number;
  readonly results: Record<string, RecordResult>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** A JSON number, or ±Infinity/NaN written as a string (as `semic run --json` writes them). */
function toNumber(v: unknown, where: string, fail: (m: string) => never): number {
  if (typeof v === "number") return v;
  if (v === "Infinity" || v === "-Infinity" || v === "NaN") return Number(v);
  return fail(`${where}: expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`);
}

/** Nested arrays → shape and flat values; ragged nesting is an error. */
function flatten(v: unknown, where: string, fail: (m: string) => never): { shape: number[]; value: number[] } {
  const shape: number[] = [];
  for (let x = v; Array.isArray(x); x = x[0] as unknown) shape.push(x.length);
  const value: number[] = [];
  const walk = (x: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      value.push(toNumber(x, `${where}${path}`, fail));
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[depth]) fail(`${where}${path}: ragged nested array (expected ${shape[depth]} entries)`);
    (x as unknown[]).forEach((y, i) => walk(y, depth + 1, `${path}[${i}]`));
  };
  walk(v, 0, "");
  return { shape, value };
}

function tensor(v: unknown, where: string, fail: (m: string) => never): RecordTensor {
  if (!isObj(v)) return fail(`${where}: expected an object with "shape" and "value"`);
  const { value } = flatten(v["value"], `${where}.value`, fail);
  const shape = Array.isArray(v["shape"]) ? (v["shape"] as unknown[]).map((d) => toNumber(d, `${where}.shape`, fail)) : undefined;
  if (!shape) return fail(`${where}: missing "shape"`);
  const lanes = isObj(v["lanes"])
    ? Object.fromEntries(Object.entries(v["lanes"]).map(([l, x]) => [l, flatten(x, `${where}.lanes.${l}`, fail).value]))
    : undefined;
  return { shape, value, ...(lanes ? { lanes } : {}) };
}

const tensors = (v: unknown, where: string, fail: (m: string) => never): Record<string, RecordTensor> =>
  isObj(v) ? Object.fromEntries(Object.entries(v).map(([k, t]) => [k, tensor(t, `${where}.${k}`, fail)])) : {};

function step(v: unknown, where: string, fail: (m: string) => never): RecordStep {
  if (!isObj(v) || typeof v["op"] !== "string" || typeof v["tensor"] !== "string" || !Array.isArray(v["index"])) {
    return fail(`${where}: expected { op, tensor, index, weight }`);
  }
  return { op: v["op"], tensor: v["tensor"], index: flatten(v["index"], `${where}.index`, fail).value, weight: toNumber(v["weight"], `${where}.weight`, fail) };
}

function result(v: unknown, where: string, fail: (m: string) => never): RecordResult {
  if (!isObj(v)) return fail(`${where}: expected an object`);
  const views = isObj(v["branchViews"]) ? v["branchViews"] : {};
  return {
    wrt: tensors(v["wrt"], `${where}.wrt`, fail),
    branches: tensors(v["branches"], `${where}.branches`, fail),
    aggregated: tensors(v["aggregated"], `${where}.aggregated`, fail),
    ...(Array.isArray(v["topPath"]) ? { topPath: (v["topPath"] as unknown[]).map((s, i) => step(s, `${where}.topPath[${i}]`, fail)) } : {}),
    branchViews: Object.fromEntries(Object.entries(views).map(([view, t]) => [view, tensors(t, `${where}.branchViews.${view}`, fail)])),
  };
}

/** One line of a results file → a record. */
export function parseRecord(text: string, file: string, at: number): StudyRecord {
  const fail = (m: string): never => {
    throw new CliError(`${file}:${at}: ${m}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (!isObj(v)) return fail("a record must be a JSON object");
  if (!isObj(v["results"])) return fail('no "results" object: is this a results file written by `semic run --dataset`?');
  const id = v["id"];
  return {
    at,
    line: typeof v["line"] === "number" ? v["line"] : at,
    id: typeof id === "string" || typeof id === "number" ? id : at,
    extra: isObj(v["extra"]) ? v["extra"] : {},
    inputs: Object.fromEntries(Object.entries(isObj(v["inputs"]) ? v["inputs"] : {}).map(([k, x]) => [k, flatten(x, `inputs.${k}`, fail)])),
    output: toNumber(v["output"], "output", fail),
    results: Object.fromEntries(Object.entries(v["results"]).map(([s, r]) => [s, result(r, `results.${s}`, fail)])),
  };
}

/** The records of a results file, in file order (blank lines skipped). */
export async function* readRecords(file: string): AsyncGenerator<StudyRecord> {
  requireFile(file, "results file");
  const lines = createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity });
  let at = 0;
  for await (const text of lines) {
    at++;
    if (text.trim() !== "") yield parseRecord(text, file, at);
  }
}
