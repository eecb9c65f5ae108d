import { identity } from "./identity.ts";

// A named consumer of a tensor: its adjoint is that consumer's contribution before the ⊕-merge.
export const branch = identity("branch", "branch");
