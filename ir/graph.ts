// The tensor-level graph: SSA nodes in topological order (a node's inputs precede it).

import { opRules, type OpName } from "./ops/index.ts";
import type { Attrs } from "./ops/rule.ts";
import { ShapeError, showType, type TensorType } from "./types.ts";
import { attrProblems } from "./attrs.ts";

export interface SourceLoc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface Node {
  readonly id: number;
  readonly op: OpName;
  readonly inputs: readonly number[];
  readonly attrs: Attrs;
  readonly type: TensorType;
  readonly loc?: SourceLoc;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly Node[];
  readonly output: number;
}

export const showLoc = (loc: SourceLoc | undefined): string => (loc ? `${loc.file}:${loc.line}:${loc.col}: ` : "");

/** A model error with a stable code and, when known, a source location. */
export class SemicError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly loc?: SourceLoc,
  ) {
    super(`${showLoc(loc)}${message}`);
    this.name = "SemicError";
  }
}

export function isOpName(op: string): op is OpName {
  return Object.prototype.hasOwnProperty.call(opRules, op);
}

/** Builds a graph node by node, inferring and checking types as it goes. */
export class GraphBuilder {
  readonly #nodes: Node[] = [];
  /** Inputs, params, name() and branch() labels share one namespace (--wrt, feeds, results). */
  readonly #named = new Map<string, Node>();
  constructor(readonly name: string) {}

  get nodes(): readonly Node[] {
    return this.#nodes;
  }

  add(op: OpName, inputs: readonly number[], attrs: Attrs = {}, loc?: SourceLoc): number {
    const rule = opRules[op];
    const types = inputs.map((i) => {
      const n = this.#nodes[i];
      if (!n) throw new SemicError("E_SSA", `${op}: input %${i} is not defined before use`, loc);
      return n.type;
    });
    const arity = rule.arity;
    const ok = typeof arity === "number" ? inputs.length === arity : inputs.length >= arity.min;
    if (!ok) {
      const want = typeof arity === "number" ? `${arity}` : `at least ${arity.min}`;
      throw new SemicError("E_ARITY", `${op} takes ${want} operand(s), got ${inputs.length}`, loc);
    }
    const problems = attrProblems(op, attrs);
    if (problems.length > 0) throw new SemicError("E_ATTR", problems.map((p) => p.message).join("; "), loc);
    let type: TensorType;
    try {
      type = rule.infer(types, attrs);
    } catch (e) {
      if (e instanceof ShapeError) {
        const shapes = types.map(showType).join(", ");
        throw new SemicError("E_SHAPE", `${op}(${shapes}): ${e.message}`, loc);
      }
      throw e;
    }
    const id = this.#nodes.length;
    const node: Node = { id, op, inputs: [...inputs], attrs, type, ...(loc ? { loc } : {}) };
    const label = rule.role !== undefined && rule.role !== "constant" ? leafName(node) : undefined;
    if (label !== undefined) {
      const first = this.#named.get(label);
      if (first) {
        const where = first.loc ? ` at ${first.loc.file}:${first.loc.line}:${first.loc.col}` : "";
        // One name, one tensor: feeds, --wrt and results are keyed by name. Tying is reusing the
        // first tensor, not declaring it again.
        const tie =
          first.op === op && (rule.role === "param" || rule.role === "input")
            ? `; to use the same ${op} twice, reuse the tensor the first ${op}() returned`
            : "";
        throw new SemicError(
          "E_NAME",
          `${op} "${label}": the name is already used by the ${first.op}${where} (inputs, params, name() and branch() labels must be unique${tie})`,
          loc,
        );
      }
      this.#named.set(label, node);
    }
    this.#nodes.push(node);
    return id;
  }

  build(output: number): Graph {
    const out = this.#nodes[output];
    if (!out) throw new SemicError("E_SSA", `output %${output} is not defined`);
    if (out.type.shape.length !== 0)
      throw new SemicError("E_OUTPUT", `the model output must be a scalar (pick or reduce first), got ${showType(out.type)}`, out.loc);
    return { name: this.name, nodes: [...this.#nodes], output };
  }
}

/** For each node, the (consumer node, operand slot) pairs that read it, in program order. */
export function consumersOf(g: Graph): { node: number; slot: number }[][] {
  const out: { node: number; slot: number }[][] = g.nodes.map(() => []);
  for (const n of g.nodes) n.inputs.forEach((x, slot) => out[x]!.push({ node: n.id, slot }));
  return out;
}

export const leafName = (n: Node): string | undefined => {
  const name = n.attrs["name"] ?? n.attrs["label"];
  return typeof name === "string" ? name : undefined;
};

/** Named tensors a user can ask adjoints for: inputs, params, name() and branch() nodes. */
export function namedNodes(g: Graph): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const n of g.nodes) {
    const nm = leafName(n);
    if (nm !== undefined && !out.has(nm)) out.set(nm, n);
  }
  return out;
}

/** The rule context of a node. */
export function ruleCtx(g: Graph, n: Node) {
  return { xs: n.inputs.map((i) => g.nodes[i]!.type), y: n.type, attrs: n.attrs };
}
