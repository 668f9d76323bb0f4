#!/bin/sh
# sysfence k8s ps: real runc containers (busybox sleep) whose bundles sit in a
# containerd-style state dir of the test's own (<state>/io.containerd.
# runtime.v2.task/k8s.io/<id>/ with config.json carrying the CRI annotations
# and init.pid), one under a profile installed with `k8s install`, one under
# containerd's default, one privileged (no seccomp), one under a filter that is
# none of those; `k8s ps` must name each by the filter the kernel holds for its
# process.  runc keeps its own state under the scratch dir (--root); every
# container is killed and deleted on exit.
set -u
. "$(dirname "$0")/lib.sh"

plan 7

if missing runc busybox || [ "$(id -u)" != 0 ]; then
        [ "$(id -u)" = 0 ] || { missing=root; why="runc containers and ptrace need root"; }
        skip_rest "k8s ps against runc containers"
fi

RUNC_ROOT=$SCRATCH/runc
STATE=$SCRATCH/state
TASKS=$STATE/io.containerd.runtime.v2.task/k8s.io
KROOT=$SCRATCH/kubelet
ROOTFS=$SCRATCH/rootfs
IDS=
cleanup()
{
        for id in $IDS; do
                runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
        done
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

mkdir -p "$TASKS" "$KROOT" "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/tmp"
cp /bin/busybox "$ROOTFS/bin/busybox"
for t in sh sleep; do ln -s busybox "$ROOTFS/bin/$t"; done

# The profiles: moby's default installed for the node as sysfence/nginx.json;
# containerd's default; and moby's less one syscall nobody here makes (mlock),
# which decides unlike every profile installed.
sf k8s install --kubelet-root "$KROOT" --name nginx.json "$REAL/moby-default.json"
expect_rc 0
"$SYSFENCE" convert "$KROOT/seccomp/sysfence/nginx.json" --to oci -o "$SCRATCH/nginx.oci.json" 2>/dev/null ||
        fail "convert the installed nginx.json to OCI"
"$SYSFENCE" profile default --for containerd >"$SCRATCH/default.json" 2>/dev/null &&
        "$SYSFENCE" convert "$SCRATCH/default.json" --to oci -o "$SCRATCH/default.oci.json" 2>/dev/null ||
        fail "containerd's default as OCI"
"$PY" -S - "$SCRATCH/nginx.oci.json" "$SCRATCH/odd.oci.json" <<'P' || fail "the odd profile"
import json, sys
p = json.load(open(sys.argv[1]))
for r in p["syscalls"]:
    if r.get("action") == "SCMP_ACT_ALLOW" and "mlock" in r["names"]:
        r["names"].remove("mlock")
json.dump(p, open(sys.argv[2], "w"))
# one that differs only in an argument: personality(0x20000) no longer allowed,
# personality(0x20001) instead (the same syscalls, other argument values)
p = json.load(open(sys.argv[1]))
for r in p["syscalls"]:
    for a in r.get("args") or []:
        if r["names"] == ["personality"] and a["value"] == 131072:
            a["value"] = 131073
json.dump(p, open(sys.argv[2].replace("odd", "args"), "w"))
P
grep -q 131073 "$SCRATCH/args.oci.json" || fail "no personality rule was changed"
done_test "the profiles: one installed with k8s install, containerd's default, two that are neither"

# container ID POD NAMESPACE NAME TYPE PROFILE|-: a bundle in the state dir,
# started with runc (detached; its pid in init.pid) unless TYPE is sandbox-stopped
container()
{
        _b=$TASKS/$1
        mkdir -p "$_b"
        "$PY" -S - "$_b/config.json" "$ROOTFS" "$2" "$3" "$4" "$5" "$6" <<'P' || fail "cannot write $1/config.json"
import json, sys
path, rootfs, pod, ns, name, typ, profile = sys.argv[1:8]
c = {
    "ociVersion": "1.0.2",
    "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["/bin/sleep", "600"],
                "env": ["PATH=/bin"], "cwd": "/", "noNewPrivileges": True,
                "capabilities": {k: ["CAP_CHOWN", "CAP_SETUID", "CAP_SETGID", "CAP_KILL"]
                                 for k in ("bounding", "effective", "permitted")}},
    "root": {"path": rootfs, "readonly": True},
    "hostname": "",
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
               {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]}],
    "annotations": {"io.kubernetes.cri.sandbox-name": pod, "io.kubernetes.cri.sandbox-namespace": ns,
                    "io.kubernetes.cri.container-name": name,
                    "io.kubernetes.cri.container-type": "sandbox" if typ.startswith("sandbox") else "container"},
    "linux": {"namespaces": [{"type": t} for t in ("pid", "ipc", "mount")]},
}
if profile != "-":
    c["linux"]["seccomp"] = json.load(open(profile))
json.dump(c, open(path, "w"), indent=1)
P
        [ "$5" = sandbox-stopped ] && return
        IDS="$IDS $1"
        runc --root "$RUNC_ROOT" run -d --pid-file "$_b/init.pid" --bundle "$_b" "$1" \
                </dev/null >"$SCRATCH/runc.out" 2>&1 || fail "runc run $1: $(head -c 300 "$SCRATCH/runc.out")"
}

P=sfps$$
container "$P-nginx" web shop nginx container "$SCRATCH/nginx.oci.json"
container "$P-worker" batch default worker container "$SCRATCH/default.oci.json"
container "$P-shell" debug kube-system shell container -
container "$P-custom" odd shop custom container "$SCRATCH/odd.oci.json"
container "$P-args" odd shop args container "$SCRATCH/args.oci.json"
container "$P-pause" web shop "" sandbox-stopped "$SCRATCH/default.oci.json"
for id in $IDS; do
        pid=$(cat "$TASKS/$id/init.pid" 2>/dev/null)
        [ -n "$pid" ] && [ -d "/proc/$pid" ] || fail "$id is not running"
