// WGSL against JS: compile a graph for both targets (JS storing f32, like the GPU), run both on the
// same feeds, and compare every result within an f32 tolerance; top paths must be the same path
// unless the two best candidates tie within that tolerance.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { compileGraph, compileGraphWgsl, importModule, type GeneratedResult } from "../../compiler/compile.ts";
import type { Graph } from "../../ir/graph.ts";
import type { Feeds } from "../../ir/interpret.ts";
import { opRules } from "../../ir/ops/index.ts";
import { semirings, topk } from "../../ir/semirings/index.ts";
import type { Semiring } from "../../ir/semirings/semiring.ts";
import { splitFeeds } from "../oracle/check.ts";

export const allSemirings: Semiring[] = [...Object.values(semirings), topk(2)];

/** Every f32 input and param. */
export const wrtOf = (g: Graph) =>
  g.nodes.filter((n) => (opRules[n.op].role === "input" || opRules[n.op].role === "param") && n.type.dtype === "f32").map((n) => n.attrs["name"] as string);

export interface RunResult {
  output: number;
  results: Record<string, GeneratedResult>;
}
export type RunOptions = { aggregate?: Record<string, number[]> };

interface WgslModule {
  createModel(device: GPUDevice, params: Record<string, ArrayLike<number>>): Promise<{ run(inputs: Record<string, ArrayLike<number>>, o?: RunOptions): Promise<RunResult>; destroy(): void }>;
}

/** Imports generated JS from a file (stack traces then name lines, not a data: URL). */
export async function importFile(js: string): Promise<unknown> {
  const dir = join(tmpdir(), "semic-wgsl");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${createHash("sha1").update(js).digest("hex").slice(0, 16)}.mjs`);
  writeFileSync(file, js);
  return import(/* @vite-ignore */ pathToFileURL(file).href);
}

export async function runJs(g: Graph, feeds: Feeds, srs: readonly Semiring[], wrt: string[], options: RunOptions = {}): Promise<RunResult> {
  const { js } = compileGraph(g, { semirings: srs, wrt, precision: "f32" });
  const { params, inputs } = splitFeeds(g, feeds);
  return (await importModule(js.js)).createModel(params).run(inputs, options);
}

export async function runWgsl(device: GPUDevice, g: Graph, feeds: Feeds, srs: readonly Semiring[], wrt: string[], options: RunOptions = {}): Promise<RunResult> {
  const { wgsl } = compileGraphWgsl(g, { semirings: srs, wrt });
  const { params, inputs } = splitFeeds(g, feeds);
  const mod = (await importFile(wgsl.js)) as WgslModule;
  const model = await mod.createModel(device, params);
  try {
    return await model.run(inputs, options);
  } finally {
    model.destroy();
  }
}

const RTOL = 2e-4, ATOL = 2e-5;
/** Within tolerance of e, absolute error measured against max(1, scale). */
const close = (a: number, e: number, scale = 1) =>
  a === e || (Number.isFinite(a) && Number.isFinite(e) && Math.abs(a - e) <= ATOL * Math.max(1, scale) + RTOL * Math.abs(e));

/** Lane arrays equal within tolerance (relative to the largest magnitude of the tensor for ⊕ sums). */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, loose = 1): void {
  expect(actual.length, what).toBe(expected.length);
  let scale = loose;
  for (let i = 0; i < expected.length; i++) if (Number.isFinite(expected[i]!)) scale = Math.max(scale, loose * Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e) || (!Number.isNaN(e) && !close(a, e, scale))) expect.fail(`${what}[${i}]: WGSL ${a} vs JS ${e}`);
  }
}

type Tensorish = { shape: number[]; value: ArrayLike<number>; lanes: Record<string, ArrayLike<number>> };

function expectSameTensor(got: Tensorish, want: Tensorish, what: string): void {
  expect(got.shape, what).toEqual(want.shape);
  for (const lane of Object.keys(want.lanes)) expectClose(got.lanes[lane]!, want.lanes[lane]!, `${what} lane ${lane}`);
  // Readouts are the same JS function of the lanes just compared, but some cancel (expectation's
  // H = log Z − r/Z), amplifying f32 differences of the lanes: checked loosely, for the plumbing.
  expectClose(got.value, want.value, `${what} value`, 50);
}

const pathKey = (steps: readonly { tensor: string; index: number[] }[] | undefined) => JSON.stringify((steps ?? []).map((s) => [s.tensor, s.index]));

export function expectSameResults(got: RunResult, want: RunResult, label: string): void {
  expect(close(got.output, want.output, Math.abs(want.output)), `${label}: output ${got.output} vs ${want.output}`).toBe(true);
  for (const [sr, w] of Object.entries(want.results)) {
    const g = got.results[sr];
    expect(g, `${label}: ${sr} missing`).toBeDefined();
    for (const [name, t] of Object.entries(w.wrt)) expectSameTensor(g!.wrt[name]!, t, `${label} ${sr} ∂/∂${name}`);
    for (const [name, t] of Object.entries(w.branches)) expectSameTensor(g!.branches[name]!, t, `${label} ${sr} branch ${name}`);
    for (const [name, t] of Object.entries(w.aggregated ?? {})) expectSameTensor(g!.aggregated![name]!, t, `${label} ${sr} aggregated ${name}`);
    expect(g!.topPath === undefined, `${label} ${sr} topPath presence`).toBe(w.topPath === undefined);
    if (w.topPath && pathKey(g!.topPath) !== pathKey(w.topPath)) {
      // Different paths are fine only where their values tie in f32.
      const [a, e] = [g!.topPathValue!, w.topPathValue!];
      if (!close(a, e, Math.abs(e))) expect.fail(`${label} ${sr}: top paths differ (WGSL ${pathKey(g!.topPath)} = ${a}, JS ${pathKey(w.topPath)} = ${e})`);
    }
    expect(g!.topPaths?.length, `${label} ${sr} topPaths`).toBe(w.topPaths?.length);
    w.topPaths?.forEach((p, r) => {
      const q = g!.topPaths![r]!;
      if (pathKey(q.steps) !== pathKey(p.steps) && !close(q.value, p.value, Math.abs(p.value)))
        expect.fail(`${label} ${sr}: path ${r} differs (WGSL ${q.value}, JS ${p.value})`);
    });
  }
}
