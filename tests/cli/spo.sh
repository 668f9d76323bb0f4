#!/bin/sh
# Security Profiles Operator interop, end to end.  spec.baseProfileName is
# resolved by the loader as the operator resolves it (the base's rules, then
# the object's own, sorted by the name of their action; the object's own
# defaultAction and architectures): the flattened profile decides, syscall by
# syscall, what the operator's flattening (written out by hand from its code in
# tests/data/spo/) decides, for every command that loads a profile.  Chains,
# cycles, missing, unknown-version and oci:// bases; --profiles-dir;
# --no-inherit.  Every SeccompProfile sysfence writes passes the operator's
# v1beta1 schema (tests/data/spo/seccompprofile-v1beta1.schema.json, checked by
# tests/data/spo/validate.mjs with tests/k8s-schema's npm packages); an object
# read and written back keeps its meaning, base, labels and annotations.  And a
# SeccompProfile on runc-v1.1.5 installed by 'k8s install' starts its runc
# container, where the object alone does not.
set -u
. "$(dirname "$0")/lib.sh"

plan 24

D=$SF_SOURCE/tests/data/spo
SCHEMA=$SF_SOURCE/tests/k8s-schema
cd "$SCRATCH" || exit 1

# validate FILE...: the operator's schema; its report in $SCRATCH/validate.out.
validate()
{
        node "$D/validate.mjs" "$@" >"$SCRATCH/validate.out" 2>&1
}

