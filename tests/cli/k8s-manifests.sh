#!/bin/sh
# sysfence k8s manifests and pod-patch: the node agent's objects validated
# against the Kubernetes schema (npm kubernetes-models, tests/k8s-schema/; a
# missing node_modules is a failure: scripts/deps installs it), the checked-in
# deploy/kubernetes/ equal to the command's output, and pod-patch's snippet,
# merged into a pod, linting cleanly.
. "$(dirname "$0")/lib.sh"

SCHEMA=$SF_SOURCE/tests/k8s-schema
REAL=$MANIFESTS
K8S=$SF_SOURCE/tests/data/k8s

plan 24

# validate FILE...: the schema validator; its report in $SCRATCH/validate.out.
validate()
{
        node "$SCHEMA/validate.mjs" "$@" >"$SCRATCH/validate.out" 2>&1
}

# y2j YAML JSON: the documents of YAML as one JSON array (python3 checks them
# with its standard library; the YAML parser is the npm one the validator uses).
y2j()
{
        node "$SCHEMA/yaml2json.mjs" "$1" >"$2"
}

if [ -d "$SCHEMA/node_modules/kubernetes-models" ] && [ -d "$SCHEMA/node_modules/yaml" ] && command -v node >/dev/null; then
        :
else
        fail "no $SCHEMA/node_modules (run scripts/deps, or npm ci in tests/k8s-schema) or no node"
fi
done_test "the schema validator is installed (kubernetes-models, yaml, node)"

sf k8s manifests
expect_rc 0
cp "$OUT" "$SCRATCH/default.yaml"
validate "$SCRATCH/default.yaml" || fail "schema: $(cat "$SCRATCH/validate.out")"
[ "$(grep -c ': ok$' "$SCRATCH/validate.out")" -eq 3 ] || fail "expected 3 valid objects: $(cat "$SCRATCH/validate.out")"
grep -q 'Namespace/sysfence: ok' "$SCRATCH/validate.out" || fail "no Namespace"
grep -q 'ConfigMap/sysfence-profiles: ok' "$SCRATCH/validate.out" || fail "no ConfigMap"
grep -q 'DaemonSet/sysfence-agent: ok' "$SCRATCH/validate.out" || fail "no DaemonSet"
expect_no_sanitizer
done_test "manifests: Namespace, ConfigMap, DaemonSet, valid against the Kubernetes schema"

sed 's/memory: 32Mi/memory: lots/' "$SCRATCH/default.yaml" >"$SCRATCH/broken1.yaml"
validate "$SCRATCH/broken1.yaml" && fail "a memory limit of \"lots\" passed the schema"
grep -q 'resources/limits/memory' "$SCRATCH/validate.out" || fail "the validator did not name the field: $(cat "$SCRATCH/validate.out")"
sed 's/readOnlyRootFilesystem:/readOnlyRootFilesytem:/' "$SCRATCH/default.yaml" >"$SCRATCH/broken2.yaml"
validate "$SCRATCH/broken2.yaml" && fail "a misspelt field passed the schema"
grep -q 'unknown field "readOnlyRootFilesytem"' "$SCRATCH/validate.out" || fail "unknown field not named: $(cat "$SCRATCH/validate.out")"
sed 's/kind: DaemonSet/kind: DaemonSett/' "$SCRATCH/default.yaml" >"$SCRATCH/broken3.yaml"
validate "$SCRATCH/broken3.yaml" && fail "an unknown kind passed"
done_test "the validator is real: a bad quantity, a misspelt field, an unknown kind fail"

cmp -s "$SCRATCH/default.yaml" "$SF_SOURCE/deploy/kubernetes/sysfence-agent.yaml" ||
        fail "deploy/kubernetes/sysfence-agent.yaml differs from 'sysfence k8s manifests' (regenerate it)"
validate "$SF_SOURCE/deploy/kubernetes/sysfence-agent.yaml" || fail "schema: $(cat "$SCRATCH/validate.out")"
done_test "deploy/kubernetes/sysfence-agent.yaml is the command's output"

