// Prints the documents of a YAML file (one or many; JSON is YAML too) as one
// JSON array, empty documents left out, so that the shell tests can check them
// with python3's standard library alone.
//
// usage: node yaml2json.mjs FILE   ("-" reads standard input)
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const file = process.argv[2];
if (!file) {
  console.error("usage: node yaml2json.mjs FILE");
  process.exit(2);
}
const out = [];
for (const doc of parseAllDocuments(readFileSync(file === "-" ? 0 : file, "utf8"), { strict: true, uniqueKeys: true })) {
  if (doc.errors.length) {
    console.error(`${file}: ${doc.errors.map((e) => e.message).join("; ")}`);
    process.exit(1);
  }
  const v = doc.toJS();
  if (v !== null && v !== undefined) out.push(v);
}
process.stdout.write(JSON.stringify(out) + "\n");
