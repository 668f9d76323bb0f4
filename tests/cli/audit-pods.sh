#!/bin/sh
# sysfence audit --follow names each record of a short-lived process by its
# pod, on a real containerd node (tests/cri/README): 1,000 /bin/true run in a
# loop in one pod's container under an SCMP_ACT_LOG profile while a second pod
# runs 1,000 /bin/false the same way.  Nearly every /bin/true has exited before
# its record is read; the process connector's fork events name it by its
# parent's container.  At least 99.9% of the records of each must be named by
# its own pod and container, none by the other.  Root only; the node is removed
# at the end, whatever happens.  Then complain mode and enforce on the node: a
# profile recorded with --complain from the image's command, a pod under it
# (not denied, its second code path logged), its records merged in, --enforce,
# and the pod again: it runs, a call neither run made is denied.
set -u
. "$(dirname "$0")/lib.sh"
. "$SF_SOURCE/tests/cri/node.sh"

plan 6
AUDIT_PID=
cleanup()
{
        [ -n "$AUDIT_PID" ] && kill -TERM "$AUDIT_PID" 2>/dev/null && wait "$AUDIT_PID" 2>/dev/null
        node_stop
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

node_probe || skip_rest "records of short-lived processes named on a containerd node"
node_up
KR=$NODE_KUBELET
sf k8s install --kubelet-root "$KR" --subdir profiles "$SEED/audit.json"
expect_rc 0

# pod_yaml NAME COMMAND: a pod of one container "loop" running COMMAND 1,000 times
pod_yaml()
{
        cat >"$SCRATCH/$1.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  namespace: ns-$1
spec:
  securityContext:
    seccompProfile:
      type: Localhost
      localhostProfile: profiles/audit.json
  containers:
  - name: loop
    image: busybox
    command: ["sh", "-c", "i=0; while [ \$i -lt 1000 ]; do $2; i=\$((i+1)); done; echo done"]
EOF
}
pod_yaml work /bin/true
pod_yaml control /bin/false

"$SYSFENCE" audit --follow --source kmsg --json --state-dir "$NODE/state" >"$SCRATCH/audit.out" 2>"$SCRATCH/audit.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/audit.err" || fail "audit --follow did not start: $(cat "$SCRATCH/audit.err")"
grep -q 'not named' "$SCRATCH/audit.err" && fail "the process connector could not be joined: $(cat "$SCRATCH/audit.err")"
now_cs
t0=$_now
# both pods at once, as the kubelet would start them
for p in work control; do
        cri pod "$SCRATCH/$p.yaml" --kubelet-root "$KR" --wait exit --timeout 120 >"$SCRATCH/$p.pod.json" 2>"$SCRATCH/$p.pod.err" &
done
wait_pods() { ! pgrep -f "cri.py .*pod $SCRATCH/" >/dev/null; }
wait_secs 150 wait_pods || fail "the pods did not end within 150 s"
for p in work control; do
        "$PY" -S -c 'import json, sys
c = json.load(open(sys.argv[1]))["containers"][0]
sys.exit(0 if c.get("exit_code") == 0 else 1)' "$SCRATCH/$p.pod.json" 2>/dev/null ||
                fail "pod $p: $(head -c 400 "$SCRATCH/$p.pod.json" "$SCRATCH/$p.pod.err")"
done
# each loop's last record is its echo's write; then what is queued is read
echoed() { [ "$(grep -c '"comm":"sh".*"syscall":"write"' "$SCRATCH/audit.out")" -ge 2 ]; }
wait_secs 10 echoed
sleep 0.5
kill -TERM "$AUDIT_PID"
wait "$AUDIT_PID"
arc=$?
AUDIT_PID=
now_cs
[ "$arc" = 0 ] || fail "audit --follow exited $arc on SIGTERM: $(tail -n 3 "$SCRATCH/audit.err")"
done_test "two pods, each 1,000 short-lived processes under SCMP_ACT_LOG, while audit --follow reads the audit netlink group ($(((_now - t0) * 10)) ms)"

# comm "true" runs only in pod work, "false" only in pod control
"$PY" -S - "$SCRATCH/audit.out" >"$SCRATCH/sum" <<'PY' || fail "$(cat "$SCRATCH/sum")"
import json, sys
want = {"true": ("work", "ns-work"), "false": ("control", "ns-control")}
recs = {k: 0 for k in want}
right = {k: 0 for k in want}
wrong = {k: 0 for k in want}
pids = {k: set() for k in want}
named = {k: set() for k in want}
for line in open(sys.argv[1]):
    r = json.loads(line)
    c = r["comm"]
    if c not in want:
        continue
    recs[c] += 1
    pids[c].add(r["pid"])
    if "pod" not in r:
        continue
    if (r["pod"], r["namespace"], r["container"]) == want[c] + ("loop",):
        right[c] += 1
        named[c].add(r["pid"])
    else:
        wrong[c] += 1
bad = []
for c in want:
    print("%s: %d processes, %d records, %d named by their own container (%.2f%%), %d by another; %d processes named"
          % (c, len(pids[c]), recs[c], right[c], 100.0 * right[c] / max(recs[c], 1), wrong[c], len(named[c])))
    if len(pids[c]) < 1000:
        bad.append("%s: only %d processes seen" % (c, len(pids[c])))
    if wrong[c]:
        bad.append("%s: %d records named by the wrong container" % (c, wrong[c]))
    if right[c] * 1000 < recs[c] * 999:
        bad.append("%s: %d of %d records named (under 99.9%%)" % (c, right[c], recs[c]))
if bad:
    print("; ".join(bad))
    sys.exit(1)
PY
done_test "at least 99.9% of the records of each pod's short-lived processes are named by their own pod, namespace and container, none by the other: $(tr '\n' ' ' <"$SCRATCH/sum")"

grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/audit.err" &&
        fail "sanitizer report: $(grep -m1 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/audit.err")"
