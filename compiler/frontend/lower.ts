// DSL source → values and GraphBuilder calls, by partial evaluation. Like TypeGPU's
// `Transpilers`, statements and expressions are handled by tables keyed by SyntaxKind; a kind
// with no handler is a located E_UNSUPPORTED_SYNTAX error, with a reason where one helps.
// Compile-time data is folded, helpers are inlined (evaluator.ts), and calls that the type
// checker resolves to runtime/dsl.ts become graph nodes (dslOps.ts).

import { Node, SyntaxKind, VariableDeclarationKind, type KindToNodeMappings } from "ts-morph";
import * as S from "../../ir/scalar.ts";
import { binaryOp, show, toSx, truthyData } from "./builtins.ts";
import { callDsl } from "./dslOps.ts";
import { boundNames, Evaluator, propertyKey, type Completion, type Table } from "./evaluator.ts";
import { dslNameOf, type DslProject } from "./project.ts";
import { describe, FnVal, ObjVal, OpaqueVal, Scope, SxVal, TensorVal, type Value } from "./values.ts";

/** An evaluator for the DSL files of a project. */
export const createEvaluator = (dp: DslProject): Evaluator =>
  new Evaluator(dp, { statements, expressions, unsupported: unsupportedWhy });

// ---------------------------------------------------------------- unsupported syntax

const loopWhy = "loop bounds must be known at compile time: use for (let i = 0; i < n; i++) or for-of over a constant array";
const reasons: Partial<Record<SyntaxKind, string>> = {
  [SyntaxKind.WhileStatement]: `while loops are not supported: ${loopWhy}`,
  [SyntaxKind.DoStatement]: `do-while loops are not supported: ${loopWhy}`,
  [SyntaxKind.ForInStatement]: "for-in loops are not supported: use for-of over a constant array",
  [SyntaxKind.SwitchStatement]: "switch statements are not supported: use if/else on compile-time values",
  [SyntaxKind.TryStatement]: "try/catch is not supported: models are evaluated at compile time",
  [SyntaxKind.ThrowStatement]: "throw is not supported in DSL code",
  [SyntaxKind.ClassDeclaration]: "classes are not supported in DSL files: use functions",
  [SyntaxKind.ClassExpression]: "classes are not supported in DSL files: use functions",
  [SyntaxKind.EnumDeclaration]: "enums are not supported: use const objects",
  [SyntaxKind.ModuleDeclaration]: "namespaces are not supported in DSL files",
  [SyntaxKind.LabeledStatement]: "labeled statements are not supported",
  [SyntaxKind.NewExpression]: "`new` is not supported: models are evaluated at compile time",
  [SyntaxKind.AwaitExpression]: "await is not supported: models are evaluated at compile time",
  [SyntaxKind.YieldExpression]: "generators are not supported",
  [SyntaxKind.ThisKeyword]: "`this` is not supported in DSL code",
  [SyntaxKind.TypeOfExpression]: "typeof is not supported: types are fixed at compile time",
  [SyntaxKind.DeleteExpression]: "delete is not supported",
  [SyntaxKind.RegularExpressionLiteral]: "regular expressions are not supported",
  [SyntaxKind.TaggedTemplateExpression]: "tagged templates are not supported",
  [SyntaxKind.BigIntLiteral]: "bigint literals are not supported",
};

function unsupportedWhy(node: Node, what: string): string {
  return reasons[node.getKind()] ?? `${node.getKindName()} is not supported in DSL code (an unsupported ${what})`;
}

// ---------------------------------------------------------------- statements

function loopBody(ev: Evaluator, body: Node, scope: Scope): Completion | "break" {
  const c = ev.exec(body, new Scope(scope));
  if (c?.kind === "break") return "break";
  return c?.kind === "return" ? c : undefined;
}

const comparisons = new Set([
  SyntaxKind.LessThanToken, SyntaxKind.LessThanEqualsToken, SyntaxKind.GreaterThanToken, SyntaxKind.GreaterThanEqualsToken,
  SyntaxKind.EqualsEqualsEqualsToken, SyntaxKind.ExclamationEqualsEqualsToken, SyntaxKind.EqualsEqualsToken, SyntaxKind.ExclamationEqualsToken,
]);

