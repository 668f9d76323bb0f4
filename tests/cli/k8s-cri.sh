#!/bin/sh
# A real Kubernetes node: containerd 1.6's CRI plugin (Debian's containerd) as
# this test's own process, driven over CRI v1 as the kubelet drives it
# (tests/cri/README), and the Kubernetes seccomp tutorial's seven objectives on
# it, each checked by what a user sees: the profiles the agent syncs from a
# ConfigMap volume, the pod's and the container's seccompProfile, the audit
# records of an SCMP_ACT_LOG profile, a missing profile, a violation, a
# recorded fine-grained profile, RuntimeDefault and privileged containers.
# Then moby's default profile as 'k8s install' writes it decides on containerd
# what it decides under Docker semantics (podman evaluates includes/excludes
# itself), and every verdict of 'k8s lint' on the pods of tests/data/cri is what
# the node did.  The node is removed at the end, whatever happens: no
# containerd, shim, container, mount, cgroup or file of it is left.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kubelet-update.sh"
. "$SF_SOURCE/tests/cri/node.sh"

plan 17
PODS=$SF_SOURCE/tests/data/cri
AGENT_PID=
AUDIT_PID=

cleanup()
{
        for _p in $AGENT_PID $AUDIT_PID; do
                kill -TERM "$_p" 2>/dev/null && wait "$_p" 2>/dev/null
        done
        node_stop
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

node_probe || skip_rest "the tutorial's objectives on a containerd node"
now_cs
t_start=$_now
node_up
v=$(cri version)
case $v in containerd\ *) ;; *) fail "CRI Version: $v" ;; esac
now_cs
done_test "containerd starts with its own root, state and socket, its CRI answers ($v), the image is imported ($(((_now - t_start) * 10)) ms)"

KR=$NODE_KUBELET
SECCOMP=$KR/seccomp

# run_pod NAME [--wait exit]: run $PODS/NAME.yaml on the node; the result in $SCRATCH/NAME.pod.json
run_pod()
{
        _n=$1
        shift
        cri pod "$PODS/$_n.yaml" --kubelet-root "$KR" "$@" >"$SCRATCH/$_n.pod.json" 2>"$SCRATCH/$_n.pod.err" ||
                fail "cri pod $_n.yaml: $(head -c 400 "$SCRATCH/$_n.pod.err")"
}
# pod_get NAME CONTAINER FIELD: one field of a container's result
pod_get()
{
        "$PY" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
c = [c for c in d["containers"] if c["name"] == sys.argv[2]]
v = c[0].get(sys.argv[3], "") if c else ""
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$SCRATCH/$1.pod.json" "$2" "$3" 2>/dev/null
}
# todo_test DESC WHY: done_test for a known bug: TAP "# TODO WHY", so a failure is
# expected and a pass is reported as unexpected (then drop the TODO)
todo_test()
{
        tap_n=$((tap_n + 1))
        if [ -n "$t_why" ]; then
                echo "not ok $tap_n - $1 # TODO $2"
                printf '%s' "$t_why" | sed 's/^/#   /'
                t_why=
        else
                echo "ok $tap_n - $1: $(head -n 1 "$SCRATCH/compare.out") # TODO $2"
        fi
}
# loaded_is PID PROFILE: the one filter of PID (dumped with PTRACE_SECCOMP_GET_FILTER)
# decides, syscall by syscall, as sysfence's program for PROFILE; compiled with
# --enosys-unknown, since runc answers ENOSYS to syscalls newer than the profile.
# filter.py's interpreter judges, checked against sysfence's emulator on a sample.
loaded_is()
{
        _n=$("$CRI_PY" "$SF_SOURCE/tests/cri/filter.py" dump "${1:-0}" "$SCRATCH/loaded.bpf" 2>"$SCRATCH/dump.err")
        [ "$_n" = 1 ] || fail "filters dumped from pid $1: ${_n:-none} ($(cat "$SCRATCH/dump.err")), want 1"
        sf compile -q --enosys-unknown "$2" -o "$SCRATCH/sysfence.bpf"
        expect_rc 0
        "$CRI_PY" "$SF_SOURCE/tests/cri/filter.py" compare "$SCRATCH/loaded.bpf.0" "$SCRATCH/sysfence.bpf" \
                --check "$SYSFENCE" >"$SCRATCH/compare.out" 2>&1 || fail "$(head -n 24 "$SCRATCH/compare.out")"
}
# log_has NAME CONTAINER TEXT: the container's output has TEXT
log_has() { cri logs "$(pod_get "$1" "$2" id)" 2>/dev/null | grep -qF -e "$3"; }
# seccomp_of PID: the Seccomp mode of /proc/PID/status (0 none, 2 filter)
seccomp_of() { sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null; }
# lint NAME...: sysfence k8s lint against the node's profiles, over $PODS/NAME.yaml
lint()
{
        _files=
        for _n in "$@"; do _files="$_files $PODS/$_n.yaml"; done
        # shellcheck disable=SC2086 # the file list is words
        sf k8s lint --kubelet-root "$KR" $_files
}