# decides PROFILE SYSCALL ACTION [ARG...]: sysfence test says ACTION (with
# errno, "ERRNO(13)") for SYSCALL on amd64.
decides()
{
        _p=$1 _s=$2 _want=$3
        shift 3
        sf test "$_p" "$_s" "$@" --arch amd64 --json
        _got=$("$PY" -S -c 'import json,sys
d = json.load(sys.stdin)
a = d["action"].replace("SCMP_ACT_", "")
print(a + ("(%d)" % d["errno"] if "errno" in d else ""))' <"$OUT" 2>/dev/null)
        [ "$_got" = "$_want" ] || fail "$_s $*: $_got, expected $_want ($(head -c 300 "$ERR"))"
}

# --- the union, as the operator makes it --------------------------------------------

sf convert "$D/chain-explicit.yaml" --name app -o app.json
expect_rc 0
decides app.json read ALLOW             # app's own
decides app.json write ALLOW            # runc-v1.1.5's, two levels down
decides app.json personality ALLOW 0    # team-base's conditional rule
decides app.json personality ERRNO\(1\) 8
decides app.json mkdir ERRNO\(13\)      # app's ERRNO sorts before team-base's LOG
decides app.json uname KILL_PROCESS     # app's KILL_PROCESS before team-base's LOG
decides app.json chmod ALLOW            # app's ALLOW before team-base's ERRNO(38)
decides app.json reboot ERRNO\(1\)      # app's defaultAction, not team-base's KILL_PROCESS
[ "$(json_get app.json 'd["architectures"]')" = "['SCMP_ARCH_X86_64']" ] ||
        fail "architectures: $(json_get app.json 'd.get("architectures")'), expected app's own"
done_test "three-level chain: the union of app, team-base and runc-v1.1.5, as the operator sorts it; app's defaultAction and architectures"

sf diff app.json "$D/chain-explicit.app.spo.json" --arch amd64
expect_rc 0
sf diff app.json "$D/chain-explicit.app.unsorted.json" --arch amd64
expect_rc 1
expect_out "mkdir: ERRNO(13) / LOG"
done_test "diff: the flattening decides as the operator's (by hand from its code); a base-first flattening without its sort does not"

sf convert "$D/chain-explicit.yaml" --name team-base -o team.json
expect_rc 0
decides team.json reboot KILL_PROCESS
decides team.json mkdir LOG
decides team.json exit_group KILL_PROCESS   # app's own rules do not go up
decides team.json capset ALLOW
done_test "a base resolved on its own: its own defaultAction, its base's rules, not the objects built on it"

# runc-v1.1.5 not in the input: sysfence's measured runc set, the one record --base runc adds
sed '/^---$/,$d' "$D/chain-explicit.yaml" >app-only.yaml
sed -n '/^---$/,/^---$/p' "$D/chain-explicit.yaml" | sed '1d;$d' >team-only.yaml
cat app-only.yaml >builtin.yaml
printf -- '---\n' >>builtin.yaml
cat team-only.yaml >>builtin.yaml
sf convert builtin.yaml --name app -o builtin.json
expect_rc 0
decides builtin.json capset ALLOW
decides builtin.json mkdir ERRNO\(13\)
"$SYSFENCE" record -q --base runc -o base-runc.json -- true >/dev/null 2>&1 || fail "record --base runc"
"$SYSFENCE" record -q --base none -o base-none.json -- true >/dev/null 2>&1 || fail "record --base none"
edit names base-none.json | sort -u >none.txt
added=$(edit names base-runc.json | sort -u | grep -vxF -f none.txt)
[ -n "$added" ] || fail "record --base runc adds nothing"
for s in $added; do
        decides builtin.json "$s" ALLOW
done
sed 's/baseProfileName: runc-v1.1.5/baseProfileName: crun-v1.8.1/' team-only.yaml >crun.yaml
sf convert crun.yaml -o crun.json
expect_rc 0
"$SYSFENCE" record -q --base crun -o base-crun.json -- true >/dev/null 2>&1 || fail "record --base crun"
added=$(edit names base-crun.json | sort -u | grep -vxF -f none.txt)
[ -n "$added" ] || fail "record --base crun adds nothing"
for s in $added; do
        decides crun.json "$s" ALLOW
done
done_test "runc-v1.1.5 and crun-v1.8.1 without an object of that name: sysfence's runc 1.1.5 and crun 1.8.1 base sets (what record --base adds)"

# --- errors at the spot -------------------------------------------------------------

sed 's/baseProfileName: runc-v1.1.5/baseProfileName: app/' "$D/chain-explicit.yaml" >cycle.yaml
sf convert cycle.yaml -o cycle.json
expect_rc 1
expect_err "cycle.yaml:$(grep -n 'baseProfileName: app' cycle.yaml | cut -d: -f1):"
expect_err 'base profiles form a cycle: "app" -> "team-base" -> "app"'
[ ! -e cycle.json ] || fail "cycle.json was written"
sf k8s install --kubelet-root "$SCRATCH" cycle.yaml
expect_rc 1
expect_err 'form a cycle'
done_test "a cycle is an error at team-base's spec.baseProfileName naming the objects; nothing written"

sed 's/baseProfileName: runc-v1.1.5/baseProfileName: runc-v9.9.9/' team-only.yaml >unknown.yaml
sf convert unknown.yaml
expect_rc 1
expect_err "unknown.yaml:$(grep -n baseProfileName unknown.yaml | cut -d: -f1):20: spec.baseProfileName: error: SeccompProfile \"team-base\": unknown base \"runc-v9.9.9\""
expect_err 'runc-v1.1.5 (runc 1.1.5), crun-v1.8.1 (crun 1.8.1)'
sf convert app-only.yaml
expect_rc 1
expect_err 'unknown base "team-base"'
done_test "an unknown base (runc-v9.9.9, a missing object) is an error naming it and the runtime bases sysfence has"

# (pulled ones: spo-oci.sh) a registry that is not there: port 1 of 127.0.0.1
sed 's|baseProfileName: runc-v1.1.5|baseProfileName: oci://127.0.0.1:1/security-profiles/runc:v1.1.5|' team-only.yaml >oci.yaml
sf compile oci.yaml -o oci.bpf --base-plain-http
expect_rc 1
expect_err 'base oci://127.0.0.1:1/security-profiles/runc:v1.1.5: cannot pull:'
[ ! -e oci.bpf ] || fail "oci.bpf was written"
done_test "an oci:// base that cannot be pulled: an error naming the reference, nothing written"

# 14 bases is the operator's limit (it fails at recursion level 15)
chain()
{
        _n=$1
        : >"chain$_n.yaml"
        _i=0
        while [ $_i -le "$_n" ]; do
                _base=
                [ $_i -lt "$_n" ] && _base="  baseProfileName: p$((_i + 1))"
                printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: p%d\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n%s\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [s%d]\n---\n' \
                        $_i "$_base" $_i >>"chain$_n.yaml"
                _i=$((_i + 1))
        done
        sed -i 's/names: \[s\([0-9]*\)\]/names: [getpid]/' "chain$_n.yaml"
}
chain 14
sf convert chain14.yaml --name p0
expect_rc 0
chain 15
sf convert chain15.yaml --name p0
expect_rc 1
expect_err 'more than 14 bases in a chain'
done_test "a chain of 14 bases resolves, 15 is refused as the operator refuses it"

# hostile: 1000 objects on one base of 16000 rules would copy 16 M rules
"$PY" -S - <<'P' >hostile.yaml
head = "apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"
docs = [head + "metadata: {name: big}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n" +
        "  - {action: SCMP_ACT_ALLOW, names: [read]}\n" * 16000]
docs += [head + "metadata: {name: p%d}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  baseProfileName: big\n" % i
         for i in range(1000)]
print("---\n".join(docs))
P
limit=30
sf convert hostile.yaml --name p1 -o hostile.json
limit=120
expect_rc 1
expect_err "more than 65536 rules"
expect_no_sanitizer
done_test "1000 objects on a base of 16000 rules: refused (the unions' budget), not 16 M rules copied"

# --- every consumer, and --profiles-dir / --no-inherit --------------------------------

mkdir -p bases
sed -n '/^---$/,$p' "$D/chain-explicit.yaml" | sed '1d' >bases/team.yaml
sf diff app-only.yaml "$D/chain-explicit.app.spo.json" --arch amd64 --profiles-dir bases
expect_rc 0
sf test app-only.yaml write --arch amd64 --profiles-dir bases --json
expect_rc 0
expect_out 'base(runc-v1.1.5).spec.syscalls[0].names[4] (\"write\")'
sf explain app-only.yaml --profiles-dir bases
expect_rc 0
expect_out "SCMP_ACT_ERRNO(13) (1):"
done_test "--profiles-dir: bases from SeccompProfile files; diff, test (the deciding rule names its base) and explain"

sf compile app-only.yaml --profiles-dir bases -o app.bpf
expect_rc 0
sf test --bpf app.bpf mkdir --arch amd64 --json
expect_out '"errno":13'
echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}' >getpid.json
sf merge app-only.yaml getpid.json --profiles-dir bases -o merged.json
expect_rc 0
decides merged.json capset ALLOW
decides merged.json getpid ALLOW
done_test "compile and merge get the union"

