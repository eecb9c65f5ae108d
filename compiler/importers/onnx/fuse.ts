// --fuse: exporters spell LayerNorm, softmax and GELU as chains of elementary ops (torch.onnx with
// opset < 17 for LayerNorm, always for GELU). These rules recognise the chains on the ONNX graph
// and replace each by one node (LayerNormalization, Softmax, Gelu) that lowers to semic's
// primitive: the same function and gradient, with the primitive's per-row edges as the paths.

import type { Fusion } from "../options.ts";
import type { OnnxModel, OnnxNode } from "./proto.ts";

/** A recognised chain: the nodes it replaces (the last one produces `output`) and the fused node. */
interface Match {
  readonly nodes: readonly OnnxNode[];
  readonly fused: OnnxNode;
}

/** Lookups over the ONNX graph the rules share. */
class Chains {
  readonly #producer = new Map<string, OnnxNode>();
  readonly #consumers = new Map<string, OnnxNode[]>();
  constructor(readonly model: OnnxModel, nodes: readonly OnnxNode[]) {
    for (const n of nodes) {
      for (const o of n.outputs) this.#producer.set(o, n);
      for (const i of new Set(n.inputs)) this.#consumers.set(i, [...(this.#consumers.get(i) ?? []), n]);
    }
    for (const o of model.outputs) this.#consumers.set(o.name, [...(this.#consumers.get(o.name) ?? []), { name: "", opType: "", domain: "", inputs: [], outputs: [], attrs: new Map() }]);
  }

  /** The node producing `value` if it is a `type` node. */
  made(value: string | undefined, type: string): OnnxNode | undefined {
    const n = value === undefined ? undefined : this.#producer.get(value);
    return n && n.opType === type && n.domain === "" ? n : undefined;
  }

