// index.d.ts is what TypeScript users and the demo code against: check that it compiles and
// accepts real usage (test/types-usage.ts), with the TypeScript compiler from devDependencies.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync, rmSync, symlinkSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = path.join(pkg, "node_modules", "typescript", "bin", "tsc");

test("index.d.ts type-checks against real usage", { skip: existsSync(tsc) ? false : "typescript not installed (npm ci)" }, () => {
  // A scratch project where `import ... from "weft"` resolves to this package.
  const dir = mkdtempSync(path.join(tmpdir(), "weft-types-"));
  try {
    mkdirSync(path.join(dir, "node_modules"));
    symlinkSync(pkg, path.join(dir, "node_modules", "weft"), "dir");
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", types: [], skipLibCheck: false },
        files: [path.join(pkg, "test", "types-usage.ts")],
      }),
    );
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      assert.fail(`tsc failed:\n${e.stdout}${e.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