cat >deny-uname.yaml <<'EOF'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: deny-uname
spec:
  defaultAction: SCMP_ACT_ALLOW
  syscalls:
  - action: SCMP_ACT_ERRNO
    errnoRet: 38
    names: [uname]
EOF
cat >allow-most.yaml <<'EOF'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: allow-most
spec:
  defaultAction: SCMP_ACT_ALLOW
  baseProfileName: deny-uname
EOF
mkdir -p runbases
mv deny-uname.yaml runbases/
if skip_unless "run: the profile's base applies to the command" seccomp; then
        sf run --profile allow-most.yaml --profiles-dir runbases -- uname
        [ "$rc" -ne 0 ] || fail "uname ran under a base that denies it"
        sf run --profile allow-most.yaml --no-inherit -- uname
        expect_rc 0
        expect_err "warning: --no-inherit"
        done_test "run: the profile's base applies to the command (--no-inherit: the object alone, with a warning)"
fi

sf convert app-only.yaml --no-inherit -o alone.json
expect_rc 0
expect_err "--no-inherit: spec.baseProfileName is not resolved"
decides alone.json write ERRNO\(1\)
done_test "--no-inherit: the object's own rules alone, with a warning"

# --- SeccompProfiles sysfence writes -------------------------------------------------

if [ -f "$SCHEMA/node_modules/ajv/package.json" ] && [ -d "$SCHEMA/node_modules/yaml" ] && command -v node >/dev/null; then
        :
