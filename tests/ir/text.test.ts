import { readFileSync } from "node:fs";
import { generateCstDts } from "chevrotain";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { GraphBuilder, SemicError, type Graph } from "../../ir/graph.ts";
import { opNames, opRules } from "../../ir/ops/index.ts";
import { isLeaf } from "../../ir/ops/rule.ts";
import { parseGraph, printGraph } from "../../ir/text/index.ts";
import { irParser } from "../../ir/text/parser.ts";
import { verifyGraph } from "../../ir/verify.ts";
import { randomGraph } from "../oracle/randomGraph.ts";

/** The graph without source locations (which parsing adds and building by hand does not). */
const bare = (g: Graph) => ({ ...g, nodes: g.nodes.map(({ loc: _loc, ...n }) => n) });

function expectRoundTrip(g: Graph): string {
  const text = printGraph(g);
  const back = parseGraph(text);
  expect(printGraph(back)).toBe(text);
  expect(bare(back)).toEqual(bare(g));
  return text;
}

function mlp(): Graph {
  const b = new GraphBuilder("mlp");
  const x = b.add("input", [], { name: "x", shape: [4] });
  const w1 = b.add("param", [], { name: "w1", shape: [4, 16] });
  const h = b.add("relu", [b.add("matmul", [x, w1])]);
  return b.build(b.add("sum", [h], { axes: [0] }));
}

describe("printGraph", () => {
  test("the MLP", () => {
    expect(printGraph(mlp())).toMatchInlineSnapshot(`
      "model @mlp {
        %0 = input {name = "x", shape = [4]} : f32[4]
        %1 = param {name = "w1", shape = [4, 16]} : f32[4,16]
        %2 = matmul %0, %1 : f32[16]
        %3 = relu %2 : f32[16]
        %4 = sum %3 {axes = [0]} : f32[]
        return %4
      }
      "
    `);
  });

  test("attributes print in schema order, whatever order they were given in", () => {
    const b = new GraphBuilder("m");
    const x = b.add("input", [], { shape: [2], name: "x" });
    const g = b.build(b.add("sum", [x]));
    expect(printGraph(g)).toContain(`input {name = "x", shape = [2]}`);
  });

  test("numbers print so that they read back exactly", () => {
    const values = [-0, 0, 1e-5, 0.1, 1 / 3, 1e21, 5e-324, Number.MAX_VALUE, Infinity, -Infinity, NaN, 2 ** 53 + 2];
    const b = new GraphBuilder("consts");
    const c = b.add("constant", [], { shape: [values.length], values });
    const text = expectRoundTrip(b.build(b.add("sum", [c])));
    expect(text).toContain(
      "values = [-0, 0, 0.00001, 0.1, 0.3333333333333333, 1e+21, 5e-324, 1.7976931348623157e+308, Infinity, -Infinity, NaN, 9007199254740994]",
    );
  });

  test("model names that are not plain words are quoted", () => {
    const b = new GraphBuilder('my model "v2"');
    const g = b.build(b.add("sum", [b.add("param", [], { name: "w", shape: [] })]));
    expect(expectRoundTrip(g)).toMatch(/^model @"my model \\"v2\\"" \{/);
  });
});

describe("parseGraph", () => {
  test("reads comments, free spacing and named values; prints canonically", () => {
    const src = `// a tiny model
      model @m {
        %x = input {name = "x", shape = [2, 3]} : f32[2,3]   // the input
        %w=param{name="w",shape=[3]}:f32[3]
        %h = matmul %x,%w : f32[ 2 ]
        %s = sum %h {} : f32[]
        return %s
      }`;
    expect(printGraph(parseGraph(src))).toBe(`model @m {
  %0 = input {name = "x", shape = [2, 3]} : f32[2,3]
  %1 = param {name = "w", shape = [3]} : f32[3]
  %2 = matmul %0, %1 : f32[2]
  %3 = sum %2 : f32[]
  return %3
}
`);
  });

  test("nodes carry their source location", () => {
    const g = parseGraph(printGraph(mlp()), "mlp.ir");
    expect(g.nodes[2]!.loc).toEqual({ file: "mlp.ir", line: 4, col: 3 });
  });

  test("hand-written graphs round-trip", () => {
    expectRoundTrip(mlp());
    const b = new GraphBuilder("diamond");
    const x = b.add("input", [], { name: "x", shape: [3], dtype: "f32" });
    const k = b.add("branch", [x], { label: "key" });
    const q = b.add("branch", [x], { label: "query" });
    const y = b.add("mul", [b.add("exp", [k]), b.add("name", [q], { label: "q\"\\\n✓" })]);
    expectRoundTrip(b.build(b.add("sum", [y])));
  });

  test("a random graph round-trips and verifies (300 seeds)", () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 300; seed++) {
      const g = randomGraph(seed, { specialNumbers: true });
      verifyGraph(g);
      expectRoundTrip(g);
      for (const n of g.nodes) seen.add(n.op);
    }
    // The generator reaches (nearly) every registered op; a new op it never manages to build
    // wants an entry in randomGraph's attribute table.
    const inner = opNames.filter((op) => !isLeaf(opRules[op]));
    const missed = inner.filter((op) => !seen.has(op));
    expect(missed.length, `ops never generated: ${missed.join(", ")}`).toBeLessThanOrEqual(Math.floor(inner.length / 10));
  });

  test("any float attribute value round-trips (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 6 }), (values) => {
        const b = new GraphBuilder("c");
        const c = b.add("constant", [], { shape: [values.length], values });
        expectRoundTrip(b.build(b.add("sum", [c])));
      }),
    );
  });

  test("the CST types in parser.ts are what generateCstDts prints", () => {
    const src = readFileSync(new URL("../../ir/text/parser.ts", import.meta.url), "utf8");
    const block = /\/\/ <generated-cst>\n([\s\S]*?)\/\/ <\/generated-cst>/.exec(src)?.[1];
    const generated = generateCstDts(irParser.getGAstProductions()).replace(/^import[^\n]*\n+/, "");
    expect(block?.trim()).toBe(generated.trim());
  });
});