/** A for-loop condition; a bound that is not compile-time data is named in the error. */
function loopCondition(ev: Evaluator, cond: Node, scope: Scope): boolean {
  if (!Node.isBinaryExpression(cond) || !comparisons.has(cond.getOperatorToken().getKind()))
    return truthyData(ev.expr(cond, scope), cond, ev.fail, "a for-loop condition");
  const sides = [cond.getLeft(), cond.getRight()] as const;
  const [l, r] = sides.map((side) => {
    const v = ev.expr(side, scope);
    if (v instanceof TensorVal || v instanceof SxVal)
      ev.fail(side, `a for-loop bound must be known at compile time, but \`${side.getText()}\` is ${describe(v)}`);
    return v;
  });
  return truthyData(binaryOp(cond.getOperatorToken().getKind(), l, r, cond, ev.fail), cond, ev.fail, "a for-loop condition");
}

const statements: Table<Completion> = {
  [SyntaxKind.Block]: (ev, n, scope) => ev.block(n.getStatements(), new Scope(scope)),
  [SyntaxKind.EmptyStatement]: () => undefined,
  [SyntaxKind.FunctionDeclaration]: () => undefined, // hoisted by block()
  [SyntaxKind.InterfaceDeclaration]: () => undefined,
  [SyntaxKind.TypeAliasDeclaration]: () => undefined,
  [SyntaxKind.ExpressionStatement]: (ev, n, scope) => void ev.expr(n.getExpression(), scope),
  [SyntaxKind.ReturnStatement]: (ev, n, scope) => {
    const e = n.getExpression();
    return { kind: "return", value: e ? ev.expr(e, scope) : undefined };
  },
  [SyntaxKind.BreakStatement]: (ev, n) => (n.getLabel() ? ev.fail(n, "labeled break is not supported") : { kind: "break" }),
  [SyntaxKind.ContinueStatement]: (ev, n) => (n.getLabel() ? ev.fail(n, "labeled continue is not supported") : { kind: "continue" }),
  [SyntaxKind.VariableStatement]: (ev, n, scope) => {
    const kind = n.getDeclarationKind();
    if (kind !== VariableDeclarationKind.Const && kind !== VariableDeclarationKind.Let) return ev.fail(n, `\`${kind}\` declarations are not supported: use const or let`);
    for (const d of n.getDeclarations()) {
      const init = d.getInitializer();
      if (n.hasDeclareKeyword() || (!init && kind === VariableDeclarationKind.Const)) {
        for (const name of boundNames(d.getNameNode())) scope.define(name, new OpaqueVal("is declared without a compile-time value"), false);
        continue;
      }
      ev.bind(d.getNameNode(), init ? ev.expr(init, scope) : undefined, scope, kind === VariableDeclarationKind.Let);
    }
    return undefined;
  },
  [SyntaxKind.IfStatement]: (ev, n, scope) => {
    const cond = truthyData(ev.expr(n.getExpression(), scope), n.getExpression(), ev.fail, "an if condition");
    const branch = cond ? n.getThenStatement() : n.getElseStatement();
    return branch ? ev.exec(branch, new Scope(scope)) : undefined;
  },
  [SyntaxKind.ForStatement]: (ev, n, scope) => {
    // Each iteration gets fresh copies of the loop variables (JS let semantics), so closures
    // created in the body see that iteration's values.
    let iter = new Scope(scope);
    const init = n.getInitializer();
    if (init && Node.isVariableDeclarationList(init)) {
      const kind = init.getDeclarationKind();
      if (kind !== VariableDeclarationKind.Let && kind !== VariableDeclarationKind.Const) return ev.fail(init, `\`${kind}\` declarations are not supported: use let`);
      for (const d of init.getDeclarations()) {
        const v = d.getInitializer();
        ev.bind(d.getNameNode(), v ? ev.expr(v, iter) : undefined, iter, kind === VariableDeclarationKind.Let);
      }
    } else if (init) ev.expr(init, iter);
    const cond = n.getCondition(), inc = n.getIncrementor();
    for (;;) {
      ev.step(n);
      if (cond && !loopCondition(ev, cond, iter)) return undefined;
      const c = loopBody(ev, n.getStatement(), iter);
      if (c === "break") return undefined;
      if (c) return c;
      const next = new Scope(scope);
      for (const [k, b] of iter.vars) next.vars.set(k, { value: b.value, mutable: b.mutable });
      iter = next;
      if (inc) ev.expr(inc, iter);
    }
  },
  [SyntaxKind.ForOfStatement]: (ev, n, scope) => {
    if (n.isAwaited()) return ev.fail(n, "for await is not supported");
    const items = ev.expr(n.getExpression(), scope);
    if (!Array.isArray(items)) return ev.fail(n.getExpression(), `for-of needs a compile-time array, got ${describe(items)}`, "E_TYPE");
    const init = n.getInitializer();
    for (const item of [...items]) {
      ev.step(n);
      const iter = new Scope(scope);
      if (Node.isVariableDeclarationList(init)) {
        for (const d of init.getDeclarations()) ev.bind(d.getNameNode(), item, iter, init.getDeclarationKind() === VariableDeclarationKind.Let);
      } else ev.assign(init, item, iter);
      const c = loopBody(ev, n.getStatement(), iter);
      if (c === "break") return undefined;
      if (c) return c;
    }
    return undefined;
  },
};