else
        fail "no $SCHEMA/node_modules (run scripts/deps, or npm ci in tests/k8s-schema) or no node"
fi
validate "$D/chain-explicit.yaml" || fail "the test's own objects: $(cat validate.out)"
printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALOW\n    names: [read]\n' >broken1.yaml
printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read]\n    args: [{index: 0, op: SCMP_CMP_EQ, value: 9223372036854775808}]\n' >broken2.yaml
printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: x}\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  defaultErrnoRet: 38\n' >broken3.yaml
for b in broken1 broken2 broken3; do
        validate $b.yaml && fail "$b.yaml passed the schema"
done
done_test "the operator's schema validator is there and refuses a bad action, a value above int64, a field it lacks"

sf convert "$D/chain-explicit.yaml" --to crd -o kept.yaml
expect_rc 0
validate kept.yaml || fail "schema: $(cat validate.out)"
[ "$(grep -c '^  baseProfileName:' kept.yaml)" -eq 2 ] || fail "baseProfileName not kept: $(grep baseProfileName kept.yaml)"
grep -q 'app.kubernetes.io/part-of: shop' kept.yaml || fail "a label was lost"
grep -q 'example.com/owner: team-a' kept.yaml || fail "an annotation was lost"
sf convert kept.yaml --to crd -o kept2.yaml
cmp -s kept.yaml kept2.yaml || fail "converting the output again changed it"
for o in app team-base; do
        sf convert kept.yaml --name $o -o rt-$o.json
        expect_rc 0
done
sf diff rt-app.json app.json --arch amd64
expect_rc 0
sf diff rt-team-base.json team.json --arch amd64
expect_rc 0
done_test "round trip SPO objects -> sysfence -> SPO objects: schema-valid, bases, labels and annotations kept, same decisions, stable"

sf convert "$D/chain-explicit.yaml" --to crd --inline-base -o inlined.yaml
expect_rc 0
validate inlined.yaml || fail "schema: $(cat validate.out)"
grep -q baseProfileName inlined.yaml && fail "--inline-base kept a baseProfileName"
sf convert inlined.yaml --name app -o inl-app.json
sf diff inl-app.json app.json --arch amd64
expect_rc 0
done_test "convert --to crd --inline-base: the union in the object, schema-valid, deciding alike"

cat >stale.yaml <<'EOF'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: got-from-cluster
  annotations:
    syscalls: '[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]'
    kubectl.kubernetes.io/last-applied-configuration: '{}'
    keep.example.com/me: "yes"
  labels:
    spo.x-k8s.io/partial: "true"
spec:
  defaultAction: SCMP_ACT_ERRNO
  disabled: true
  baseProfileName: runc-v1.1.5
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [read]
    args:
    - index: 1
      value: 9223372036854775807
      op: SCMP_CMP_LE
status:
  status: Installed
EOF
sf convert stale.yaml --to crd -o stale.out.yaml
expect_rc 0
validate stale.out.yaml || fail "schema: $(cat validate.out)"
grep -q 'keep.example.com/me: "yes"' stale.out.yaml || fail "an annotation was lost: $(cat stale.out.yaml)"
grep -q 'spo.x-k8s.io/partial: "true"' stale.out.yaml || fail "the partial label was lost"
grep -q 'disabled: true' stale.out.yaml || fail "disabled was lost"
grep -q 'last-applied\|^    syscalls:' stale.out.yaml && fail "a stale annotation was carried over"
sed 's/9223372036854775807/9223372036854775808/' stale.yaml >big.yaml
sf convert big.yaml --to crd -o big.out.yaml
expect_rc 1
expect_err 'int64'
[ ! -e big.out.yaml ] || fail "big.out.yaml was written"
done_test "an object from a cluster: operator-computed annotations dropped, the rest kept; a value the schema cannot hold is an error, not an invalid object"

printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata: {name: z}\nspec:\n  defaultAction: SCMP_ACT_ALLOW\n  syscalls:\n  - action: SCMP_ACT_ERRNO\n    errnoRet: 0\n    names: [uname]\n' >errno0.yaml
sf check errno0.yaml
expect_err "errno0.yaml:8:15: spec.syscalls[0].errnoRet: warning: errnoRet 0 is dropped by the Security Profiles Operator"
decides errno0.yaml uname ERRNO\(1\)
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}]}' >errno0.json
decides errno0.json uname ERRNO\(0\)
sf convert errno0.json --to crd -o errno0.out.yaml
expect_rc 1
expect_err "errnoRet 0 cannot be written in a SeccompProfile"
done_test "errnoRet 0: in a SeccompProfile EPERM, as the operator installs it (omitempty), with a warning; not written into one"

n=0
for f in "$SF_SOURCE"/tests/data/good/* "$SF_SOURCE"/examples/tutorial/profiles/*.json "$SF_MOBY" "$SF_CONTAINERS_COMMON"; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        sf convert "$f" --to crd --arch amd64 --kernel 6.1 --lossy -o "crd$n.yaml"
        if [ "$rc" -eq 0 ]; then
                validate "crd$n.yaml" || fail "${f##*/}: $(cat validate.out)"
        else
                expect_rc 1
                [ -s "$ERR" ] || fail "${f##*/}: refused without a message"
        fi
done
for rt in $("$SYSFENCE" profile list 2>/dev/null | awk '{ print $1 }'); do
        sf profile default --for "$rt" --to crd -o "default-$rt.yaml"
        [ "$rc" -eq 0 ] || continue
        validate "default-$rt.yaml" || fail "profile default --for $rt: $(cat validate.out)"
done
[ $n -ge 5 ] || fail "only $n profiles converted"
done_test "convert --to crd of the test and real profiles, and profile default --to crd: each object passes the schema ($n profiles)"

"$SYSFENCE" record -q --format crd --base runc --name rec-app -o rec.yaml -- /bin/true >/dev/null 2>&1 || fail "record"
"$SYSFENCE" record -q --format crd --base runc --inline-base --name rec-inline -o rec-inline.yaml -- /bin/true >/dev/null 2>&1 || fail "record --inline-base"
"$SYSFENCE" record -q --format crd -o rec-none.yaml -- /bin/true >/dev/null 2>&1 || fail "record --base none"
validate rec.yaml rec-inline.yaml rec-none.yaml || fail "schema: $(cat validate.out)"
grep -qx '  baseProfileName: runc-v1.1.5' rec.yaml || fail "record --base runc --format crd does not name runc-v1.1.5: $(head -8 rec.yaml)"
grep -q baseProfileName rec-inline.yaml rec-none.yaml && fail "a baseProfileName with --inline-base or no base"
grep -qx '    - capset' rec.yaml && fail "the base's syscalls are inlined though they are named"
sf diff rec.yaml rec-inline.yaml --arch amd64
expect_rc 0
done_test "record --format crd: names runc-v1.1.5 instead of inlining it (--inline-base inlines); both decide alike, schema-valid"

# --- the node: k8s install, and a runc container ---------------------------------------

sf k8s install --kubelet-root "$SCRATCH" unknown.yaml
expect_rc 1
expect_err 'unknown base "runc-v9.9.9"'
[ -z "$(find "$SCRATCH/seccomp" -name 'unknown*' 2>/dev/null)" ] || fail "something was installed"
done_test "k8s install refuses a SeccompProfile with an unknown base, naming it; nothing installed"

