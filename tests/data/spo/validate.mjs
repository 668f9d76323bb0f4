// Validates SeccompProfile objects (YAML, one or many documents) against the
// Security Profiles Operator's v1beta1 schema in seccompprofile-v1beta1.schema.json,
// with the JSON-schema validator (ajv) and YAML parser that tests/k8s-schema's
// npm packages bring.  Integers are read exactly (as BigInt): the schema's int64
// bound is checked on the digits, since a JavaScript number rounds 2^63-1 up.
//
// usage: node validate.mjs FILE...   ("-" reads standard input)
// Prints "FILE: doc N: SeccompProfile/name: ok" or the errors; exits 1 on any error.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../../k8s-schema/package.json"));
const Ajv = require("ajv").default;
const { parseAllDocuments } = require("yaml");

const schema = JSON.parse(readFileSync(join(here, "seccompprofile-v1beta1.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

// BigInts to numbers; those outside int64 become errors (the API server's
// integer is int64), the rest compare as numbers in the schema.
function numbers(v, path, errors) {
  if (typeof v === "bigint") {
    if (v > INT64_MAX || v < INT64_MIN) errors.push(`${path}: ${v} is outside int64`);
    return Number(v);
  }
  if (Array.isArray(v)) return v.map((x, i) => numbers(x, `${path}[${i}]`, errors));
  if (v !== null && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = numbers(x, path ? `${path}.${k}` : k, errors);
    return o;
  }
  return v;
}

let failed = false;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
for (const file of files) {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const docs = parseAllDocuments(text, { intAsBigInt: true });
  let n = 0;
  for (const doc of docs) {
    n++;
    if (doc.errors.length) {
      failed = true;
      console.log(`${file}: doc ${n}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const raw = doc.toJS();
    if (raw === null || raw === undefined) continue;
    const errors = [];
    const obj = numbers(raw, "", errors);
    if (!validate(obj))
      for (const e of validate.errors) errors.push(`${e.instancePath || "/"}: ${e.message}${e.params && e.params.additionalProperty ? ` "${e.params.additionalProperty}"` : ""}${e.params && e.params.allowedValues ? ` (${e.params.allowedValues.join(", ")})` : ""}`);
    const what = `${obj && obj.kind}/${obj && obj.metadata && obj.metadata.name}`;
    if (errors.length) {
      failed = true;
      console.log(`${file}: doc ${n}: ${what}: ${errors.join("; ")}`);
    } else {
      console.log(`${file}: doc ${n}: ${what}: ok`);
    }
  }
}
process.exit(failed ? 1 : 0);
