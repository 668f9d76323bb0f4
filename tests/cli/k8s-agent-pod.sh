#!/bin/sh
# The node agent's DaemonSet pod, run as written, on a real node: containerd
# 1.6's CRI (tests/cri/README) driven as the kubelet drives it.  The agent's
# image (built once, agent-image-cache.sh) is imported with 'ctr -n k8s.io
# images import', as on a cluster without a registry, and the pod is made
# from deploy/kubernetes/sysfence-agent.yaml itself by 'cri daemonset': the
# container's command, args, securityContext, resources (the memory limit as
# the CRI's linux resources), volumes (the hostPath <kubelet-root>/seccomp,
# the ConfigMap volume as the kubelet's AtomicWriter lays it out) and the
# readiness probe (ExecSync, with its timeout) come from the manifest, so the
# file cannot drift from what is tested.
#
# Then what a user of the DaemonSet counts on: every key installed and the
# probe ready; a workload naming one of the profiles confined by it; a
# ConfigMap update (the ..data swap) followed, a removed key's file gone; an
# invalid key keeps the probe not ready, the reason in the container's log;
# StopContainer ends it within terminationGracePeriodSeconds.  And what the
# manifest promises (issue 17 item 3): no capability, yet it writes the
# root-owned 0755 directory; a read-only root; the memory limit holds with the
# largest ConfigMap the agent accepts; RuntimeDefault never denies it a call.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-image-cache.sh"
. "$(dirname "$0")/kubelet-update.sh"
. "$SF_SOURCE/tests/cri/node.sh"

plan 11
MANIFEST=$SF_SOURCE/deploy/kubernetes/sysfence-agent.yaml

# lap: "# N ms" since the start, before each result (where the time goes)
lap() { now_cs; echo "# at $(((_now - t_start) * 10)) ms"; }

# The kubelet's pods directory (the ConfigMap volumes) and the generated keys
# on a tmpfs of the test's own, mounted before the node starts so that the
# node's mount namespace has it too: the test's files, charged to the test's
# memory cgroup whatever their medium (the agent only reads them), and this
# host's ext4 (discard) takes about 1 ms for each of their thousands of unlinks.
PODS_FS=
pods_fs_off() { [ -z "$PODS_FS" ] || umount "$PODS_FS" && PODS_FS=; }

