import { identity } from "./identity.ts";

// Names an intermediate tensor so its adjoint can be asked for.
export const name = identity("name", "name");
