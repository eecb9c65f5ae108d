// A whole generated ES module: buffers, the forward pass, one backward per semiring (kernels with
// ⊕/⊗/lift inlined), readouts, aggregation, and top-path walking for selecting semirings.

import type { Graph, Node } from "../../../ir/graph.ts";
import { opRules } from "../../../ir/ops/index.ts";
import * as S from "../../../ir/scalar.ts";
import type { Semiring } from "../../../ir/semirings/semiring.ts";
import { sizeOf } from "../../../ir/types.ts";
import type { BackwardPlan } from "../../backward.ts";
import type { BufferInfo, Step } from "../../kernel.ts";
import { adjointBuffer, adjointBuffers, backwardSteps, forwardBuffers, forwardSteps, valueBuffer } from "../../schedule.ts";
import { CodeBuilder } from "../emit.ts";
import { declarationSource, jsModuleRuntime } from "../embed.ts";
import { liftReadsWeight, tensorSpecs, valueInfos } from "../moduleSpecs.ts";
import { renderOutEdges, tensorName } from "./edges.ts";
import { JsExpr, renderKernel, type RenderState } from "./render.ts";
import { jsHelpers } from "./scalar.ts";
import { hostImports, KernelCompiler, type KernelOptions } from "./vectorize.ts";
import { allFiniteFunc } from "./allFinite.ts";
import { ModuleBuilder } from "./wasm.ts";
import { cacheSpecs } from "./weightCaches.ts";

export interface JsModuleOptions {
  /**
   * Storage precision of every buffer. JS loops compute in float64; WebAssembly kernels compute in
   * the storage precision (f32x4 or f64x2 lanes).
   */
  readonly precision?: "f32" | "f64";
  /** Compile kernels to WebAssembly SIMD where they vectorise (default true). */
  readonly wasm?: boolean;
  /** Time every step into globalThis.__semicProfile (label → ms), for bench/profile. */
  readonly profile?: boolean;
  /** Split big kernels over worker threads where the platform allows (default true). */
  readonly threads?: boolean;
  /** A non-finite forward value is an error, not a warning, unless run() says otherwise. */
  readonly strict?: boolean;
  /**
   * The file name of the WebAssembly kernels beside the module (e.g. "mlp.maxprod.wasm"), loaded
   * from `new URL(name, import.meta.url)`; the module then also exports createModelAsync. Without
   * it the kernels are inline (base64), for modules imported from memory.
   */
  readonly wasmFile?: string;
}

export interface JsModule {
  readonly js: string;
  readonly dts: string;
  /** The kernels file's name and bytes, when `wasmFile` was given and any kernel compiled. */
  readonly wasm?: { readonly file: string; readonly bytes: Uint8Array };
}

const json = (x: unknown) => JSON.stringify(x);

interface WasmState {
  readonly compiler: KernelCompiler;
  readonly names: Set<string>;
  readonly profile: boolean;
  readonly threads: boolean;
  /** Kernels that may run split across threads, in call order (ids for the workers). */
  readonly parallel: string[];
}

/** Loop iterations above which a splittable kernel runs on every thread. */
const PARALLEL_WORK = 1 << 21;
/** Worker threads at most, besides the main one. */
const MAX_WORKERS = 3;

function renderSteps(
  steps: readonly Step[],
  shapeOf: (b: string) => readonly number[],
  out: CodeBuilder,
  state: RenderState,
  wasm: WasmState | undefined,
  prefix: string,
  backward: KernelOptions = {},
): void {
  const profile = wasm?.profile ?? false;
  for (const st of steps) {
    if (profile) out.line(`__t = performance.now();`);
    if (st.k === "fill") {
      out.line(`${st.buffer}.fill(${S.showSx(S.c(st.value))});`);
      if (profile) out.line(`__prof(${json(`${prefix}fill`)}, __t);`);
      continue;
    }
    const name = `${prefix}${st.kernel.name}`;
    const compiled = wasm && !wasm.names.has(name) ? wasm.compiler.compile(st.kernel, name, backward) : null;
    if (compiled) {
      wasm!.names.add(name);
      let call: string;
      if (wasm!.threads && compiled.split && compiled.work >= PARALLEL_WORK) {
        call = `par(${wasm!.parallel.length}, K.${name}, ${compiled.extent}, ${compiled.step}); // ${compiled.note}; threads`;
        wasm!.parallel.push(name);
      } else call = `K.${name}(0, ${compiled.extent}, ${compiled.scratch ? "scratchAt" : 0}); // ${compiled.note}`;
      if (compiled.tail) {
        out.open(`if (K) {`).line(call);
        renderKernel(compiled.tail, shapeOf, out, state);
        out.close(`} else`);
      } else out.line(`if (K) ${call}`).line(`else`);
    }
    renderKernel(st.kernel, shapeOf, out, state);
    if (profile) out.line(`__prof(${json(`${name} ${compiled ? "wasm" : "js"} ${st.kernel.comment}`)}, __t);`);
  }
}