# --- 1. load profiles on the node: the agent syncs a ConfigMap volume ----------------------

CM=$SCRATCH/cm
mkdir -p "$SCRATCH/stage1" "$SCRATCH/stage2"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}\n' \
        >"$SCRATCH/stage1/deny-mkdir.json"
cp "$SCRATCH/stage1/deny-mkdir.json" "$SCRATCH/stage2/"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]}\n' \
        >"$SCRATCH/stage2/deny-chmod.json"
cm_update "$CM" "$SCRATCH/stage1"
"$SYSFENCE" k8s agent --source "$CM" --kubelet-root "$KR" 2>"$SCRATCH/agent.log" &
AGENT_PID=$!
ready() { "$SYSFENCE" k8s status --source "$CM" --kubelet-root "$KR" >/dev/null 2>&1; }
wait_secs 20 ready || fail "the agent did not install deny-mkdir.json within 20 s: $(cat "$SCRATCH/agent.log")"
# the kubelet's update: a new timestamped directory, ..data swapped to it
cm_update "$CM" "$SCRATCH/stage2"
wait_secs 20 ready || fail "after the ..data swap, deny-chmod.json was not installed within 20 s: $(cat "$SCRATCH/agent.log")"
[ -f "$SECCOMP/sysfence/deny-chmod.json" ] || fail "no $SECCOMP/sysfence/deny-chmod.json"
run_pod synced
pid=$(pod_get synced app pid)
[ "$(pod_get synced app state)" = RUNNING ] || fail "the container does not run: $(cat "$SCRATCH/synced.pod.json")"
[ "$(seccomp_of "${pid:-0}")" = 2 ] || fail "its process ${pid:-?} has Seccomp: $(seccomp_of "${pid:-0}") (want 2, a filter)"
done_test "load: the agent follows the ConfigMap's ..data swap into <kubelet-root>/seccomp/sysfence/; a container naming sysfence/deny-chmod.json, which came with the swap, starts under a filter"

# --- 2. apply: the pod's seccompProfile, and the container's, which wins ------------------

lint apply
expect_rc 0
expect_out 'container "inherits": Localhost "sysfence/deny-mkdir.json" (pod securityContext)'
expect_out 'container "own": Localhost "sysfence/deny-chmod.json"'
run_pod apply
for c in inherits own; do
        wait_secs 10 log_has apply $c chmod
        cri logs "$(pod_get apply $c id)" >"$SCRATCH/$c.log"
done
grep -q "mkdir: can't create directory '/tmp/d': Operation not permitted" "$SCRATCH/inherits.log" ||
        fail "inherits (the pod's deny-mkdir): mkdir was not denied: $(cat "$SCRATCH/inherits.log")"
grep -qx chmod-ok "$SCRATCH/inherits.log" || fail "inherits: chmod failed: $(cat "$SCRATCH/inherits.log")"
grep -qx mkdir-ok "$SCRATCH/own.log" || fail "own (its deny-chmod wins): mkdir failed: $(cat "$SCRATCH/own.log")"
grep -q "chmod: /tmp: Operation not permitted" "$SCRATCH/own.log" || fail "own: chmod was not denied: $(cat "$SCRATCH/own.log")"
for c in inherits own; do
        p=$(pod_get apply $c pid)
        [ "$(seccomp_of "${p:-0}")" = 2 ] || fail "$c: process ${p:-?} has Seccomp: $(seccomp_of "${p:-0}")"
