// Token ids index embedding tables; the generated code does not bound-check them, so the CLI
// checks an imported model's integer inputs against the tables they index before running.

import { SemicError } from "../../ir/graph.ts";

/** Ids outside [0, n) would read past an embedding table: a user error naming the input and position. */
export function checkIdRanges(inputs: Readonly<Record<string, ArrayLike<number>>>, ranges: Readonly<Record<string, number>>, source: string): void {
  for (const [name, n] of Object.entries(ranges)) {
    const ids = inputs[name];
    if (!ids) continue;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < n)) throw new SemicError("E_INPUT", `input ${name}: id ${id} at flat position ${i} is outside the table's range [0, ${n}) in ${source}`);
    }
  }
}
