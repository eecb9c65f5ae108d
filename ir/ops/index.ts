// The single list of ops. Text IR, verifier, interpreter, backward builder, backends and the
// test matrix all read this registry; adding an op is one file plus one line here.

import { add } from "./add.ts";
import { branch } from "./branch.ts";
import { constant } from "./constant.ts";
import { div } from "./div.ts";
import { exp } from "./exp.ts";
import { input } from "./input.ts";
import { log } from "./log.ts";
import { matmul } from "./matmul.ts";
import { max } from "./max.ts";
import { mean } from "./mean.ts";
import { mul } from "./mul.ts";
import { name } from "./name.ts";
import { neg } from "./neg.ts";
import { param } from "./param.ts";
import { relu } from "./relu.ts";
import type { OpRule } from "./rule.ts";
import { sub } from "./sub.ts";
import { sum } from "./sum.ts";

export const opRules = {
  input, param, constant,
  add, sub, mul, div, neg, exp, log, relu,
  matmul, sum, mean, max,
  branch, name,
} satisfies Record<string, OpRule>;

export type OpName = keyof typeof opRules;
export const opNames = Object.keys(opRules) as OpName[];