done
done_test "apply: the pod's seccompProfile confines a container without one (mkdir EPERM); a container's own wins (mkdir works, chmod EPERM); lint says which"

# --- 3. observe auditing: SCMP_ACT_LOG records, read losslessly -----------------------------

mkdir -p "$SECCOMP/profiles"
sf k8s install --kubelet-root "$KR" --subdir profiles "$SEED/audit.json" "$SEED/violation.json"
expect_rc 0
"$SYSFENCE" audit --follow --source kmsg --raw --state-dir "$NODE/state" >"$SCRATCH/audit.out" 2>"$SCRATCH/audit.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/audit.err" || fail "audit --follow did not start: $(cat "$SCRATCH/audit.err")"
run_pod audit --wait exit
apid=$(pod_get audit test-container pid)
[ "$(pod_get audit test-container exit_code)" = 0 ] || fail "the audit pod's container: $(cat "$SCRATCH/audit.pod.json")"
pod_get audit test-container log | grep -qx "just made some syscalls" || fail "its log lacks its output"
# records of the workload: its pid, once runc's init (comm runc:[2:INIT]) has exec'd it
wl() { awk -v p="$apid" '$2 == p && $3 != "runc:[2:INIT]"' "$SCRATCH/audit.out"; }
AP=' LOG audit-pod default test-container$'
many_records() { [ "$(wl | grep -c "$AP")" -gt 10 ]; }
wait_secs 5 many_records
kill -TERM "$AUDIT_PID" 2>/dev/null
wait "$AUDIT_PID"
arc=$?
AUDIT_PID=
[ "$arc" = 0 ] || fail "audit --follow exited $arc on SIGTERM: $(tail -n 3 "$SCRATCH/audit.err")"
n=$(wl | grep -c "$AP")
other=$(wl | grep -vc "$AP")
[ "$other" = 0 ] || fail "$other records of the workload not named audit-pod default test-container: $(wl | grep -v "$AP" | head -3)"
kids=$(awk '$3 == "ls" || $3 == "cat" || $3 == "uname"' "$SCRATCH/audit.out" | grep -c "$AP")
[ "$kids" -gt 3 ] || fail "only $kids records of the workload's children (ls, cat, uname) named by the pod"
[ "${apid:-0}" -gt 0 ] || fail "no pid for the audit container"
[ "$n" -gt 10 ] || fail "$n LOG records of the workload (pid $apid); the kernel log alone passes 10 per 5 s: $(head -c 300 "$SCRATCH/audit.out")"
wl | grep -q ' sh amd64 write LOG audit-pod ' || fail "no record of the workload's write (echo): $(wl | head -5)"
wl | grep -qE ' sh amd64 (fork|vfork|clone|clone3) LOG audit-pod ' || fail "no record of the workload's fork: $(wl | awk '{print $5}' | sort -u | tr '\n' ' ')"
done_test "audit: the tutorial's SCMP_ACT_LOG profile; audit --follow reads $n LOG records of the container's process (more than the kernel log's 10 per 5 s), its write and fork among them, each named POD audit-pod NAMESPACE default CONTAINER test-container ($kids of its children's)"

# --- 3b. 1,000 short-lived processes, each record named by its own container ----------------

"$SYSFENCE" audit --follow --source kmsg --json --state-dir "$NODE/state" --pod default/many \
        >"$SCRATCH/many.out" 2>"$SCRATCH/many.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/many.err" || fail "audit --follow did not start: $(cat "$SCRATCH/many.err")"
now_cs
t_many=$_now
run_pod many --wait exit
for c in trues falses; do
        [ "$(pod_get many $c exit_code)" = 0 ] || fail "many/$c: $(pod_get many $c reason) $(pod_get many $c exit_code)"
