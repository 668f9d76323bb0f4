#!/bin/sh
# sysfence k8s install, end to end: every real and good profile is validated,
# compiled for this node and installed under a simulated kubelet root, bytes as
# given when the runtime can read them (else Docker JSON); one invalid profile
# and nothing is installed; the localhostProfile values are printed.
set -u
. "$(dirname "$0")/lib.sh"

plan 12

ROOT=$SCRATCH/kubelet
DIR=$ROOT/seccomp/sysfence
mkdir -p "$ROOT"

set -- "$REAL"/*.json "$SEED"/*.json "$GOOD"/*
n=$#
sf k8s install --kubelet-root "$ROOT" "$@"
expect_rc 0
[ "$(grep -c '^sysfence/' "$OUT")" -eq "$n" ] || fail "expected $n localhostProfile lines: $(cat "$OUT")"
expect_out "sysfence/moby-default.json"
done_test "install: $n profiles, one localhostProfile line each"

for f in "$@"; do
        b=${f##*/}
        [ -f "$DIR/$b" ] || { fail "$b not installed"; continue; }
        json_ok "$DIR/$b" || fail "$b: not JSON"
        case $b in
        crd-flow.yaml | oci-config.json | bom.json) ;;
        *)
                installed_form "$f" "$SCRATCH/want.json"
                cmp -s "$SCRATCH/want.json" "$DIR/$b" || fail "$b: the bytes differ from the profile's (or its form for this node)"
                ;;
        esac
        [ "$(stat -c %a "$DIR/$b")" = 644 ] || fail "$b: mode $(stat -c %a "$DIR/$b")"
done
done_test "each profile is installed (mode 0644), bytes as given when it is plain runtime JSON"

# What containerd ignores (archMap, includes/excludes) is resolved for the
# node: the file installed decides, read as containerd reads it (every rule),
# what the original decides under Docker's semantics with the default
# capabilities; what depends on other capabilities is named; --as-given keeps it.
mkdir "$SCRATCH/r4" "$SCRATCH/r5"
sf k8s install --kubelet-root "$SCRATCH/r4" "$REAL/moby-default.json"
expect_rc 0
expect_err "containerd ignores archMap and includes/excludes, and would apply every rule: installed resolved for"
expect_err "left out, as they depend on other capabilities: "
expect_err "mount"
I=$SCRATCH/r4/seccomp/sysfence/moby-default.json
"$PY" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(1 if d.get("archMap") or any(r.get("includes") or r.get("excludes") for r in d["syscalls"]) else 0)' "$I" ||
        fail "the installed file still has archMap or includes/excludes"
"$SYSFENCE" compile -q "$REAL/moby-default.json" --caps default -o "$SCRATCH/docker.bpf" &&
        "$SYSFENCE" compile -q "$I" --caps all -o "$SCRATCH/containerd.bpf" &&
        cmp -s "$SCRATCH/docker.bpf" "$SCRATCH/containerd.bpf" ||
        fail "the installed file, whatever the capabilities, decides otherwise than the original under Docker semantics"
sf k8s install --kubelet-root "$SCRATCH/r5" --as-given "$REAL/moby-default.json"
expect_rc 0
cmp -s "$REAL/moby-default.json" "$SCRATCH/r5/seccomp/sysfence/moby-default.json" || fail "--as-given changed the bytes"
done_test "archMap and includes/excludes resolved for the node (the capability-gated rules named); --as-given keeps them"

[ "$(json_get "$DIR/crd-flow.yaml" 'd["defaultAction"]')" = SCMP_ACT_ERRNO ] || fail "crd-flow.yaml: not converted"
json_get "$DIR/oci-config.json" '"ociVersion" in d' | grep -qx False || fail "oci-config.json: still a whole config"
head -c 3 "$DIR/bom.json" | od -An -tx1 | grep -q 'ef bb bf' && fail "bom.json: the byte order mark is kept (Go's JSON refuses it)"
done_test "a SeccompProfile, an OCI config.json and a JSON with a byte order mark become Docker JSON"

