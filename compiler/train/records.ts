// Dataset records for training (the study record format): JSON Lines, one object per line holding
// the model's inputs by name (nested arrays, ids as integers), an optional "id", and any other keys
// (e.g. a "label"). Every problem names the file and line.

import { readFileSync } from "node:fs";
import { bindTensors, fromNested, WeightsError, type ExpectedTensor, type TensorData } from "../../runtime/weights.ts";
import { CliError, requireFile } from "../cli/load.ts";

export interface TrainRecord {
  /** Where it came from, `file:line`, for messages. */
  readonly where: string;
  /** The model inputs it binds. */
  readonly inputs: Readonly<Record<string, TensorData>>;
  /** The whole record as read. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The objects of a JSON Lines file (blank lines skipped). */
export function readJsonLines(file: string): { where: string; value: Record<string, unknown> }[] {
  requireFile(file, "dataset file");
  const out: { where: string; value: Record<string, unknown> }[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      const where = `${file}:${i + 1}`;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (e) {
        throw new CliError(`${where}: not valid JSON (${(e as Error).message})`);
      }
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new CliError(`${where}: expected a JSON object (a record keyed by input name), got ${Array.isArray(value) ? "an array" : typeof value}`);
      out.push({ where, value: value as Record<string, unknown> });
    });
  if (out.length === 0) throw new CliError(`${file}: no records (one JSON object per line)`);
  return out;
}

/** Binds each record to the model's inputs; keys that are not inputs stay in `raw`. */
export function bindRecords(rows: readonly { where: string; value: Record<string, unknown> }[], expected: readonly ExpectedTensor[]): TrainRecord[] {
  return rows.map(({ where, value }) => {
    try {
      const given = new Map<string, { shape: number[]; data: TensorData }>();
      for (const e of expected) if (Object.hasOwn(value, e.name)) given.set(e.name, fromNested(value[e.name], e.name, where));
      return { where, inputs: bindTensors(expected, given, where).tensors, raw: value };
    } catch (e) {
      // Lead with the location, as every record error does.
      if (e instanceof WeightsError) {
        const message = e.message.replaceAll(` in ${where}`, "").split("\n").join("; ");
        throw new CliError(message.startsWith(`${where}:`) ? message : `${where}: ${message}`);
      }
      throw e;
    }
  });
}

/** A record's integer label under `key`. */
export function labelOf(r: TrainRecord, key: string, classes?: number): number {
  const v = r.raw[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw new CliError(`${r.where}: "${key}" must be a class number (an integer ≥ 0), got ${JSON.stringify(v) ?? "nothing"}`);
  if (classes !== undefined && v >= classes) throw new CliError(`${r.where}: "${key}" is ${v}, but there are ${classes} classes (0…${classes - 1})`);
  return v;
}
