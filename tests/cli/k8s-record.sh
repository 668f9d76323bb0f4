#!/bin/sh
# sysfence k8s record on a real node: containerd 1.6's CRI as this test's own
# process, driven as the kubelet drives it (tests/cri/README).  A two-container
# pod run under the audit profile k8s record installs gives one profile per
# container; each, with a kill-by-default action, runs its container again on
# containerd, named by the localhostProfile line k8s record printed, and the
# same profile with one syscall fewer gets the container killed.  Two replicas
# found by a selector give one merged profile, byte for byte the same whichever
# pod runs first; --format crd objects pass the operator's schema.  Errors (not
# root, an unwritable DIR, a pod that never comes) exit 1 and write nothing.
set -u
. "$(dirname "$0")/lib.sh"
. "$SF_SOURCE/tests/cri/node.sh"

plan 10
PODS=$SF_SOURCE/tests/data/k8s-record
SCHEMA=$SF_SOURCE/tests/k8s-schema
REC_PID=

cleanup()
{
        [ -n "$REC_PID" ] && kill -TERM "$REC_PID" 2>/dev/null && wait "$REC_PID" 2>/dev/null
        node_stop
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

# --- errors first: they need no node ------------------------------------------------------

mkdir -p "$SCRATCH/kr0" "$SCRATCH/out0"
if skip_unless "not root: exit 1" other-user; then
        # shellcheck disable=SC2086 # $as_user is a command's words
        timeout 20 $as_user "$SYSFENCE" k8s record --pod default/x -o "$SCRATCH/out0" --kubelet-root "$SCRATCH/kr0" \
                >"$OUT" 2>"$ERR"
        rc=$?
        expect_rc 1
        expect_err "k8s record: needs root"
        [ -e "$SCRATCH/kr0/seccomp" ] && fail "not root, yet $SCRATCH/kr0/seccomp was made"
        done_test "not root: exit 1, says it needs root, installs nothing"
fi

node_probe || skip_rest "k8s record on a containerd node"
sf k8s record --pod default/x -o "$SCRATCH/absent" --kubelet-root "$SCRATCH/kr0"
expect_rc 1
expect_err "k8s record: -o $SCRATCH/absent: No such file or directory"
[ -e "$SCRATCH/kr0/seccomp" ] && fail "-o absent, yet the audit profile was installed"
mkdir -p "$SCRATCH/ro"
chattr +i "$SCRATCH/ro" 2>/dev/null && ro=1 || ro=
if [ -n "$ro" ]; then
        sf k8s record --pod default/x -o "$SCRATCH/ro" --kubelet-root "$SCRATCH/kr0"
        expect_rc 1
        expect_err "k8s record: -o $SCRATCH/ro: cannot write in it"
        chattr -i "$SCRATCH/ro"
fi
sf k8s record --pod default/nowhere -o "$SCRATCH/out0" --kubelet-root "$SCRATCH/kr0" --state-dir "$SCRATCH/nostate" --timeout 1
expect_rc 1
expect_err "k8s record: pod default/nowhere: not on this node after 1 s"
[ -z "$(ls -A "$SCRATCH/out0")" ] || fail "files written for a pod that never came: $(ls "$SCRATCH/out0")"
[ -f "$SCRATCH/kr0/seccomp/sysfence/record.json" ] || fail "the audit profile was not installed"
sf check "$SCRATCH/kr0/seccomp/sysfence/record.json"
expect_rc 0
done_test "errors: -o absent${ro:+ or read-only}: exit 1 before anything is installed; a pod that never comes: exit 1 after --timeout, nothing written"

node_up
KR=$NODE_KUBELET
SECCOMP=$KR/seccomp
AUDIT_REF=localhost/$SECCOMP/sysfence/record.json

# record_start NAME ARGS...: k8s record in the background, its output in
# $SCRATCH/NAME.out and .err, once it has installed the profile and listens
record_start()
{
        _n=$1
        shift
        "$SYSFENCE" k8s record "$@" --kubelet-root "$KR" --state-dir "$NODE/state" \
                >"$SCRATCH/$_n.out" 2>"$SCRATCH/$_n.err" &
        REC_PID=$!
        wait_secs 10 grep -qs 'installed ' "$SCRATCH/$_n.err" || fail "k8s record did not start: $(cat "$SCRATCH/$_n.err")"
}
# record_end NAME: waits (30 s at most) for it to end by itself; rc in $rc
record_end()
{
        wait_secs 30 gone "$REC_PID" || { fail "k8s record did not end when the pods did: $(cat "$SCRATCH/$1.err")"; kill -TERM "$REC_PID"; }
        wait "$REC_PID"
        rc=$?
        REC_PID=
        [ "$rc" = 0 ] || fail "k8s record exited $rc: $(cat "$SCRATCH/$1.err")"
        grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/$1.err" && fail "sanitizer: $(cat "$SCRATCH/$1.err")"
}
# pod_get NAME CONTAINER FIELD: a field of one container in cri pod's result
pod_get()
{
        "$PY" -S -c 'import json, sys
f, name, key = sys.argv[1:]
by = {c["name"]: c for c in json.load(open(f))["containers"]}
print(by.get(name, {}).get(key, ""))' "$SCRATCH/$1.pod.json" "$2" "$3" 2>/dev/null
}
run_pod()
{
        _f=$1 _n=$2
        shift 2
        cri pod "$_f" --kubelet-root "$KR" "$@" >"$SCRATCH/$_n.pod.json" 2>"$SCRATCH/$_n.pod.err" ||
                fail "cri pod $_f: $(head -c 400 "$SCRATCH/$_n.pod.err")"
}

# --- a two-container pod, recorded from its start -------------------------------------------

mkdir -p "$SCRATCH/rec"
record_start rec --pod default/rec -o "$SCRATCH/rec" --default-action kill
[ -f "$SECCOMP/sysfence/record.json" ] || fail "no $SECCOMP/sysfence/record.json"
run_pod "$PODS/rec.yaml" rec --wait exit
for c in lister maker; do
        [ "$(pod_get rec $c exit_code)" = 0 ] || fail "rec/$c under the audit profile: exit $(pod_get rec $c exit_code) $(pod_get rec $c start_error)"
done
record_end rec
ls "$SCRATCH/rec" >"$SCRATCH/rec.ls"
[ "$(cat "$SCRATCH/rec.ls" | tr '\n' ' ')" = "rec-lister.json rec-maker.json " ] || fail "files: $(cat "$SCRATCH/rec.ls" | tr '\n' ' ')"
grep -qx 'lister: localhostProfile: sysfence/rec-lister.json' "$SCRATCH/rec.out" || fail "stdout: $(cat "$SCRATCH/rec.out")"
grep -qx 'maker: localhostProfile: sysfence/rec-maker.json' "$SCRATCH/rec.out" || fail "stdout: $(cat "$SCRATCH/rec.out")"
for c in lister maker; do
        f=$SCRATCH/rec/rec-$c.json
        sf check "$f"
        expect_rc 0
        grep -q '"defaultAction": "SCMP_ACT_KILL_PROCESS"' "$f" || fail "$c: not kill-by-default: $(head -c 200 "$f")"
        edit names "$f" >"$SCRATCH/$c.names"
done
grep -qx mkdir "$SCRATCH/maker.names" || grep -qx mkdirat "$SCRATCH/maker.names" || fail "maker's profile lacks mkdir"
grep -qx mkdir "$SCRATCH/lister.names" && fail "lister's profile has mkdir: maker's calls went to it"
grep -qx mkdirat "$SCRATCH/lister.names" && fail "lister's profile has mkdirat: maker's calls went to it"
grep -qx getdents64 "$SCRATCH/lister.names" || fail "lister's profile lacks getdents64 (ls)"
grep -q 'base runc' "$SCRATCH/rec.err" || fail "the base was not runc's: $(cat "$SCRATCH/rec.err")"
done_test "a two-container pod under sysfence/record.json: one profile each ($(wc -l <"$SCRATCH/lister.names") and $(wc -l <"$SCRATCH/maker.names") names), each with its own calls (mkdir only in maker's), runc's base added; $(grep -o '[0-9]* records read.*' "$SCRATCH/rec.err")"

# --- each reruns its container under kill-by-default, named as k8s record printed -----------

sf k8s install --kubelet-root "$KR" "$SCRATCH/rec/rec-lister.json" "$SCRATCH/rec/rec-maker.json"
expect_rc 0
# the manifest names each container's profile by the line k8s record printed for it
"$CRI_PY" - "$PODS/rec.yaml" "$SCRATCH/rec.out" >"$SCRATCH/rerun.yaml" <<'P' || fail "rerun.yaml: $(cat "$SCRATCH/rerun.yaml")"
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
lp = dict(l.split(": localhostProfile: ", 1) for l in open(sys.argv[2]).read().splitlines())
d["metadata"]["name"] = "rerun"
del d["spec"]["securityContext"]
for c in d["spec"]["containers"]:
    c["securityContext"] = {"seccompProfile": {"type": "Localhost", "localhostProfile": lp[c["name"]]}}
print(yaml.safe_dump(d))
P
run_pod "$SCRATCH/rerun.yaml" rerun --wait exit
for c in lister maker; do
        [ "$(pod_get rerun $c exit_code)" = 0 ] || fail "rerun/$c: exit $(pod_get rerun $c exit_code) ($(pod_get rerun $c reason) $(pod_get rerun $c start_error))"
        pod_get rerun $c log | grep -qx "$c-done" || fail "rerun/$c: its output: $(pod_get rerun $c log)"
done
# one syscall fewer: maker's without mkdir (and mkdirat)
edit drop "$SCRATCH/rec/rec-maker.json" mkdir "$SCRATCH/fewer1.json"
edit drop "$SCRATCH/fewer1.json" mkdirat "$SCRATCH/rec-maker-fewer.json"
sf k8s install --kubelet-root "$KR" "$SCRATCH/rec-maker-fewer.json"
expect_rc 0
sed -e 's/name: rerun$/name: fewer/' -e 's|sysfence/rec-maker.json|sysfence/rec-maker-fewer.json|' "$SCRATCH/rerun.yaml" >"$SCRATCH/fewer.yaml"
run_pod "$SCRATCH/fewer.yaml" fewer --wait exit
[ "$(pod_get fewer maker exit_code)" = 159 ] || fail "maker without mkdir: exit $(pod_get fewer maker exit_code), want 159 (SIGSYS): $(pod_get fewer maker log)"
pod_get fewer maker log | grep -qx making || fail "maker without mkdir did not start its workload: $(pod_get fewer maker log)"
[ "$(pod_get fewer lister exit_code)" = 0 ] || fail "lister beside it: exit $(pod_get fewer lister exit_code)"
done_test "each profile (SCMP_ACT_KILL_PROCESS default) runs its container again on containerd, named by the printed localhostProfile; without mkdir, maker is killed by SIGSYS (exit 159) after it started"

# --- --format crd: SeccompProfiles the operator's schema takes ----------------------------

mkdir -p "$SCRATCH/crd"
record_start crd --pod default/rec2 -o "$SCRATCH/crd" --format crd --container maker
sed 's/name: rec$/name: rec2/' "$PODS/rec.yaml" >"$SCRATCH/rec2.yaml"
run_pod "$SCRATCH/rec2.yaml" rec2 --wait exit
record_end crd
[ "$(ls "$SCRATCH/crd" | tr '\n' ' ')" = "rec2-maker.yaml " ] || fail "--container maker: files $(ls "$SCRATCH/crd" | tr '\n' ' ')"
grep -qx 'maker: localhostProfile: operator/default/rec2-maker.json' "$SCRATCH/crd.out" || fail "stdout: $(cat "$SCRATCH/crd.out")"
y=$SCRATCH/crd/rec2-maker.yaml
grep -qx 'kind: SeccompProfile' "$y" || fail "not a SeccompProfile: $(head -5 "$y")"
grep -qx '  name: rec2-maker' "$y" || fail "metadata.name: $(grep -A2 metadata "$y")"
grep -q 'baseProfileName: runc-v1' "$y" || fail "no baseProfileName: $(head -12 "$y")"
if [ -f "$SCHEMA/node_modules/ajv/package.json" ] && command -v node >/dev/null 2>&1; then
        node "$SF_SOURCE/tests/data/spo/validate.mjs" "$y" >"$SCRATCH/validate.out" 2>&1 || fail "schema: $(cat "$SCRATCH/validate.out")"
        done_test "--format crd --container maker: one SeccompProfile rec2-maker (baseProfileName runc's), valid by the operator's CRD schema; localhostProfile operator/default/rec2-maker.json"
else
        why="no $SCHEMA/node_modules or no node (scripts/deps)"
        missing=k8s-schema
        skip "--format crd: the operator's CRD schema"
fi

# --- replicas: one profile per container name, whatever order -------------------------------

# replica NAME APP CMD: a pod labelled and annotated app=APP, its one container
# named web running CMD under the audit profile; its id in $cid
replica()
{
        _p=$(cri run-pod "$1" --label "app=$2" --annotation "app=$2") || fail "run-pod $1"
        cid=$(cri create "$_p" web --seccomp "$AUDIT_REF" -- sh -c "$3") || fail "create $1"
        pods="$pods $_p"
}
# replicas FIRST SECOND DIR: web-a and web-b (app=web) and web-db (app=db), every
# container named web; the sandboxes first, then the containers, FIRST's
# before SECOND's, each run to its end before the next starts
replicas()
{
        mkdir -p "$3"
        record_start "rep-$1" --selector app=web -o "$3"
        pods=
        replica web-a web 'echo a; mkdir /tmp/d && rmdir /tmp/d'
        id_a=$cid
        replica web-b web 'echo b; chmod 700 /tmp'
        id_b=$cid
        replica web-db db 'echo db; sync'
        id_db=$cid
        for id in $id_db $(eval echo "\$id_$1 \$id_$2"); do
                cri start "$id" || fail "start $id"
                st=$(cri wait "$id")
                case $st in *'"exit_code": 0'*) ;; *) fail "$id: $st" ;; esac
        done
        record_end "rep-$1"
        for p in $pods; do cri rm-pod "$p"; done
}
replicas a b "$SCRATCH/ab"
# the second time on a node whose audit stream never goes quiet (a host
# process's SCMP_ACT_LOG records all along, ~1,000/s): the recording still
# ends with its pods
printf '{"defaultAction": "SCMP_ACT_LOG"}\n' >"$SCRATCH/noise.json"
"$SYSFENCE" run --profile "$SCRATCH/noise.json" -- sh -c 'while :; do sleep 0.05; done' >/dev/null 2>&1 &
noise=$!
replicas b a "$SCRATCH/ba"
for c in $(pgrep -P "$noise"); do kill "$c"; done
kill "$noise" 2>/dev/null
wait "$noise" 2>/dev/null
[ "$(ls "$SCRATCH/ab" | tr '\n' ' ')" = "web-web.json " ] || fail "files: $(ls "$SCRATCH/ab" | tr '\n' ' ')"
cmp -s "$SCRATCH/ab/web-web.json" "$SCRATCH/ba/web-web.json" || fail "a then b and b then a differ: $(diff "$SCRATCH/ab/web-web.json" "$SCRATCH/ba/web-web.json" | head -10)"
edit names "$SCRATCH/ab/web-web.json" >"$SCRATCH/web.names"
for s in chmod; do grep -qx "$s" "$SCRATCH/web.names" || fail "the merged profile lacks $s (web-b's)"; done
grep -qxE 'mkdir|mkdirat' "$SCRATCH/web.names" || fail "the merged profile lacks mkdir (web-a's)"
grep -qx sync "$SCRATCH/web.names" && fail "the merged profile has sync: the app=db pod's container was recorded"
grep -qx 'web: localhostProfile: sysfence/web-web.json' "$SCRATCH/rep-a.out" || fail "stdout: $(cat "$SCRATCH/rep-a.out")"
grep -q 'pod default/web-a: recording' "$SCRATCH/rep-a.err" || fail "web-a not seen: $(cat "$SCRATCH/rep-a.err")"
grep -q 'pod default/web-db' "$SCRATCH/rep-a.err" && fail "the app=db pod was recorded: $(cat "$SCRATCH/rep-a.err")"
done_test "--selector app=web: two replicas give one profile web-web.json, their union (mkdir of one, chmod of the other, not the app=db pod's sync), byte-identical with web-a's records first or web-b's (the second time beside a host process whose LOG records never stop)"

