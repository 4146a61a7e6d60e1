// Strips TypeScript types from src/ into dist/ (plain ESM JavaScript, same layout). Node can
// run the .ts sources directly, but loading its type stripper costs ~80 ms and ~17 MB in every
// process; the launchers use dist/ when it is newer than every source file.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const src = join(root, "src");
const finalDist = join(root, "dist");
// Built beside dist/ and swapped in with renames: a wharfd running from dist/ (its modules load
// lazily) never sees the tree half-written or missing for more than an instant.
const dist = `${finalDist}.tmp-${process.pid}`;

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

let count = 0;
for (const file of walk(src)) {
  if (file.endsWith(".d.ts")) continue; // declarations only (of generated .js files)
  if (!file.endsWith(".ts")) {
    // Data the code reads at run time, and generated JavaScript (the precompiled compose-spec
    // validator), sit beside it as they are.
    if (file.endsWith(".json") || file.endsWith(".js")) {
      mkdirSync(dirname(join(dist, relative(src, file))), { recursive: true });
      copyFileSync(file, join(dist, relative(src, file)));
    }
    continue;
  }
  const js = stripTypeScriptTypes(readFileSync(file, "utf8"), { mode: "strip" }).replace(
    /(["'])(\.{1,2}\/[^"'\n]*?)\.ts\1/g,
    "$1$2.js$1",
  );
  const out = join(dist, relative(src, file)).replace(/\.ts$/, ".js");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, js);
  count++;
}
writeFileSync(join(dist, "package.json"), '{ "type": "module" }\n');
writeFileSync(join(dist, ".stamp"), `${new Date().toISOString()}\n`);
const old = `${finalDist}.old-${process.pid}`;
if (existsSync(finalDist)) renameSync(finalDist, old);
renameSync(dist, finalDist);
rmSync(old, { recursive: true, force: true });
console.log(`build: ${count} files → dist/`);