# The image the DaemonSet runs: a Debian 12 build stage, an image FROM scratch
# with the binary where the DaemonSet's command and probe look for it.
# (tests/cli/agent-image.sh builds and runs it.)
CF=$SF_SOURCE/deploy/Containerfile
[ "$(grep -c '^FROM ' "$CF")" -eq 2 ] && grep -q '^FROM docker.io/library/debian:12 AS build$' "$CF" && grep -q '^FROM scratch$' "$CF" ||
        fail "Containerfile: not a Debian 12 build stage and a runtime stage FROM scratch"
grep -q '^FROM .* AS build$' "$CF" || fail "Containerfile: no build stage"
grep -q '^COPY --from=build ' "$CF" || fail "Containerfile: the runtime stage copies nothing from the build"
grep -q 'install -D -m 0755 /build/sysfence /out/usr/bin/sysfence' "$CF" || fail "Containerfile: sysfence is not installed as /usr/bin/sysfence"
grep -q '^ENTRYPOINT \["/usr/bin/sysfence"\]' "$CF" || fail "Containerfile: ENTRYPOINT"
grep -q '^CMD \["k8s", "agent", "--source", "/etc/sysfence/profiles", "--kubelet-root", "/var/lib/kubelet", "--subdir", "sysfence"\]' "$CF" ||
        fail "Containerfile: CMD is not the agent's contract"
grep -q 'meson setup /build --prefix=/usr -Debpf=disabled' "$CF" || fail "Containerfile: the image is built with the eBPF recorder (and libbpf)"
# libbpf (with libelf and zlib) comes only with the eBPF recorder, which the image leaves out
ldd "$SYSFENCE" | awk '$1 ~ /^lib/ { print $1 }' | while read -r lib; do
        case $lib in
        libc.so.* | libyaml-0.so.* | libasan.so.* | libubsan.so.* | libm.so.* | libgcc_s.so.* | libstdc++.so.*) ;;
        libbpf.so.* | libelf.so.* | libz.so.*) ;;
        *) echo "$lib" ;;
        esac
done >"$SCRATCH/libs"
[ -s "$SCRATCH/libs" ] && fail "sysfence links libraries beyond libc and libyaml (the image copies what ldd names): $(cat "$SCRATCH/libs")"
done_test "deploy/Containerfile: a Debian 12 build stage and a runtime FROM scratch, /usr/bin/sysfence running the agent; libyaml is all it links"

# What the build stage copies is enough for its meson setup (it lacked
# meson_options.txt once, and the image could not be built at all).
mkdir -p "$SCRATCH/cf/src"
sed -n 's/^COPY \([^-][^ ]*\( [^ ]*\)*\) [^ ]*$/\1/p' "$CF" | tr ' ' '\n' | while read -r f; do
        [ -n "$f" ] || continue
        mkdir -p "$SCRATCH/cf/src/$(dirname "$f")"
        cp -r "$SF_SOURCE/$f" "$SCRATCH/cf/src/$(dirname "$f")/" || echo "$f"
done >"$SCRATCH/cf/missing"
[ -s "$SCRATCH/cf/missing" ] && fail "the Containerfile copies what the checkout lacks: $(cat "$SCRATCH/cf/missing")"
(cd "$SCRATCH/cf/src" && meson setup "$SCRATCH/cf/build" --prefix=/usr -Debpf=disabled) >"$SCRATCH/cf/setup.log" 2>&1 ||
        fail "meson setup on what the Containerfile copies fails: $(grep -m1 -i error "$SCRATCH/cf/setup.log")"
done_test "deploy/Containerfile copies all its meson setup reads (the build stage configures from exactly those files)"

sf k8s manifests
cmp -s "$OUT" "$SCRATCH/default.yaml" || fail "two runs differ"
sf k8s manifests --from "$SEED"
cp "$OUT" "$SCRATCH/seed.yaml"
sf k8s manifests --from "$SEED"
cmp -s "$OUT" "$SCRATCH/seed.yaml" || fail "two runs with --from differ"
done_test "deterministic"

