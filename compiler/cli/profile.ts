// `semic run --profile`: the generated module, compiled with a timer around every step, adds each
// step's milliseconds to globalThis.__semicProfile (label → ms); this turns that into the table a
// user reads to see where a model's time goes.

type Profile = Record<string, number>;
const holder = globalThis as { __semicProfile?: Profile };

/** Starts counting from zero; the function returns what was counted since. */
export function startProfile(): () => Profile {
  holder.__semicProfile = {};
  return () => holder.__semicProfile ?? {};
}

const ms = (t: number) => t.toFixed(2).padStart(9);
const pct = (t: number, total: number) => `${((100 * t) / (total || 1)).toFixed(1).padStart(5)}%`;

/**
 * Per pass (the forward, each semiring's backward) its total, then the `top` costliest steps with
 * their share of all time. A step's label is "<pass prefix><kernel> <js|wasm> <what it computes>";
 * backward steps carry their semiring's name as prefix, forward steps none.
 */
export function profileTable(profile: Profile, o: { readonly semirings: readonly string[]; readonly runs: number; readonly top: number }): string {
  const steps = Object.entries(profile).sort((a, b) => b[1] - a[1]);
  const total = steps.reduce((a, [, t]) => a + t, 0);
  const passOf = (label: string) => o.semirings.find((s) => label.startsWith(`${s}_`)) ?? "forward";
  const passes = new Map<string, number>();
  for (const [label, t] of steps) {
    const pass = passOf(label);
    passes.set(pass, (passes.get(pass) ?? 0) + t);
  }
  const lines = [
    `profile: ${total.toFixed(1)} ms in ${steps.length} steps over ${o.runs} run${o.runs === 1 ? "" : "s"} (each run: one forward and one semiring's backward)`,
    `  by pass: ${[...passes].map(([p, t]) => `${p === "forward" ? "forward" : `${p} backward`} ${t.toFixed(1)} ms (${pct(t, total).trim()})`).join(" · ")}`,
    `  ${"ms".padStart(9)}  ${"share".padStart(6)}  step (js: JS loops; wasm: WebAssembly kernel)`,
    ...steps.slice(0, o.top).map(([label, t]) => `  ${ms(t)}  ${pct(t, total)}  ${label}`),
  ];
  if (steps.length > o.top) lines.push(`  … ${steps.length - o.top} more steps, ${(total - steps.slice(0, o.top).reduce((a, [, t]) => a + t, 0)).toFixed(1)} ms`);
  return lines.join("\n");
}
