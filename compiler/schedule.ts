// Graph + backward plan + semiring → kernels over named buffers. Ops and semirings arrive here as
// rules and Sx; this file binds tensor roles ("x0", "y", "aux:…") to buffers and ⊕/⊗/lift to lanes.

import { ruleCtx, type Graph, type Node } from "../ir/graph.ts";
import { opRules } from "../ir/ops/index.ts";
import { isLeaf, refs, space, type Stage } from "../ir/ops/rule.ts";
import * as S from "../ir/scalar.ts";
import type { Sx } from "../ir/scalar.ts";
import { scaleBy, type ConsumerLevel, type Semiring } from "../ir/semirings/semiring.ts";
import { showType } from "../ir/types.ts";
import type { BackwardPlan, BackwardStep } from "./backward.ts";
import { accVar, type BufferInfo, type Step } from "./kernel.ts";

const isAlias = (n: Node) => {
  const role = opRules[n.op].role;
  return role === "name" || role === "branch";
};

/** The buffer holding a node's forward value (labelled identities share their operand's). */
export function valueBuffer(g: Graph, id: number): string {
  let n = g.nodes[id]!;
  while (isAlias(n)) n = g.nodes[n.inputs[0]!]!;
  return `v${n.id}`;
}
export const auxBuffer = (id: number, name: string) => `v${id}_${name}`;
export const adjointBuffer = (id: number, lane: string) => `a${id}_${lane}`;

/** Rewrites role loads of a node's rule into buffer loads. */
export function bindRoles(g: Graph, node: Node): (x: Sx) => Sx {
  const roles: Record<string, string> = { y: valueBuffer(g, node.id) };
  node.inputs.forEach((x, i) => (roles[`x${i}`] = valueBuffer(g, x)));
  return (x) =>
    S.rewrite(x, (n) => {
      if (n.k !== "load") return undefined;
      const buf = n.ref.startsWith("aux:") ? auxBuffer(node.id, n.ref.slice(4)) : roles[n.ref];
      if (!buf) throw new Error(`${node.op}: rule reads unknown role ${n.ref}`);
      return S.load(buf, n.index);
    });
}

const describe = (g: Graph, n: Node) =>
  `%${n.id} = ${n.op}${n.inputs.map((i) => ` %${i}`).join(",")} : ${showType(n.type)}`;

export function forwardBuffers(g: Graph): BufferInfo[] {
  const out: BufferInfo[] = [];
  for (const n of g.nodes) {
    if (isAlias(n)) continue;
    out.push({ name: valueBuffer(g, n.id), node: n.id, shape: n.type.shape, dtype: n.type.dtype, kind: "value" });
    const aux = opRules[n.op].aux?.(ruleCtx(g, n)) ?? {};
    for (const [k, t] of Object.entries(aux)) out.push({ name: auxBuffer(n.id, k), node: n.id, shape: t.shape, dtype: t.dtype, kind: "aux" });
  }
  return out;
}

function stageSteps(g: Graph, node: Node, stage: Stage, ordinal: number): Step[] {
  const bind = bindRoles(g, node);
  const target = stage.target === "y" ? valueBuffer(g, node.id) : auxBuffer(node.id, stage.target.slice(4));
  const name = `fwd_${node.id}_${ordinal}`;
  const index = stage.index.map(bind);
  const body = bind(stage.body);
  const red = stage.reduce;
  if (!red) return [{ k: "kernel", kernel: { name, comment: describe(g, node), vars: stage.vars, targets: [target], index, update: [body] } }];
  const acc = S.v(accVar(0));
  const steps: Step[] = [
    { k: "fill", buffer: target, value: red.op === "sum" ? 0 : -Infinity },
    {
      k: "kernel",
      kernel: { name, comment: describe(g, node), vars: stage.vars, targets: [target], index, update: [red.op === "sum" ? S.add(acc, body) : S.max(acc, body)] },
    },
  ];
  if (red.finalize) {
    const outVars = stage.vars.filter((iv) => index.some((i) => i.k === "var" && i.name === iv.name));
    const fin = bind(red.finalize(S.load(stage.target, stage.index)));
    steps.push({ k: "kernel", kernel: { name: `${name}_fin`, comment: "finalize", vars: outVars, targets: [target], index, update: [fin] } });
  }
  return steps;
}

/** Shapes of every forward buffer by name. */
export function bufferShapes(g: Graph): Map<string, readonly number[]> {
  return new Map(forwardBuffers(g).map((b) => [b.name, b.shape]));
}

export function forwardSteps(g: Graph): Step[] {
  const steps: Step[] = [];
  for (const node of g.nodes) {
    const rule = opRules[node.op];
    if (isLeaf(rule) || isAlias(node)) continue;
    rule.forward(ruleCtx(g, node)).forEach((st, i) => steps.push(...stageSteps(g, node, st, i)));
  }
  return steps;
}

