// Chevrotain tokens of the text IR. Keywords are in the `Name` category, so anything that
// accepts a name (op, attribute key, dtype) also accepts a keyword spelled the same way.

import { createToken, Lexer, type TokenType } from "chevrotain";

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /\s+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });

/** Any bare word; the concrete tokens below are its members. */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });
export const Ident = createToken({ name: "Ident", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Name], label: "a name" });
const keyword = (word: string): TokenType =>
  createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: word, longer_alt: Ident, categories: [Name], label: `'${word}'` });
export const Model = keyword("model");
export const Return = keyword("return");
export const True = keyword("true");
export const False = keyword("false");

/** `%0`, `%x`: an SSA value. */
export const Value = createToken({ name: "Value", pattern: /%[A-Za-z0-9_]+/, label: "a value (%n)" });
const jsonString = String.raw`"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"`;
/** `@mlp`, or `@"any name"` (a JSON string) for names that are not plain words. */
export const SymbolRef = createToken({ name: "SymbolRef", pattern: new RegExp(`@(?:[A-Za-z_][A-Za-z0-9_]*|${jsonString})`), label: "a symbol (@name)" });
/** JSON numbers, plus what JS prints for non-finite values (`Infinity`, `-Infinity`, `NaN`). */
export const NumberLit = createToken({
  name: "NumberLit",
  pattern: /-?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|Infinity)|NaN/,
  longer_alt: Ident,
  label: "a number",
});
/** A JSON string literal. */
export const StringLit = createToken({
  name: "StringLit",
  pattern: new RegExp(jsonString),
  label: "a string",
});

export const LCurly = createToken({ name: "LCurly", pattern: "{", label: "'{'" });
export const RCurly = createToken({ name: "RCurly", pattern: "}", label: "'}'" });
export const LSquare = createToken({ name: "LSquare", pattern: "[", label: "'['" });
export const RSquare = createToken({ name: "RSquare", pattern: "]", label: "']'" });
export const Comma = createToken({ name: "Comma", pattern: ",", label: "','" });
export const Colon = createToken({ name: "Colon", pattern: ":", label: "':'" });
export const Equals = createToken({ name: "Equals", pattern: "=", label: "'='" });

/** Lexer order: skipped, literals before words (so `Infinity` is a number), then words, punctuation. */
export const allTokens: TokenType[] = [
  WhiteSpace, Comment,
  Value, SymbolRef, NumberLit, StringLit,
  Model, Return, True, False, Name, Ident,
  LCurly, RCurly, LSquare, RSquare, Comma, Colon, Equals,
];

export const irLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