done
# the last records: each loop's echo
echoed() { [ "$(grep -c '"syscall":"write"' "$SCRATCH/many.out")" -ge 2 ]; }
wait_secs 5 echoed
sleep 0.3
kill -TERM "$AUDIT_PID" 2>/dev/null
wait "$AUDIT_PID"
AUDIT_PID=
now_cs
# once exec'd, comm "true" runs only in trues and "false" only in falses: each
# such record must name its own container
"$PY" -S - "$SCRATCH/many.out" >"$SCRATCH/many.sum" <<'P2' || fail "$(cat "$SCRATCH/many.sum")"
import json, sys
pids = {"true": set(), "false": set()}
n = {"true": 0, "false": 0}
wrong = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["comm"]
    if c not in pids:
        continue
    want = "trues" if c == "true" else "falses"
    if r.get("container") != want or r.get("pod") != "many" or r.get("namespace") != "default":
        wrong += 1
    pids[c].add(r["pid"])
    n[c] += 1
print("%d and %d processes, %d and %d records, %d named wrong" % (len(pids["true"]), len(pids["false"]), n["true"], n["false"], wrong))
if wrong:
    sys.exit(1)
P2
done_test "audit --follow --pod default/many: 1,000 /bin/true beside 1,000 /bin/false in a second container: no record named by the other container or another pod ($(cat "$SCRATCH/many.sum"), $(((_now - t_many) * 10)) ms)"
"$PY" -S - "$SCRATCH/many.out" "$SCRATCH/many.sum" <<'P2' || fail "$(cat "$SCRATCH/many.sum")"
import json, sys
# under --pod, an unnamed record is left out: every one of the 1,000 processes
# of each container must be there with its exit_group, so at least 99.9% of
# them were named (a process left out shows as a missing pid)
ex = {"true": set(), "false": set()}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["comm"] in ex and r["syscall"] == "exit_group":
        ex[r["comm"]].add(r["pid"])
bad = [k for k, v in ex.items() if len(v) < 999]
with open(sys.argv[2], "a") as f:
    f.write("; exit_group named: %d true, %d false\n" % (len(ex["true"]), len(ex["false"])))
if bad:
    sys.exit(1)
P2
done_test "audit --follow --pod default/many: at least 99.9% of the 1,000 processes of each container named (their exit_group there): $(tr '\n' ' ' <"$SCRATCH/many.sum")"

# --- 4. a missing profile --------------------------------------------------------------------

mkdir -p "$SCRATCH/pending"
cp "$SCRATCH/stage1/deny-mkdir.json" "$SCRATCH/pending/missing.json"
sf k8s status --source "$SCRATCH/pending" --kubelet-root "$KR"
expect_rc 1
expect_out "missing missing.json"
lint missing
expect_rc 1
expect_err 'profile "sysfence/missing.json" is not installed on the node'
run_pod missing
err=$(pod_get missing app create_error)
path=$SECCOMP/sysfence/missing.json
case $err in
*"cannot load seccomp profile \"$path\": open $path: no such file or directory"*) ;;
*) fail "CreateContainer: $err" ;;
esac
[ "$(pod_get missing app created)" = False ] || fail "the container was created"
done_test "missing: k8s status (not ready) and k8s lint say so first; CreateContainer fails: cannot load seccomp profile \"…\": open …: no such file or directory"

# --- 5. a violation ----------------------------------------------------------------------------

lint violation
expect_rc 1
expect_err_re 'container "test-container" would not start: runc makes [a-z_0-9, ]+' "which of runc's calls the profile denies"
run_pod violation
[ "$(pod_get violation test-container started)" = False ] || fail "StartContainer succeeded"
[ "$(pod_get violation test-container exit_code)" = 128 ] || fail "exit code $(pod_get violation test-container exit_code), want 128"
[ "$(pod_get violation test-container reason)" = StartError ] || fail "reason $(pod_get violation test-container reason), want StartError"
done_test "violation: {\"defaultAction\":\"SCMP_ACT_ERRNO\"}: StartContainer fails, exit 128, StartError; lint named runc's denied calls: $(grep -o 'runc makes [a-z_0-9, ]*' "$ERR" | head -1)"

# --- 6. a fine-grained profile, recorded from the image's command ------------------------------