# The DaemonSet as the brief and the agent's contract want it.
y2j "$SCRATCH/default.yaml" "$SCRATCH/default.json" || fail "not YAML"
"$PY" -S - "$SCRATCH/default.json" >"$SCRATCH/ds.out" 2>&1 <<'EOF' || fail "$(cat "$SCRATCH/ds.out")"
import sys, json
docs = json.load(open(sys.argv[1]))
ds = [d for d in docs if d["kind"] == "DaemonSet"][0]
pod = ds["spec"]["template"]["spec"]
c, = pod["containers"]
args = ["--source", "/etc/sysfence/profiles", "--kubelet-root", "/var/lib/kubelet", "--subdir", "sysfence"]
assert c["command"] == ["/usr/bin/sysfence", "k8s", "agent"] + args, c["command"]
assert c["readinessProbe"]["exec"]["command"] == ["/usr/bin/sysfence", "k8s", "status"] + args
mounts = {m["name"]: m for m in c["volumeMounts"]}
vols = {v["name"]: v for v in pod["volumes"]}
assert vols["kubelet-seccomp"]["hostPath"]["path"] == "/var/lib/kubelet/seccomp"
assert mounts["kubelet-seccomp"]["mountPath"] == "/var/lib/kubelet/seccomp"
assert not mounts["kubelet-seccomp"].get("readOnly", False)
assert vols["profiles"]["configMap"]["name"] == "sysfence-profiles"
assert mounts["profiles"]["mountPath"] == "/etc/sysfence/profiles" and "subPath" not in mounts["profiles"]
assert {"operator": "Exists"} in pod["tolerations"]
sc = c["securityContext"]
assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
assert sc["capabilities"] == {"drop": ["ALL"]}, sc["capabilities"]
assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
r = c["resources"]
assert r["limits"]["memory"] == "32Mi" and "memory" in r["requests"] and "cpu" in r["requests"]
assert ds["spec"]["selector"]["matchLabels"].items() <= ds["spec"]["template"]["metadata"]["labels"].items()
ns = [d for d in docs if d["kind"] == "Namespace"][0]
assert all(d["metadata"].get("namespace", "sysfence") == ns["metadata"]["name"] for d in docs)
EOF
done_test "the DaemonSet: the agent's command and readiness probe, hostPath rw, ConfigMap, tolerations, hardening, resources"

sf k8s lint "$SCRATCH/default.yaml"
expect_rc 0
grep -q ': warning: \|: error: ' "$ERR" && { fail "lint finds problems in the agent's own manifests"; show_output; }
expect_out 'DaemonSet/sysfence-agent: container "agent": RuntimeDefault (pod securityContext)'
done_test "the agent's own DaemonSet passes sysfence k8s lint (RuntimeDefault)"

validate "$SCRATCH/seed.yaml" || fail "schema: $(cat "$SCRATCH/validate.out")"
y2j "$SCRATCH/seed.yaml" "$SCRATCH/seed.json" || fail "not YAML"
"$PY" -S - "$SCRATCH/seed.json" "$SEED" >"$SCRATCH/cm.out" 2>&1 <<'EOF' || fail "$(cat "$SCRATCH/cm.out")"
import sys, os, json
docs = json.load(open(sys.argv[1]))
cm = [d for d in docs if d["kind"] == "ConfigMap"][0]
want = sorted(f for f in os.listdir(sys.argv[2]) if f.endswith(".json"))
assert list(cm["data"]) == want, (list(cm["data"]), want)
for f in want:
    assert cm["data"][f] == open(os.path.join(sys.argv[2], f)).read(), f
EOF
done_test "--from: the tutorial's profiles in the ConfigMap, byte for byte, sorted"

