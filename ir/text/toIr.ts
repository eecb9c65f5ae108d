// Text IR → Graph: tokenize → parse → visit the typed CST through GraphBuilder (which infers and
// checks types) → verifyGraph. Every error is a SemicError at file:line:col.

import type { ICstVisitor, IToken } from "chevrotain";
import { GraphBuilder, isOpName, SemicError, type Graph, type SourceLoc } from "../graph.ts";
import type { Attr, Attrs } from "../ops/rule.ts";
import { showType, type DType, type TensorType } from "../types.ts";
import { attrProblems } from "../attrs.ts";
import { verifyGraph } from "../verify.ts";
import {
  irParser,
  type AttrCstChildren,
  type AttrDictCstChildren,
  type AttrValueCstChildren,
  type GraphCstChildren,
  type GraphCstNode,
  type ICstNodeVisitor,
  type NumberListCstChildren,
  type OperandsCstChildren,
  type RetCstChildren,
  type StatementCstChildren,
  type TensorTypeCstChildren,
} from "./parser.ts";
import { irLexer } from "./tokens.ts";

/** One handler per grammar rule, each over its generated children type; return types are free. */
type RuleName = Exclude<keyof ICstNodeVisitor<never, unknown>, keyof ICstVisitor<never, unknown>>;
type RuleHandlers = { [R in RuleName]: (children: Parameters<ICstNodeVisitor<never, unknown>[R]>[0]) => unknown };

interface ParsedAttr {
  readonly key: string;
  readonly value: Attr;
  readonly keyTok: IToken;
  readonly valueTok: IToken;
}

const dtypes: readonly DType[] = ["f32", "i32"];

class ToIr implements RuleHandlers {
  readonly #values = new Map<string, { id: number; tok: IToken }>();
  #b = new GraphBuilder("");

  constructor(readonly file: string) {}

  loc(t: IToken): SourceLoc {
    return { file: this.file, line: t.startLine ?? 0, col: t.startColumn ?? 0 };
  }

  fail(code: string, t: IToken, message: string): never {
    throw new SemicError(code, message, this.loc(t));
  }

  graph(c: GraphCstChildren): Graph {
    const sym = c.SymbolRef[0]!;
    const raw = sym.image.slice(1);
    this.#b = new GraphBuilder(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    for (const s of c.statement ?? []) this.statement(s.children);
    const output = this.ret(c.ret[0]!.children);
    const g = this.#b.build(output);
    verifyGraph(g);
    return g;
  }

