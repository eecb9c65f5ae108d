// Seeded randomness for tests: a small PRNG and domain-aware feeds for a graph's inputs and params.

import { consumersOf, type Graph } from "../../ir/graph.ts";
import { opRules } from "../../ir/ops/index.ts";
import type { Domain } from "../../ir/ops/rule.ts";
import { sizeOf } from "../../ir/types.ts";

export interface Rng {
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [lo, hi). */
  int(lo: number, hi: number): number;
}

/** mulberry32: tiny, fast and good enough for test data; the same seed gives the same stream. */
export function rng(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * next();
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    int: (lo, hi) => lo + Math.floor((hi - lo) * next()),
  };
}

/**
 * Values for every input and param, respecting the domains its consumers declare: "positive" in
 * [0.5, 2), "nonzero" with |v| in [0.5, 2), "ids" in [0, rows) where rows is the first axis of the
 * consumers' operand 0 (gather's table; the smallest, when one id tensor indexes several). Anything else is standard normal.
 */
export function randomFeed(g: Graph, seed: number): Record<string, Float64Array> {
  const r = rng(seed);
  const consumers = consumersOf(g);
  const feed: Record<string, Float64Array> = {};
  for (const n of g.nodes) {
    const role = opRules[n.op].role;
    if (role !== "input" && role !== "param") continue;
    let domain: Domain = n.type.dtype === "i32" ? "ids" : "any";
    // Ids index every table they are gathered from: the smallest bounds them.
    let rows = Infinity;
    for (const { node, slot } of consumers[n.id]!) {
      const user = g.nodes[node]!;
      const d = opRules[user.op].domain?.[slot];
      if (d === undefined || d === "any") continue;
      domain = d;
      if (d === "ids") rows = Math.min(rows, g.nodes[user.inputs[0]!]!.type.shape[0] ?? 1);
    }
    if (rows === Infinity) rows = 1;
    const value = (): number => {
      switch (domain) {
        case "positive": return r.uniform(0.5, 2);
        case "nonzero": return (r.uniform(0, 1) < 0.5 ? -1 : 1) * r.uniform(0.5, 2);
        case "ids": return r.int(0, rows);
        case "any": return r.normal();
      }
    };
    feed[n.attrs["name"] as string] = Float64Array.from({ length: sizeOf(n.type.shape) }, value);
  }
  return feed;
}

/** Snaps random values onto a few levels (respecting domains), creating ties and exact zeros. */
export function tiedFeed(g: Graph, seed: number) {
  const feed = randomFeed(g, seed);
  const consumers = consumersOf(g);
  for (const n of g.nodes) {
    const name = n.attrs["name"];
    if (typeof name !== "string" || !feed[name] || n.type.dtype === "i32") continue;
    const domains = consumers[n.id]!.map(({ node, slot }) => opRules[g.nodes[node]!.op].domain?.[slot]);
    const levels = domains.includes("positive") ? [1, 2] : domains.includes("nonzero") ? [-1, 1, 2] : [-1, 0, 1, 2];
    feed[name] = feed[name]!.map((v) => levels[Math.abs(Math.round(v * 3)) % levels.length]!);
  }
  return feed;
}