# --- ^C: what was recorded so far is written ---------------------------------------------------

mkdir -p "$SCRATCH/int"
record_start int --pod default/long -o "$SCRATCH/int" --complain
pod=$(cri run-pod long)
id=$(cri create "$pod" sleeper --seccomp "$AUDIT_REF" -- sh -c 'echo started; sleep 60')
cri start "$id"
has_log() { cri logs "$id" | grep -q started; }
wait_secs 10 has_log
sleep 0.5
# a second recording of the same pod, which runs already: it says what it cannot have seen
mkdir -p "$SCRATCH/late"
"$SYSFENCE" k8s record --pod default/long -o "$SCRATCH/late" --kubelet-root "$KR" --state-dir "$NODE/state" \
        >"$SCRATCH/late.out" 2>"$SCRATCH/late.err" &
late=$!
wait_secs 10 grep -qs 'it ran already, so what it did before now is not in the profiles' "$SCRATCH/late.err" ||
        fail "no warning from a recording started after the pod: $(cat "$SCRATCH/late.err")"
kill -TERM "$late"
wait "$late"
kill -INT "$REC_PID"
wait_secs 10 gone "$REC_PID" || fail "k8s record did not end on SIGINT"
wait "$REC_PID"
rc=$?
REC_PID=
[ "$rc" = 0 ] || fail "exit $rc on SIGINT: $(cat "$SCRATCH/int.err")"
f=$SCRATCH/int/long-sleeper.json
grep -q '"defaultAction": "SCMP_ACT_LOG"' "$f" || fail "--complain: not SCMP_ACT_LOG: $(head -c 200 "$f")"
edit names "$f" | grep -qE '^(nanosleep|clock_nanosleep)$' || fail "no sleep call recorded: $(edit names "$f" | tr '\n' ' ')"
ls -A "$SCRATCH/int" | grep -q '^\.' && fail "a temporary is left: $(ls -A "$SCRATCH/int")"
cri rm-pod "$pod"
done_test "SIGINT while the pod runs: exit 0, the profile so far written (--complain: defaultAction SCMP_ACT_LOG), no temporary left; a recording started after the pod warns that it missed its start"