describe("parse errors are located SemicErrors", () => {
  const model = (body: string) => `model @m {\n  %0 = input {name = "x", shape = [4]} : f32[4]\n${body}\n}`;
  // [what, source, code, "line:col", message fragment]
  const cases: [string, string, string, string, string][] = [
    ["lexing", model("  %1 = relu %0 $ : f32[4]\n  return %1"), "E_LEX", "3:16", `unexpected character(s) "$"`],
    ["syntax", model("  %1 = relu %0 f32[4]\n  return %1"), "E_PARSE", "3:16", "expected ':' but found 'f32'"],
    ["syntax at the end", `model @m {\n  %0 = param {name = "w", shape = []} : f32[]\n  return %0`, "E_PARSE", "3:12", "expected '}' but found the end of the input"],
    ["trailing input", model("  return %0") + "\nmodel", "E_PARSE", "5:1", "unexpected 'model' after the end of the model"],
    ["unknown op", model("  %1 = frobnicate %0 : f32[4]\n  return %1"), "E_UNKNOWN_OP", "3:8", `unknown op "frobnicate"`],
    ["unknown attribute", model("  %1 = relu %0 {alpha = 1} : f32[4]\n  return %1"), "E_ATTR", "3:17", `relu has no attribute "alpha"`],
    ["missing attribute", model(`  %1 = param {name = "w"} : f32[4]\n  return %1`), "E_ATTR", "3:8", `param needs attribute "shape" (ints)`],
    ["ill-typed attribute", model("  %1 = sum %0 {axes = [0.5]} : f32[]\n  return %1"), "E_ATTR", "3:23", `attribute "axes" of sum must be ints, got [0.5]`],
    ["string for a list", model(`  %1 = sum %0 {axes = "0"} : f32[]\n  return %1`), "E_ATTR", "3:23", `must be ints, got "0"`],
    ["repeated attribute", model("  %1 = sum %0 {axes = [0], axes = [0]} : f32[]\n  return %1"), "E_ATTR", "3:28", `attribute "axes" is given twice`],
    ["undefined value", model("  %1 = relu %7 : f32[4]\n  return %1"), "E_SSA", "3:13", "%7 is not defined before use"],
    ["use before definition", model("  %1 = add %0, %2 : f32[4]\n  %2 = relu %0 : f32[4]\n  return %2"), "E_SSA", "3:16", "%2 is not defined before use"],
    ["redefined value", model("  %0 = relu %0 : f32[4]\n  return %0"), "E_SSA", "3:3", "%0 is already defined (at line 2)"],
    ["type mismatch", model("  %1 = sum %0 : f32[4]\n  return %1"), "E_TYPE", "3:17", "%1 is annotated f32[4] but sum gives f32[]"],
    ["unknown dtype", model("  %1 = relu %0 : f64[4]\n  return %1"), "E_TYPE", "3:18", `unknown dtype "f64"`],
    ["shape error", model(`  %1 = param {name = "w", shape = [3, 2]} : f32[3,2]\n  %2 = matmul %0, %1 : f32[2]\n  return %2`), "E_SHAPE", "4:3", "matmul(f32[4], f32[3,2]): contracted dims differ"],
    ["arity", model("  %1 = relu %0, %0 : f32[4]\n  return %1"), "E_ARITY", "3:3", "relu takes 1 operand(s), got 2"],
    ["non-scalar output", model("  %1 = relu %0 : f32[4]\n  return %1"), "E_OUTPUT", "4:10", "must be a scalar"],
    ["one name, two shapes", model(`  %1 = input {name = "x", shape = [5]} : f32[5]\n  %2 = sum %1 : f32[]\n  return %2`), "E_NAME", "3:3", `input "x": the name is already used by the input at bad.ir:2:3`],
  ];

  test.each(cases)("%s", (_what, src, code, at, fragment) => {
    let err: unknown;
    try {
      parseGraph(src, "bad.ir");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SemicError);
    const e = err as SemicError;
    expect(e.code).toBe(code);
    expect(e.message).toContain(fragment);
    expect(e.message.startsWith(`bad.ir:${at}: `), e.message).toBe(true);
    expect(`${e.loc?.line}:${e.loc?.col}`).toBe(at);
  });
});
