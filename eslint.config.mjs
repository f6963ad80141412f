// typescript-eslint's recommended type-aware rules; the test command runs it.
import js from "@eslint/js"
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["node_modules/", ".cache/", ".data/", "dist/", "coverage/", "hydra/", "ferretdb/", "**/*.js", "**/*.mjs", "!src/servers/web/assets/*.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-console": "off",
    },
  },
  {
    // The page's browser script: plain JavaScript (tsconfig.web.json type-checks it,
    // which also catches undefined names, so no-undef is left to the compiler).
    files: ["src/servers/web/assets/*.js"],
    languageOptions: { sourceType: "module" },
    rules: { "no-undef": "off" },
  },
)