  statement(c: StatementCstChildren): void {
    const res = c.Value[0]!, opTok = c.Name[0]!;
    const prev = this.#values.get(res.image);
    if (prev) this.fail("E_SSA", res, `${res.image} is already defined (at line ${prev.tok.startLine})`);
    const op = opTok.image;
    if (!isOpName(op)) this.fail("E_UNKNOWN_OP", opTok, `unknown op "${op}"`);
    const inputs = c.operands ? this.operands(c.operands[0]!.children) : [];
    const parsed = c.attrDict ? this.attrDict(c.attrDict[0]!.children) : [];
    const attrs: Attrs = Object.fromEntries(parsed.map((a) => [a.key, a.value]));
    const problem = attrProblems(op, attrs)[0];
    if (problem) {
      const at = parsed.find((a) => a.key === problem.key);
      const tok = problem.what === "missing" || !at ? opTok : problem.what === "unknown" ? at.keyTok : at.valueTok;
      this.fail("E_ATTR", tok, problem.message);
    }
    let id: number;
    try {
      id = this.#b.add(op, inputs, attrs, this.loc(res));
    } catch (e) {
      if (e instanceof SemicError) throw e;
      this.fail("E_SHAPE", opTok, `${op}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const { type, tok } = this.tensorType(c.tensorType[0]!.children);
    const inferred = this.#b.nodes[id]!.type;
    if (showType(type) !== showType(inferred))
      this.fail("E_TYPE", tok, `${res.image} is annotated ${showType(type)} but ${op} gives ${showType(inferred)}`);
    this.#values.set(res.image, { id, tok: res });
  }

  value(t: IToken): number {
    const v = this.#values.get(t.image);
    if (!v) this.fail("E_SSA", t, `${t.image} is not defined before use`);
    return v.id;
  }

  operands(c: OperandsCstChildren): number[] {
    return c.Value.map((t) => this.value(t));
  }

  attrDict(c: AttrDictCstChildren): ParsedAttr[] {
    const out: ParsedAttr[] = [];
    for (const node of c.attr ?? []) {
      const a = this.attr(node.children);
      if (out.some((b) => b.key === a.key)) this.fail("E_ATTR", a.keyTok, `attribute "${a.key}" is given twice`);
      out.push(a);
    }
    return out;
  }

  attr(c: AttrCstChildren): ParsedAttr {
    const keyTok = c.Name[0]!;
    const { value, tok } = this.attrValue(c.attrValue[0]!.children);
    return { key: keyTok.image, value, keyTok, valueTok: tok };
  }

  attrValue(c: AttrValueCstChildren): { value: Attr; tok: IToken } {
    if (c.NumberLit) return { value: Number(c.NumberLit[0]!.image), tok: c.NumberLit[0]! };
    if (c.StringLit) return { value: JSON.parse(c.StringLit[0]!.image) as string, tok: c.StringLit[0]! };
    if (c.True) return { value: true, tok: c.True[0]! };
    if (c.False) return { value: false, tok: c.False[0]! };
    return this.numberList(c.numberList![0]!.children);
  }

  numberList(c: NumberListCstChildren): { value: number[]; tok: IToken } {
    return { value: (c.NumberLit ?? []).map((t) => Number(t.image)), tok: c.LSquare[0]! };
  }

  tensorType(c: TensorTypeCstChildren): { type: TensorType; tok: IToken } {
    const tok = c.Name[0]!;
    const dtype = dtypes.find((d) => d === tok.image);
    if (!dtype) this.fail("E_TYPE", tok, `unknown dtype "${tok.image}" (expected ${dtypes.join(" or ")})`);
    const { value: shape } = this.numberList(c.numberList[0]!.children);
    if (!shape.every((d) => Number.isInteger(d) && d >= 0))
      this.fail("E_TYPE", tok, `bad shape [${shape.join(",")}]: dimensions are non-negative integers`);
    return { type: { dtype, shape }, tok };
  }

  ret(c: RetCstChildren): number {
    const t = c.Value[0]!;
    const id = this.value(t);
    const type = this.#b.nodes[id]!.type;
    if (type.shape.length !== 0)
      this.fail("E_OUTPUT", t, `the model output must be a scalar (pick or reduce first), got ${showType(type)}`);
    return id;
  }
}

/** Where a token that may be EOF starts; EOF is placed just after the last real token. */
function tokenLoc(file: string, t: IToken, tokens: readonly IToken[]): SourceLoc {
  if (t.startLine !== undefined && !Number.isNaN(t.startLine)) return { file, line: t.startLine, col: t.startColumn ?? 0 };
  const last = tokens[tokens.length - 1];
  if (!last) return { file, line: 1, col: 1 };
  return { file, line: last.endLine ?? last.startLine ?? 1, col: (last.endColumn ?? last.startColumn ?? 0) + 1 };
}

/** Parses one `model @name { … }` into a verified Graph. */
export function parseGraph(text: string, file = "<ir>"): Graph {
  const lexed = irLexer.tokenize(text);
  const lexErr = lexed.errors[0];
  if (lexErr) {
    const ch = JSON.stringify(text.slice(lexErr.offset, lexErr.offset + Math.min(Math.max(1, lexErr.length), 16)));
    throw new SemicError("E_LEX", `unexpected character(s) ${ch}`, { file, line: lexErr.line ?? 1, col: lexErr.column ?? 1 });
  }
  irParser.input = lexed.tokens;
  const cst = irParser.graph() as GraphCstNode;
  const parseErr = irParser.errors[0];
  if (parseErr) throw new SemicError("E_PARSE", parseErr.message, tokenLoc(file, parseErr.token, lexed.tokens));
  return new ToIr(file).graph(cst.children);
}