(cd "$NODE_ROOTFS" && PATH=$NODE_ROOTFS/bin timeout 60 "$SYSFENCE" record -q --base runc -o "$SCRATCH/fine.json" -- \
        sh -c 'echo just made some syscalls' >"$SCRATCH/record.out" 2>"$SCRATCH/record.err") ||
        fail "record: $(cat "$SCRATCH/record.err")"
grep -qx "just made some syscalls" "$SCRATCH/record.out" || fail "the recorded command's output: $(cat "$SCRATCH/record.out")"
edit names "$SCRATCH/fine.json" | grep -qx mkdir && fail "the recording has mkdir: the second container would not show one syscall more"
sf k8s install --kubelet-root "$KR" "$SCRATCH/fine.json"
expect_rc 0
lint fine
expect_rc 0
run_pod fine --wait exit
[ "$(pod_get fine fine exit_code)" = 0 ] || fail "fine: exit $(pod_get fine fine exit_code) ($(pod_get fine fine reason) $(pod_get fine fine start_error))"
pod_get fine fine log | grep -qx "just made some syscalls" || fail "fine: its output: $(pod_get fine fine log)"
[ "$(pod_get fine one-more exit_code)" = 1 ] || fail "one-more: exit $(pod_get fine one-more exit_code), want 1 (mkdir failed)"
pod_get fine one-more log | grep -q "mkdir: can't create directory '/tmp/d': Operation not permitted" ||
        fail "one-more: mkdir was not denied with EPERM: $(pod_get fine one-more log)"
done_test "fine-grained: recorded from the image's command (record --base runc), installed, run: it works ($(edit names "$SCRATCH/fine.json" | sort -u | wc -l) syscalls); one syscall more (mkdir) fails with EPERM"

# --- 7. RuntimeDefault: the filter containerd loads, decision by decision; privileged ------------

run_pod default
dpid=$(pod_get default test-container pid)
[ "$(seccomp_of "${dpid:-0}")" = 2 ] || fail "RuntimeDefault: process ${dpid:-?} has Seccomp: $(seccomp_of "${dpid:-0}")"
sf profile default --for containerd -o "$SCRATCH/containerd-default.json"
expect_rc 0
loaded_is "$dpid" "$SCRATCH/containerd-default.json"
done_test "RuntimeDefault: the filter dumped from the container (PTRACE_SECCOMP_GET_FILTER) decides as 'sysfence profile default --for containerd': $(head -n 1 "$SCRATCH/compare.out")"

lint privileged
expect_out 'container "app": Unconfined (privileged)'
expect_err 'it runs Unconfined whatever its seccomp profile says'
run_pod privileged
ppid_=$(pod_get privileged app pid)
[ "$(pod_get privileged app state)" = RUNNING ] || fail "the privileged container does not run: $(pod_get privileged app start_error)"
[ "$(seccomp_of "${ppid_:-0}")" = 0 ] || fail "privileged: process ${ppid_:-?} has Seccomp: $(seccomp_of "${ppid_:-0}"), want 0"
done_test "privileged: runs with no filter (Seccomp: 0) though its profile denies everything; lint says Unconfined (privileged)"

now_cs
objectives_ms=$(((_now - t_start) * 10))

# --- item 3: moby's default installed resolved decides as under Docker semantics --------------------

cp "$SF_MOBY" "$SCRATCH/moby-default.json"
sf k8s install --kubelet-root "$KR" "$SCRATCH/moby-default.json"
expect_rc 0
expect_err "containerd ignores archMap and includes/excludes"
expect_err "left out, as they depend on other capabilities: "
sf k8s install --kubelet-root "$KR" --subdir as-given --as-given "$SCRATCH/moby-default.json"
expect_rc 0
cmp -s "$SCRATCH/moby-default.json" "$SECCOMP/as-given/moby-default.json" || fail "--as-given did not install the file byte for byte"
sf k8s install --kubelet-root "$KR" --subdir sys-admin --caps default,CAP_SYS_ADMIN "$SCRATCH/moby-default.json"
expect_rc 0
run_pod moby --wait exit
# the same probe under Docker semantics: podman (runc) evaluates includes/excludes itself
docker_says()
{
        # shellcheck disable=SC2086 # $1 is options
        timeout 60 podman --runtime runc --cgroup-manager cgroupfs run --rm --network none \
                --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 $1 --security-opt "seccomp=$SF_MOBY" \
                --rootfs "$NODE_ROOTFS" /bin/sh -c 'unshare -U true && echo unshare-ok' 2>&1
}
outcome() { if grep -qx unshare-ok; then echo allowed; else echo denied; fi; }
if command -v podman >/dev/null 2>&1; then
        d_plain=$(docker_says "" | outcome)
        d_admin=$(docker_says "--cap-add SYS_ADMIN" | outcome)
