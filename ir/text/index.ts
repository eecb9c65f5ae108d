// The text IR: `printGraph` and `parseGraph` round-trip (print ∘ parse ∘ print = print).

export { formatAttr, formatNumber, printGraph } from "./print.ts";
export { parseGraph } from "./toIr.ts";