cleanup()
{
        pods_fs_off
        node_stop
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

node_probe || skip_rest "the agent's DaemonSet pod on a containerd node"
now_cs
t_start=$_now

# --- the image, from the cache the agent-image test shares --------------------------------
IMAGE=$("$CRI_PY" -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "DaemonSet":
        print(d["spec"]["template"]["spec"]["containers"][0]["image"])' "$MANIFEST" 2>"$ERR") || fail "$MANIFEST: $(cat "$ERR")"
agent_image_lock || fail "cannot lock the cache $AGENT_IMAGE_CACHE"
how="cached in $AGENT_IMAGE_CACHE"
if ! agent_image_fresh; then
        how="built by deploy/build-image"
        # podman's storage of this test's own, removed once the archive is saved
        PM="podman --root $SCRATCH/storage --runroot $SCRATCH/run"
        command -v podman >/dev/null || { missing=podman why="podman is not installed: the image is built with it"; agent_image_unlock; skip_rest "the agent's image"; }
        agent_image_build "$PM" "$SCRATCH/build.log"
        brc=$?
        $PM --runtime runc --cgroup-manager cgroupfs rmi -af >/dev/null 2>&1
        [ "$brc" = 2 ] && { agent_image_unlock; skip_rest "the agent's image"; }
        [ "$brc" = 0 ] || fail "$why"
fi
cp "$AGENT_IMAGE_CACHE/sysfence.tar" "$SCRATCH/sysfence.tar" 2>/dev/null || fail "no image archive in $AGENT_IMAGE_CACHE"
agent_image_unlock
# $SCRATCH/node is the node's directory (node.sh)
mkdir -p "$SCRATCH/node/kubelet/pods" && mount -t tmpfs -o mode=0755,size=128m sf-agent-pod "$SCRATCH/node/kubelet/pods" &&
        PODS_FS=$SCRATCH/node/kubelet/pods || fail "cannot mount a tmpfs for the kubelet's pods directory"
if ! node_start; then
        fail "$why"
        [ -n "$NODE" ] && fail "containerd's log: $(tail -n 5 "$NODE/containerd.log" 2>/dev/null)"
fi
ctr --address "$NODE/containerd.sock" -n k8s.io images import --snapshotter overlayfs "$SCRATCH/sysfence.tar" \
        >"$SCRATCH/import.log" 2>&1 || fail "ctr images import: $(tail -n 3 "$SCRATCH/import.log")"
rm -f "$SCRATCH/sysfence.tar"
cri wait-ready "$IMAGE" 10 2>"$ERR" || fail "the CRI does not know $IMAGE: $(cat "$ERR")"
now_cs
setup_why=$t_why
done_test "the DaemonSet's image $IMAGE ($how) is imported with ctr -n k8s.io images import; the node's CRI knows it ($(((_now - t_start) * 10)) ms)"
if [ -n "$setup_why" ] || [ -z "$NODE" ]; then
        while [ "$tap_n" -lt "$tap_planned" ]; do
                fail "not run: no node or no image"
                done_test "(no node or no image)"
        done
        finish
        exit
fi

KR=$NODE_KUBELET
INST=$KR/seccomp/sysfence
# The second agent of the RuntimeDefault check (test 10): the same pod on a
# node of its own (another kubelet root), under containerd's default made strict.
KR2=$NODE/kubelet2
UID1=sysfence-agent-$$
UID2=sysfence-agent-strict-$$
CM1=$KR/pods/$UID1/volumes/kubernetes.io~configmap/profiles
CM2=$KR2/pods/$UID2/volumes/kubernetes.io~configmap/profiles
# configmap SRC: the kubelet's update of both agents' ConfigMap volumes
configmap() { cm_update "$CM1" "$1" && cm_update "$CM2" "$1"; }
# installed KEY...: the agent wrote each KEY as it installs it (both agents)
installed()
{
        for _k in "$@"; do
                installed_form "$CM1/..data/$_k" "$SCRATCH/expect.json" || return 1
                cmp -s "$SCRATCH/expect.json" "$INST/$_k" && cmp -s "$SCRATCH/expect.json" "$KR2/seccomp/sysfence/$_k" || return 1
        done
}
# probe ID: the manifest's readiness probe in container ID (ExecSync); $rc, $OUT, $ERR
probe() { cri probe "$1" "$MANIFEST" >"$OUT" 2>"$ERR"; rc=$?; }
ready() { probe "$AGENT" && [ "$rc" = 0 ] && probe "$AGENT2" && [ "$rc" = 0 ]; }
not_ready() { probe "$AGENT"; [ "$rc" != 0 ]; }
# strict_rc: the exit of the strict agent's probe, which must be the plain
# verdict (0 ready, 1 not ready), never a SIGSYS death
strict_rc() { probe "$AGENT2"; echo "$rc"; }

# The strict form of containerd's default (RuntimeDefault) for this
# container: resolved for no capability (the DaemonSet drops ALL; containerd
# builds its default from the container's capabilities, and would ignore
# includes/excludes in a file), SCMP_ACT_KILL_PROCESS for its ERRNO default and
# for its one rule that is not ALLOW (clone3: ENOSYS).  A call RuntimeDefault
# would answer with an error kills the process that makes it (SIGSYS, exit
# 159): the second agent runs under it, so a denied call shows as its death or
# a probe's, each seen by the test itself: no audit record to attribute among
# those of every other test on the host, none lost to a rate limit.
"$SYSFENCE" convert "$SF_SOURCE/profiles/containerd.json" --caps none -o "$SCRATCH/rd.json" 2>"$ERR" || fail "convert: $(cat "$ERR")"
"$PY" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["defaultAction"] = "SCMP_ACT_KILL_PROCESS"
d.pop("defaultErrnoRet", None)
for r in d["syscalls"]:
    if r["action"] != "SCMP_ACT_ALLOW":
        r["action"] = "SCMP_ACT_KILL_PROCESS"
        r.pop("errnoRet", None)
json.dump(d, open(sys.argv[2], "w"))' "$SCRATCH/rd.json" "$NODE/runtime-default-strict.json" || fail "cannot write the strict profile"

# --- the DaemonSet's pod: every key installed, the probe ready -------------------------------
mkdir -p "$SCRATCH/cm1"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}\n' \
        >"$SCRATCH/cm1/deny-mkdir.json"
cp "$SEED/audit.json" "$SEED/violation.json" "$SEED/fine-grained.json" "$SCRATCH/cm1/"
configmap "$SCRATCH/cm1" || fail "cannot lay out the ConfigMap volumes"
cri daemonset "$MANIFEST" --kubelet-root "$KR" --uid "$UID1" >"$SCRATCH/ds.json" 2>"$ERR" || fail "cri daemonset: $(cat "$ERR")"
cri daemonset "$MANIFEST" --kubelet-root "$KR2" --uid "$UID2" --name sysfence-agent-strict \
        --seccomp "localhost/$NODE/runtime-default-strict.json" >"$SCRATCH/ds2.json" 2>"$ERR" || fail "cri daemonset (strict): $(cat "$ERR")"
AGENT=$(json_get "$SCRATCH/ds.json" 'd["id"]')
AGENT2=$(json_get "$SCRATCH/ds2.json" 'd["id"]')
GRACE=$(json_get "$SCRATCH/ds.json" 'd["grace"]')
LIMIT=$(json_get "$SCRATCH/ds.json" 'd["memory_limit"]')
[ "$(json_get "$SCRATCH/ds.json" 'd["seccomp"]')" = runtime/default ] || fail "the manifest's seccomp is $(json_get "$SCRATCH/ds.json" 'd["seccomp"]'), not runtime/default"
wait_secs 20 installed deny-mkdir.json audit.json violation.json fine-grained.json ||
        fail "within 20 s the agent did not install every key: $(ls -A "$INST" 2>&1 | tr '\n' ' '); log: $(cri logs "${AGENT:-none}" 2>&1 | tail -n 5)"
wait_secs 15 ready || fail "the readiness probe did not pass within 15 s: exit $rc, $(cat "$OUT" "$ERR")"
now_cs
t_ready=$_now
lap
done_test "the DaemonSet's pod from the manifest (runtime/default, memory limit $LIMIT, grace ${GRACE}s): the agent installs every key of the ConfigMap volume, the readiness probe (ExecSync) passes"

# --- a workload naming one of the profiles is confined by it ---------------------------------
pod=$(cri run-pod web 2>"$ERR") || fail "RunPodSandbox: $(cat "$ERR")"
id=$(cri create "$pod" app --no-new-privs --seccomp "localhost/$INST/deny-mkdir.json" -- \
        sh -c 'mkdir /tmp/made && echo made; grep ^Seccomp: /proc/self/status' 2>"$ERR") &&
        cri start "$id" 2>"$ERR" || fail "the workload: $(cat "$ERR")"
st=$(cri wait "${id:-none}" 20)
cri logs "${id:-none}" >"$OUT" 2>&1
grep -q "mkdir: can't create directory '/tmp/made': Operation not permitted" "$OUT" ||
        fail "mkdir was not refused with EPERM: $(cat "$OUT") ($st)"
grep -qx 'made' "$OUT" && fail "mkdir succeeded under deny-mkdir.json"
grep -q '^Seccomp:[[:space:]]*2' "$OUT" || fail "the workload has no seccomp filter: $(cat "$OUT")"
cri rm-pod "$pod" 2>/dev/null
lap
done_test "a workload pod naming localhost sysfence/deny-mkdir.json starts and is confined by it: mkdir fails with EPERM"

# --- a ConfigMap update: the ..data swap reaches the node, a removed key's file goes ---------
mkdir -p "$SCRATCH/cm2"
cp "$SCRATCH/cm1/deny-mkdir.json" "$SEED/fine-grained.json" "$SCRATCH/cm2/"
sed 's/SCMP_ACT_LOG/SCMP_ACT_ERRNO/' "$SEED/audit.json" >"$SCRATCH/cm2/audit.json"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["chmod", "fchmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"}]}\n' \
        >"$SCRATCH/cm2/deny-chmod.json"
