// Host driver of semic's generated WGSL modules: buffers, pipelines, dispatch and readback on a
// GPUDevice the caller owns. Self-contained (no imports but runtime/module files, no node: APIs)
// because generated modules embed it as text (compiler/backends/embed.ts strips the types),
// so one file runs in Node (Dawn) and in a browser page alike. Argument checks, result assembly and
// the top-path walk over read-back adjoints are the JS module's (runtime/module/*.ts).

import { checkRunOptions, checkTensors, type OptionSpace, type TensorSpec } from "./module/args.ts";
import { firstNonFinite, scanForward, type NonFinite, type ScanCache, type ValueInfo } from "./module/finite.ts";
import type { OutEdge, PathGraph, topPaths } from "./module/paths.ts";
import { semiringResult, type AnyResult, type AnyRunOptions, type SemiringLanes } from "./module/results.ts";

// Numeric flags, so the driver needs no GPUBufferUsage/GPUMapMode globals (Dawn's Node bindings
// only provide them when a caller installs them).
const USAGE_MAP_READ = 0x0001;
const USAGE_COPY_SRC = 0x0004;
const USAGE_COPY_DST = 0x0008;
const USAGE_STORAGE = 0x0080;
const MAP_READ = 0x0001;

export interface WgslBufferSpec {
  readonly name: string;
  /** Elements (4 bytes each). */
  readonly size: number;
  readonly dtype: "f32" | "i32";
}

/** Sets `size` elements from `offset` to the f32 with these bits. */
export interface WgslFill { readonly k: "fill"; readonly buffer: string; readonly offset: number; readonly size: number; readonly bits: number }
export interface WgslDispatch { readonly k: "dispatch"; readonly entry: string; readonly bindings: readonly (readonly [number, string])[]; readonly grid: readonly [number, number] }
export type WgslStep = WgslFill | WgslDispatch;

export interface WgslPass {
  /** Key of its WGSL source. */
  readonly module: string;
  readonly steps: readonly WgslStep[];
}

export interface WgslSemiringSpec {
  readonly buffers: readonly WgslBufferSpec[];
  readonly pass: WgslPass;
  /** Per live node, where each lane lives: [buffer, element offset]. */
  readonly lanes: Readonly<Record<string, readonly (readonly [string, number])[]>>;
}

/** The graph facts a run needs: a path walk's graph without its out-edges (computed per run, on the host). */
export type WgslGraphInfo = Omit<PathGraph, "outEdges">;

export interface WgslModelSpec {
  readonly name: string;
  readonly buffers: readonly WgslBufferSpec[];
  readonly inputs: readonly { readonly name: string; readonly buffer: string; readonly size: number; readonly dtype: "f32" | "i32" }[];
  readonly params: readonly { readonly name: string; readonly buffer: string; readonly size: number }[];
  readonly constants: readonly { readonly buffer: string; readonly values: readonly number[] }[];
  /** Buffer holding the scalar output. */
  readonly output: string;
  readonly forward: WgslPass;
  readonly semirings: Readonly<Record<string, WgslSemiringSpec>>;
  readonly graph: WgslGraphInfo;
  /** What the argument checks and the non-finite scan need (runtime/module/*.ts). */
  readonly checks: {
    readonly inputs: readonly TensorSpec[];
    readonly params: readonly TensorSpec[];
    readonly values: readonly ValueInfo[];
    /** The buffer of each of `values` (null: it shares its operand's buffer). */
    readonly valueBuffers: readonly (string | null)[];
    /** A non-finite forward value is an error unless run() says otherwise. */
    readonly strict: boolean;
  };
}

/** What the generated module supplies: lane functions, edge enumerators, and the path walk. */
export interface WgslHost {
  readonly semirings: Readonly<Record<string, SemiringLanes>>;
  /** The out-edges of every live node over read-back forward values (runtime/module/paths.ts). */
  outEdges(values: Record<string, Float32Array | Int32Array>): Readonly<Record<number, readonly OutEdge[]>>;
  /** Null where no semiring of the module selects paths. */
  readonly walk: typeof topPaths | null;
}

export interface WgslModel {
  /** Runs the forward pass; resolves to the scalar output. */
  forward(inputs: Record<string, ArrayLike<number>>): Promise<number>;
  /** Forward, then the backward pass of each chosen semiring (all by default). */
  run(inputs: Record<string, ArrayLike<number>>, options?: AnyRunOptions): Promise<{ output: number; results: Record<string, AnyResult>; warnings: string[] }>;
  /** Frees the model's GPU buffers (the device stays the caller's). */
  destroy(): void;
}

