// The reference forward interpreter: the living definition of every op's forward rule.
// Float64, one Sx evaluation per element; used by tests as the oracle for generated code.

import { consumersOf, ruleCtx, SemicError, type Graph, type Node } from "./graph.ts";
import { opRules } from "./ops/index.ts";
import { isLeaf, type IndexVar, type Stage } from "./ops/rule.ts";
import * as S from "./scalar.ts";
import { ravel, showShape, sizeOf, type Shape } from "./types.ts";

export type Buffer = Float64Array | Float32Array | Int32Array;
export interface Feeds {
  readonly [name: string]: ArrayLike<number>;
}

export interface Trace {
  readonly graph: Graph;
  /** Forward value of every node. */
  readonly values: readonly Buffer[];
  /** Saved auxiliary tensors of every node, by name. */
  readonly aux: readonly Readonly<Record<string, Float64Array>>[];
}

/** Calls `fn` with every point of the index space, last var fastest. */
export function forEachPoint(vars: readonly IndexVar[], fn: (env: Record<string, number>) => void): void {
  const env: Record<string, number> = {};
  for (const iv of vars) env[iv.name] = 0;
  if (vars.some((iv) => iv.extent === 0)) return;
  for (;;) {
    fn(env);
    let a = vars.length - 1;
    for (; a >= 0; a--) {
      const iv = vars[a]!;
      if (++env[iv.name]! < iv.extent) break;
      env[iv.name] = 0;
    }
    if (a < 0) return;
  }
}

/** Binds a node's role names ("x0", "y", "aux:…") to buffers for Sx evaluation. */
export function roleLoader(g: Graph, node: Node, values: readonly Buffer[], aux: Readonly<Record<string, ArrayLike<number>>>) {
  const shapes: Record<string, Shape> = { y: node.type.shape };
  const bufs: Record<string, ArrayLike<number>> = { y: values[node.id]! };
  node.inputs.forEach((x, i) => {
    shapes[`x${i}`] = g.nodes[x]!.type.shape;
    bufs[`x${i}`] = values[x]!;
  });
  const auxTypes = opRules[node.op].aux?.(ruleCtx(g, node)) ?? {};
  for (const [k, t] of Object.entries(auxTypes)) {
    shapes[`aux:${k}`] = t.shape;
    bufs[`aux:${k}`] = aux[k]!;
  }
  return {
    shapes,
    bufs,
    load: (ref: string, index: readonly number[]): number => {
      const shape = shapes[ref];
      if (!shape) throw new Error(`${node.op}: unknown tensor role ${ref}`);
      index.forEach((ix, a) => {
        if (!(Number.isInteger(ix) && ix >= 0 && ix < shape[a]!)) throw new RangeError(`${node.op}: index ${ix} out of range for axis ${a} of ${ref}${showShape(shape)}`);
      });
      return bufs[ref]![ravel(index, shape)]!;
    },
  };
}

function runStage(stage: Stage, shapes: Record<string, Shape>, out: Float64Array, load: (ref: string, index: readonly number[]) => number): void {
  const targetShape = shapes[stage.target]!;
  const red = stage.reduce;
  if (red) out.fill(red.op === "sum" ? 0 : -Infinity);
  forEachPoint(stage.vars, (vars) => {
    const env = { vars, load };
    const at = ravel(stage.index.map((i) => S.evaluate(i, env)), targetShape);
    const val = S.evaluate(stage.body, env);
    if (!red) out[at] = val;
    else out[at] = red.op === "sum" ? out[at]! + val : Math.max(out[at]!, val);
  });
  if (red?.finalize) {
    const acc = S.v("acc");
    const fin = red.finalize(acc);
    const outVars = stage.index.map((i) => (i.k === "var" ? i.name : ""));
    forEachPoint(targetShape.map((extent, a) => ({ name: outVars[a]!, extent })), (vars) => {
      const at = ravel(outVars.map((n) => vars[n]!), targetShape);
      out[at] = S.evaluate(fin, { vars: { ...vars, acc: out[at]! }, load });
    });
  }
}

/** Runs the forward pass; `feeds` holds inputs and params by name. */
export function interpret(g: Graph, feeds: Feeds): Trace {
  const values: Buffer[] = [];
  const aux: Record<string, Float64Array>[] = [];
  for (const node of g.nodes) {
    const rule = opRules[node.op];
    const ctx = ruleCtx(g, node);
    const size = sizeOf(node.type.shape);
    aux[node.id] = {};
    if (isLeaf(rule)) {
      values[node.id] = leafValue(node, feeds, size);
      continue;
    }
    const y = new Float64Array(size);
    values[node.id] = y;
    const auxTypes = rule.aux?.(ctx) ?? {};
    for (const [k, t] of Object.entries(auxTypes)) aux[node.id]![k] = new Float64Array(sizeOf(t.shape));
    const roles = roleLoader(g, node, values, aux[node.id]!);
    for (const stage of rule.forward(ctx)) {
      const target = stage.target === "y" ? y : aux[node.id]![stage.target.slice(4)]!;
      runStage(stage, roles.shapes, target, roles.load);
    }
  }
  return { graph: g, values, aux };
}

function leafValue(node: Node, feeds: Feeds, size: number): Buffer {
  const fixed = node.attrs["values"];
  if (Array.isArray(fixed)) return Float64Array.from(fixed as readonly number[]);
  const name = node.attrs["name"] as string;
  const data = feeds[name];
  if (!data) throw new SemicError("E_FEED", `no value given for ${node.op} "${name}" ${showShape(node.type.shape)}`);
  if (data.length !== size)
    throw new SemicError("E_FEED", `${node.op} "${name}" expects ${size} values for shape ${showShape(node.type.shape)}, got ${data.length}`);
  return node.type.dtype === "i32" ? Int32Array.from(data) : Float64Array.from(data);
}

export { consumersOf };