/** Every unary op the steps use (for the WebAssembly imports). */
function unaryOpsOf(steps: readonly Step[]): Set<string> {
  const ops = new Set<string>();
  const visit = (x: S.Sx) => {
    if (x.k === "un") ops.add(x.op);
    for (const ch of S.children(x)) visit(ch);
  };
  for (const st of steps)
    if (st.k === "kernel") {
      for (const u of st.kernel.update) visit(u);
      for (const i of st.kernel.index) visit(i);
    }
  // Kernels also derive exp and log (log-sum-exp sums, sigmoid, tanh, log1p): f64 lanes need them exact.
  return ops.add("exp").add("log");
}

/** Byte offsets of every buffer in the one memory, 64-byte aligned. */
function layoutBuffers(bufs: readonly { name: string; shape: readonly number[]; dtype: string }[], precision: "f32" | "f64") {
  const offsets = new Map<string, number>();
  let at = 64;
  for (const b of bufs) {
    offsets.set(b.name, at);
    const bytes = sizeOf(b.shape) * (b.dtype === "i32" ? 4 : precision === "f64" ? 8 : 4);
    at += Math.ceil(Math.max(bytes, 1) / 64) * 64;
  }
  const layout = {
    offsets,
    bytes: at,
    get pages() {
      return Math.ceil((layout.bytes + 64) / 65536);
    },
    /** Appends a buffer (kernel caches are added while compiling). */
    add(name: string, shape: readonly number[]) {
      offsets.set(name, layout.bytes);
      layout.bytes += Math.ceil(Math.max(sizeOf(shape) * (precision === "f64" ? 8 : 4), 1) / 64) * 64;
    },
  };
  return layout;
}

/** A function `(a0, a1, …) => [lane expressions]` for host-side (non-loop) uses. */
function laneFn(params: readonly string[], exprs: readonly S.Sx[], state: RenderState): string {
  const js = new JsExpr((n) => n);
  const body = exprs.map((e) => js.num(e));
  for (const h of js.helpers) state.helpers.add(h);
  return `(${params.join(", ")}) => [${body.join(", ")}]`;
}