// ---------------------------------------------------------------- expressions

function args(ev: Evaluator, nodes: readonly Node[], scope: Scope): Value[] {
  const out: Value[] = [];
  for (const a of nodes) {
    if (Node.isSpreadElement(a)) {
      const v = ev.expr(a.getExpression(), scope);
      if (!Array.isArray(v)) return ev.fail(a, `can only spread arrays, got ${describe(v)}`, "E_TYPE");
      out.push(...v);
    } else if (Node.isOmittedExpression(a)) {
      return ev.fail(a, "array holes are not supported");
    } else out.push(ev.expr(a, scope));
  }
  return out;
}

function fnValue(ev: Evaluator, n: KindToNodeMappings[SyntaxKind.ArrowFunction | SyntaxKind.FunctionExpression | SyntaxKind.MethodDeclaration], name: string, scope: Scope): FnVal {
  if (n.isAsync() || (!Node.isArrowFunction(n) && n.isGenerator())) ev.fail(n, "async and generator functions are not supported in DSL files");
  const body = n.getBody();
  if (!body) return ev.fail(n, "a function without a body cannot be evaluated");
  return new FnVal(name, n.getParameters(), body, scope);
}

/** x++ / --x and friends on a let binding or element. */
function update(ev: Evaluator, target: Node, delta: number, prefix: boolean, scope: Scope): Value {
  const old = ev.expr(target, scope);
  if (typeof old !== "number") return ev.fail(target, `++ and -- need a number, got ${describe(old)}`, "E_TYPE");
  ev.assign(target, old + delta, scope);
  return prefix ? old + delta : old;
}

const compound: Partial<Record<SyntaxKind, SyntaxKind>> = {
  [SyntaxKind.PlusEqualsToken]: SyntaxKind.PlusToken,
  [SyntaxKind.MinusEqualsToken]: SyntaxKind.MinusToken,
  [SyntaxKind.AsteriskEqualsToken]: SyntaxKind.AsteriskToken,
  [SyntaxKind.SlashEqualsToken]: SyntaxKind.SlashToken,
  [SyntaxKind.PercentEqualsToken]: SyntaxKind.PercentToken,
  [SyntaxKind.AsteriskAsteriskEqualsToken]: SyntaxKind.AsteriskAsteriskToken,
};

/** cond ? a : b with a lane-valued condition: a select per lane. */
function selectValues(ev: Evaluator, c: S.Sx, a: Value, b: Value, at: Node): Value {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return ev.fail(at, `the branches of ?: have different lengths (${a.length} and ${b.length})`, "E_TYPE");
    return a.map((x, i) => selectValues(ev, c, x, b[i], at));
  }
  return new SxVal(S.select(c, toSx(a, at, ev.fail), toSx(b, at, ev.fail)));
}

const transparent = (ev: Evaluator, n: { getExpression(): Node }, scope: Scope): Value => ev.expr(n.getExpression(), scope);

