// Every kernel of a model's compiled passes, legalized and printed (print.ts): the forward pass,
// then one backward pass per semiring, each step in the order the module runs it. This is the
// form every backend receives, over logical buffers (the WGSL target may then pack a node's
// adjoint lanes into one buffer at lane offsets).

import type { Graph } from "../../ir/graph.ts";
import * as S from "../../ir/scalar.ts";
import { buildBackward, defaultWrt } from "../backward.ts";
import type { CompileOptions } from "../compile.ts";
import type { BufferInfo, Step } from "../kernel.ts";
import { adjointBuffers, backwardSteps, forwardBuffers, forwardSteps } from "../schedule.ts";
import { expandFor, semiringsFor } from "../semantics.ts";
import { legalizeKernel, logicalLayout } from "./legalize.ts";
import { printKernel, showInfix, type PrintContext } from "./print.ts";

function printSteps(title: string, steps: readonly Step[], buffers: ReadonlyMap<string, BufferInfo>): string {
  const info = (b: string) => {
    const i = buffers.get(b);
    if (!i) throw new Error(`kernel listing: no buffer ${b}`);
    return i;
  };
  const layout = logicalLayout((b) => info(b).shape, (b) => info(b).dtype);
  const ctx: PrintContext = { role: (b) => buffers.get(b)?.kind, dtype: layout.dtype };
  const kernels = steps.filter((s) => s.k === "kernel").length;
  // Consecutive fills form one block.
  const blocks: string[] = [];
  steps.forEach((st, i) => {
    if (st.k === "kernel") blocks.push(printKernel(legalizeKernel(st.kernel, layout), ctx));
    else {
      const line = `fill ${st.buffer} = ${showInfix(S.c(st.value))}`;
      if (i > 0 && steps[i - 1]!.k === "fill") blocks[blocks.length - 1] += `\n${line}`;
      else blocks.push(line);
    }
  });
  return [`pass ${title}: ${kernels} kernel${kernels === 1 ? "" : "s"}`, "", ...blocks.flatMap((b) => [b, ""])].join("\n");
}

/** The printed kernels of `graph` compiled with `opts`, as `semic compile --emit kernels` shows them. */
export function kernelListing(graph: Graph, opts: Pick<CompileOptions, "semirings" | "wrt" | "expand" | "semantics">): string {
  const semantics = opts.semantics ?? "element";
  const g = expandFor(graph, semantics, opts.expand);
  const plan = buildBackward(g, opts.wrt && opts.wrt.length > 0 ? opts.wrt : defaultWrt(g));
  const semirings = semiringsFor(opts.semirings, semantics);
  const fwd = new Map(forwardBuffers(g).map((b) => [b.name, b]));
  const passes = [printSteps("forward", forwardSteps(g), fwd)];
  for (const sr of semirings) {
    const buffers = new Map([...fwd, ...adjointBuffers(plan, sr).map((b) => [b.name, b] as const)]);
    passes.push(printSteps(`backward.${sr.name} (${sr.summary})`, backwardSteps(plan, sr), buffers));
  }
  return `# kernels of model @${g.name}, legalized (semic compile --emit kernels)\n\n${passes.join("\n")}`;
}
