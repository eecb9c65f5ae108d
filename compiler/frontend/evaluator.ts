// The partial evaluator's core: scopes, calls (helpers are inlined), destructuring, member
// access, assignment, and modules (imports of other DSL files are evaluated once, lazily).
// The per-SyntaxKind handlers live in lower.ts and are passed in, so this file has no
// knowledge of individual statements or expressions.

import { Node, SyntaxKind, type KindToNodeMappings, type SourceFile } from "ts-morph";
import { SemicError, type GraphBuilder, type SourceLoc } from "../../ir/graph.ts";
import { arrayMember, makeMath, type Fail } from "./builtins.ts";
import type { EvalContext } from "./context.ts";
import { callDsl } from "./dslOps.ts";
import { isDslFile, locOf, type DslProject } from "./project.ts";
import { BuiltinVal, describe, DslFnVal, FnVal, ObjVal, OpaqueVal, Scope, TensorVal, type Value } from "./values.ts";

export type Completion = undefined | { readonly kind: "return"; readonly value: Value } | { readonly kind: "break" | "continue" };
export type Handler<K extends SyntaxKind, R> = (ev: Evaluator, node: KindToNodeMappings[K], scope: Scope) => R;
export type Table<R> = { [K in SyntaxKind]?: Handler<K, R> };

interface ModuleInstance {
  readonly scope: Scope;
  readonly exports: Map<string, () => Value>;
}

const MAX_DEPTH = 200;
/**
 * Loop iterations plus helper calls one evaluation may take, all loops and calls together (a
 * per-loop bound lets nested loops multiply). Real models take thousands; a trivial iteration
 * costs about 2 µs, so a runaway bound (1e9) is refused in well under a second.
 */
export const MAX_STEPS = 200_000;

/** The handler tables of lower.ts, and the message for a kind they lack. */
export interface Handlers {
  readonly statements: Table<Completion>;
  readonly expressions: Table<Value>;
  unsupported(node: Node, what: "statement" | "expression"): string;
}

export class Evaluator implements EvalContext {
  /** The graph being built; undefined outside model bodies (module top level, semiring functions). */
  builder: GraphBuilder | undefined;
  readonly #modules = new Map<SourceFile, ModuleInstance>();
  readonly #globals = new Scope();
  #depth = 0;
  #steps = 0;

  constructor(
    readonly dp: DslProject,
    readonly handlers: Handlers,
  ) {
    this.#globals.define("undefined", undefined, false);
    this.#globals.define("Infinity", Infinity, false);
    this.#globals.define("NaN", NaN, false);
    this.#globals.define("Math", makeMath(this.fail), false);
  }

  /** Counts one loop iteration or helper call against MAX_STEPS. */
  step(at: Node): void {
    if (++this.#steps > MAX_STEPS)
      this.fail(at, `the model takes more than ${MAX_STEPS} loop iterations and helper calls to evaluate at compile time (is a loop bound or a recursion too large?)`, "E_LIMIT");
  }

  loc(node: Node): SourceLoc {
    return locOf(this.dp, node);
  }

  readonly fail: Fail = (at, message, code = "E_UNSUPPORTED_SYNTAX") => {
    throw new SemicError(code, message, this.loc(at));
  };

  expr(node: Node, scope: Scope): Value {
    const h = this.handlers.expressions[node.getKind()] as Handler<SyntaxKind, Value> | undefined;
    if (!h) return this.fail(node, this.handlers.unsupported(node, "expression"));
    return h(this, node, scope);
  }

  exec(node: Node, scope: Scope): Completion {
    const h = this.handlers.statements[node.getKind()] as Handler<SyntaxKind, Completion> | undefined;
    if (!h) return this.fail(node, this.handlers.unsupported(node, "statement"));
    return h(this, node, scope);
  }

  /** Runs statements in `scope`, function declarations hoisted first. */
  block(stmts: readonly Node[], scope: Scope): Completion {
    for (const s of stmts) if (Node.isFunctionDeclaration(s)) this.#hoist(s, scope);
    for (const s of stmts) {
      const c = this.exec(s, scope);
      if (c) return c;
    }
    return undefined;
  }

  #hoist(fd: KindToNodeMappings[SyntaxKind.FunctionDeclaration], scope: Scope): void {
    const name = fd.getName();
    if (!name) return;
    const body = fd.getBody();
    if (body) {
      if (fd.isAsync() || fd.isGenerator()) this.fail(fd, "async and generator functions are not supported in DSL files");
      scope.define(name, new FnVal(name, fd.getParameters(), body, scope), false);
    } else if (!scope.vars.has(name)) {
      scope.define(name, new OpaqueVal("is declared without a body: only DSL ops and helper functions with bodies can be called"), false);
    }
  }

