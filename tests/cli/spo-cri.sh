#!/bin/sh
# Issue 18's acceptance on a real node: a Security Profiles Operator
# SeccompProfile with baseProfileName: runc-v1.1.5 (as 'sysfence record
# --format crd --base runc' writes it, and as SPO's recorder does), installed
# by 'sysfence k8s install', starts its container on containerd 1.6's CRI
# (tests/cri/README), with and without no_new_privs; the same object without
# its base does not start (StartError: runc's own calls after the filter are
# denied), which is the bug the issue describes; the same object with an
# unknown base is refused naming the base, nothing written; and a chain whose
# middle base comes from 'k8s install --bases DIR' starts too.
set -u
. "$(dirname "$0")/lib.sh"
. "$SF_SOURCE/tests/cri/node.sh"

plan 6

cleanup()
{
        node_stop
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}

# --- no node needed: what install refuses, and --bases ---------------------------------------

KR0=$SCRATCH/k0
mkdir -p "$KR0" "$SCRATCH/bases"
# app -> team-base (in --bases DIR) -> runc-v1.1.5
cat >"$SCRATCH/chain.yaml" <<'EOF'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: chained
spec:
  baseProfileName: team-base
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [uname]
EOF
cat >"$SCRATCH/bases/team.yaml" <<'EOF'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: team-base
spec:
  baseProfileName: runc-v1.1.5
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [getrandom]
EOF
sf k8s install --kubelet-root "$KR0" "$SCRATCH/chain.yaml"
expect_rc 1
expect_err "unknown base \"team-base\""
[ -e "$KR0/seccomp/sysfence/chain.yaml" ] && fail "installed without its base"
sf k8s install --kubelet-root "$KR0" --bases "$SCRATCH/bases" "$SCRATCH/chain.yaml"
expect_rc 0
names=$(json_get "$KR0/seccomp/sysfence/chain.yaml" '" ".join(sorted(n for r in d["syscalls"] if r["action"] == "SCMP_ACT_ALLOW" for n in r["names"]))')
for n in uname getrandom capset prctl setuid; do
        case " $names " in *" $n "*) ;; *) fail "the installed chain lacks $n (own, team-base's, runc-v1.1.5's): $names" ;; esac
done
done_test "k8s install --bases DIR: a chain app -> team-base (from DIR) -> runc-v1.1.5 installed as the union; without --bases refused naming the base"

sed 's/team-base/runc-v9.9.9/' "$SCRATCH/chain.yaml" >"$SCRATCH/unknown.yaml"
sf k8s install --kubelet-root "$KR0" "$SCRATCH/unknown.yaml"
expect_rc 1
expect_err "unknown base \"runc-v9.9.9\""
expect_err "nothing installed"
[ -e "$KR0/seccomp/sysfence/unknown.yaml" ] && fail "a profile with an unknown base was installed"
done_test "an unknown base is refused by install, naming it; nothing installed"

# --- the node -------------------------------------------------------------------------------

node_probe || skip_rest "SPO profiles with a base on a containerd node"
node_up
KR=$NODE_KUBELET
done_test "containerd starts with its own root, state and socket, its CRI answers"

# pod NAME PROFILE: a pod of two containers (no_new_privs on and off, the
# kubelet's default) running the recorded command under sysfence/PROFILE
pod()
{
        cat >"$SCRATCH/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  securityContext:
    seccompProfile:
      type: Localhost
      localhostProfile: sysfence/$2
  containers:
  - name: nnp
    image: busybox
    command: ["sh", "-c", "echo recorded with a base"]
    securityContext:
      allowPrivilegeEscalation: false
  - name: default
    image: busybox
    command: ["sh", "-c", "echo recorded with a base"]
EOF
        cri pod "$SCRATCH/$1.yaml" --kubelet-root "$KR" --wait exit >"$SCRATCH/$1.pod.json" 2>"$SCRATCH/$1.pod.err" ||
                fail "cri pod $1.yaml: $(head -c 400 "$SCRATCH/$1.pod.err")"
}
# pod_get NAME CONTAINER FIELD
pod_get()
{
        "$PY" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["containers"] if c["name"] == sys.argv[2]]
print(c[0].get(sys.argv[3], "") if c else "")' "$SCRATCH/$1.pod.json" "$2" "$3" 2>/dev/null
}

# The SPO object: the workload recorded in the image's rootfs, its runtime's
# calls left to the base, as SPO's recorder leaves them.
(cd "$NODE_ROOTFS" && PATH=$NODE_ROOTFS/bin timeout 60 "$SYSFENCE" record -q --format crd --base runc --name app \
        -o "$SCRATCH/app.yaml" -- sh -c 'echo recorded with a base' >"$SCRATCH/record.out" 2>"$SCRATCH/record.err") ||
        fail "record: $(cat "$SCRATCH/record.err")"
grep -q '^  baseProfileName: runc-v1.1.5$' "$SCRATCH/app.yaml" || fail "the recorded object has no baseProfileName: runc-v1.1.5"
sf k8s install --kubelet-root "$KR" "$SCRATCH/app.yaml" --name app.json
expect_rc 0
expect_out "sysfence/app.json"
pod withbase app.json
for c in nnp default; do
        [ "$(pod_get withbase $c exit_code)" = 0 ] ||
                fail "$c: exit $(pod_get withbase $c exit_code) ($(pod_get withbase $c reason) $(pod_get withbase $c start_error))"
        pod_get withbase $c log | grep -qx "recorded with a base" || fail "$c: its output: $(pod_get withbase $c log)"
done
done_test "a SeccompProfile with baseProfileName: runc-v1.1.5 installed by k8s install starts its containers (no_new_privs on and off) and they run"

# the very object without its base: runc's own calls are denied
sed '/baseProfileName/d' "$SCRATCH/app.yaml" >"$SCRATCH/alone.yaml"
sf k8s install --kubelet-root "$KR" "$SCRATCH/alone.yaml" --name alone.json
expect_rc 0
pod nobase alone.json
for c in nnp default; do
        [ "$(pod_get nobase $c started)" = False ] || fail "$c started without the base's calls"
        [ "$(pod_get nobase $c reason)" = StartError ] || fail "$c: reason $(pod_get nobase $c reason), want StartError"
done
done_test "the same object without its base: StartError (what installing the object's own rules alone did before)"

# the chain through --bases, on the node
cat >"$SCRATCH/chained.yaml" <<EOF
$(sed -e 's/^  name: app$/  name: chained/' -e 's/^  baseProfileName: runc-v1.1.5$/  baseProfileName: team-base/' "$SCRATCH/app.yaml")
EOF
grep -q 'baseProfileName: team-base' "$SCRATCH/chained.yaml" || fail "the chained object was not made"
sf k8s install --kubelet-root "$KR" --bases "$SCRATCH/bases" "$SCRATCH/chained.yaml" --name chained.json
expect_rc 0
pod chain chained.json
for c in nnp default; do
        [ "$(pod_get chain $c exit_code)" = 0 ] ||
                fail "$c: exit $(pod_get chain $c exit_code) ($(pod_get chain $c reason) $(pod_get chain $c start_error))"
done
done_test "app -> team-base (k8s install --bases DIR) -> runc-v1.1.5: its containers start and run"

finish
