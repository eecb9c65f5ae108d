// The host-side part of every generated module, emitted verbatim: result assembly, aggregation,
// and the top-path walk (argument checks and the non-finite scan are runtime/module/*.ts). It
// calls semiring lane functions only outside the backward loops (readouts, aggregation, paths).

export const walkerSource = String.raw`// ---- run-time support (the same in every generated module)

// One memory for all buffers: shared (so kernels can run on worker threads) where
// SharedArrayBuffer exists, else plain.
function newMemory(pages) {
  if (typeof WebAssembly === "undefined") return { buffer: new ArrayBuffer(pages * 65536) };
  try {
    return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  } catch {
    return new WebAssembly.Memory({ initial: pages, maximum: pages });
  }
}

// The kernels' WebAssembly module, compiled on first use; null where WebAssembly SIMD is missing (or
// where synchronous compilation is refused), and the JS loops run instead.
const wasmModules = {};
function wasmKernels(memory) {
  if (wasmBytes === null || typeof WebAssembly === "undefined" || !(memory instanceof WebAssembly.Memory)) return null;
  const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
  const key = shared ? "shared" : "plain";
  try {
    if (wasmModules[key] === undefined) {
      const raw = atob(wasmBytes);
      const bytes = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
      if (!shared) bytes[wasmMemoryFlagAt] = 0x01;
      wasmModules[key] = new WebAssembly.Module(bytes);
    }
    if (wasmModules[key] === null) return null;
    return new WebAssembly.Instance(wasmModules[key], { env: { memory }, math: wasmMath }).exports;
  } catch {
    wasmModules[key] = null;
    return null;
  }
}

// Threads (Node's worker_threads): each worker instantiates the kernels on the shared memory and
// runs, on request, one kernel over a share [lo, hi) of its outermost loop (a loop whose points write
// disjoint elements). Requests go through a small shared Int32Array per worker: [seq, kernel, lo, hi,
// done, ready]. Workers spin briefly between requests, then sleep (Atomics.wait); they never keep
// the process alive. Elsewhere, or before the workers are ready, kernels run on the calling thread.
const workerSource = [
  "const { workerData } = require('node:worker_threads');",
  "const { module, memory, ctrl, base, names, math, scratch, erfSource } = workerData;",
  "const erf = erfSource ? new Function(erfSource + '; return erf;')() : null;",
  "const imports = {};",
  "for (const m of math) imports[m] = m === 'erf' ? erf : Math[m];",
  "const ex = new WebAssembly.Instance(module, { env: { memory }, math: imports }).exports;",
  "const fns = names.map((n) => ex[n]);",
  "Atomics.store(ctrl, base + 5, 1);",
  "let seen = 0;",
  "for (;;) {",
  "  let s = Atomics.load(ctrl, base);",
  "  for (let i = 0; s === seen && i < 100000; i++) s = Atomics.load(ctrl, base);",
  "  if (s === seen) { Atomics.wait(ctrl, base, seen, 50); continue; }",
  "  seen = s;",
  "  fns[ctrl[base + 1]](ctrl[base + 2], ctrl[base + 3], scratch);",
  "  Atomics.store(ctrl, base + 4, seen);",
  "  Atomics.notify(ctrl, base + 4);",
  "}",
].join("\n");

function threads(memory) {
  const alone = (id, fn, extent) => fn(0, extent, scratchAt);
  const proc = globalThis.process;
  const wt = proc?.getBuiltinModule?.("node:worker_threads");
  const os = proc?.getBuiltinModule?.("node:os");
  const module = wasmModules.shared;
  if (!wt || !os || !module || wasmParallel.length === 0 || !(memory.buffer instanceof SharedArrayBuffer)) return alone;
  const count = Math.min(wasmThreads.max, (os.availableParallelism?.() ?? os.cpus().length) - 1);
  if (count < 1) return alone;
  const ctrl = new Int32Array(new SharedArrayBuffer(count * 32));
  for (let w = 0; w < count; w++) {
    const workerData = { module, memory, ctrl, base: w * 8, names: wasmParallel, math: Object.keys(wasmMath), scratch: scratchAt + (w + 1) * wasmThreads.scratch, erfSource: wasmThreads.erf };
    new wt.Worker(workerSource, { eval: true, workerData }).unref();
  }
  let seq = 0, ready = false;
  return (id, fn, extent, step) => {
    ready ||= [...Array(count).keys()].every((w) => Atomics.load(ctrl, w * 8 + 5) === 1);
    const units = Math.ceil(extent / step);
    if (!ready || units < 2) return fn(0, extent, scratchAt);
    const parts = Math.min(count + 1, units);
    const per = Math.ceil(units / parts) * step;
    seq++;
    const busy = [];
    for (let w = 0; w < parts - 1; w++) {
      const lo = (w + 1) * per, hi = Math.min(extent, lo + per);
      if (lo >= hi) break;
      const b = w * 8;
      ctrl[b + 1] = id;
      ctrl[b + 2] = lo;
      ctrl[b + 3] = hi;
      Atomics.store(ctrl, b, seq);
      Atomics.notify(ctrl, b);
      busy.push(b);
    }
    fn(0, Math.min(per, extent), scratchAt);
    for (const b of busy)
      for (let i = 0; Atomics.load(ctrl, b + 4) !== seq; i++) if (i > 20000) Atomics.wait(ctrl, b + 4, Atomics.load(ctrl, b + 4), 1);
  };
}

const sizeOf = (shape) => shape.reduce((a, b) => a * b, 1);

function unravel(flat, shape) {
  const index = new Array(shape.length);
  for (let a = shape.length - 1; a >= 0; a--) {
    index[a] = flat % shape[a];
    flat = Math.floor(flat / shape[a]);
  }
  return index;
}

function ravel(index, shape) {
  let flat = 0;
  for (let a = 0; a < shape.length; a++) {
    const i = index[a] < 0 ? index[a] + shape[a] : index[a];
    if (!(i >= 0 && i < shape[a])) throw new Error("index [" + index + "] is out of range for shape [" + shape + "]");
    flat = flat * shape[a] + i;
  }
  return flat;
}

function readLanes(b, id) {
  return b.adjoints[id].map((lane) => lane.slice());
}

function readouts(b, lanes, n) {
  const first = b.readout(...lanes.map((l) => l[0]));
  const k = first.length;
  const value = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const r = b.readout(...lanes.map((l) => l[i]));
    for (let j = 0; j < k; j++) value[i * k + j] = r[j];
  }
  return { value, k };
}

function tensorResult(b, lanes, shape) {
  const { value, k } = readouts(b, lanes, sizeOf(shape));
  return {
    shape: k === 1 ? shape.slice() : [...shape, k],
    value,
    lanes: Object.fromEntries(b.lanes.map((name, l) => [name, lanes[l]])),
  };
}

// ⊕ over the given axes.
function aggregate(b, lanes, shape, axes) {
  const rank = shape.length;
  const norm = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))];
  for (const a of norm) if (!(a >= 0 && a < rank)) throw new Error("aggregation axis " + a + " is out of range for shape [" + shape + "]");
  const keep = shape.map((_, a) => !norm.includes(a));
  const outShape = shape.filter((_, a) => keep[a]);
  const n = sizeOf(outShape);
  const out = b.lanes.map((_, l) => new Float64Array(n).fill(b.zero[l]));
  const total = sizeOf(shape);
  for (let i = 0; i < total; i++) {
    const idx = unravel(i, shape).filter((_, a) => keep[a]);
    const o = ravel(idx, outShape);
    const sum = b.plus(...out.map((l) => l[o]), ...lanes.map((l) => l[i]));
    for (let l = 0; l < out.length; l++) out[l][o] = sum[l];
  }
  return { axes: norm.sort(), ...tensorResult(b, out, outShape) };
}

// From element p of node, follow at each step the out-edge and child lane whose extended path value
// ranks where this lane's value ranks among all candidates (consumers in program order, then
// element order, break ties): the back-pointer, recomputed only along the walked path.
function walkPath(m, b, node, p, lane) {
  const { sense, rank, sources, extend } = b.paths;
  const steps = [{ op: m.ops[node], tensor: m.names[node], index: unravel(p, m.shapes[node]), weight: 1 }];
  let value = b.adjoints[node][lane][p];
  while (node !== m.output) {
    const cands = [];
    for (const e of m.outEdges[node] ?? []) {
      const child = b.adjoints[e.node];
      if (!child) continue;
      e.edges(p, (q, w) => {
        for (const l of sources[lane][w >= 0 ? 0 : 1]) {
          const v = extend(w, child[l][q]);
          if (Number.isFinite(v)) cands.push({ e, q, w, l, v, order: cands.length });
        }
      });
    }
    if (cands.length === 0) break;
    const dir = sense[lane] === "max" ? -1 : 1;
    cands.sort((x, y) => (x.v === y.v ? x.order - y.order : x.v < y.v ? -dir : dir));
    const c = cands[Math.min(rank[lane], cands.length) - 1];
    steps.push({ op: c.e.op, tensor: c.e.tensor, index: unravel(c.q, c.e.shape), weight: c.w });
    node = c.e.node;
    p = c.q;
    lane = c.l;
  }
  return { value, steps };
}

function topPaths(m, b, result, options) {
  const from = options?.from ?? Object.keys(m.wrt)[0];
  const id = m.wrt[from] ?? m.branches[from];
  if (id === undefined) throw new Error("no tensor \"" + from + "\" to start a top path from");
  const shape = m.shapes[id];
  let p;
  if (options?.index) p = ravel(options.index, shape);
  else {
    // The element whose best path is best.
    const lanes = b.adjoints[id];
    const first = b.paths.sense[0] === "max" ? 1 : -1;
    p = 0;
    for (let i = 1; i < lanes[0].length; i++) if (first * (lanes[0][i] - lanes[0][p]) > 0) p = i;
  }
  const lead = b.paths.sense[0];
  const starts = b.lanes.map((_, l) => l).filter((l) => b.paths.sense[l] === lead).sort((x, y) => b.paths.rank[x] - b.paths.rank[y]);
  return starts
    .filter((l) => Number.isFinite(b.adjoints[id][l][p]))
    .map((l) => walkPath(m, b, id, p, l));
}

function makeRunner(m) {
  const states = {};
  const shapesOf = (ids) => Object.fromEntries(Object.entries(ids).map(([n, id]) => [n, m.shapes[id]]));
  const space = { semirings: Object.keys(m.backwards), wrt: shapesOf(m.wrt), branches: shapesOf(m.branches) };
  const stateOf = (name) => (states[name] ??= m.backwards[name]());
  const nodeOf = { ...m.branches, ...m.wrt };
  return {
    forward(inputs) {
      const output = m.forward(inputs, "forward()");
      const nf = strictByDefault ? scanForward(m.values, specs.values, m.scanCache, m.allFinite) : null;
      if (nf) throw new Error("forward(): " + nf.message);
      return output;
    },
    backward(name) {
      stateOf(checkSemiring("backward()", name, space)).run();
    },
    topPath(name, options) {
      const b = stateOf(checkSemiring("topPath()", name, space));
      checkTopPath("topPath()", options, space);
      return b.paths && Object.keys(m.wrt).length > 0 ? topPaths(m, b, null, options) : [];
    },
    run(inputs, options = {}) {
      checkRunOptions("run()", options, space);
      const output = m.forward(inputs, "run()");
      // One pass over the forward values; a non-finite one is a warning, or an error when strict.
      const nf = scanForward(m.values, specs.values, m.scanCache, m.allFinite);
      const warnings = [];
      if (nf) {
        if (options.strict ?? strictByDefault) throw new Error("run(): " + nf.message);
        warnings.push(nf.message);
      }
      const results = {};
      for (const name of options.semirings ?? Object.keys(m.backwards)) {
        const b = stateOf(name);
        b.run();
        const res = { wrt: {}, branches: {} };
        for (const w of options.wrt ?? Object.keys(m.wrt)) res.wrt[w] = tensorResult(b, readLanes(b, m.wrt[w]), m.shapes[m.wrt[w]]);
        for (const [label, id] of Object.entries(m.branches)) res.branches[label] = tensorResult(b, readLanes(b, id), m.shapes[id]);
        if (options.aggregate) {
          res.aggregated = {};
          for (const [w, axes] of Object.entries(options.aggregate)) res.aggregated[w] = aggregate(b, readLanes(b, nodeOf[w]), m.shapes[nodeOf[w]], axes);
        }
        if (b.paths && options.topPath !== false && Object.keys(m.wrt).length > 0) {
          const paths = topPaths(m, b, res, options.topPath);
          res.topPath = paths[0]?.steps ?? [];
          res.topPathValue = paths[0]?.value;
          if (paths.length > 1) res.topPaths = paths;
        }
        if (nf && b.weighted) spoilResult(res, nf, nodeOf, options.topPath ? options.topPath.from ?? Object.keys(m.wrt)[0] : Object.keys(m.wrt)[0]);
        results[name] = res;
      }
      return { output, results, warnings };
    },
  };
}
`;