  /** The single consumer of `value`, if it is a `type` node. */
  only(value: string | undefined, type: string): OnnxNode | undefined {
    const cs = value === undefined ? [] : (this.#consumers.get(value) ?? []);
    return cs.length === 1 && cs[0]!.opType === type && cs[0]!.domain === "" ? cs[0] : undefined;
  }

  uses(value: string): number {
    return this.#consumers.get(value)?.length ?? 0;
  }

  /** A one-element known value (Constant node or initializer). */
  number(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const init = this.model.initializers.get(value);
    if (init) return init.data.length === 1 ? init.data[0] : undefined;
    const c = this.made(value, "Constant");
    const v = c?.attrs.get("value") ?? c?.attrs.get("value_float");
    if (typeof v === "number") return v;
    if (v && typeof v === "object" && "data" in v && v.data.length === 1) return v.data[0];
    return undefined;
  }

  /** For a two-input node, the operand other than `value` (either order). */
  other(n: OnnxNode, value: string): string | undefined {
    if (n.inputs.length !== 2) return undefined;
    if (n.inputs[0] === value) return n.inputs[1];
    if (n.inputs[1] === value) return n.inputs[0];
    return undefined;
  }

  /** For a two-input node with a number on one side: [the other operand, the number]. */
  withNumber(n: OnnxNode | undefined): [string, number] | undefined {
    if (!n || n.inputs.length !== 2) return undefined;
    for (const k of [1, 0]) {
      const c = this.number(n.inputs[k]);
      if (c !== undefined) return [n.inputs[1 - k]!, c];
    }
    return undefined;
  }

  /** The reduced axes of a Reduce* node (attribute or known input), with keepdims set. */
  axes(n: OnnxNode | undefined): number[] | undefined {
    if (!n || n.attrs.get("keepdims") === 0) return undefined;
    const a = n.attrs.get("axes");
    if (Array.isArray(a)) return a as number[];
    const t = n.inputs[1] ? (this.model.initializers.get(n.inputs[1]) ?? this.made(n.inputs[1], "Constant")?.attrs.get("value")) : undefined;
    return t && typeof t === "object" && "data" in t ? [...t.data] : undefined;
  }
}

const near = (a: number | undefined, b: number, tol = 1e-5) => a !== undefined && Math.abs(a - b) <= tol * Math.abs(b);
const sameAxes = (a: number[] | undefined, b: number[] | undefined) => a !== undefined && a.length === 1 && b?.length === 1 && a[0] === b[0];

/** The name of a fused node: the chain's common scope (e.g. "/h.0/ln_1/") and the op. */
function fusedName(nodes: readonly OnnxNode[], op: string): string {
  let prefix = nodes[0]!.name;
  for (const n of nodes) while (!n.name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  prefix = prefix.slice(0, prefix.lastIndexOf("/") + 1);
  return `${prefix || `${nodes[nodes.length - 1]!.name}/`}${op}`;
}

function fused(nodes: readonly OnnxNode[], opType: string, inputs: string[], output: string, attrs: [string, number | string][]): Match {
  return { nodes, fused: { name: fusedName(nodes, opType), opType, domain: "", inputs, outputs: [output], attrs: new Map(attrs) } };
}

/** y = (x − mean x) / √(mean (x − mean x)² + ε) · γ + β, anchored at the Div. */
function layerNorm(c: Chains, div: OnnxNode): Match | undefined {
  if (div.opType !== "Div") return undefined;
  const [d, s] = div.inputs;
  const sub = c.made(d, "Sub"), sqrt = c.made(s, "Sqrt");
  const mean = c.made(sub?.inputs[1], "ReduceMean");
  if (!sub || !sqrt || !mean || mean.inputs[0] !== sub.inputs[0] || c.uses(d!) !== 2 || c.uses(mean.outputs[0]!) !== 1) return undefined;
  const x = sub.inputs[0]!;
  const addEps = c.made(sqrt.inputs[0], "Add");
  const epsOf = c.withNumber(addEps);
  const varMean = c.made(epsOf?.[0], "ReduceMean");
  const square = c.made(varMean?.inputs[0], "Pow") ?? c.made(varMean?.inputs[0], "Mul");
  if (!addEps || !epsOf || !varMean || !square || !sameAxes(c.axes(mean), c.axes(varMean))) return undefined;
  const squares = square.opType === "Pow" ? square.inputs[0] === d && c.number(square.inputs[1]) === 2 : square.inputs[0] === d && square.inputs[1] === d;
  if (!squares || [square, varMean, addEps, sqrt].some((n) => c.uses(n.outputs[0]!) !== 1)) return undefined;
  const mul = c.only(div.outputs[0], "Mul");
  const gamma = mul && c.other(mul, div.outputs[0]!);
  const add = mul && c.only(mul.outputs[0], "Add");
  const beta = add && c.other(add, mul.outputs[0]!);
  const known = (v: string | undefined) => v !== undefined && c.model.initializers.get(v)?.shape.length === 1;
  if (!mul || !add || !known(gamma) || !known(beta)) return undefined;
  const nodes = [mean, sub, square, varMean, addEps, sqrt, div, mul, add];
  return fused(nodes, "LayerNormalization", [x, gamma!, beta!], add.outputs[0]!, [["axis", c.axes(mean)![0]!], ["epsilon", epsOf[1]]]);
}

/**
 * The tail both GELU forms share, from `inner` (erf(x/√2) or tanh(…)): (inner + 1)·x·½, in either
 * of the orders exporters use (x·(1 + inner)·½ or (½x)·(1 + inner)).
 */
function geluTail(c: Chains, x: string, inner: OnnxNode): { nodes: OnnxNode[]; output: string } | undefined {
  const plus = c.only(inner.outputs[0], "Add");
  if (!plus || !near(c.number(c.other(plus, inner.outputs[0]!)), 1)) return undefined;
  const times = c.only(plus.outputs[0], "Mul");
  const by = times && c.other(times, plus.outputs[0]!);
  if (!times || !by) return undefined;
  if (by === x) {
    const half = c.only(times.outputs[0], "Mul");
    if (!half || !near(c.number(c.other(half, times.outputs[0]!)), 0.5)) return undefined;
    return { nodes: [plus, times, half], output: half.outputs[0]! };
  }
  const halfX = c.made(by, "Mul");
  const hx = c.withNumber(halfX);
  if (!halfX || !hx || hx[0] !== x || !near(hx[1], 0.5) || c.uses(by) !== 1) return undefined;
  return { nodes: [halfX, plus, times], output: times.outputs[0]! };
}

/** ½x(1 + erf(x/√2)), anchored at the Erf. */
function geluErf(c: Chains, erf: OnnxNode): Match | undefined {
  if (erf.opType !== "Erf") return undefined;
  const scale = c.made(erf.inputs[0], "Div") ?? c.made(erf.inputs[0], "Mul");
  const xs = c.withNumber(scale);
  if (!scale || !xs || scale.inputs[1] === xs[0] || c.uses(scale.outputs[0]!) !== 1) return undefined;
  if (!(scale.opType === "Div" ? near(xs[1], Math.SQRT2) : near(xs[1], Math.SQRT1_2))) return undefined;
  const tail = geluTail(c, xs[0], erf);
  return tail && fused([scale, erf, ...tail.nodes], "Gelu", [xs[0]], tail.output, [["approximate", "none"]]);
}

/** ½x(1 + tanh(√(2/π)(x + 0.044715x³))), anchored at the Tanh. */
function geluTanh(c: Chains, tanh: OnnxNode): Match | undefined {
  if (tanh.opType !== "Tanh") return undefined;
  const scale = c.made(tanh.inputs[0], "Mul");
  const ks = c.withNumber(scale);
  const sum = c.made(ks?.[0], "Add");
  if (!scale || !ks || !near(ks[1], Math.sqrt(2 / Math.PI)) || !sum) return undefined;
  const orders: [string, string][] = [[sum.inputs[0]!, sum.inputs[1]!], [sum.inputs[1]!, sum.inputs[0]!]];
  for (const [x, cubic] of orders) {
    const mulA = c.made(cubic, "Mul");
    const ac = c.withNumber(mulA);
    if (!mulA || !ac || !near(ac[1], 0.044715)) continue;
    const cube = c.made(ac[0], "Pow") ?? c.made(ac[0], "Mul");
    if (!cube) continue;
    let inner: OnnxNode[] = [cube];
    if (cube.opType === "Pow") {
      if (cube.inputs[0] !== x || c.number(cube.inputs[1]) !== 3) continue;
    } else {
      const sq = c.made(c.other(cube, x), "Mul");
      if (!sq || sq.inputs[0] !== x || sq.inputs[1] !== x || c.uses(sq.outputs[0]!) !== 1) continue;
      inner = [sq, cube];
    }
    const chain = [...inner, mulA, sum, scale];
    if (chain.some((n) => c.uses(n.outputs[0]!) !== 1)) continue;
    const tail = geluTail(c, x, tanh);
    if (tail) return fused([...chain, tanh, ...tail.nodes], "Gelu", [x], tail.output, [["approximate", "tanh"]]);
  }
  return undefined;
}

/** e^(x − max x) / Σ e^(x − max x) (or without the shift), anchored at the Div. */
function softmax(c: Chains, div: OnnxNode): Match | undefined {
  if (div.opType !== "Div") return undefined;
  const [e, s] = div.inputs;
  const exp = c.made(e, "Exp"), sum = c.made(s, "ReduceSum");
  const axes = c.axes(sum);
  if (!exp || !sum || sum.inputs[0] !== e || c.uses(e!) !== 2 || c.uses(s!) !== 1 || axes?.length !== 1) return undefined;
  const shift = c.made(exp.inputs[0], "Sub");
  const max = c.made(shift?.inputs[1], "ReduceMax");
  const shifted = shift && max && max.inputs[0] === shift.inputs[0] && sameAxes(c.axes(max), axes) && c.uses(shift.outputs[0]!) === 1 && c.uses(max.outputs[0]!) === 1;
  const nodes = shifted ? [max, shift, exp, sum, div] : [exp, sum, div];
  const x = shifted ? shift.inputs[0]! : exp.inputs[0]!;
  return fused(nodes, "Softmax", [x], div.outputs[0]!, [["axis", axes[0]!]]);
}

const rules: Record<Fusion, readonly ((c: Chains, n: OnnxNode) => Match | undefined)[]> = {
  layerNorm: [layerNorm],
  softmax: [softmax],
  gelu: [geluErf, geluTanh],
};

/** The model's nodes with the chosen chains replaced by fused nodes (in the place of each chain's last node). */
export function fuse(model: OnnxModel, which: readonly Fusion[]): readonly OnnxNode[] {
  if (which.length === 0) return model.nodes;
  const c = new Chains(model, model.nodes);
  const taken = new Set<OnnxNode>();
  const at = new Map<OnnxNode, OnnxNode>();
  for (const n of model.nodes) {
    for (const rule of which.flatMap((f) => rules[f])) {
      const m = rule(c, n);
      if (!m || m.nodes.some((x) => taken.has(x))) continue;
      m.nodes.forEach((x) => taken.add(x));
      const last = m.nodes.reduce((a, b) => (model.nodes.indexOf(a) > model.nodes.indexOf(b) ? a : b));
      at.set(last, m.fused);
      break;
    }
  }
  return model.nodes.flatMap((n) => (at.has(n) ? [at.get(n)!] : taken.has(n) ? [] : [n]));
}