export function renderJsModule(plan: BackwardPlan, semirings: readonly Semiring[], opts: JsModuleOptions = {}): JsModule {
  const g = plan.graph;
  const F = opts.precision === "f64" ? "Float64Array" : "Float32Array";
  const fwdBufs = forwardBuffers(g);
  const shapes = new Map<string, readonly number[]>(fwdBufs.map((b) => [b.name, b.shape]));
  const adjBufs = new Map<string, BufferInfo[]>(semirings.map((sr) => [sr.name, adjointBuffers(plan, sr)]));
  for (const bufs of adjBufs.values()) for (const b of bufs) shapes.set(b.name, b.shape);
  const shapeOf = (b: string) => {
    const s = shapes.get(b);
    if (!s) throw new Error(`no buffer ${b}`);
    return s;
  };
  const state: RenderState = { helpers: new Set() };
  const precision = opts.precision ?? "f32";
  const allBufs = [...fwdBufs, ...[...adjBufs.values()].flat()];
  const layout = layoutBuffers(allBufs, precision);
  const intBufs = new Set(allBufs.filter((b) => b.dtype === "i32").map((b) => b.name));
  const constBufs = new Set(
    fwdBufs.filter((b) => b.kind === "value" && ["param", "constant"].includes(opRules[g.nodes[b.node]!.op].role ?? "")).map((b) => b.name),
  );
  const fwd = forwardSteps(g);
  const bwd = new Map(semirings.map((sr) => [sr.name, backwardSteps(plan, sr)]));
  const unaryOps = unaryOpsOf([...fwd, ...[...bwd.values()].flat()]);
  const mod = new ModuleBuilder(layout.pages);
  const wasm: WasmState | undefined =
    opts.wasm === false
      ? undefined
      : {
          compiler: new KernelCompiler(mod, {
              precision,
              addr: (b) => layout.offsets.get(b)!,
              isInt: (b) => intBufs.has(b),
              shapeOf,
              isConst: (b) => constBufs.has(b),
              addBuffer: (name, shape) => {
                layout.add(name, shape);
                shapes.set(name, shape);
              },
            }, unaryOps),
          names: new Set(),
          profile: opts.profile ?? false,
          threads: opts.threads ?? true,
          parallel: [],
        };
  const leaves = g.nodes.filter((n) => ["input", "param", "constant"].includes(opRules[n.op].role ?? ""));
  const inputs = leaves.filter((n) => opRules[n.op].role === "input");
  const params = leaves.filter((n) => opRules[n.op].role === "param");
  const live = [...plan.live].sort((a, b) => a - b);

  const out = new CodeBuilder();
  out.line(`// Generated by semic from model "${g.name}" for semirings ${semirings.map((s) => s.name).join(", ")}. Do not edit.`);
  out.line(`// Forward values are v<node>, adjoint lanes a<node>_<lane>; node numbers are those of \`semic ir\`.`);
  out.line();
  const meta = {
    name: g.name,
    inputs: inputs.map((n) => ({ name: tensorName(n), shape: n.type.shape, dtype: n.type.dtype })),
    params: params.map((n) => ({ name: tensorName(n), shape: n.type.shape })),
    semirings: semirings.map((s) => ({ name: s.name, lanes: s.lanes, reads: s.reads, paths: !!s.traits.path })),
    wrt: [...plan.wrt.entries()].map(([name, n]) => ({ name, shape: n.type.shape })),
    branches: [...plan.branches.entries()].map(([label, n]) => ({ label, shape: n.type.shape })),
  };
  out.line(`export const meta = ${json(meta)};`);
  out.line();
  const infos = valueInfos(plan);
  out.line(`// What the argument checks and the non-finite scan of forward values need to know.`);
  const specs = tensorSpecs(g);
  out.open(`const specs = {`);
  out.line(`inputs: ${json(specs.inputs)},`);
  out.line(`params: ${json(specs.params)},`);
  out.open(`values: [`);
  for (const v of infos) out.line(`${json(v)},`);
  out.close(`],`);
  out.close(`};`);
  out.line(`const strictByDefault = ${json(opts.strict ?? false)};`);
  out.line();

  // ---- createModel
  out.open(`export function createModel(params, options) {`);
  out.line(`// Every buffer lives in one memory, at a fixed offset, shared with the WebAssembly kernels.`);
  out.line(`const memory = newMemory(memoryPages);`);
  out.line(`const heap = memory.buffer;`);
  out.line(`const P = checkTensors("createModel()", "parameter", params, specs.params);`);
  out.line(`const C = checkModelOptions("createModel()", options);`);
  const view = (b: { name: string; shape: readonly number[]; dtype: string }) =>
    `new ${b.dtype === "i32" ? "Int32Array" : F}(heap, ${layout.offsets.get(b.name)}, ${sizeOf(b.shape)})`;
  for (const b of fwdBufs) {
    const n = g.nodes[b.node]!;
    const role = opRules[n.op].role;
    if (b.kind === "value" && role === "param") {
      out.line(`const ${b.name} = ${view(b)}; ${b.name}.set(P[${json(tensorName(n))}]);`);
      continue;
    }
    if (b.kind === "value" && role === "constant") {
      out.line(`const ${b.name} = ${view(b)}; ${b.name}.set(${json(n.attrs["values"])});`);
      continue;
    }
    out.line(`const ${b.name} = ${view(b)};`);
  }
  out.open(`function forward(inputs, fn) {`);
  out.line(`const I = checkTensors(fn, "input", inputs, specs.inputs);`);
  for (const n of inputs) out.line(`${valueBuffer(g, n.id)}.set(I[${json(tensorName(n))}]);`);
  renderSteps(fwd, shapeOf, out, state, wasm, "");
  out.line(`return ${valueBuffer(g, g.output)}[0];`);
  out.close();

  // ---- edge enumerators (shared by every selecting semiring's path walk)
  const pathSemirings = semirings.filter((s) => s.traits.path);
  if (pathSemirings.length > 0) {
    out.line();
    out.line(`// Out-edges of one element, for walking top paths: visit(output element, edge weight).`);
    renderOutEdges(plan, out, `const outEdges = {`);
  }

  // ---- one backward per semiring
  for (const sr of semirings) {
    out.line();
    out.line(`// ---- ${sr.name}: ${sr.summary}`);
    out.open(`function ${sr.name}Backward() {`);
    for (const b of adjBufs.get(sr.name)!) out.line(`const ${b.name} = ${view(b)};`);
    out.open(`function run() {`);
    const laneOf = new Map(adjBufs.get(sr.name)!.map((b) => [b.name, sr.lanes.findIndex((l) => b.name === adjointBuffer(b.node, l))]));
    const zeroOf = new Map([...laneOf].map(([b, l]) => [b, sr.zero[l]!]));
    renderSteps(bwd.get(sr.name)!, shapeOf, out, state, wasm, `${sr.name}_`, { backward: { zeroOf, traits: sr.traits, plus: (a, b) => sr.plus(a, b), laneOf } });
    out.close();
    const lanesOf = (id: number) => `[${sr.lanes.map((l) => adjointBuffer(id, l)).join(", ")}]`;
    out.line(`const adjoints = { ${live.map((id) => `${id}: ${lanesOf(id)}`).join(", ")} };`);
    const lanes = sr.lanes.map((_, l) => S.v(`x${l}`));
    const params_ = sr.lanes.map((_, l) => `x${l}`);
    const other = sr.lanes.map((_, l) => `y${l}`);
    out.line(`const readout = ${laneFn(params_, sr.readout(lanes), state)};`);
    out.line(`const plus = ${laneFn([...params_, ...other], sr.plus(lanes, sr.lanes.map((_, l) => S.v(`y${l}`))), state)};`);
    const path = sr.traits.path;
    if (path) {
      const w = S.v("w"), val = S.v("v");
      const sources = path.lanes.map((_, l) => [path.sources(l, true), path.sources(l, false)]);
      out.line(`const paths = { sense: ${json(path.lanes.map((p) => p.sense))}, rank: ${json(path.lanes.map((p) => p.rank))}, sources: ${json(sources)}, extend: ${laneFn(["w", "v"], [path.extend(w, val)], state).replace("=> [", "=> (").replace(/\]$/, ")")} };`);
    } else out.line(`const paths = null;`);
    out.line(`return { run, adjoints, readout, plus, paths, weighted: ${json(liftReadsWeight(sr))}, zero: [${sr.zero.map((z) => S.showSx(S.c(z))).join(", ")}], lanes: ${json(sr.lanes)} };`);
    out.close();
  }

  out.line();
  out.line(`const backwards = { ${semirings.map((s) => `${s.name}: ${s.name}Backward`).join(", ")} };`);
  out.line(`const wrt = { ${[...plan.wrt.entries()].map(([name, n]) => `${json(name)}: ${n.id}`).join(", ")} };`);
  out.line(`const branches = { ${[...plan.branches.entries()].map(([label, n]) => `${json(label)}: ${n.id}`).join(", ")} };`);
  out.line(`const shapes = { ${live.map((id) => `${id}: ${json(g.nodes[id]!.type.shape)}`).join(", ")} };`);
  out.line(`const names = { ${live.map((id) => `${id}: ${json(tensorName(g.nodes[id]!))}`).join(", ")} };`);
  out.line(`const ops = { ${live.map((id) => `${id}: ${json(g.nodes[id]!.op)}`).join(", ")} };`);
  const scanned = infos.map((v) => (valueBuffer(g, v.node) === `v${v.node}` ? valueBuffer(g, v.node) : "null"));
  out.line(`// Forward values in program order for the non-finite scan (null: shares its operand's buffer).`);
  out.line(`const values = [${scanned.join(", ")}];`);
  const spans = infos.map((v) => (valueBuffer(g, v.node) === `v${v.node}` ? json([layout.offsets.get(`v${v.node}`), sizeOf(v.shape)]) : "null"));
  out.line(`// Their [byte offset, length], for the scan's WebAssembly fast path.`);
  out.line(`const spans = [${spans.join(", ")}];`);
  out.line(`const scanCache = []; // params and constants are scanned once`);
  // The kernels' code, caches and scratch are final only now: their memory and instantiation come last.
  const imports = hostImports(precision, unaryOps);
  if (imports.includes("erf")) state.helpers.add("erf");
  if (wasm) mod.addFunc(allFiniteFunc(precision), "all_finite");
  // Temporaries of the kernels (per-row scale factors of log-sum-exp sums): one region per thread.
  const scratchBytes = Math.ceil((wasm?.compiler.scratchBytes ?? 0) / 64) * 64;
  const scratchAt = layout.bytes;
  layout.bytes += scratchBytes * (1 + MAX_WORKERS);
  mod.memoryPages = layout.pages;
  const bytes = wasm && wasm.names.size > 0 ? mod.encode() : undefined;
  if (bytes && !WebAssembly.validate(bytes)) new WebAssembly.Module(bytes); // throws, saying where
  const parallel = bytes ? (wasm?.parallel ?? []) : [];
  const caches = bytes && wasm ? cacheSpecs(g, wasm.compiler, (b) => layout.offsets.get(b)!, shapeOf, precision) : [];
  if (bytes) {
    out.line(`// Compiled kernels (null where WebAssembly SIMD is unavailable: the JS loops run instead).`);
    out.line(`const kernels = instantiateKernels(memory, wasmKernels);`);
    out.line(`const K = kernels?.exports ?? null;`);
    if (caches.length > 0) out.line(`if (K) fillCaches(K, heap, ${F}, cacheSpecs, P, C); // caches of values computed from parameters only (e.g. log|w|), copied from options.caches where there`);
    if (parallel.length > 0) {
      out.line(`// Big kernels whose outermost loop writes disjoint elements split it over worker threads (Node).`);
      out.line(`const par = kernels ? startThreads(memory, kernels.module, wasmThreads) : null;`);
    }
  } else out.line(`const K = null; // no kernel compiled to WebAssembly: the JS loops run`);
  out.line(`const allFinite = K ? (i) => spans[i] !== null && K.all_finite(spans[i][0], spans[i][1]) === 1 : undefined;`);
  const model = `{ forward, backwards, wrt, branches, shapes, names, ops, values, infos: specs.values, scanCache, allFinite, strict: strictByDefault, output: ${g.output}, outEdges: ${pathSemirings.length > 0 ? "outEdges" : "{}"} }`;
  out.line(`return makeModel(${model}, ${pathSemirings.length > 0 ? "topPaths" : "null"});`);
  out.close();
  out.line();
  out.line(`// Bytes of the one memory: every buffer, kernel cache and thread's scratch region.`);
  out.line(`const memoryPages = ${layout.pages};`);
  if (bytes) {
    out.line();
    out.line(`// ${wasm!.names.size} kernels as WebAssembly SIMD (${precision === "f32" ? "f32x4" : "f64x2"} lanes), from the same kernels as the JS loops.`);
    out.open(`const wasmKernels = {`);
    if (opts.wasmFile) out.line(`file: new URL(${json(`./${opts.wasmFile}`)}, import.meta.url), // wasm2wat or wasm-objdump -d prints it`);
    else out.line(`code: ${json(Buffer.from(bytes).toString("base64"))},`);
    out.line(`memoryFlagAt: ${mod.memoryFlagAt},`);
    const math = imports.map((m) => (m === "erf" ? "erf" : `${m}: Math.${m}`));
    out.line(`math: ${math.length > 0 ? `{ ${math.join(", ")} }` : "{}"},`);
    out.close(`};`);
    out.line(`const scratchAt = ${scratchAt};`);
    if (caches.length > 0) {
      out.line(`// Caches of values computed from params alone; equal keys hold equal values for the same param arrays.`);
      out.open(`const cacheSpecs = [`);
      for (const c of caches) out.line(`${json(c)},`);
      out.close(`];`);
    }
    if (parallel.length > 0) {
      const split = { kernels: parallel, max: MAX_WORKERS, scratchAt, scratch: scratchBytes, math: imports, erf: imports.includes("erf") ? jsHelpers["erf"] : null };
      out.line(`const wasmThreads = ${json(split)};`);
    }
  }
  if (opts.wasmFile) {
    out.line();
    out.line(`/** createModel, after fetching the kernels where they cannot be read synchronously (a browser). */`);
    out.open(`export async function createModelAsync(params, options) {`);
    if (bytes) out.line(`await loadKernelFile(wasmKernels);`);
    out.line(`return createModel(params, options);`);
    out.close();
  }
  if (opts.profile) {
    out.line(`let __t = 0;`);
    out.line(`const __prof = (label, t0) => { const p = (globalThis.__semicProfile ??= {}); p[label] = (p[label] ?? 0) + performance.now() - t0; };`);
  }
  out.line();
  for (const h of [...state.helpers].sort()) out.lines(jsHelpers[h]!.split("\n")).line();
  out.lines(jsModuleRuntime({ kernels: !!bytes, threads: parallel.length > 0, paths: pathSemirings.length > 0 }).split("\n"));
  const dts = renderDts(g, semirings, inputs, params, plan, !!opts.wasmFile);
  return { js: out.toString(), dts, ...(bytes && opts.wasmFile ? { wasm: { file: opts.wasmFile, bytes } } : {}) };
}