  lookup(name: string, at: Node, scope: Scope): Value {
    const b = scope.lookup(name) ?? this.#globals.lookup(name);
    if (!b) return this.fail(at, `\`${name}\` is not known at compile time: only constants, config values, DSL functions and helpers defined in DSL files can be used`);
    if (b.lazy) {
      const lazy = b.lazy;
      delete b.lazy;
      b.value = lazy();
    }
    if (b.value instanceof OpaqueVal) return this.fail(at, `\`${name}\` ${b.value.why}`);
    return b.value;
  }

  isBound(name: string, scope: Scope): boolean {
    return (scope.lookup(name) ?? this.#globals.lookup(name)) !== undefined;
  }

  call(fn: Value, args: readonly Value[], at: Node): Value {
    if (fn instanceof DslFnVal) return callDsl(this, fn.name, args, at);
    if (fn instanceof BuiltinVal) return fn.call(args, at);
    if (fn instanceof FnVal) return this.#callFn(fn, args, at);
    const what = Node.isCallExpression(at) ? `\`${at.getExpression().getText()}\`` : "this value";
    return this.fail(at, `${what} is not a function known at compile time (it is ${describe(fn)})`);
  }

  #callFn(fn: FnVal, args: readonly Value[], at: Node): Value {
    if (this.#depth >= MAX_DEPTH) return this.fail(at, `helper calls nest more than ${MAX_DEPTH} deep (unbounded recursion?)`);
    this.step(at);
    this.#depth++;
    try {
      const scope = new Scope(fn.closure);
      fn.params.forEach((p, i) => {
        let v: Value = p.isRestParameter() ? args.slice(i) : args[i];
        const init = p.getInitializer();
        if (v === undefined && init) v = this.expr(init, scope);
        this.bind(p.getNameNode(), v, scope, true);
      });
      if (Node.isBlock(fn.body)) {
        const c = this.block(fn.body.getStatements(), scope);
        return c?.kind === "return" ? c.value : undefined;
      }
      return this.expr(fn.body, scope);
    } finally {
      this.#depth--;
    }
  }

  /** Binds a name or destructuring pattern. */
  bind(name: Node, v: Value, scope: Scope, mutable: boolean): void {
    if (Node.isIdentifier(name)) return scope.define(name.getText(), v, mutable);
    if (Node.isObjectBindingPattern(name)) {
      const used: string[] = [];
      for (const el of name.getElements()) {
        if (el.getDotDotDotToken()) {
          if (!(v instanceof ObjVal)) return this.fail(el, `cannot destructure ${describe(v)} as an object`, "E_TYPE");
          const rest = new ObjVal(new Map([...v.props].filter(([k]) => !used.includes(k))));
          this.bind(el.getNameNode(), rest, scope, mutable);
          continue;
        }
        const key = propertyKey(this, el.getPropertyNameNode() ?? el.getNameNode(), scope);
        used.push(key);
        let x = this.member(v, key, el);
        const init = el.getInitializer();
        if (x === undefined && init) x = this.expr(init, scope);
        this.bind(el.getNameNode(), x, scope, mutable);
      }
      return;
    }
    if (Node.isArrayBindingPattern(name)) {
      if (!Array.isArray(v)) return this.fail(name, `cannot destructure ${describe(v)} as an array`, "E_TYPE");
      name.getElements().forEach((el, i) => {
        if (Node.isOmittedExpression(el)) return;
        let x: Value = el.getDotDotDotToken() ? v.slice(i) : v[i];
        const init = el.getInitializer();
        if (x === undefined && init) x = this.expr(init, scope);
        this.bind(el.getNameNode(), x, scope, mutable);
      });
      return;
    }
    this.fail(name, `${name.getKindName()} is not supported as a binding`);
  }

  /** `obj.key` on compile-time values. */
  member(obj: Value, key: string, at: Node): Value {
    if (obj instanceof ObjVal) return obj.props.get(key);
    if (Array.isArray(obj)) return arrayMember(obj, key, at, (f, a, n) => this.call(f, a, n), this.fail);
    if (typeof obj === "string" && key === "length") return obj.length;
    if (obj instanceof TensorVal && key === "shape") return [...obj.type.shape];
    if (obj instanceof TensorVal) return this.fail(at, `tensors have no \`.${key}\` at compile time (only .shape)`);
    return this.fail(at, `cannot read \`.${key}\` of ${describe(obj)}`, "E_TYPE");
  }

  assign(target: Node, v: Value, scope: Scope): void {
    if (Node.isIdentifier(target)) {
      const name = target.getText();
      const b = scope.lookup(name);
      if (!b) return this.fail(target, `assignment to \`${name}\`, which is not declared in DSL code`);
      if (!b.mutable) return this.fail(target, `\`${name}\` is a constant; declare it with let to reassign it`);
      b.value = v;
      return;
    }
    if (Node.isPropertyAccessExpression(target) || Node.isElementAccessExpression(target)) {
      const obj = this.expr(target.getExpression(), scope);
      const key = Node.isPropertyAccessExpression(target) ? target.getName() : this.expr(target.getArgumentExpressionOrThrow(), scope);
      if (obj instanceof ObjVal && (typeof key === "string" || typeof key === "number")) return void obj.props.set(String(key), v);
      if (Array.isArray(obj) && typeof key === "number" && Number.isInteger(key) && key >= 0 && key <= obj.length) return void (obj[key] = v);
      return this.fail(target, `cannot assign to this element of ${describe(obj)}`, "E_TYPE");
    }
    this.fail(target, "destructuring assignment is not supported: declare new const bindings instead");
  }

  // ------------------------------------------------------------ modules

  module(sf: SourceFile): ModuleInstance {
    const hit = this.#modules.get(sf);
    if (hit) return hit;
    const inst: ModuleInstance = { scope: new Scope(this.#globals), exports: new Map() };
    this.#modules.set(sf, inst);
    const { scope, exports } = inst;
    const exportLocal = (exported: string, local: string, at: Node) => exports.set(exported, () => this.lookup(local, at, scope));
    const stmts = sf.getStatements();
    for (const s of stmts) if (Node.isFunctionDeclaration(s)) this.#hoist(s, scope);
    for (const s of stmts) {
      if (Node.isImportDeclaration(s)) this.#import(s, scope);
      else if (Node.isExportAssignment(s)) {
        if (s.isExportEquals()) this.fail(s, "`export =` is not supported: use export default");
        const v = this.expr(s.getExpression(), scope);
        exports.set("default", () => v);
      } else if (Node.isExportDeclaration(s)) {
        if (s.isTypeOnly()) continue;
        const from = s.getModuleSpecifierSourceFile();
        if (s.hasModuleSpecifier() && (!from || isDslFile(from))) this.fail(s, "re-exports are supported from relative DSL files only");
        if (s.isNamespaceExport()) this.fail(s, "`export * from` is not supported: name the exports");
        for (const spec of s.getNamedExports()) {
          if (spec.isTypeOnly()) continue;
          const local = spec.getName(), exported = spec.getAliasNode()?.getText() ?? local;
          exports.set(exported, from ? () => this.exportOf(from, local, spec) : () => this.lookup(local, spec, scope));
        }
      } else if (Node.isFunctionDeclaration(s)) {
        const name = s.getName();
        if (s.isDefaultExport() && !name) this.fail(s, "an exported default function needs a name");
        if (name && s.isDefaultExport()) exportLocal("default", name, s);
        else if (name && s.isExported()) exportLocal(name, name, s);
      } else {
        const c = this.exec(s, scope);
        if (c) this.fail(s, "return, break and continue are not allowed at the top level");
        if (Node.isVariableStatement(s) && s.isExported())
          for (const d of s.getDeclarations()) for (const n of boundNames(d.getNameNode())) exportLocal(n, n, d);
      }
    }
    return inst;
  }

  /** A module's export, evaluated. */
  exportOf(sf: SourceFile, name: string, at: Node): Value {
    const get = this.module(sf).exports.get(name);
    if (!get) return this.fail(at, `${this.dp.display(sf)} has no export \`${name}\``);
    return get();
  }

  #import(decl: KindToNodeMappings[SyntaxKind.ImportDeclaration], scope: Scope): void {
    if (decl.isTypeOnly()) return;
    const spec = decl.getModuleSpecifierValue();
    const target = decl.getModuleSpecifierSourceFile();
    const lazy = (local: string, get: () => Value) => scope.vars.set(local, { value: undefined, mutable: false, lazy: get });
    const def = decl.getDefaultImport(), ns = decl.getNamespaceImport(), named = decl.getNamedImports();
    if (isDslFile(target)) {
      if (def) scope.define(def.getText(), new OpaqueVal("is a default import, but semic/dsl has no default export"), false);
      if (ns) scope.define(ns.getText(), new ObjVal(new Map([...target!.getExportedDeclarations().keys()].map((k) => [k, new DslFnVal(k)]))), false);
      for (const s of named) if (!s.isTypeOnly()) scope.define(s.getAliasNode()?.getText() ?? s.getName(), new DslFnVal(s.getName()), false);
      return;
    }
    if (!target || !spec.startsWith(".")) {
      const why = new OpaqueVal(`is imported from "${spec}", which is not a DSL file: only relative imports of DSL files and "semic/dsl" are supported`);
      for (const n of [def, ns, ...named.map((s) => s.getAliasNode() ?? s.getNameNode())]) if (n) scope.define(n.getText(), why, false);
      return;
    }
    if (def) lazy(def.getText(), () => this.exportOf(target, "default", def));
    if (ns) lazy(ns.getText(), () => new ObjVal(new Map([...this.module(target).exports].map(([k, get]) => [k, get()]))));
    for (const s of named) {
      if (s.isTypeOnly()) continue;
      lazy(s.getAliasNode()?.getText() ?? s.getName(), () => this.exportOf(target, s.getName(), s));
    }
  }
}

/** Names introduced by a binding name or pattern. */
export function boundNames(n: Node): string[] {
  if (Node.isIdentifier(n)) return [n.getText()];
  if (Node.isObjectBindingPattern(n) || Node.isArrayBindingPattern(n))
    return n.getElements().flatMap((e) => (Node.isBindingElement(e) ? boundNames(e.getNameNode()) : []));
  return [];
}

/** A property name: identifier, string or number literal, or computed key. */
export function propertyKey(ev: Evaluator, n: Node, scope: Scope): string {
  if (Node.isIdentifier(n) || Node.isPrivateIdentifier(n)) return n.getText();
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) return n.getLiteralValue();
  if (Node.isNumericLiteral(n)) return String(Number(n.compilerNode.text));
  if (Node.isComputedPropertyName(n)) {
    const k = ev.expr(n.getExpression(), scope);
    if (typeof k === "string" || typeof k === "number") return String(k);
    return ev.fail(n, `a computed key must be a string or number, got ${describe(k)}`, "E_TYPE");
  }
  return ev.fail(n, `${n.getKindName()} is not supported as a property name`);
}
