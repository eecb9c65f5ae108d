// One line of a dataset (JSON Lines): the model's inputs by name, an optional "id", and any other
// keys carried to the output untouched. A record that cannot be used becomes a RecordError, which
// names its line and id so the run can report it and go on.

import { isUserError, oneLine } from "../cli/output.ts";

/** A dataset line as read from the file: its 1-based line number and its text. */
export interface RawRecord {
  readonly line: number;
  readonly text: string;
}

/** A parsed record: inputs by name (nested arrays as given), the id, and the other keys. */
export interface DatasetRecord {
  readonly line: number;
  /** The record's "id", or its line number when it has none. */
  readonly id: string | number;
  readonly inputs: Record<string, unknown>;
  readonly extra: Record<string, unknown>;
}

/** What the results file holds per successful record (one JSON line, in input order). */
export interface OutputRecord {
  readonly line: number;
  readonly id: string | number;
  readonly extra: Record<string, unknown>;
  /** Integer (id) inputs echoed, so a report can label tokens. */
  readonly inputs: Record<string, unknown>;
  readonly output: number;
  /** Per semiring, the object `semic run --json` prints for it (plus topPathValue). */
  readonly results: Record<string, unknown>;
}

/** What the errors file holds per failed record. */
export interface ErrorRecord {
  readonly line: number;
  readonly id: string | number;
  readonly error: string;
}

/** A record the model cannot run: reported with its line and id, and the run goes on. */
export class RecordError extends Error {
  readonly code = "E_RECORD";
  constructor(
    readonly line: number,
    readonly id: string | number,
    message: string,
  ) {
    super(oneLine(message));
    this.name = "RecordError";
  }

  toJSON(): ErrorRecord {
    return { line: this.line, id: this.id, error: this.message };
  }
}

/** The error record of anything a record's processing threw (a bug in semic is named as one). */
export function errorRecord(line: number, id: string | number, e: unknown): ErrorRecord {
  if (e instanceof RecordError) return e.toJSON();
  const message = oneLine(e);
  return { line, id, error: isUserError(e) ? message : `internal error: ${message}` };
}

const plainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Splits a line into a record: keys in `inputNames` are inputs, "id" the id, the rest extra.
 * Throws a RecordError for bad JSON, a non-object, or an id that is not a string or number.
 */
export function parseRecord(raw: RawRecord, inputNames: ReadonlySet<string>): DatasetRecord {
  let value: unknown;
  try {
    value = JSON.parse(raw.text);
  } catch (e) {
    throw new RecordError(raw.line, raw.line, `not valid JSON (${(e as Error).message})`);
  }
  if (!plainObject(value)) throw new RecordError(raw.line, raw.line, `expected a JSON object (inputs by name), got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`);
  let id: string | number = raw.line;
  const inputs: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === "id") {
      if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v)))
        throw new RecordError(raw.line, raw.line, `"id" must be a string or a number, got ${JSON.stringify(v)}`);
      id = v;
    } else if (inputNames.has(key)) inputs[key] = v;
    else extra[key] = v;
  }
  return { line: raw.line, id, inputs, extra };
}

const hasNonFinite = (v: unknown): boolean => {
  if (typeof v === "number") return !Number.isFinite(v);
  if (typeof v !== "object" || v === null) return false;
  if (Array.isArray(v)) return v.some(hasNonFinite);
  return Object.values(v).some(hasNonFinite);
};

/**
 * One JSON line; ±Infinity as the strings "Infinity"/"-Infinity" (as `semic run --json`), NaN as
 * "NaN". A replacer costs a call per value (half the time of a record's line), so it is used only
 * where the record holds a non-finite number.
 */
export const jsonLine = (value: unknown): string =>
  (hasNonFinite(value) ? JSON.stringify(value, (_key, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)) : JSON.stringify(value)) + "\n";
