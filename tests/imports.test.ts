// No import circles in the library: every relative import of compiler/, ir/ and runtime/ (static,
// type-only, re-exports and dynamic ones alike) forms an acyclic graph. A circle couples files that
// should be read, tested and changed one at a time, and can leave a value undefined at load time.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";

const ROOTS = ["compiler", "ir", "runtime"];

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(path, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

/** File → the files of the tree it imports. */
function importGraph(roots: readonly string[]): Map<string, string[]> {
  const files = roots.flatMap((r) => sourceFiles(r)).sort();
  const known = new Set(files);
  return new Map(
    files.map((f) => {
      const { importedFiles } = ts.preProcessFile(readFileSync(f, "utf8"), true, true);
      const deps = importedFiles.map((i) => i.fileName).filter((s) => s.startsWith(".")).map((s) => normalize(join(dirname(f), s)));
      return [f, [...new Set(deps.filter((d) => known.has(d)))]];
    }),
  );
}

/** The strongly connected components of more than one file (Tarjan), each as one circle's files. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe("import graph", () => {
  test("finds a circle, including one closed by a type-only import", () => {
    const g = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    expect(circles(g)).toEqual([["a.ts", "b.ts", "c.ts"]]);
    expect(circles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
  });

  test("reads every kind of relative import", () => {
    const g = importGraph(["ir"]);
    expect(g.get(join("ir", "graph.ts"))).toContain(join("ir", "ops", "index.ts"));
    expect(g.size).toBeGreaterThan(20);
  });

  test("compiler/, ir/ and runtime/ have no import circles", () => {
    const found = circles(importGraph(ROOTS)).map((c) => c.join(" → "));
    expect(found, `import circles:\n${found.join("\n")}`).toEqual([]);
  });
});