# Text that a block scalar cannot hold as it is: the values must still read back exactly.
mkdir -p "$SCRATCH/odd"
printf '{"defaultAction": "SCMP_ACT_LOG"}' >"$SCRATCH/odd/no-newline.json"
printf '{\r\n  "defaultAction": "SCMP_ACT_LOG"\r\n}\r\n' >"$SCRATCH/odd/crlf.json"
printf '  {"defaultAction":   \n "SCMP_ACT_LOG"}\n\n\n' >"$SCRATCH/odd/blanks.json"
printf '{"defaultAction":\t"SCMP_ACT_LOG"}\n' >"$SCRATCH/odd/tab.json"
printf 'not a profile, skipped\n' >"$SCRATCH/odd/README"
printf '{"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",\n "comment": "C1 \302\205, LS \342\200\250, caf\303\251"}]}\n' >"$SCRATCH/odd/unicode.json"
printf '{"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "caf\303\251"}]}\n' >"$SCRATCH/odd/utf8.json"
sf k8s manifests --from "$SCRATCH/odd"
expect_rc 0
cp "$OUT" "$SCRATCH/odd.yaml"
validate "$SCRATCH/odd.yaml" || fail "schema: $(cat "$SCRATCH/validate.out")"
y2j "$SCRATCH/odd.yaml" "$SCRATCH/odd.json" || fail "not YAML"
"$PY" -S - "$SCRATCH/odd.json" "$SCRATCH/odd" >"$SCRATCH/odd.out" 2>&1 <<'EOF' || fail "$(cat "$SCRATCH/odd.out")"
import sys, os, json
docs = json.load(open(sys.argv[1], encoding="utf-8"))
cm = [d for d in docs if d["kind"] == "ConfigMap"][0]
assert sorted(cm["data"]) == ["blanks.json", "crlf.json", "no-newline.json", "tab.json", "unicode.json", "utf8.json"], sorted(cm["data"])
for f, v in cm["data"].items():
    assert v == open(os.path.join(sys.argv[2], f), newline="", encoding="utf-8").read(), f
EOF
grep -q '^  utf8.json: |$' "$SCRATCH/odd.yaml" || fail "plain UTF-8 did not stay a block"
done_test "--from: files without a final newline, with CRLF, blanks, tabs, C1 controls and U+2028 read back exactly; other files skipped"

sf k8s manifests --namespace seccomp-system --image registry.example/sysfence:9.9
expect_rc 0
validate "$OUT" || fail "schema: $(cat "$SCRATCH/validate.out")"
[ "$(grep -c '^  namespace: seccomp-system$' "$OUT")" -eq 2 ] || fail "namespace not on the ConfigMap and the DaemonSet"
expect_out '  name: seccomp-system'
expect_out 'image: "registry.example/sysfence:9.9"'
done_test "--namespace and --image"

