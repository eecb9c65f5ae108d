// Lint: typescript-eslint's type-checked recommendations over the compiler, IR and runtime;
// tests and examples get the plain recommendations (they build graphs from loosely typed data).
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "out/", "tests/golden/", "tests/.tmp/", "bench/results/", "**/*.js", "!eslint.config.js"] },
  {
    files: ["ir/**/*.ts", "compiler/**/*.ts", "runtime/**/*.ts"],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["warn", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["tests/**/*.ts", "examples/**/*.ts", "bench/**/*.ts"],
    extends: [...tseslint.configs.recommended],
    rules: {
      "@typescript-eslint/no-unused-vars": ["warn", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
);
