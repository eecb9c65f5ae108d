import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

// The suite must pass on a machine whose cores are busy with other work, so no test measures
// speed, and timeouts only catch hangs. Concurrent tests (describe.concurrent) are mostly CPU
// bound (compiles, spawned CLIs): more of them at once than there are cores adds no throughput
// but stretches each one's wall time towards its timeout.
export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    maxConcurrency: Math.max(2, availableParallelism()),
    pool: "forks",
  },
});