else
        # without podman, what moby's file says for the default capabilities
        d_plain=denied d_admin=allowed
        echo "# podman is not installed: Docker semantics read from moby's file (unshare needs CAP_SYS_ADMIN)"
fi
[ "$d_plain" = denied ] && [ "$d_admin" = allowed ] ||
        fail "under Docker semantics: unshare $d_plain with the default capabilities, $d_admin with CAP_SYS_ADMIN (want denied, allowed)"
resolved=$(pod_get moby resolved log | outcome)
as_given=$(pod_get moby as-given log | outcome)
sys_admin=$(pod_get moby sys-admin log | outcome)
[ "$resolved" = "$d_plain" ] || fail "k8s install's file on containerd: unshare $resolved, under Docker semantics $d_plain: $(pod_get moby resolved log)"
[ "$sys_admin" = "$d_admin" ] || fail "--caps default,CAP_SYS_ADMIN on containerd with CAP_SYS_ADMIN: unshare $sys_admin, Docker: $d_admin"
pod_get moby resolved log | grep -q 'Operation not permitted' || fail "resolved: not EPERM: $(pod_get moby resolved log)"
[ "$as_given" = allowed ] || fail "the file byte for byte (--as-given) on containerd: unshare $as_given; containerd should have applied the CAP_SYS_ADMIN rules (the test's premise)"
done_test "moby's default, k8s install'ed for containerd: unshare $resolved without CAP_SYS_ADMIN as under Docker semantics (byte for byte, containerd would allow it: $as_given); with --caps and CAP_SYS_ADMIN: $sys_admin as under Docker"

# the same file, decision by decision: the filter containerd (runc, libseccomp) loaded
# against sysfence's program for the installed file
run_pod moby-running
mpid=$(pod_get moby-running app pid)
loaded_is "$mpid" "$SECCOMP/sysfence/moby-default.json"
done_test "the file k8s install wrote for moby's default: the filter containerd loaded decides as sysfence's program for it (compile --enosys-unknown): $(head -n 1 "$SCRATCH/compare.out")"

# --- item 4: every verdict of lint is what the node did ---------------------------------------------

all="synced apply audit missing violation fine default privileged alpha moby moby-running"
run_pod alpha
files=
for p in $all; do files="$files $PODS/$p.yaml"; done
# shellcheck disable=SC2086 # the file list is words
sf k8s lint --kubelet-root "$KR" --json $files
cp "$OUT" "$SCRATCH/lint.json"
json_ok "$SCRATCH/lint.json" || fail "lint --json: not JSON: $(head -c 300 "$OUT")"
results=
for p in $all; do results="$results $SCRATCH/$p.pod.json"; done
# shellcheck disable=SC2086 # the file list is words
"$CRI_PY" "$SF_SOURCE/tests/cri/lint_truth.py" "$SCRATCH/lint.json" $results >"$SCRATCH/truth.out" 2>&1 ||
        fail "$(grep -v '^ok ' "$SCRATCH/truth.out" | head -n 10)"
n=$(grep -c '^ok ' "$SCRATCH/truth.out")
[ "$n" -ge 14 ] || fail "only $n containers checked: $(cat "$SCRATCH/truth.out")"
done_test "lint tells the truth: for each of $n containers of tests/data/cri, what lint said (starts, Unconfined, CreateContainerError, StartError) is what the node did"