grep -q 'overflowed\|records were lost' "$SCRATCH/audit.err" && fail "records lost: $(cat "$SCRATCH/audit.err")"
done_test "audit --follow lost no record and reported no loss ($(grep -c . "$SCRATCH/audit.out") records)"

# --- complain mode, then enforce, on the node ------------------------------------------------

# f: its first call writes a marker, its second (the marker there) takes a
# second path: umask and chdir, which the first never makes; "f outside" also
# makes a call neither makes (kill)
F='f() { if [ -f "$D/ran" ]; then umask 077; cd /; echo second; else echo first >"$D/ran"; fi; if [ "${1:-}" = outside ]; then kill -0 $$ || exit 3; fi; }'
mkdir -p "$SCRATCH/state"
(cd "$NODE_ROOTFS" && PATH=$NODE_ROOTFS/bin timeout 60 "$SYSFENCE" record -q --complain --base runc -o "$SCRATCH/app.json" -- \
        sh -c "D=$SCRATCH/state; $F; f" >"$SCRATCH/record.out" 2>"$SCRATCH/record.err") || fail "record: $(cat "$SCRATCH/record.err")"
# (chdir is in runc's base set: umask is the second path's own call here)
for n in umask kill; do
        edit names "$SCRATCH/app.json" | grep -qx "$n" && fail "the recording already has $n"
done
sf k8s install --kubelet-root "$KR" --subdir profiles "$SCRATCH/app.json"
expect_rc 0
# loop_pod NAME PROFILE CALLS: a pod whose container runs "D=/tmp; F; sleep 1; CALLS" under
# profiles/PROFILE; prints its exit code and container id
loop_pod()
{
        printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: $1" "spec:" "  securityContext:" \
                "    seccompProfile:" "      type: Localhost" "      localhostProfile: profiles/$2" "  containers:" \
                "  - name: app" "    image: busybox" >"$SCRATCH/$1.yaml"
        # the container's own process lives a second first: a process that
        # exits before audit reads the fork events of a runtime's child is not
        # named (its parent is the runtime, on the host)
        "$PY" -S -c 'import json, sys; print("    command: " + json.dumps(["sh", "-c", sys.argv[1]]))' "D=/tmp; $F; sleep 1; $3" >>"$SCRATCH/$1.yaml"
        cri pod "$SCRATCH/$1.yaml" --kubelet-root "$KR" --wait exit --timeout 60 >"$SCRATCH/$1.pod.json" 2>"$SCRATCH/$1.pod.err" ||
                fail "cri pod $1: $(head -c 300 "$SCRATCH/$1.pod.err")"
        "$PY" -S -c 'import json, sys
c = json.load(open(sys.argv[1]))["containers"][0]
print(c.get("exit_code"), c.get("id", ""))' "$SCRATCH/$1.pod.json" 2>/dev/null
}
"$SYSFENCE" audit --follow --source kmsg --state-dir "$NODE/state" --pod default/complain --raw \
        --to-profile "$SCRATCH/merged.json" --merge "$SCRATCH/app.json" >"$SCRATCH/c.out" 2>"$SCRATCH/c.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/c.err" || fail "audit --follow did not start: $(cat "$SCRATCH/c.err")"
# shellcheck disable=SC2046 # two words: exit code, id
set -- $(loop_pod complain app.json "f; f")
[ "${1:-}" = 0 ] || fail "under the complain profile the pod exited ${1:-?}: $(head -c 300 "$SCRATCH/complain.pod.json")"
out=$(cri logs "${2:-none}" 2>/dev/null | tr '\n' ' ')
[ "$out" = "second " ] || fail "its output: $out"
logged() { grep -q ' umask LOG complain default app$' "$SCRATCH/c.out"; }
wait_secs 10 logged || fail "no umask LOG record named complain default app: $(tail -n 3 "$SCRATCH/c.out")"
sleep 0.3
kill -TERM "$AUDIT_PID"
wait "$AUDIT_PID" || fail "audit --follow --merge exited $?: $(tail -n 3 "$SCRATCH/c.err")"
AUDIT_PID=
grep -v ' LOG complain default app$' "$SCRATCH/c.out" | grep -q . && fail "other records: $(grep -v ' LOG complain default app$' "$SCRATCH/c.out" | head -3)"
added=$(json_get "$SCRATCH/merged.json" 'd["syscalls"][-1]["names"] if len(d["syscalls"]) > 1 else []')
case $added in *"'umask'"*) ;; *) fail "merged: $added ($(tail -n 2 "$SCRATCH/c.err"))" ;; esac
done_test "complain on the node: the pod under the --complain profile is not denied, its second path is logged and named by the pod, audit --pod --to-profile --merge adds $added"

