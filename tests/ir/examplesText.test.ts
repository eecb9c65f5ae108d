// Every example model round-trips through the textual IR: print(parse(print(g))) === print(g).

import { readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { loadModel } from "../../compiler/frontend/index.ts";
import { parseGraph, printGraph } from "../../ir/text/index.ts";

const examples = readdirSync("examples").filter((f) => f.endsWith(".ts"));

describe("examples round-trip through the text IR", () => {
  test("there are examples", () => expect(examples.length).toBeGreaterThan(0));
  test.each(examples)("%s", (file) => {
    const text = printGraph(loadModel(`examples/${file}`).graph);
    expect(printGraph(parseGraph(text, file))).toBe(text);
  });
});