export function adjointBuffers(plan: BackwardPlan, sr: Semiring): BufferInfo[] {
  return [...plan.live]
    .sort((a, b) => a - b)
    .flatMap((id) =>
      sr.lanes.map((lane) => ({ name: adjointBuffer(id, lane), node: id, shape: plan.graph.nodes[id]!.type.shape, dtype: "f32" as const, kind: "adjoint" as const })),
    );
}

export function backwardSteps(plan: BackwardPlan, sr: Semiring): Step[] {
  const g = plan.graph;
  const steps: Step[] = [];
  for (const id of [...plan.live].sort((a, b) => a - b)) {
    const seed = id === g.output ? sr.one : sr.zero;
    sr.lanes.forEach((lane, l) => steps.push({ k: "fill", buffer: adjointBuffer(id, lane), value: seed[l]! }));
  }
  if (sr.consumerLevel) return [...steps, ...consumerSteps(plan, sr, sr.consumerLevel)];
  const count = new Map<number, number>();
  for (const { node, source, edges } of plan.steps) {
    const bind = bindRoles(g, node);
    const ordinal = count.get(node.id) ?? 0;
    count.set(node.id, ordinal + 1);
    const out = edges.outIndex.map(bind);
    const g_ = sr.lanes.map((lane) => S.load(adjointBuffer(node.id, lane), out));
    const acc = sr.lanes.map((_, l) => S.v(accVar(l)));
    const update = sr.plus(acc, scaleBy(sr, bind(edges.weight), g_));
    steps.push({
      k: "kernel",
      kernel: {
        name: `bwd_${node.id}_${ordinal}`,
        comment: `${describe(g, node)} — edges from operand ${edges.input} (%${source.id})`,
        vars: edges.vars,
        ...(edges.guard ? { guard: bind(edges.guard) } : {}),
        targets: sr.lanes.map((lane) => adjointBuffer(source.id, lane)),
        index: edges.inIndex.map(bind),
        update,
      },
    });
  }
  return steps;
}

/**
 * Tensor-level scheduling: per (consumer, operand), each value lane of the consumer's adjoint is
 * summed through the op's edges (its sum-product rule) into the operand's sum lanes; one merge
 * kernel then forms the consumer's candidate and keeps it, with the consumer's id as pointer,
 * where it replaces the current value. An element the consumer has no edge to gets the rule's 0.
 */
function consumerSteps(plan: BackwardPlan, sr: Semiring, level: ConsumerLevel): Step[] {
  const g = plan.graph;
  const w = level.width;
  const lanesOf = (id: number, from: number) => sr.lanes.slice(from, from + w).map((lane) => adjointBuffer(id, lane));
  const steps: Step[] = [];
  const count = new Map<number, number>();
  // One group per (consumer, operand tensor): a tensor used in two operand slots of one op is one
  // consumer, its edges summed together. A node's steps are contiguous in the plan.
  const groups: BackwardStep[][] = [];
  const byKey = new Map<string, BackwardStep[]>();
  for (const st of plan.steps) {
    const key = `${st.node.id}:${st.source.id}`;
    const group = byKey.get(key);
    if (group) group.push(st);
    else {
      byKey.set(key, [st]);
      groups.push(byKey.get(key)!);
    }
  }
  for (const group of groups) {
    const { node, source } = group[0]!;
    const bind = bindRoles(g, node);
    const ordinal = count.get(node.id) ?? 0;
    count.set(node.id, ordinal + group.length);
    const sums = lanesOf(source.id, 2 * w);
    group.forEach(({ edges }, i) => {
      const out = edges.outIndex.map(bind);
      const weight = bind(edges.weight);
      steps.push({
        k: "kernel",
        kernel: {
          name: `bwd_${node.id}_${ordinal + i}`,
          comment: `${describe(g, node)} — sums through edges from operand ${edges.input} (%${source.id})`,
          vars: edges.vars,
          ...(edges.guard ? { guard: bind(edges.guard) } : {}),
          targets: sums,
          index: edges.inIndex.map(bind),
          update: lanesOf(node.id, 0).map((buf, l) => S.add(S.v(accVar(l)), S.mul(weight, S.load(buf, out)))),
        },
      });
    });
    const vars = space(source.type.shape);
    const acc = (from: number) => Array.from({ length: w }, (_, l) => S.v(accVar(from + l)));
    const [value, from, sum] = [acc(0), acc(w), acc(2 * w)];
    const candidate = level.fromSums(sum);
    const replaces = level.replaces(candidate, value);
    steps.push({
      k: "kernel",
      kernel: {
        name: `bwd_${node.id}_${ordinal}_merge`,
        comment: `%${source.id}: keep %${node.id}'s value where it replaces the current one`,
        vars,
        targets: [...lanesOf(source.id, 0), ...lanesOf(source.id, w), ...sums],
        index: refs(vars),
        update: [
          ...value.map((v, l) => S.select(replaces[l]!, candidate[l]!, v)),
          ...from.map((p, l) => S.select(replaces[l]!, S.c(node.id), p)),
          ...sum.map(() => S.c(0)),
        ],
      },
    });
  }
  return steps;
}
