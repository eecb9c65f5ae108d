import { leaf } from "./rule.ts";

// A trained parameter, named by its first argument (the key in a weights file).
export const param = leaf({ name: "param", role: "param", attrs: { name: "string", shape: "ints" } });