if missing root runc busybox; then
        skip_rest "runc containers"
        exit $?
fi

bundle=$SCRATCH/bundle
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/"
(cd "$bundle" && runc spec) || fail "runc spec"
# runc_with PROFILE CMD...: run CMD in the bundle with PROFILE (runtime JSON) as
# linux.seccomp, no_new_privs off (Kubernetes' default); sets $rc
runc_with()
{
        _prof=$1
        shift
        "$PY" -S - "$bundle/config.json" "$_prof" "$@" <<'P'
import json, sys
cfg, sec, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(cfg))
c["process"]["terminal"] = False
c["process"]["noNewPrivileges"] = False
c["process"]["args"] = args
c["root"]["readonly"] = True
c["linux"]["seccomp"] = json.load(open(sec))
json.dump(c, open(cfg, "w"))
P
        ( cd "$bundle" && timeout 60 runc run "sf-spo-$$" ) >"$OUT" 2>"$ERR"
        rc=$?
        runc delete -f "sf-spo-$$" >/dev/null 2>&1
}

"$SYSFENCE" record -q --format crd --base runc --name busybox-echo -o bb.yaml -- /bin/busybox echo in runc >/dev/null 2>&1 ||
        fail "record busybox"
grep -qx '  baseProfileName: runc-v1.1.5' bb.yaml || fail "the recorded object does not name runc-v1.1.5"
K=$SCRATCH/kubelet
mkdir -p "$K"
sf k8s install --kubelet-root "$K" bb.yaml
expect_rc 0
runc_with "$K/seccomp/sysfence/bb.yaml" /bin/busybox echo in runc
expect_rc 0
expect_out "in runc"
done_test "a SeccompProfile on baseProfileName runc-v1.1.5, installed by k8s install, starts its runc container"

sf k8s install --kubelet-root "$K" --subdir alone --no-inherit bb.yaml
expect_rc 0
runc_with "$K/seccomp/alone/bb.yaml" /bin/busybox echo in runc
[ "$rc" -ne 0 ] || fail "the object's own rules alone started the container: the test shows nothing"
done_test "the same object installed alone (--no-inherit) does not start: runc's own calls need the base"

# The node agent: a key's base is another key of the same ConfigMap; a key that
# is no profile beside them takes nothing from the others.
. "$(dirname "$0")/kubelet-update.sh"
stage=$SCRATCH/stage
mkdir -p "$stage"
cat >"$stage/app.yaml" <<'Y'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: app
spec:
  defaultAction: SCMP_ACT_ERRNO
  baseProfileName: team-base
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [read]
Y
cat >"$stage/team-base.yaml" <<'Y'
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: team-base
spec:
  defaultAction: SCMP_ACT_ERRNO
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [write, exit_group]
Y
echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$stage/broken.json"
cm_update "$SCRATCH/cm" "$stage"
mkdir -p "$SCRATCH/agent-root"
sf k8s agent --once --source "$SCRATCH/cm" --kubelet-root "$SCRATCH/agent-root"
expect_rc 1
expect_err "rejected broken.json"
grep -q "rejected app.yaml" "$ERR" && fail "the key on a base was rejected: $(grep rejected "$ERR")"
inst=$SCRATCH/agent-root/seccomp/sysfence/app.yaml
[ -f "$inst" ] || fail "app.yaml was not installed: $(cat "$ERR")"
for call in read write exit_group; do
        sf test "$inst" "$call" --expect ALLOW
        [ "$rc" = 0 ] || fail "the installed app.yaml does not allow $call (from its base): $(cat "$OUT" "$ERR")"
done
sf test "$inst" mkdir --expect ERRNO
expect_rc 0
done_test "the agent: a key on a base that is another key of the ConfigMap is installed flattened; an invalid key beside them is rejected alone"

finish