# --- --live: a running container, from now on, with the eBPF recorder -------------------------

if skip_unless "--live: a running container recorded with the eBPF recorder" ebpf; then
        mkdir -p "$SCRATCH/live"
        pod=$(cri run-pod busy)
        id=$(cri create "$pod" loop --seccomp runtime/default -- sh -c 'echo started; while :; do cat /proc/self/stat >/dev/null; sleep 0.2; done')
        cri start "$id"
        has_started() { cri logs "$id" | grep -q started; }
        wait_secs 10 has_started
        lpid=$(node_cri_pid "$id")
        "$SYSFENCE" k8s record --pod default/busy --live -o "$SCRATCH/live" --kubelet-root "$KR" --state-dir "$NODE/state" \
                >"$SCRATCH/live.out" 2>"$SCRATCH/live.err" &
        REC_PID=$!
        wait_secs 10 grep -qs 'recording its running containers from now on' "$SCRATCH/live.err" ||
                fail "no live recording: $(cat "$SCRATCH/live.err")"
        sleep 1
        kill -INT "$REC_PID"
        wait_secs 10 gone "$REC_PID" || { fail "k8s record --live did not end on SIGINT"; kill -KILL "$REC_PID"; }
        wait "$REC_PID"
        rc=$?
        REC_PID=
        [ "$rc" = 0 ] || fail "exit $rc: $(cat "$SCRATCH/live.err")"
        grep -q 'cannot be seen' "$SCRATCH/live.err" || fail "no note of what it cannot have seen: $(cat "$SCRATCH/live.err")"
        f=$SCRATCH/live/busy-loop.json
        edit names "$f" >"$SCRATCH/live.names" || fail "no profile: $(ls "$SCRATCH/live") $(cat "$SCRATCH/live.err")"
        grep -qxE 'nanosleep|clock_nanosleep' "$SCRATCH/live.names" || fail "no sleep call: $(tr '\n' ' ' <"$SCRATCH/live.names")"
        grep -qxE 'wait4|waitid' "$SCRATCH/live.names" || fail "no wait call of the loop's shell: $(tr '\n' ' ' <"$SCRATCH/live.names")"
        grep -qx 'loop: localhostProfile: sysfence/busy-loop.json' "$SCRATCH/live.out" || fail "stdout: $(cat "$SCRATCH/live.out")"
        [ -f "$SECCOMP/sysfence/busy-loop.json" ] && fail "--live installed something"
        kill -0 "${lpid:-0}" 2>/dev/null || fail "the container's process ${lpid:-?} no longer runs: --live stopped it"
        cri rm-pod "$pod"
        done_test "--live: a running container recorded from now on by the eBPF recorder in its pid namespace (the loop's sleep and wait), the container left running, a note of what it cannot have seen"
