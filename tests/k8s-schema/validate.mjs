// Validates Kubernetes manifests (YAML, one or many documents) against the
// Kubernetes OpenAPI schema, with the models of the npm package
// "kubernetes-models": each document's apiVersion and kind pick the model, and
// its validate() runs the schema.  The schema allows fields it does not know;
// a typo there ("securityContxt") would pass, and the API server would drop the
// field in silence.  So, as 'kubectl apply --validate=strict' does, a field the
// schema never looked at is an error too: the validators read every field they
// know, and a Proxy records what they read.
//
// usage: node validate.mjs FILE...   ("-" reads standard input)
// Prints "FILE: doc N: Kind/name: ok" or the errors; exits 1 on any error.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const groups = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
  "scheduling.k8s.io/v1": "kubernetes-models/scheduling.k8s.io/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

// Wraps every object and array of a plain JSON value; `read` maps each object
// to the set of its keys something read.
function track(value, read) {
  if (value === null || typeof value !== "object") return value;
  const keys = new Set();
  read.set(value, keys);
  const wrapped = Array.isArray(value) ? [] : {};
  for (const [k, v] of Object.entries(value)) wrapped[k] = track(v, read);
  const target = wrapped;
  return new Proxy(target, {
    get(t, prop, recv) {
      if (typeof prop === "string") keys.add(prop);
      return Reflect.get(t, prop, recv);
    },
    has(t, prop) {
      if (typeof prop === "string") keys.add(prop);
      return Reflect.has(t, prop);
    },
  });
}

function unknownFields(value, read, path, out) {
  if (value === null || typeof value !== "object") return;
  const keys = read.get(value);
  for (const [k, v] of Object.entries(value)) {
    const p = Array.isArray(value) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
    if (!Array.isArray(value) && keys && !keys.has(k)) out.push(`${p}: unknown field "${k}"`);
    else unknownFields(v, read, p, out);
  }
}

let failed = false;
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE...");
  process.exit(2);
}
for (const file of files) {
  const text = readFileSync(file === "-" ? 0 : file, "utf8");
  const docs = parseAllDocuments(text, { strict: true, uniqueKeys: true });
  let n = 0;
  for (const doc of docs) {
    n++;
    const where = `${file}: doc ${n}`;
    if (doc.errors.length) {
      console.log(`${where}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      failed = true;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const mod = groups[obj.apiVersion];
    if (!mod) {
      console.log(`${where}: no model for apiVersion "${obj.apiVersion}"`);
      failed = true;
      continue;
    }
    const models = await import(mod);
    const Model = models[obj.kind];
    if (!Model) {
      console.log(`${where}: no model for kind "${obj.kind}" in ${obj.apiVersion}`);
      failed = true;
      continue;
    }
    const name = `${obj.kind}/${obj.metadata?.name ?? ""}`;
    const read = new Map();
    const errors = [];
    try {
      // The model deep-copies what it is given: swap the tracked values in after.
      const model = new Model(obj);
      for (const k of Object.keys(obj)) model[k] = track(obj[k], read);
      model.validate();
    } catch (e) {
      errors.push(e.message);
    }
    if (errors.length === 0) {
      // The top level is the model's own; apiVersion and kind picked it.
      read.set(obj, new Set(Object.keys(obj)));
      unknownFields(obj, read, "", errors);
    }
    if (errors.length) {
      console.log(`${where}: ${name}: ${errors.join("; ")}`);
      failed = true;
    } else {
      console.log(`${where}: ${name}: ok`);
    }
  }
}
process.exit(failed ? 1 : 0);