configmap "$SCRATCH/cm2"
wait_secs 20 installed deny-mkdir.json fine-grained.json audit.json deny-chmod.json ||
        fail "within 20 s the agent did not follow the ..data swap: $(ls -A "$INST" | tr '\n' ' ')"
wait_secs 10 test ! -e "$INST/violation.json" || fail "the removed key's file $INST/violation.json is still there"
wait_secs 10 ready || fail "not ready after the update: $(cat "$OUT" "$ERR")"
lap
done_test "a ConfigMap update (the ..data swap) reaches the node: a new key installed, a changed one rewritten, the removed key's file gone; ready"

# --- an invalid key: not ready, the reason in the container's log --------------------------
mkdir -p "$SCRATCH/cm3"
cp "$SCRATCH/cm2"/*.json "$SCRATCH/cm3/"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_EXPLODE"}]}\n' \
        >"$SCRATCH/cm3/broken.json"
configmap "$SCRATCH/cm3"
wait_secs 15 not_ready || fail "the probe still passes with an invalid key"
probe "$AGENT"
[ "$rc" = 1 ] || fail "the probe exited $rc with an invalid key, expected 1 (not ready): $(cat "$OUT" "$ERR")"
src=$(strict_rc)
[ "$src" = 1 ] || fail "the strict agent's probe exited $src with an invalid key, expected 1: $(cat "$OUT" "$ERR")"
logs_name() { cri logs "$AGENT" 2>/dev/null | grep -F 'broken.json' | grep -qF "$1"; }
wait_secs 10 logs_name 'syscalls[0].action' ||
        fail "the container's log does not give the reason: $(cri logs "$AGENT" 2>&1 | tail -n 5)"
[ -e "$INST/broken.json" ] && fail "the invalid key was installed"
[ -f "$INST/deny-chmod.json" ] || fail "the valid keys' files went with the invalid key"
cri logs "$AGENT" 2>/dev/null | grep -F broken.json | tail -n 1 | sed 's/^/# log: /'
configmap "$SCRATCH/cm2"
wait_secs 15 ready || fail "not ready again once the invalid key is gone: $(cat "$OUT" "$ERR")"
lap
done_test "an invalid key keeps the probe not ready (exit 1), the container's log names the key and its fault; fixed, ready again"

# --- item 3: what the manifest promises ----------------------------------------------------
pid=$(node_cri_pid "$AGENT")
status_of() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$pid/status" 2>/dev/null; }
if [ -n "$pid" ] && [ "$pid" -gt 0 ]; then
        for f in Uid:0 CapEff:0000000000000000 CapPrm:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 Seccomp:2; do
                v=$(status_of "${f%%:*}" | awk '{ print $1 }')
                [ "$v" = "${f#*:}" ] || fail "${f%%:*} of the agent ($pid) is \"$v\", expected ${f#*:}"
        done
else
        fail "no pid for the agent's container"
fi
[ "$(stat -c '%U %a' "$KR/seccomp")" = "root 755" ] || fail "the hostPath is $(stat -c '%U %a' "$KR/seccomp"), not root's 0755"
[ "$(stat -c %U "$INST/deny-chmod.json")" = root ] || fail "the installed file is $(stat -c %U "$INST/deny-chmod.json")'s"
lap
done_test "the agent runs as uid 0 with CapEff, CapPrm and CapBnd 0, no_new_privs and a filter, and writes the root-owned 0755 hostPath as its owner"

cri exec "$AGENT" --timeout 10 -- /usr/bin/sysfence convert /etc/sysfence/profiles/deny-mkdir.json -o /written.json >"$OUT" 2>"$ERR"
rc=$?
expect_rc 1
expect_err "Read-only file system"
root=$(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/${pid:-0}/mountinfo" 2>/dev/null)
[ "$root" = ro ] || fail "the container's root is mounted \"$root\", not ro"
lap
done_test "its root is read-only: a write to / fails (Read-only file system), / is mounted ro"

# The largest ConfigMap the agent accepts: its 4096 keys (K8S_MAX_KEYS), all
# of them within the 1 MiB the API server allows a ConfigMap.  Measured in the
# container's memory cgroup (this host is hybrid: v1's memory controller; on
# a unified host, v2's), where the limit is the manifest's.  The cgroup's
# usage counts the page cache of the files the agent writes and the probe
# reads, which the kernel reclaims at the limit rather than fail: the
# promise is the kubelet's measure, the working set (usage less inactive
# file pages, what it evicts and the OOM killer go by), sampled every 0.1 s
# while the agent syncs and the probe reads, and no OOM kill.
cg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/${pid:-0}/cgroup" 2>/dev/null)
if [ -n "$cg" ] && [ -r "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" ]; then
        m=/sys/fs/cgroup/memory$cg
        lim=$(cat "$m/memory.limit_in_bytes")
        usage() { cat "$m/memory.usage_in_bytes"; }
        inactive_file() { awk '$1 == "total_inactive_file" { print $2 }' "$m/memory.stat"; }
        peak() { cat "$m/memory.max_usage_in_bytes"; }
        ooms() { awk '$1 == "oom_kill" { print $2 }' "$m/memory.oom_control"; }
else
        m=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' "/proc/${pid:-0}/cgroup" 2>/dev/null)
        lim=$(cat "$m/memory.max" 2>/dev/null)
        usage() { cat "$m/memory.current"; }
        inactive_file() { awk '$1 == "inactive_file" { print $2 }' "$m/memory.stat"; }
        peak() { cat "$m/memory.peak"; }
        ooms() { awk '$1 == "oom_kill" { print $2 }' "$m/memory.events"; }
fi
ws_max=0
sample() { _ws=$(($(usage) - $(inactive_file))) && [ "$_ws" -le "$ws_max" ] || ws_max=$_ws; }
bytes=$("$CRI_PY" "$SF_SOURCE/tests/cri/keys.py" "$PODS_FS/keys" 4096) || fail "keys.py failed"
cm_update "$CM1" "$PODS_FS/keys"
now_cs
t0=$_now
big_ready() { sample; probe "$AGENT" && [ "$rc" = 0 ]; }
wait_secs 60 big_ready || fail "not ready within 60 s with 4096 keys: $(cat "$OUT" "$ERR" | tail -n 3)"
now_cs
big_ms=$(((_now - t0) * 10))
probe "$AGENT"
sample
hwm=$(status_of VmHWM | awk '{ print $1 }')
echo "# 4096 keys ($bytes bytes): ready in $big_ms ms; $m: limit $lim, working set at most $ws_max, usage peak $(peak) (page cache included), oom kills $(ooms); the agent's VmHWM $hwm kB"
[ "$lim" = "$LIMIT" ] || fail "the container's memory limit is \"$lim\", not the manifest's $LIMIT"
[ "$ws_max" -gt 0 ] && [ "$ws_max" -lt "$LIMIT" ] || fail "the working set reached $ws_max, the limit is $LIMIT"
[ -n "$hwm" ] && [ $((hwm * 1024)) -lt "$LIMIT" ] || fail "the agent's peak RSS is ${hwm:-?} kB, the limit $LIMIT bytes"
[ "$(ooms)" = 0 ] || fail "oom kills: $(ooms)"
[ "$(cri status "$AGENT" | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["state"])')" = RUNNING ] ||
        fail "the agent does not run: $(cri status "$AGENT")"
lap
done_test "with the largest ConfigMap it accepts (4096 keys, $bytes bytes) the agent stays under the manifest's memory limit in its cgroup: working set at most $ws_max of $LIMIT bytes, peak RSS $hwm kB, no OOM kill"

# --- StopContainer ends it within terminationGracePeriodSeconds ------------------------------
now_cs
t0=$_now
cri stop "$AGENT" "$GRACE" 2>"$ERR" || fail "StopContainer: $(cat "$ERR")"
now_cs
stop_ms=$(((_now - t0) * 10))
st=$(cri wait "$AGENT" 5)
code=$(echo "$st" | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["exit_code"])')
[ "$code" = 0 ] || fail "the agent exited ${code:-?} on StopContainer, expected 0: $st"
[ "$stop_ms" -lt $((GRACE * 1000)) ] || fail "StopContainer took $stop_ms ms, the grace period is $GRACE s"
strict_state=$(cri status "$AGENT2" | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["state"])')
cri stop "$AGENT2" "$GRACE" 2>/dev/null
cri wait "$AGENT2" 5 >/dev/null
lap
done_test "StopContainer ends the agent with exit 0 in $stop_ms ms, within terminationGracePeriodSeconds ($GRACE s)"

# --- RuntimeDefault never denies the agent a call ------------------------------------------
# The second agent ran every step above (installs, the update, the invalid
# key, a probe each time, StopContainer) under the strict form of
# RuntimeDefault: alive to the end, each probe a plain verdict, exit 0.  A
# positive control: a busybox container under the same profile calls
# unshare, which RuntimeDefault denies without CAP_SYS_ADMIN.
cpod=$(cri run-pod control 2>"$ERR") &&
        cid=$(cri create "$cpod" control --no-new-privs --cap-drop ALL --seccomp "localhost/$NODE/runtime-default-strict.json" -- \
                unshare -m true 2>"$ERR") && cri start "$cid" 2>"$ERR" || fail "the control container: $(cat "$ERR")"
ccode=$(cri wait "${cid:-none}" 20 | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["exit_code"])')
[ "$ccode" = 159 ] || fail "the control's unshare was not killed (exit ${ccode:-?}, expected 159: SIGSYS)"
code2=$(cri status "$AGENT2" | "$PY" -S -c 'import json, sys; print(json.load(sys.stdin)["exit_code"])')
[ "$strict_state" = RUNNING ] || fail "the strict agent was not running before StopContainer: $strict_state ($(cri logs "$AGENT2" 2>&1 | tail -n 3))"
[ "$code2" = 0 ] || fail "the strict agent exited ${code2:-?}, expected 0 (159 would be SIGSYS: a call RuntimeDefault denies)"
lap
done_test "under RuntimeDefault made strict (SCMP_ACT_KILL_PROCESS for every call it refuses) a second agent pod goes through every step above, alive, each probe a plain verdict, exit 0: no call it makes is denied (the control's unshare is killed)"

# --- nothing left behind ---------------------------------------------------------------------
pods_fs_off || fail "cannot unmount $PODS_FS"
node_gone || fail "left:$why"
[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && fail "the agent's process $pid still runs"
now_cs
lap
done_test "no containerd, shim, container process, cgroup, mount or file of the node is left (the whole test: $(((_now - t_start) * 10)) ms; ready $(((t_ready - t_start) * 10)) ms after the start)"

finish