fi

# --- a pod that never ran under the profile: its end (RemovePodSandbox) ends the recording ---

mkdir -p "$SCRATCH/none"
pod=$(cri run-pod plain)
id=$(cri create "$pod" app --seccomp runtime/default -- sh -c 'echo plain')
record_start none --pod default/plain -o "$SCRATCH/none"
cri start "$id"
cri wait "$id" >/dev/null
cri rm-pod "$pod"
wait_secs 30 gone "$REC_PID" || { fail "k8s record did not end with the pod's sandbox"; kill -TERM "$REC_PID"; }
wait "$REC_PID"
rc=$?
REC_PID=
[ "$rc" = 1 ] || fail "exit $rc, want 1"
grep -q 'pod default/plain: its sandbox is gone' "$SCRATCH/none.err" || fail "stderr: $(cat "$SCRATCH/none.err")"
grep -q 'no records of any container of pod default/plain' "$SCRATCH/none.err" || fail "stderr: $(cat "$SCRATCH/none.err")"
[ -z "$(ls -A "$SCRATCH/none")" ] || fail "written: $(ls -A "$SCRATCH/none")"
done_test "a pod that did not run under sysfence/record.json: the recording ends with its sandbox; exit 1, says so, nothing written"

# --- nothing left ---------------------------------------------------------------------------

node_dir=$NODE
cpid=$NODE_PID
node_stop
kill -0 "$cpid" 2>/dev/null && fail "containerd ($cpid) still runs"
[ -e "$node_dir" ] && fail "$node_dir is left"
pgrep -f "k8s record .*--kubelet-root $node_dir" >/dev/null && fail "a k8s record still runs"
done_test "stopped: no containerd, no k8s record, no file of the node left"

finish
