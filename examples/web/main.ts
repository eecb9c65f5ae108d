// The page: read the tokens, run the model where it can run (backend.ts), show the output, the
// per-token branch bars and the top path. The last explanation is also `window.semicExplanation`
// and `document.body.dataset.state` says "done" or "error" (what the browser test reads).

import { chooseBackend, type Backend } from "./backend.ts";
import { SEMIRINGS, SEQ, VOCAB, type Explanation } from "./explain.ts";
import { branchBars, fmt, pathChain } from "./render.ts";

declare global {
  interface Window {
    semicExplanation?: Explanation & { backend: string };
  }
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const form = $<HTMLFormElement>("form");
const idsField = form.elements.namedItem("ids") as HTMLInputElement;
const preset = form.elements.namedItem("preset") as HTMLSelectElement;
const status = $("status");

function say(text: string, state: "busy" | "done" | "error"): void {
  status.textContent = text;
  status.className = state === "error" ? "error" : "";
  document.body.dataset["state"] = state;
}

/** The typed tokens, or an error naming the first bad one. */
function parseIds(text: string): number[] {
  const words = text.trim().split(/[\s,]+/).filter((w) => w !== "");
  if (words.length !== SEQ) throw new Error(`expected ${SEQ} tokens, got ${words.length}`);
  return words.map((w, i) => {
    const id = Number(w);
    if (!Number.isInteger(id) || id < 0 || id >= VOCAB) throw new Error(`token ${i + 1} "${w}": expected an integer from 0 to ${VOCAB - 1}`);
    return id;
  });
}

function show(x: Explanation, backend: Backend): void {
  $("output").textContent = `log p(first token appears again) = ${fmt(x.output)}  (p = ${fmt(Math.exp(x.output))})`;
  $("bars").replaceChildren(...SEMIRINGS.map((s) => branchBars(x, s)));
  $("path").replaceChildren(pathChain(x.topPath));
  window.semicExplanation = { ...x, backend: backend.name };
}

const backend = chooseBackend(new URLSearchParams(location.search).get("backend") ?? "auto");

async function explain(): Promise<void> {
  try {
    const ids = parseIds(idsField.value);
    say("computing…", "busy");
    const b = await backend;
    const t0 = performance.now();
    const x = await b.explain(ids);
    show(x, b);
    say(`${b.label}: ${(performance.now() - t0).toFixed(0)} ms`, "done");
  } catch (e) {
    say(e instanceof Error ? e.message : String(e), "error");
  }
}

form.addEventListener("submit", (e) => {
  e.preventDefault();
  void explain();
});
preset.addEventListener("change", () => {
  if (preset.value === "") return;
  idsField.value = preset.value;
  preset.value = "";
  void explain();
});
void explain();