sf convert --enforce "$SCRATCH/merged.json" -o "$SCRATCH/enforce.json"
expect_rc 0
sf k8s install --kubelet-root "$KR" --subdir profiles "$SCRATCH/enforce.json"
expect_rc 0
# shellcheck disable=SC2046
set -- $(loop_pod enforce enforce.json "f; f")
[ "${1:-}" = 0 ] || fail "under the enforced profile the pod exited ${1:-?}: $(head -c 300 "$SCRATCH/enforce.pod.json")"
out=$(cri logs "${2:-none}" 2>/dev/null | tr '\n' ' ')
[ "$out" = "second " ] || fail "its output: $out"
# shellcheck disable=SC2046
set -- $(loop_pod outside enforce.json "f; f outside")
[ "${1:-}" = 3 ] || fail "a call outside: exit ${1:-?}, want 3 (kill denied): $(head -c 300 "$SCRATCH/outside.pod.json")"
done_test "convert --enforce: the pod runs again under SCMP_ACT_ERRNO, and a call neither run made (kill) is denied"

# --- a reused pid: a host process that takes the pid of a pod's exited process ----------------

# the pod's process P is named while it runs (and remembered); once it has
# exited, a host process takes P (kernel.ns_last_pid = P - 1, then a fork):
# its fork replaces what P was, so none of its records is named by the pod
"$SYSFENCE" audit --follow --source kmsg --json --state-dir "$NODE/state" >"$SCRATCH/r.out" 2>"$SCRATCH/r.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/r.err" || fail "audit --follow did not start: $(cat "$SCRATCH/r.err")"
# shellcheck disable=SC2046
set -- $(loop_pod reuse audit.json "f; f")
P=$("$PY" -S -c 'import json, sys; print(json.load(open(sys.argv[1]))["containers"][0].get("pid") or 0)' "$SCRATCH/reuse.pod.json" 2>/dev/null)
pod_seen() { grep -q "\"pid\":$P,.*\"pod\":\"reuse\"" "$SCRATCH/r.out"; }
wait_secs 10 pod_seen || fail "no record of the pod's process $P named reuse"
# the host process: pid P, under a filter that logs every call, then busybox true
got=$("$PY" -S - "${P:-0}" <<'PY'
import ctypes, os, struct, sys
p = int(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0x7ffc0000))  # RET SECCOMP_RET_LOG
for _ in range(50):
    if p <= 1:
        break
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(p - 1))
    pid = os.fork()
    if pid == 0:
        if os.getpid() != p:
            os._exit(9)
        fp = Fprog(1, ctypes.cast(prog, ctypes.c_void_p))
        if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(fp), 0, 0):  # NO_NEW_PRIVS, SECCOMP filter
            os._exit(8)
        os.execv("/bin/busybox", ["true"])  # comm: busybox
    st = os.waitpid(pid, 0)[1]
    if os.WEXITSTATUS(st) != 9:
        print(pid if os.WEXITSTATUS(st) == 0 else "failed")
        sys.exit(0)
print("none")
PY
)
if [ "$got" != "$P" ]; then
        kill -TERM "$AUDIT_PID"
        wait "$AUDIT_PID"
        AUDIT_PID=
        skip "a reused pid: the host process could not be given the pod's pid $P ($got)"
else
        host_seen() { grep -q "\"pid\":$P,.*\"comm\":\"busybox\"" "$SCRATCH/r.out"; }
        wait_secs 10 host_seen || fail "no record of the host process $P"
        sleep 0.3
        kill -TERM "$AUDIT_PID"
        wait "$AUDIT_PID" || fail "audit --follow exited $?: $(tail -n 3 "$SCRATCH/r.err")"
        AUDIT_PID=
        "$PY" -S - "$SCRATCH/r.out" "$P" >"$SCRATCH/r.sum" <<'PY' || fail "$(cat "$SCRATCH/r.sum")"
import json, sys
p = int(sys.argv[2])
pod, host, host_named, pod_wrong = 0, 0, 0, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["pid"] != p:
        continue
    if r["comm"] in ("busybox", "python3"):
        host += 1
        host_named += "pod" in r
    else:
        pod += 1
        pod_wrong += "pod" in r and (r["pod"], r["container"]) != ("reuse", "app")
print("pid %d: %d records of the pod's process, %d of the host's, %d of these named by a pod, %d of those named by another" % (p, pod, host, host_named, pod_wrong))
sys.exit(1 if host == 0 or host_named or pod_wrong or pod == 0 else 0)
PY
        done_test "a reused pid: a host process that takes the pid of the pod's exited (and named) process is never named by the pod ($(cat "$SCRATCH/r.sum"))"
fi
finish