cp "$SEED"/*.json "$SCRATCH/odd/"
cp "$K8S/profiles/broken.json" "$SCRATCH/odd/"
sf k8s manifests --from "$SCRATCH/odd"
expect_rc 1
expect_err "$SCRATCH/odd/broken.json:4:49: syscalls[0].action: error: unknown action \"SCMP_ACT_ALOW\""
[ -s "$OUT" ] && fail "printed manifests with an invalid profile"
sf k8s manifests --from "$SCRATCH/nowhere"
expect_rc 1
expect_err "nowhere"
mkdir -p "$SCRATCH/big"
"$PY" -S -c 'import json
rules = [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "comment": "x" * 60000} for _ in range(20)]
print(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": rules}))' >"$SCRATCH/big/big.json"
sf k8s manifests --from "$SCRATCH/big"
expect_rc 1
expect_err "more than a ConfigMap can"
[ -s "$OUT" ] && fail "printed manifests too big for a ConfigMap"
done_test "--from: an invalid profile (file:line:col), a missing directory, more than a ConfigMap holds: exit 1, nothing printed"

# What record --format crd writes goes in too; a directory with no profile is an error.
mkdir "$SCRATCH/crds" "$SCRATCH/none"
"$SYSFENCE" record -q --format crd -o "$SCRATCH/crds/true-run.yaml" -- true || fail "record --format crd failed"
cp "$SEED/audit.json" "$SCRATCH/crds/"
echo "not a profile" >"$SCRATCH/none/README"
sf k8s manifests --from "$SCRATCH/crds"
expect_rc 0
expect_out "  true-run.json: |"
expect_out "  audit.json: |"
expect_out '"defaultAction": "SCMP_ACT_ERRNO"'
cp "$SCRATCH/crds/audit.json" "$SCRATCH/crds/true-run.json"
sf k8s manifests --from "$SCRATCH/crds"
expect_rc 1
expect_err 'its key "true-run.json" is another file'"'"'s too'
sf k8s manifests --from "$SCRATCH/none"
expect_rc 1
expect_err "no profiles there"
[ -s "$OUT" ] && fail "printed manifests for a directory with no profile"
done_test "--from takes the SeccompProfile YAML record --format crd writes (as the Docker JSON key NAME.json); a directory without profiles: exit 1"

sf k8s manifests --namespace Bad_NS
expect_rc 2
sf k8s manifests --image 'has space'
expect_rc 2
sf k8s manifests extra
expect_rc 2
done_test "manifests usage errors exit 2"

# --- pod-patch -----------------------------------------------------------------------------

# A node where the agent installed the tutorial's and the test's profiles.
ROOT=$SCRATCH/kubelet
mkdir -p "$ROOT/seccomp/sysfence"
cp "$SEED"/*.json "$K8S/profiles/runc-ready.json" "$ROOT/seccomp/sysfence/"

# merge POD PATCH OUT: a strategic merge (maps merge, containers by name);
# POD and PATCH in YAML or JSON, OUT in JSON.
merge()
{
        y2j "$1" "$SCRATCH/merge-pod.json" && y2j "$2" "$SCRATCH/merge-patch.json" &&
                "$PY" -S - "$SCRATCH/merge-pod.json" "$SCRATCH/merge-patch.json" "$3" <<'EOF'
import sys, json
def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        for k, v in b.items():
            if k in ("containers", "initContainers") and isinstance(v, list) and k in a:
                byname = {c["name"]: c for c in a[k]}
                for c in v:
                    if c["name"] in byname:
                        merge(byname[c["name"]], c)
                    else:
                        a[k].append(c)
            elif k in a:
                a[k] = merge(a[k], v)
            else:
                a[k] = v
        return a
    return b
pod, = json.load(open(sys.argv[1]))
patch, = json.load(open(sys.argv[2]))
# The tutorial's pods bind a profile at the pod level already: start without it.
pod["spec"].pop("securityContext", None)
json.dump(merge(pod, patch), open(sys.argv[3], "w"), indent=2)
EOF
}

sf k8s pod-patch "$SEED/fine-grained.json"
expect_rc 0
cp "$OUT" "$SCRATCH/patch.yaml"
y2j "$SCRATCH/patch.yaml" "$SCRATCH/patch.json" || fail "not YAML"
v=$(json_get "$SCRATCH/patch.json" 'd[0] if len(d) == 1 else d')
[ "$v" = "{'spec': {'securityContext': {'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'sysfence/fine-grained.json'}}}}" ] ||
        fail "pod-patch YAML: $v"
done_test "pod-patch: the pod-level securityContext for sysfence/<file name>, valid YAML"

merge "$REAL/k8s-website-fine-pod.yaml" "$SCRATCH/patch.yaml" "$SCRATCH/patched.json" || fail "merge failed"
sf k8s lint --kubelet-root "$ROOT" "$SCRATCH/patched.json"
expect_rc 0
[ -s "$ERR" ] && { fail "lint finds problems in the patched pod"; show_output; }
expect_out 'Localhost "sysfence/fine-grained.json" (pod securityContext)'
validate "$SCRATCH/patched.json" || fail "schema: $(cat "$SCRATCH/validate.out")"
sf k8s lint --kubelet-root "$SCRATCH" "$SCRATCH/patched.json"
expect_rc 1
expect_err 'profile "sysfence/fine-grained.json" is not installed on the node'
done_test "pod-patch merged into the tutorial's pod: lint is clean with the agent's files, and catches them missing"

sf k8s pod-patch --json --container test-container "$SEED/fine-grained.json"
expect_rc 0
json_ok "$OUT" || fail "--json output is not JSON"
v=$(json_get "$OUT" 'd')
[ "$v" = "{'spec': {'containers': [{'name': 'test-container', 'securityContext': {'seccompProfile': {'type': 'Localhost', 'localhostProfile': 'sysfence/fine-grained.json'}}}]}}" ] ||
        fail "pod-patch --json --container: $v"
cp "$OUT" "$SCRATCH/cpatch.json"
merge "$REAL/k8s-website-default-pod.yaml" "$SCRATCH/cpatch.json" "$SCRATCH/cpatched.json" || fail "merge failed"
sf k8s lint --kubelet-root "$ROOT" "$SCRATCH/cpatched.json"
expect_rc 0
[ -s "$ERR" ] && { fail "lint finds problems in the patched pod"; show_output; }
expect_out 'container "test-container": Localhost "sysfence/fine-grained.json" (container securityContext)'
done_test "pod-patch --json --container: valid JSON, merged into a pod it binds that container, lint clean"

sf k8s pod-patch --container test-container "$SEED/fine-grained.json"
y2j "$OUT" "$SCRATCH/cpatch-yaml.json" || fail "not YAML"
"$PY" -S -c 'import sys, json; assert json.load(open(sys.argv[1])) == [json.load(open(sys.argv[2]))]' \
        "$SCRATCH/cpatch-yaml.json" "$SCRATCH/cpatch.json" || fail "the YAML and JSON patches differ"
done_test "pod-patch: the YAML and the JSON say the same"

sf k8s pod-patch --template "$K8S/profiles/runc-ready.json"
expect_rc 0
cp "$OUT" "$SCRATCH/tpatch.yaml"
y2j "$K8S/workloads.yaml" "$SCRATCH/workloads.json" && y2j "$SCRATCH/tpatch.yaml" "$SCRATCH/tpatch.json" || fail "not YAML"
"$PY" -S - "$SCRATCH/workloads.json" "$SCRATCH/tpatch.json" "$SCRATCH/deploy.json" <<'EOF' || fail "merge failed"
import sys, json
d = [x for x in json.load(open(sys.argv[1])) if x["kind"] == "Deployment"][0]
p, = json.load(open(sys.argv[2]))
d["spec"]["template"]["spec"].update(p["spec"]["template"]["spec"])
json.dump(d, open(sys.argv[3], "w"), indent=2)
EOF
sf k8s lint --kubelet-root "$ROOT" "$SCRATCH/deploy.json"
expect_rc 0
[ -s "$ERR" ] && { fail "lint finds problems in the patched Deployment"; show_output; }
expect_out 'Deployment/deploy: container "web": Localhost "sysfence/runc-ready.json" (pod securityContext)'
done_test "pod-patch --template: under spec.template, for a Deployment; lint clean"

sf k8s pod-patch --subdir team/a --json "$SEED/audit.json"
expect_rc 0
v=$(json_get "$OUT" 'd["spec"]["securityContext"]["seccompProfile"]["localhostProfile"]')
[ "$v" = "team/a/audit.json" ] || fail "--subdir: $v"
done_test "pod-patch --subdir"

sf k8s pod-patch "$K8S/profiles/broken.json"
expect_rc 1
expect_err_re 'broken\.json:4:49: syscalls\[0\]\.action: error: unknown action "SCMP_ACT_ALOW"' "the profile's error with line:col"
[ -s "$OUT" ] && fail "printed a patch for an invalid profile"
sf k8s pod-patch "$K8S/profiles/spo.yaml"
expect_rc 1
expect_err "not a file the runtime can read"
sf k8s pod-patch "$SCRATCH/nowhere.json"
expect_rc 1
expect_no_sanitizer
done_test "pod-patch on an invalid profile, an SPO YAML or a missing file: exit 1, no patch"

sf k8s pod-patch
expect_rc 2
sf k8s pod-patch --subdir ../up "$SEED/audit.json"
expect_rc 2
sf k8s pod-patch --subdir /abs "$SEED/audit.json"
expect_rc 2
sf k8s pod-patch "$SEED/audit.json" "$SEED/violation.json"
expect_rc 2
done_test "pod-patch usage errors exit 2"

sf k8s manifests --help
expect_rc 0
expect_out "--from DIR"
sf k8s pod-patch --help
expect_rc 0
expect_out "--container NAME"
done_test "--help"

finish
