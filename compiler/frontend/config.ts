// Model configs: compile-time constants with defaults in the model file, overridden from the
// CLI (`--config key=value`, so overrides arrive as strings) or programmatically. An override
// takes the type of its default.

import { SemicError, type SourceLoc } from "../../ir/graph.ts";
import { ObjVal, type Value } from "./values.ts";

export type ConfigOverrides = Readonly<Record<string, string | number | boolean>>;

/** The defaults with `overrides` applied; an unknown key is an error listing the known ones. */
export function applyConfig(defaults: ObjVal | undefined, overrides: ConfigOverrides, loc: SourceLoc): ObjVal {
  const props = new Map(defaults?.props ?? []);
  for (const [key, raw] of Object.entries(overrides)) {
    if (!props.has(key)) {
      const known = defaults ? [...props.keys()].join(", ") || "none" : "none: the model takes no config";
      throw new SemicError("E_CONFIG", `unknown config key "${key}" (known keys: ${known})`, loc);
    }
    props.set(key, coerce(key, raw, props.get(key), loc));
  }
  return new ObjVal(props);
}

function coerce(key: string, raw: string | number | boolean, def: Value, loc: SourceLoc): Value {
  const bad = (want: string): never => {
    throw new SemicError("E_CONFIG", `config "${key}" must be ${want} (like its default ${JSON.stringify(def)}), got ${JSON.stringify(raw)}`, loc);
  };
  if (typeof def === "number") {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    return Number.isFinite(n) ? n : bad("a number");
  }
  if (typeof def === "boolean") {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    return bad("true or false");
  }
  if (typeof def === "string") return typeof raw === "string" ? raw : bad("a string");
  if (Array.isArray(def)) {
    if (typeof raw !== "string") return bad("an array (JSON, or comma-separated)");
    const s = raw.trim();
    let items: unknown[];
    try {
      items = s.startsWith("[") ? (JSON.parse(s) as unknown[]) : s === "" ? [] : s.split(",").map((x) => x.trim());
    } catch {
      return bad("an array (JSON, or comma-separated)");
    }
    if (!Array.isArray(items)) return bad("an array");
    const elem = def[0];
    return items.map((x) => {
      if (elem === undefined) return typeof x === "string" && x.trim() !== "" && Number.isFinite(Number(x)) ? Number(x) : (x as Value);
      const scalar = typeof x === "number" || typeof x === "boolean" ? x : String(x);
      return coerce(key, scalar, elem, loc);
    });
  }
  return bad("a compile-time constant");
}