function renderDts(g: Graph, semirings: readonly Semiring[], inputs: readonly Node[], params: readonly Node[], plan: BackwardPlan, async: boolean): string {
  const key = (s: string) => json(s);
  const out = new CodeBuilder();
  out.line(`// Generated by semic from model "${g.name}". Do not edit.`);
  out.lines(dtsTypes().split("\n"));
  out.open(`export interface Inputs {`);
  for (const n of inputs) out.line(`/** ${n.type.dtype}[${n.type.shape.join(",")}] */ ${key(tensorName(n))}: ArrayLike<number>;`);
  out.close();
  out.open(`export interface Params {`);
  for (const n of params) out.line(`/** f32[${n.type.shape.join(",")}] */ ${key(tensorName(n))}: ArrayLike<number>;`);
  out.close();
  out.line(`export type SemiringName = ${semirings.map((s) => json(s.name)).join(" | ")};`);
  out.line(`export type WrtName = ${[...plan.wrt.keys()].map(json).join(" | ") || "never"};`);
  out.line(`export type BranchLabel = ${[...plan.branches.keys()].map(json).join(" | ") || "never"};`);
  out.open(`export interface Model {`);
  out.line(`/** Runs the forward pass; returns the scalar output. */`);
  out.line(`forward(inputs: Inputs): number;`);
  out.line(`/** Forward, then the backward pass of each chosen semiring (all by default); warnings: non-finite forward values. */`);
  out.line(`run(inputs: Inputs, options?: RunOptions<SemiringName, WrtName>): { output: number; results: Record<SemiringName, SemiringResult<WrtName, BranchLabel>>; warnings: string[] };`);
  out.line(`/** One semiring's backward pass on the values of the last forward (no readouts): several backwards can share one forward. */`);
  out.line(`backward(semiring: SemiringName): void;`);
  out.line(`/** Top paths of a selecting semiring from its last backward. */`);
  out.line(`topPath(semiring: SemiringName, options?: RunOptions<SemiringName, WrtName>["topPath"]): { value: number; steps: PathStep[] }[];`);
  out.close();
  out.line(`export declare const meta: { name: string; inputs: { name: string; shape: number[]; dtype: "f32" | "i32" }[]; params: { name: string; shape: number[] }[]; semirings: { name: SemiringName; lanes: string[]; reads: string; paths: boolean }[]; wrt: { name: WrtName; shape: number[] }[]; branches: { label: BranchLabel; shape: number[] }[] };`);
  out.line(`export declare function createModel(params: Params, options?: ModelOptions): Model;`);
  if (async) {
    out.line(`/** createModel, after fetching the WebAssembly kernels beside the module where they cannot be read synchronously (a browser). */`);
    out.line(`export declare function createModelAsync(params: Params, options?: ModelOptions): Promise<Model>;`);
  }
  return out.toString();
}

/** The result types every generated module declares (the WGSL module's .d.ts shares them). */
export const dtsTypes = (): string => declarationSource("module/types.ts");