ls -a "$DIR" | grep -q '^\.sysfence-tmp' && fail "temporary files are left"
done_test "no temporary file is left"

cp -r "$DIR" "$SCRATCH/before"
sf k8s install --kubelet-root "$ROOT" "$SEED/audit.json" "$BAD/arg-index-6.json" "$BAD/unknown-action.json"
expect_rc 1
expect_err_re 'arg-index-6\.json:[0-9]+:[0-9]+: syscalls\[0\]\.args\[0\]\.index: error' "the spot of the first error"
expect_err "unknown-action.json:"
expect_err "nothing installed: 2 of 3 profiles are invalid"
[ -s "$OUT" ] && fail "stdout: $(cat "$OUT")"
diff -r "$SCRATCH/before" "$DIR" >/dev/null || fail "the directory changed"
done_test "an invalid profile: exit 1, file:line:col for each, nothing installed (all or nothing)"

sf k8s install --kubelet-root "$SCRATCH/r2" --subdir mine --json "$SEED/violation.json"
expect_rc 1
mkdir "$SCRATCH/r2"
sf k8s install --kubelet-root "$SCRATCH/r2" --subdir mine --json "$SEED/violation.json"
expect_rc 0
[ "$(json_get "$OUT" 'd["installed"][0]["localhostProfile"]')" = mine/violation.json ] || fail "json: $(cat "$OUT")"
[ "$(json_get "$OUT" 'd["installed"][0]["path"]')" = "$SCRATCH/r2/seccomp/mine/violation.json" ] || fail "json: $(cat "$OUT")"
cmp -s "$SEED/violation.json" "$SCRATCH/r2/seccomp/mine/violation.json" || fail "not installed"
done_test "--subdir and --json; a missing kubelet root is an error, seccomp/ is created under it"

# "-" is standard input, installed under --name; never a file named "-".
mkdir "$SCRATCH/r3"
sf_in "$SEED/audit.json" k8s install --kubelet-root "$SCRATCH/r3" -
expect_rc 2
expect_err "needs --name"
sf_in "$SEED/audit.json" k8s install --kubelet-root "$SCRATCH/r3" --name from-stdin.json -
expect_rc 0
expect_out "sysfence/from-stdin.json"
cmp -s "$SEED/audit.json" "$SCRATCH/r3/seccomp/sysfence/from-stdin.json" || fail "not installed from stdin"
[ -e "$SCRATCH/r3/seccomp/sysfence/-" ] && fail "a file named - was installed"
sf k8s install --kubelet-root "$SCRATCH/r3" --name x.json "$SEED/audit.json" "$SEED/violation.json"
expect_rc 2
expect_err "--name names one profile"
done_test "install -: standard input, named by --name (required); --name names one profile"

sf k8s install --json --kubelet-root "$ROOT" "$BAD/arg-index-6.json"
expect_rc 1
[ "$(json_get "$OUT" 'len(d["installed"]), d["findings"][0]["line"] > 0')" = "(0, True)" ] || fail "json: $(cat "$OUT")"
done_test "--json with an invalid profile: nothing installed, the findings with their spots"

sf k8s install --kubelet-root "$ROOT" "$SEED/audit.json" "$SCRATCH/before/audit.json"
expect_rc 2
expect_err "both be installed as \"audit.json\""
cp "$SEED/audit.json" "$SCRATCH/.hidden.json"
sf k8s install --kubelet-root "$ROOT" "$SCRATCH/.hidden.json"
expect_rc 2
sf k8s install --kubelet-root "$ROOT"
expect_rc 2
sf k8s install --kubelet-root "$ROOT" --subdir a/b "$SEED/audit.json"
expect_rc 2
done_test "usage errors: two profiles with one name, a dot-name, no profile, a path as --subdir"

sf k8s install --kubelet-root "$ROOT" --arch arm64 --kernel 5.4 --caps none "$REAL/moby-default.json"
expect_rc 0
done_test "--arch, --caps and --kernel pick the node compiled for"

sf k8s install --help
expect_rc 0
expect_out "usage: sysfence k8s install"
expect_no_sanitizer
done_test "--help"

finish