done
pid_custom=$(cat "$TASKS/$P-custom/init.pid" 2>/dev/null)
done_test "five runc containers run from bundles in a containerd-style state dir"

# row POD CONTAINER SPEC LOADED: the table has that row (columns padded)
row()
{
        "$PY" -S - "$OUT" "$@" <<'P' || fail "no row: $*"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
want = sys.argv[2:]
for l in lines[1:]:
    cols = re.split(r"  +", l.strip())
    if cols[1:] == want:
        sys.exit(0)
sys.exit(1)
P
}

sf k8s ps --state-dir "$STATE" --kubelet-root "$KROOT"
expect_rc 0
head -n 1 "$OUT" | grep -qE '^NAMESPACE +POD +CONTAINER +SPEC +LOADED$' || fail "no header: $(head -n 1 "$OUT")"
row web nginx sysfence/nginx.json "sysfence/nginx.json (equal)"
row batch worker RuntimeDefault "RuntimeDefault (equal)"
row debug shell unconfined UNCONFINED
[ "$(wc -l <"$OUT")" -eq 6 ] || fail "not five containers and a header: $(cat "$OUT")"
grep -q pause "$OUT" && fail "the sandbox is listed without --all"
done_test "k8s ps: the installed profile, RuntimeDefault and the privileged container, each (equal) or UNCONFINED"

# the unknown filter: the length the kernel gives is the one of the program it holds
n=$(grep -E '^shop +odd +custom ' "$OUT" | sed -n 's/.*unknown filter (\([0-9]*\) instructions)$/\1/p')
[ -n "$n" ] && [ "$n" -gt 10 ] || fail "the odd container is not an unknown filter: $(grep custom "$OUT")"
grep -E '^shop +odd +custom +unknown profile ' "$OUT" >/dev/null || fail "its spec is not an unknown profile: $(grep custom "$OUT")"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$pid_custom/status" && grep -q '^Seccomp_filters:[[:space:]]*1' "/proc/$pid_custom/status" ||
        fail "the odd container has not one filter"
# the same syscalls as nginx.json, one argument value apart: only the argument probes tell
grep -E '^shop +odd +args +unknown profile +unknown filter \([0-9]+ instructions\)$' "$OUT" >/dev/null ||
        fail "a filter one argument value apart from nginx.json is not unknown: $(grep ' args ' "$OUT")"
done_test "a filter no installed profile decides like (a syscall, or one argument value): unknown filter (N instructions)"

sf k8s ps --state-dir "$STATE" --kubelet-root "$KROOT" --json --all
expect_rc 0
"$PY" -S - "$OUT" "$P" "$n" <<'P' || fail "--json: $(head -c 600 "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
p, n = sys.argv[2], int(sys.argv[3] or 0)
by = {c["id"]: c for c in d["containers"]}
assert set(by) == {p + s for s in ("-nginx", "-worker", "-shell", "-custom", "-args", "-pause")}, sorted(by)
c = by[p + "-nginx"]
assert (c["namespace"], c["pod"], c["container"], c["type"]) == ("shop", "web", "nginx", "container"), c
assert (c["spec"], c["loaded"], c["profile"], c["filters"]) == ("sysfence/nginx.json", "equal", "sysfence/nginx.json", 1), c
assert c["runtime_namespace"] == "k8s.io" and c["pid"] > 0, c
c = by[p + "-worker"]
assert (c["spec"], c["loaded"], c["profile"]) == ("RuntimeDefault", "equal", "RuntimeDefault"), c
c = by[p + "-shell"]
assert (c["spec"], c["loaded"], c["filters"]) == ("unconfined", "unconfined", 0) and "profile" not in c, c
c = by[p + "-custom"]
assert (c["loaded"], c["instructions"], c["text"]) == ("unknown", n, "unknown filter (%d instructions)" % n), c
c = by[p + "-pause"]
assert (c["type"], c["loaded"], c["pid"]) == ("sandbox", "not-running", 0), c
assert d["profiles_compared"] == 2, d["profiles_compared"]
P
done_test "--json --all: every container with its pod, the spec's profile and the loaded filter; the sandbox not running"

# ps only looks: the containers still run, none is left stopped or traced
for id in $IDS; do
        pid=$(cat "$TASKS/$id/init.pid")
        st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status")
        tr=$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$pid/status")
        [ "$st" = S ] && [ "$tr" = 0 ] || fail "$id: state $st, tracer $tr after k8s ps"
done
done_test "the containers' processes are left sleeping and untraced"

# a stale init.pid (this shell's pid: not in the container's cgroup) is not believed
echo $$ >"$TASKS/$P-pause/init.pid"
sf k8s ps --state-dir "$STATE" --kubelet-root "$KROOT" --all
expect_rc 0
# a container without a name shows its id, as docker does: 12 characters
row web "$(printf %.12s "$P-pause") (sandbox)" RuntimeDefault "not running"
sf k8s ps --state-dir "$SCRATCH/none" --kubelet-root "$KROOT"
expect_rc 0
[ "$(cat "$OUT")" = "NAMESPACE  POD  CONTAINER  SPEC  LOADED" ] || fail "no state dir is not an empty list: $(cat "$OUT")"
sf k8s ps extra
expect_rc 2
done_test "a stale init.pid names no process; an absent state dir lists nothing; usage errors"

finish
