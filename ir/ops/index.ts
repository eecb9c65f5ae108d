// The single list of ops. Text IR, verifier, interpreter, backward builder, backends and the
// test matrix all read this registry; adding an op is one file plus one line here.

import { add } from "./add.ts";
import { branch } from "./branch.ts";
import { concat } from "./concat.ts";
import { constant } from "./constant.ts";
import { cos } from "./cos.ts";
import { div } from "./div.ts";
import { erf } from "./erf.ts";
import { exp } from "./exp.ts";
import { gather } from "./gather.ts";
import { gelu } from "./gelu.ts";
import { input } from "./input.ts";
import { layer_norm } from "./layer_norm.ts";
import { linear } from "./linear.ts";
import { log } from "./log.ts";
import { log_softmax } from "./log_softmax.ts";
import { matmul } from "./matmul.ts";
import { max } from "./max.ts";
import { mean } from "./mean.ts";
import { mul } from "./mul.ts";
import { name } from "./name.ts";
import { neg } from "./neg.ts";
import { param } from "./param.ts";
import { pick } from "./pick.ts";
import { pow } from "./pow.ts";
import { reciprocal } from "./reciprocal.ts";
import { relu } from "./relu.ts";
import { reshape } from "./reshape.ts";
import { routed_max } from "./routed_max.ts";
import type { OpRule } from "./rule.ts";
import { sigmoid } from "./sigmoid.ts";
import { sin } from "./sin.ts";
import { slice } from "./slice.ts";
import { softmax } from "./softmax.ts";
import { sqrt } from "./sqrt.ts";
import { sub } from "./sub.ts";
import { sum } from "./sum.ts";
import { tanh } from "./tanh.ts";
import { transpose } from "./transpose.ts";

export const opRules = {
  input, param, constant,
  add, sub, mul, div, neg, exp, log, relu,
  sqrt, sin, cos, tanh, sigmoid, gelu, erf, pow, reciprocal,
  matmul, linear, sum, mean, max, routed_max,
  softmax, log_softmax, layer_norm,
  reshape, transpose, slice, concat, pick, gather,
  branch, name,
} satisfies Record<string, OpRule>;

export type OpName = keyof typeof opRules;
export const opNames = Object.keys(opRules) as OpName[];
