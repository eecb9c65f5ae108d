// Byte-level corruption of a file: bit flips, overwritten, inserted and deleted bytes, truncation.
// A mutation is plain data (fast-check draws and shrinks it), applied at a position taken modulo
// the file's length, so one mutation fits any file.

import fc from "fast-check";

export type Mutation =
  | { readonly kind: "flip"; readonly at: number; readonly bit: number }
  | { readonly kind: "set"; readonly at: number; readonly byte: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: "delete"; readonly at: number; readonly length: number }
  | { readonly kind: "truncate"; readonly at: number }
  /** The `at`-th ASCII digit (modulo their count) becomes `digit`: text that most likely still parses. */
  | { readonly kind: "digit"; readonly at: number; readonly digit: number }
  /** A bit of the last quarter of the file (a safetensors file's data): a binary that still parses. */
  | { readonly kind: "tail"; readonly at: number; readonly bit: number };

// Bytes that change meaning in text formats, more often than uniform ones would.
const textBytes = [..."0123456789.-+eE[]{},:\"\\ \n/*()%@=;`'"].map((c) => c.charCodeAt(0));
const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...textBytes));
const at = fc.nat({ max: 1 << 20 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("digit" as const), at, digit: fc.integer({ min: 0, max: 9 }) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("tail" as const), at, bit: fc.integer({ min: 0, max: 7 }) }), weight: 2 },
  fc.record({ kind: fc.constant("flip" as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("set" as const), at, byte: byteArb }),
  fc.record({ kind: fc.constant("insert" as const), at, bytes: fc.array(byteArb, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at }),
);

export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.length;
  const i = n === 0 ? 0 : m.at % (m.kind === "insert" ? n + 1 : n);
  switch (m.kind) {
    case "flip": {
      const out = bytes.slice();
      if (n > 0) out[i] = out[i]! ^ (1 << m.bit);
      return out;
    }
    case "set": {
      const out = bytes.slice();
      if (n > 0) out[i] = m.byte;
      return out;
    }
    case "insert":
      return Uint8Array.from([...bytes.subarray(0, i), ...m.bytes, ...bytes.subarray(i)]);
    case "delete":
      return Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + m.length)]);
    case "truncate":
      return bytes.slice(0, i);
    case "digit": {
      const digits = [...bytes.keys()].filter((j) => bytes[j]! >= 0x30 && bytes[j]! <= 0x39);
      const out = bytes.slice();
      if (digits.length > 0) out[digits[m.at % digits.length]!] = 0x30 + m.digit;
      return out;
    }
    case "tail": {
      const out = bytes.slice();
      const from = Math.floor((n * 3) / 4);
      const j = from + (m.at % Math.max(1, n - from));
      if (n > from) out[j] = out[j]! ^ (1 << m.bit);
      return out;
    }
  }
}

export const mutateAll = (bytes: Uint8Array, ms: readonly Mutation[]): Uint8Array => ms.reduce(mutate, bytes);
