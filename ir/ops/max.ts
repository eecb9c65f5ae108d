import { reduction } from "./rule.ts";

// y = max x over `axes`, with no gradient edges: used as the stabilising shift when softmax and
// logSoftmax are expanded, where it cancels (∂softmax/∂shift = 0), as the paper's library does.
export const max = reduction({ name: "max", op: "max", weight: null });