const expressions: Table<Value> = {
  // Not getLiteralValue(): ts-morph parses "1e-12" with parseInt. The compiler's text is normalised
  // (hex, separators) and Number() reads it exactly.
  [SyntaxKind.NumericLiteral]: (_ev, n) => Number(n.compilerNode.text),
  [SyntaxKind.StringLiteral]: (_ev, n) => n.getLiteralValue(),
  [SyntaxKind.NoSubstitutionTemplateLiteral]: (_ev, n) => n.getLiteralValue(),
  [SyntaxKind.TrueKeyword]: () => true,
  [SyntaxKind.FalseKeyword]: () => false,
  [SyntaxKind.NullKeyword]: () => undefined,
  [SyntaxKind.Identifier]: (ev, n, scope) => ev.lookup(n.getText(), n, scope),
  [SyntaxKind.ParenthesizedExpression]: transparent,
  [SyntaxKind.AsExpression]: transparent,
  [SyntaxKind.SatisfiesExpression]: transparent,
  [SyntaxKind.NonNullExpression]: transparent,
  [SyntaxKind.TypeAssertionExpression]: transparent,
  [SyntaxKind.TemplateExpression]: (ev, n, scope) =>
    n.getTemplateSpans().reduce(
      (s, span) => s + show(ev.expr(span.getExpression(), scope), span, ev.fail) + span.getLiteral().getLiteralText(),
      n.getHead().getLiteralText(),
    ),
  [SyntaxKind.ArrayLiteralExpression]: (ev, n, scope) => args(ev, n.getElements(), scope),
  [SyntaxKind.ObjectLiteralExpression]: (ev, n, scope) => {
    const props = new Map<string, Value>();
    for (const p of n.getProperties()) {
      if (Node.isPropertyAssignment(p)) props.set(propertyKey(ev, p.getNameNode(), scope), ev.expr(p.getInitializerOrThrow(), scope));
      else if (Node.isShorthandPropertyAssignment(p)) props.set(p.getName(), ev.lookup(p.getName(), p, scope));
      else if (Node.isMethodDeclaration(p)) {
        const key = propertyKey(ev, p.getNameNode(), scope);
        props.set(key, fnValue(ev, p, key, scope));
      } else if (Node.isSpreadAssignment(p)) {
        const v = ev.expr(p.getExpression(), scope);
        if (!(v instanceof ObjVal)) return ev.fail(p, `can only spread objects here, got ${describe(v)}`, "E_TYPE");
        for (const [k, x] of v.props) props.set(k, x);
      } else return ev.fail(p, "getters and setters are not supported in DSL code");
    }
    return new ObjVal(props);
  },
  [SyntaxKind.PropertyAccessExpression]: (ev, n, scope) => {
    const obj = ev.expr(n.getExpression(), scope);
    if (obj === undefined && n.hasQuestionDotToken()) return undefined;
    return ev.member(obj, n.getName(), n);
  },
  [SyntaxKind.ElementAccessExpression]: (ev, n, scope) => {
    const obj = ev.expr(n.getExpression(), scope);
    if (obj === undefined && n.hasQuestionDotToken()) return undefined;
    const key = ev.expr(n.getArgumentExpressionOrThrow(), scope);
    if (Array.isArray(obj) && typeof key === "number") {
      if (!Number.isInteger(key) || key < 0 || key >= obj.length)
        return ev.fail(n, `index ${key} is out of range for an array of length ${obj.length}`, "E_TYPE");
      return obj[key];
    }
    if (typeof key === "string" || typeof key === "number") return ev.member(obj, String(key), n);
    return ev.fail(n, `cannot index ${describe(obj)} with ${describe(key)}`, "E_TYPE");
  },
  [SyntaxKind.CallExpression]: (ev, n, scope) => {
    const callee = n.getExpression();
    if (n.getQuestionDotTokenNode()) return ev.fail(n, "optional calls are not supported");
    const dsl = dslNameOf(callee);
    if (dsl !== undefined) return callDsl(ev, dsl, args(ev, n.getArguments(), scope), n);
    if (Node.isIdentifier(callee) && !ev.isBound(callee.getText(), scope))
      return ev.fail(callee, `call to unknown function \`${callee.getText()}\`: only DSL ops (from "semic/dsl") and helper functions defined in DSL files can be called`);
    const fn = ev.expr(callee, scope);
    return ev.call(fn, args(ev, n.getArguments(), scope), n);
  },
  [SyntaxKind.ArrowFunction]: (ev, n, scope) => fnValue(ev, n, "(arrow)", scope),
  [SyntaxKind.FunctionExpression]: (ev, n, scope) => fnValue(ev, n, n.getName() ?? "(function)", scope),
  [SyntaxKind.ConditionalExpression]: (ev, n, scope) => {
    const c = ev.expr(n.getCondition(), scope);
    if (c instanceof SxVal) return selectValues(ev, c.x, ev.expr(n.getWhenTrue(), scope), ev.expr(n.getWhenFalse(), scope), n);
    return ev.expr(truthyData(c, n.getCondition(), ev.fail, "a ?: condition") ? n.getWhenTrue() : n.getWhenFalse(), scope);
  },
  [SyntaxKind.PrefixUnaryExpression]: (ev, n, scope) => {
    const op = n.getOperatorToken();
    if (op === SyntaxKind.PlusPlusToken || op === SyntaxKind.MinusMinusToken)
      return update(ev, n.getOperand(), op === SyntaxKind.PlusPlusToken ? 1 : -1, true, scope);
    const x = ev.expr(n.getOperand(), scope);
    if (op === SyntaxKind.ExclamationToken) return x instanceof SxVal ? new SxVal(S.not(x.x)) : !truthyData(x, n, ev.fail, "the operand of !");
    if (x instanceof SxVal && op === SyntaxKind.MinusToken) return new SxVal(S.neg(x.x));
    if (x instanceof SxVal && op === SyntaxKind.PlusToken) return x;
    if (x instanceof TensorVal && op === SyntaxKind.MinusToken) return ev.fail(n, "unary `-` cannot be applied to tensors: use the DSL op neg(x)");
    if (typeof x !== "number") return ev.fail(n, `unary operator needs a number, got ${describe(x)}`, "E_TYPE");
    if (op === SyntaxKind.MinusToken) return -x;
    if (op === SyntaxKind.PlusToken) return x;
    return ~x;
  },
  [SyntaxKind.PostfixUnaryExpression]: (ev, n, scope) =>
    update(ev, n.getOperand(), n.getOperatorToken() === SyntaxKind.PlusPlusToken ? 1 : -1, false, scope),
  [SyntaxKind.BinaryExpression]: (ev, n, scope) => {
    const op = n.getOperatorToken().getKind();
    const left = n.getLeft(), right = n.getRight();
    if (op === SyntaxKind.EqualsToken) {
      const v = ev.expr(right, scope);
      ev.assign(left, v, scope);
      return v;
    }
    const base = compound[op];
    if (base !== undefined) {
      const v = binaryOp(base, ev.expr(left, scope), ev.expr(right, scope), n, ev.fail);
      ev.assign(left, v, scope);
      return v;
    }
    if (op === SyntaxKind.CommaToken) return ev.expr(left, scope), ev.expr(right, scope);
    const l = ev.expr(left, scope);
    if (op === SyntaxKind.QuestionQuestionToken) return l === undefined ? ev.expr(right, scope) : l;
    if (op === SyntaxKind.AmpersandAmpersandToken || op === SyntaxKind.BarBarToken) {
      const and = op === SyntaxKind.AmpersandAmpersandToken;
      if (l instanceof SxVal) {
        const r = toSx(ev.expr(right, scope), right, ev.fail);
        return new SxVal(and ? S.and(l.x, r) : S.or(l.x, r));
      }
      return truthyData(l, left, ev.fail, `the operand of ${and ? "&&" : "||"}`) === and ? ev.expr(right, scope) : l;
    }
    if (op === SyntaxKind.InstanceOfKeyword || op === SyntaxKind.InKeyword)
      return ev.fail(n, `\`${n.getOperatorToken().getText()}\` is not supported in DSL code`);
    return binaryOp(op, l, ev.expr(right, scope), n, ev.fail);
  },
};