pod_get alpha app pid >/dev/null
apid=$(pod_get alpha app pid)
[ "$(seccomp_of "${apid:-0}")" = 0 ] || fail "alpha annotation only: process ${apid:-?} has Seccomp: $(seccomp_of "${apid:-0}") (the kubelet ignores it)"
sf k8s lint --kubelet-root "$KR" "$PODS/alpha.yaml"
expect_rc 1
expect_err 'container "app" runs Unconfined: its only seccomp setting is a deprecated annotation'
done_test "the alpha annotation alone: lint exits 1 and says Unconfined; on the node the container has no filter"

# The containers of synced, apply, default, privileged, alpha and moby-running
# still run here: sysfence k8s ps names the filter each really runs under.
sf k8s ps --state-dir "$NODE/state" --kubelet-root "$KR" --json
expect_rc 0
cp "$OUT" "$SCRATCH/ps.json"
sf k8s ps --state-dir "$NODE/state" --kubelet-root "$KR"
sed 's/^/# /' "$OUT"
"$PY" -S - "$SCRATCH/ps.json" <<'P' || fail "k8s ps: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
by = {(c["pod"], c["container"]): c for c in d["containers"] if c.get("pid", 0) > 0}
want = {
    ("synced", "app"): ("equal", "sysfence/deny-chmod.json"),
    ("default-pod", "test-container"): ("equal", "RuntimeDefault"),
    ("moby-running", "app"): ("equal", "sysfence/moby-default.json"),
    ("privileged", "app"): ("unconfined", None),
    ("alpha", "app"): ("unconfined", None),
}
bad = []
for k, (loaded, prof) in want.items():
    c = by.get(k)
    if not c:
        bad.append("%s/%s not listed" % k)
    elif c["loaded"] != loaded or c.get("profile") != prof:
        bad.append("%s/%s: %s %s, want %s %s" % (k + (c["loaded"], c.get("profile"), loaded, prof)))
    elif c["namespace"] != "default":
        bad.append("%s/%s: namespace %s" % (k + (c["namespace"],)))
if bad:
    sys.exit("; ".join(bad))
P
done_test "k8s ps on the node: each running test container with the filter it runs under: the installed profiles and RuntimeDefault (equal), privileged and the alpha-annotated pod UNCONFINED"

# --- the node leaves nothing behind ----------------------------------------------------------------

# RemovePodSandbox takes its containers with it
cri rm-pod "$("$PY" -S -c 'import json, sys; print(json.load(open(sys.argv[1]))["pod"])' "$SCRATCH/default.pod.json")" ||
        fail "RemovePodSandbox failed"
wait_secs 10 gone "${dpid:-0}" || fail "the RuntimeDefault container's process $dpid still runs after RemovePodSandbox"
# the agent re-installs what is removed under it
kill -TERM "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID"
arc=$?
AGENT_PID=
[ "$arc" = 0 ] || fail "the agent exited $arc on SIGTERM: $(tail -n 3 "$SCRATCH/agent.log")"
grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/agent.log" "$SCRATCH/audit.err" &&
        fail "sanitizer report: $(grep -h -m1 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/agent.log" "$SCRATCH/audit.err")"
node_dir=$NODE
cg=$NODE_CGROUP
cpid=$NODE_PID
node_stop
kill -0 "$cpid" 2>/dev/null && fail "containerd ($cpid) still runs"
pgrep -f "containerd-shim-runc-v2 .*-address $node_dir/containerd.sock" >/dev/null && fail "a shim still runs"
for p in $dpid $ppid_; do kill -0 "$p" 2>/dev/null && fail "container process $p still runs"; done
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -e "$h/$cg" ] && fail "cgroup $h/$cg is left"; done
grep -qF "$node_dir" /proc/self/mountinfo && fail "a mount below $node_dir is left"
[ -e "$node_dir" ] && fail "$node_dir is left"
now_cs
done_test "stopped: RemovePodSandbox ends its containers; the agent exits 0 on SIGTERM; no containerd, shim, container process, cgroup, mount or file of the node is left (the seven objectives took $objectives_ms ms, all $(((_now - t_start) * 10)) ms)"

finish