// One shader fills every range (seeds, 0̄, reduction identities); zero fills use clearBuffer.
const FILL_WGSL = `struct Fill { offset: u32, count: u32, bits: u32 }
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@group(0) @binding(1) var<uniform> fill: Fill;
@compute @workgroup_size(64)
fn fill_range(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * n.x + wid.x) * 64u + lid;
  if (i < fill.count) { data[fill.offset + i] = fill.bits; }
}`;
const MAX_GROUPS = 65535;
const USAGE_UNIFORM = 0x0040;

interface ReadRequest {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
  data?: ArrayBuffer;
}

// async although nothing is awaited yet: pipelines compile lazily, and callers get a Promise either way.
// eslint-disable-next-line @typescript-eslint/require-await
export async function createWgslModel(
  device: GPUDevice,
  spec: WgslModelSpec,
  shaders: Readonly<Record<string, string>>,
  host: WgslHost,
  params: Record<string, ArrayLike<number>>,
): Promise<WgslModel> {
  const gpuBuffers = new Map<string, GPUBuffer>();
  const allocate = (scope: string, b: WgslBufferSpec) => {
    const bytes = Math.max(4, b.size * 4);
    if (bytes > device.limits.maxStorageBufferBindingSize)
      throw new Error(`${spec.name}: buffer ${b.name} needs ${bytes} bytes, over this device's maxStorageBufferBindingSize (${device.limits.maxStorageBufferBindingSize})`);
    gpuBuffers.set(scope + b.name, device.createBuffer({ label: b.name, size: bytes, usage: USAGE_STORAGE | USAGE_COPY_SRC | USAGE_COPY_DST }));
  };
  for (const b of spec.buffers) allocate("", b);
  for (const [name, sr] of Object.entries(spec.semirings)) for (const b of sr.buffers) allocate(`${name}:`, b);
  const bufferOf = (scope: string, name: string): GPUBuffer => {
    const b = gpuBuffers.get(scope + name) ?? gpuBuffers.get(name);
    if (!b) throw new Error(`${spec.name}: no buffer ${name}`);
    return b;
  };
  const given = checkTensors("createModel()", "parameter", params, spec.checks.params);
  // Params and constants are scanned for non-finite values here, once, as the f32 the GPU holds.
  const scanCache: ScanCache = [];
  const fixed = (buffer: string, data: Float32Array<ArrayBuffer>) => {
    const i = spec.checks.valueBuffers.indexOf(buffer);
    const at = firstNonFinite(data);
    if (i >= 0) scanCache[i] = { at, value: at >= 0 ? data[at]! : 0 };
    device.queue.writeBuffer(bufferOf("", buffer), 0, data);
  };
  for (const p of spec.params) fixed(p.buffer, Float32Array.from(given[p.name]!));
  for (const c of spec.constants) fixed(c.buffer, Float32Array.from(c.values));

  let fillPipeline: Promise<GPUComputePipeline> | undefined;
  const uniforms: GPUBuffer[] = [];
  // Pipelines and bind groups per pass, built on first use.
  type Encoded = (enc: GPUCommandEncoder) => void;
  const passes = new Map<string, Promise<Encoded>>();
  const prepare = (scope: string, pass: WgslPass): Promise<Encoded> => {
    let p = passes.get(scope);
    if (!p) passes.set(scope, (p = buildPass(scope, pass)));
    return p;
  };
  async function buildPass(scope: string, pass: WgslPass): Promise<Encoded> {
    const module = device.createShaderModule({ label: `${spec.name}.${pass.module}`, code: shaders[pass.module]! });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === "error");
    if (errors.length > 0) throw new Error(`${spec.name}.${pass.module}.wgsl: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join("; ")}`);
    const dispatches = pass.steps.filter((s): s is WgslDispatch => s.k === "dispatch");
    const fills = pass.steps.filter((s): s is WgslFill => s.k === "fill" && s.bits !== 0);
    fillPipeline ??= device.createComputePipelineAsync({
      label: "fill_range", layout: "auto", compute: { module: device.createShaderModule({ label: "fill", code: FILL_WGSL }), entryPoint: "fill_range" },
    });
    const [fillP, ...pipelines] = await Promise.all([
      fillPipeline,
      ...dispatches.map((s) => device.createComputePipelineAsync({ label: s.entry, layout: "auto", compute: { module, entryPoint: s.entry } })),
    ]);
    const groups = dispatches.map((s, i) =>
      device.createBindGroup({
        layout: pipelines[i]!.getBindGroupLayout(0),
        entries: s.bindings.map(([binding, name]) => ({ binding, resource: { buffer: bufferOf(scope, name) } })),
      }),
    );
    const fillGroups = fills.map((s) => {
      const u = device.createBuffer({ size: 16, usage: USAGE_UNIFORM | USAGE_COPY_DST });
      uniforms.push(u);
      device.queue.writeBuffer(u, 0, new Uint32Array([s.offset, s.size, s.bits, 0]));
      return device.createBindGroup({
        layout: fillP.getBindGroupLayout(0),
        entries: [{ binding: 0, resource: { buffer: bufferOf(scope, s.buffer) } }, { binding: 1, resource: { buffer: u } }],
      });
    });
    return (enc) => {
      let cp: GPUComputePassEncoder | undefined;
      let [d, f] = [0, 0];
      for (const s of pass.steps) {
        if (s.k === "fill" && s.bits === 0) {
          cp?.end();
          cp = undefined;
          enc.clearBuffer(bufferOf(scope, s.buffer), s.offset * 4, s.size * 4);
          continue;
        }
        cp ??= enc.beginComputePass();
        if (s.k === "fill") {
          const groupsNeeded = Math.ceil(s.size / 64);
          const x = Math.min(groupsNeeded, MAX_GROUPS);
          cp.setPipeline(fillP);
          cp.setBindGroup(0, fillGroups[f++]!);
          cp.dispatchWorkgroups(x, Math.ceil(groupsNeeded / x));
          continue;
        }
        cp.setPipeline(pipelines[d]!);
        cp.setBindGroup(0, groups[d]!);
        cp.dispatchWorkgroups(s.grid[0], s.grid[1]);
        d++;
      }
      cp?.end();
    };
  }

  /** Uploads inputs that checkTensors has passed. */
  const upload = (given: Record<string, ArrayLike<number>>) => {
    for (const i of spec.inputs) {
      const data = given[i.name]!;
      device.queue.writeBuffer(bufferOf("", i.buffer), 0, i.dtype === "i32" ? Int32Array.from(data) : Float32Array.from(data));
    }
  };

  /** Copies every request into one staging buffer, submits, and maps it. */
  async function submitAndRead(enc: GPUCommandEncoder, reads: ReadRequest[]): Promise<void> {
    let total = 0;
    const at = reads.map((r) => {
      const o = total;
      total += r.size * 4;
      return o;
    });
    const staging = device.createBuffer({ size: Math.max(4, total), usage: USAGE_MAP_READ | USAGE_COPY_DST });
    reads.forEach((r, i) => enc.copyBufferToBuffer(r.buffer, r.offset * 4, staging, at[i]!, r.size * 4));
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(MAP_READ);
    const all = staging.getMappedRange();
    reads.forEach((r, i) => (r.data = all.slice(at[i], at[i]! + r.size * 4)));
    staging.unmap();
    staging.destroy();
  }

  const forwardPass = () => prepare("", spec.forward);
  const outputRead = (): ReadRequest => ({ buffer: bufferOf("", spec.output), offset: 0, size: 1 });
  const sizeOfShape = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

  const space: OptionSpace = {
    semirings: Object.keys(spec.semirings),
    wrt: Object.fromEntries(Object.entries(spec.graph.wrt).map(([n, id]) => [n, spec.graph.shapes[id]!])),
    branches: Object.fromEntries(Object.entries(spec.graph.branches).map(([n, id]) => [n, spec.graph.shapes[id]!])),
  };
  // The non-finite scan reads every forward value back (one copy, one pass on the host).
  const valueReads = (): Map<string, ReadRequest> =>
    new Map(spec.checks.valueBuffers.filter((b, i): b is string => b !== null && !spec.checks.values[i]!.fixed).map((b) => [b, { buffer: bufferOf("", b), offset: 0, size: spec.buffers.find((x) => x.name === b)!.size }]));
  const scan = (reads: Map<string, ReadRequest>): NonFinite | null =>
    scanForward(
      spec.checks.valueBuffers.map((b) => {
        const r = b === null ? undefined : reads.get(b);
        return r ? new Float32Array(r.data!) : null;
      }),
      spec.checks.values,
      scanCache,
    );

  return {
    async forward(inputs) {
      const given = checkTensors("forward()", "input", inputs, spec.checks.inputs);
      const fwd = await forwardPass();
      upload(given);
      const enc = device.createCommandEncoder();
      fwd(enc);
      const out = outputRead();
      const values = spec.checks.strict ? valueReads() : new Map<string, ReadRequest>();
      await submitAndRead(enc, [out, ...values.values()]);
      const nf = spec.checks.strict ? scan(values) : null;
      if (nf) throw new Error(`forward(): ${nf.message}`);
      return new Float32Array(out.data!)[0]!;
    },

    async run(inputs, options = {}) {
      // Checked before the first run compiles any pipeline.
      checkRunOptions("run()", options, space);
      const given = checkTensors("run()", "input", inputs, spec.checks.inputs);
      const g = spec.graph;
      const names = options.semirings ?? Object.keys(spec.semirings);
      const wrtNames = options.wrt ?? Object.keys(g.wrt);
      const fwd = await forwardPass();
      const bwds = await Promise.all(names.map((n) => prepare(`${n}:`, spec.semirings[n]!.pass)));
      upload(given);
      const enc = device.createCommandEncoder();
      fwd(enc);
      bwds.forEach((b) => b(enc));

      // What to read back: requested tensors, every forward value (for the non-finite scan), and
      // for path walks every adjoint and auxiliary value.
      const out = outputRead();
      const reads: ReadRequest[] = [out];
      const laneReads = new Map<string, Map<number, ReadRequest[]>>();
      const values = valueReads();
      let walkValues = false;
      for (const name of names) {
        const sr = spec.semirings[name]!;
        const walks = !!host.semirings[name]!.paths && options.topPath !== false && Object.keys(g.wrt).length > 0;
        const ids = walks
          ? Object.keys(sr.lanes).map(Number)
          : [...wrtNames.map((w) => g.wrt[w]!), ...Object.values(g.branches), ...Object.keys(options.aggregate ?? {}).map((w) => g.wrt[w] ?? g.branches[w]!)];
        const byNode = new Map<number, ReadRequest[]>();
        for (const id of ids) {
          if (byNode.has(id)) continue;
          const size = sizeOfShape(g.shapes[id]!);
          const rs = sr.lanes[id]!.map(([buffer, offset]) => ({ buffer: bufferOf(`${name}:`, buffer), offset, size }));
          byNode.set(id, rs);
          reads.push(...rs);
        }
        laneReads.set(name, byNode);
        walkValues ||= walks;
      }
      if (walkValues) for (const b of spec.buffers) if (!values.has(b.name)) values.set(b.name, { buffer: bufferOf("", b.name), offset: 0, size: b.size });
      reads.push(...values.values());
      await submitAndRead(enc, reads);
      const nf = scan(values);
      const warnings: string[] = [];
      if (nf) {
        if (options.strict ?? spec.checks.strict) throw new Error(`run(): ${nf.message}`);
        warnings.push(nf.message);
      }

      const vals: Record<string, Float32Array | Int32Array> = {};
      for (const b of spec.buffers) {
        const r = values.get(b.name);
        if (r) vals[b.name] = b.dtype === "i32" ? new Int32Array(r.data!) : new Float32Array(r.data!);
      }
      const walk = host.walk;
      const walkOf = walk && ((b: Parameters<typeof walk>[1], start: Parameters<typeof walk>[2]) => walk({ ...g, outEdges: host.outEdges(vals) }, b, start));
      const results: Record<string, AnyResult> = {};
      for (const name of names) {
        const adjoints: Record<number, Float32Array[]> = {};
        for (const [id, rs] of laneReads.get(name)!) adjoints[id] = rs.map((r) => new Float32Array(r.data!));
        results[name] = semiringResult(g, { ...host.semirings[name]!, adjoints }, options, nf, walkOf);
      }
      return { output: new Float32Array(out.data!)[0]!, results, warnings };
    },

    destroy() {
      for (const b of [...gpuBuffers.values(), ...uniforms]) b.destroy();
      gpuBuffers.clear();
    },
  };
}
