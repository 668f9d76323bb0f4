#!/bin/sh
# The node agent's image as it ships: deploy/build-image builds it (offline
# but for the Debian mirror: the base is made with mmdebstrap where podman has
# none), and podman (runc) runs its container as the DaemonSet of
# deploy/kubernetes/sysfence-agent.yaml describes it: the image, command,
# readiness probe, securityContext (uid 0, every capability dropped, a
# read-only root, no privilege escalation, RuntimeDefault seccomp: containerd's
# default, profiles/containerd.json, since the DaemonSet runs on containerd
# nodes), memory limit and volumes are read from the manifest, so the file
# cannot drift from what is run.  The hostPath is a directory of the test's
# own, the ConfigMap volume is laid out as the kubelet does (a ..data symlink
# to a timestamped directory, each key a symlink through it).
#
# The image is built once: the base tarball (debian-12.tar) and the image
# (sysfence.tar, a docker archive for 'ctr -n k8s.io images import' or
# 'podman load') are kept in $SF_IMAGE_CACHE (tests/meson.build: the build
# directory's tests/agent-image) with the hash of the build's inputs
# (sysfence.tar.key), by agent-image-cache.sh, which k8s-agent-pod.sh shares;
# a rerun with the same inputs loads the archive.  podman
# runs on a storage of the test's own, removed at the end: the host's images
# and containers are not touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent-image-cache.sh"

plan 10

MANIFEST=$SF_SOURCE/deploy/kubernetes/sysfence-agent.yaml
SCHEMA=$SF_SOURCE/tests/k8s-schema
# podman's storage, containers and images: the test's own, under $SCRATCH
PODMAN="podman --root $SCRATCH/storage --runroot $SCRATCH/run"
P="$PODMAN --runtime runc --cgroup-manager cgroupfs"
AGENT=sf-agent-$$
made=

cleanup()
{
        if [ -n "$made" ]; then
                $P rm -f -t 0 "$AGENT" "$AGENT-probe" "$AGENT-ro" >/dev/null 2>&1
                $P rmi -af >/dev/null 2>&1
        fi
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

missing podman runc && skip_rest "the agent's image, built and run by podman (runc)"
if ! [ -d "$SCHEMA/node_modules/yaml" ] || ! command -v node >/dev/null; then
        fail "no $SCHEMA/node_modules or no node: scripts/deps --test installs the YAML reader the Kubernetes tests share"
        done_test "the DaemonSet is read from $MANIFEST"
        missing=yaml why="the manifest cannot be read"
        skip_rest "the agent's image"
fi

# --- the DaemonSet, as podman options ------------------------------------------
# spec.lines: one "KIND<TAB>VALUE..." line each: image, cmd (one argument
# each), probe (the same), opt (a podman run option), hostpath (path, mountPath),
# configmap (mountPath), memory (bytes), grace (seconds).  A securityContext
# field or volume kind this test does not know how to run is an error, so the
# manifest cannot grow a promise that is not run.
node "$SCHEMA/yaml2json.mjs" "$MANIFEST" >"$SCRATCH/manifest.json" 2>"$ERR" ||
        fail "$MANIFEST: $(cat "$ERR")"
"$PY" -S - "$SCRATCH/manifest.json" "$SF_SOURCE/profiles/containerd.json" >"$SCRATCH/spec.lines" 2>"$ERR" <<'EOF' ||
import json, sys
ds = [d for d in json.load(open(sys.argv[1])) if d.get("kind") == "DaemonSet"]
if len(ds) != 1:
    sys.exit("not one DaemonSet")
pod = ds[0]["spec"]["template"]["spec"]
if len(pod["containers"]) != 1 or pod.get("initContainers"):
    sys.exit("not one container")
c = pod["containers"][0]
out = []
def emit(*f):
    out.append("\t".join(str(x) for x in f))
emit("image", c["image"])
for a in c["command"] + c.get("args", []):
    emit("cmd", a)
for a in c["readinessProbe"]["exec"]["command"]:
    emit("probe", a)
emit("grace", pod.get("terminationGracePeriodSeconds", 30))
lim = c.get("resources", {}).get("limits", {}).get("memory")
if lim:
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "k": 1000, "M": 1000**2, "G": 1000**3}
    u = next((u for u in sorted(units, key=len, reverse=True) if lim.endswith(u)), "")
    emit("memory", int(lim[:len(lim) - len(u)]) * units.get(u, 1))
    emit("opt", "--memory=%d" % (int(lim[:len(lim) - len(u)]) * units.get(u, 1)))
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
known_pod = {"runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile"}
known_ctr = known_pod | {"privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "capabilities"}
for k in set(psc) - known_pod:
    sys.exit("pod securityContext.%s: this test does not run it" % k)
for k in set(csc) - known_ctr:
    sys.exit("container securityContext.%s: this test does not run it" % k)
sc = dict(psc, **csc)  # the container's fields override the pod's
if sc.get("privileged"):
    sys.exit("privileged: this test does not run it")
if "runAsUser" in sc:
    emit("opt", "--user=%d:%d" % (sc["runAsUser"], sc.get("runAsGroup", 0)))
if sc.get("allowPrivilegeEscalation") is False:
    emit("opt", "--security-opt=no-new-privileges")
if sc.get("readOnlyRootFilesystem"):
    emit("opt", "--read-only")
    # the kubelet mounts no /tmp; podman would (--read-only-tmpfs)
    emit("opt", "--read-only-tmpfs=false")
for cap in sc.get("capabilities", {}).get("drop", []):
    emit("opt", "--cap-drop=" + cap.lower())
for cap in sc.get("capabilities", {}).get("add", []):
    emit("opt", "--cap-add=" + cap.lower())
sp = sc.get("seccompProfile", {"type": "RuntimeDefault"})
if sp["type"] == "RuntimeDefault":
    emit("opt", "--security-opt=seccomp=" + sys.argv[2])
elif sp["type"] == "Unconfined":
    emit("opt", "--security-opt=seccomp=unconfined")
else:
    sys.exit("seccompProfile %s: this test does not run it" % sp["type"])
vols = {v["name"]: v for v in pod.get("volumes", [])}
for m in c.get("volumeMounts", []):
    v = vols[m["name"]]
    if set(m) - {"name", "mountPath", "readOnly"}:
        sys.exit("volumeMount %s: %s: this test does not run it" % (m["name"], sorted(set(m) - {"name", "mountPath", "readOnly"})))
    if "hostPath" in v:
        emit("hostpath", v["hostPath"]["path"], m["mountPath"], "ro" if m.get("readOnly") else "rw")
    elif "configMap" in v:
        emit("configmap", m["mountPath"])
    else:
        sys.exit("volume %s: this test runs hostPath and configMap only" % m["name"])
print("\n".join(out))
EOF
        fail "$MANIFEST: $(cat "$ERR")"
field() { awk -F "$TAB" -v k="$1" '$1 == k { print $2; exit }' "$SCRATCH/spec.lines"; }
IMAGE=$(field image)
GRACE=$(field grace)
MEMORY=$(field memory)
CM_MOUNT=$(field configmap)
HOST_PATH=$(awk -F "$TAB" '$1 == "hostpath" { print $2; exit }' "$SCRATCH/spec.lines")
HOST_MOUNT=$(awk -F "$TAB" '$1 == "hostpath" { print $3; exit }' "$SCRATCH/spec.lines")
[ -n "$IMAGE" ] && [ -n "$CM_MOUNT" ] && [ -n "$HOST_MOUNT" ] && [ -n "$GRACE" ] ||
        fail "$MANIFEST: no image, ConfigMap volume, hostPath volume or grace period read"
# The agent's --subdir, from its command (the directory it installs into).
SUBDIR=$(awk -F "$TAB" '$1 == "cmd" { if (p) { print $2; exit } p = ($2 == "--subdir") }' "$SCRATCH/spec.lines")
: "${SUBDIR:=sysfence}"
version=$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$SF_SOURCE/meson.build" | head -n 1)
[ "$IMAGE" = "localhost/sysfence:$version" ] || fail "the DaemonSet runs \"$IMAGE\", not localhost/sysfence:$version (meson.build's version)"
done_test "the DaemonSet is read from the manifest: $IMAGE, its command, probe, securityContext and volumes"

# --- the image: built once, cached (agent-image-cache.sh) -------------------------
made=1
now_cs
t0=$_now
agent_image_lock || fail "cannot lock the cache $AGENT_IMAGE_CACHE"
if agent_image_fresh; then
        how="loaded from the cache $AGENT_IMAGE_CACHE/sysfence.tar"
        $P load -q -i "$AGENT_IMAGE_CACHE/sysfence.tar" >"$SCRATCH/build.log" 2>&1 || fail "podman load: $(tail -n 3 "$SCRATCH/build.log")"
else
        how="built by deploy/build-image"
        agent_image_build "$PODMAN" "$SCRATCH/build.log"
        case $? in
        0) grep -q "^build-image: $IMAGE: [0-9]* bytes" "$SCRATCH/build.log" ||
                fail "build-image did not print the image's size: $(tail -n 3 "$SCRATCH/build.log")" ;;
        2) agent_image_unlock; skip_rest "the agent's image, built and run" ;;
        *) fail "$why" ;;
        esac
fi
agent_image_unlock
now_cs
echo "# $IMAGE $how in $(((_now - t0) / 100)) s"
$P image exists "$IMAGE" || fail "no image $IMAGE after the build"
done_test "the DaemonSet's image $IMAGE is $how"

# The size: the image's uncompressed layers, as podman counts them.
size=$($P image inspect --format '{{.Size}}' "$IMAGE" 2>/dev/null)
echo "# $IMAGE: $size bytes"
[ -n "$size" ] && [ "$size" -le 40000000 ] || fail "the image is ${size:-?} bytes, above 40 MB"
done_test "the image is at most 40 MB"

# run ARGS...: podman run (runc) as this machine needs it; no network
run() { timeout -k 5 120 $P run --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"; }

run --rm "$IMAGE" --version >"$OUT" 2>"$ERR"
rc=$?
expect_rc 0
[ "$(head -n 1 "$OUT")" = "sysfence $version" ] || fail "--version says \"$(head -n 1 "$OUT")\", not sysfence $version"
done_test "sysfence --version runs in the image (its entrypoint): sysfence $version"

# --- the DaemonSet's container -------------------------------------------------------
# The node's kubelet directory (the hostPath, made as DirectoryOrCreate does:
# 0755, root's) and the ConfigMap volume as the kubelet lays it out.
NODE=$SCRATCH/node
CM=$SCRATCH/configmap
mkdir -p -m 0755 "$NODE$HOST_PATH" "$CM"
# configmap_data STAMP FILE...: a new timestamped directory with FILEs, ..data
# swapped to it (a rename, as the kubelet's atomic writer does), a key symlink
# for each through ..data, the keys of the old one removed
configmap_data()
{
        _d=..$1
        shift
        mkdir "$CM/$_d"
        for _f in "$@"; do cp "$_f" "$CM/$_d/"; done
        ln -s "$_d" "$CM/..data_tmp" && mv -T "$CM/..data_tmp" "$CM/..data"
        for _k in "$CM"/*; do [ -L "$_k" ] && [ ! -e "$_k" ] && rm "$_k"; done
        for _f in "$@"; do ln -sf "..data/${_f##*/}" "$CM/${_f##*/}"; done
        for _o in "$CM"/..[0-9]*; do [ "${_o##*/}" = "$_d" ] || rm -rf "$_o"; done
}
configmap_data 2026_12_06_00_00_00.000000001 "$SEED/audit.json" "$SEED/violation.json" "$SEED/fine-grained.json"

# The podman options of the DaemonSet's container: its securityContext, memory
# limit and volumes, one a line.
{
        awk -F "$TAB" '$1 == "opt" { print $2 }' "$SCRATCH/spec.lines"
        awk -F "$TAB" -v node="$NODE" '$1 == "hostpath" { printf "--volume=%s%s:%s:%s\n", node, $2, $3, $4 }' "$SCRATCH/spec.lines"
        printf -- '--volume=%s:%s:ro\n' "$CM" "$CM_MOUNT"
} >"$SCRATCH/pod.opts"
# argv KIND: the manifest's argv of KIND (cmd or probe), one a line
argv() { awk -F "$TAB" -v k="$1" '$1 == k { print $2 }' "$SCRATCH/spec.lines"; }
# pod NAME ARGV-KIND [-d]: the container NAME from the manifest's image with its
# options, running the argv of kind cmd or probe; stdout and stderr in $OUT, $ERR
pod()
{
        _name=$1 _kind=$2 _mode=--rm
        [ "${3:-}" = -d ] && _mode=-d
        argv "$_kind" | tail -n +2 >"$SCRATCH/args"
        set --
        while IFS= read -r _a; do set -- "$@" "$_a"; done <"$SCRATCH/pod.opts"
        set -- "$@" "$_mode" --name="$_name" --entrypoint="$(field "$_kind")" "$IMAGE"
        while IFS= read -r _a; do set -- "$@" "$_a"; done <"$SCRATCH/args"
        run "$@" >"$OUT" 2>"$ERR"
        rc=$?
}
# probe: the readiness probe in the agent's container, as the kubelet execs it
probe()
{
        argv probe >"$SCRATCH/args"
        set --
        while IFS= read -r _a; do set -- "$@" "$_a"; done <"$SCRATCH/args"
        timeout -k 5 60 $P exec "$AGENT" "$@" >"$OUT" 2>"$ERR"
        rc=$?
}

# Before any agent ran, the probe (in a container of the same spec) is not ready.
pod "$AGENT-probe" probe
[ "$rc" -eq 1 ] || { fail "the probe exited $rc before the agent ran, expected 1 (not ready)"; show_output; }
pod "$AGENT" cmd -d
[ "$rc" -eq 0 ] || { fail "podman run -d exited $rc"; show_output; }
INST=$NODE$HOST_PATH/$SUBDIR
# installed_all KEY...: the agent installed each KEY as it installs it
installed_all()
{
        for _k in "$@"; do
                installed_form "$CM/..data/$_k" "$SCRATCH/expect.json" || return 1
                cmp -s "$SCRATCH/expect.json" "$INST/$_k" || return 1
        done
}
wait_secs 30 installed_all audit.json violation.json fine-grained.json ||
        fail "within 30 s the agent did not install every key: $(ls -A "$INST" 2>&1 | tr '\n' ' '); log: $($P logs "$AGENT" 2>&1 | tail -n 5)"
[ "$(stat -c '%U %a' "$NODE$HOST_PATH")" = "root 755" ] || fail "the hostPath is $(stat -c '%U %a' "$NODE$HOST_PATH"), not root's 0755"
[ "$(stat -c %U "$INST/audit.json")" = root ] || fail "the installed file is $(stat -c %U "$INST/audit.json")'s"
probe
expect_rc 0
expect_out "ready"
done_test "the agent installs every key of the ConfigMap volume in the root-owned 0755 hostPath; the readiness probe, not ready before, turns ready"

# What the manifest promises, seen in the agent's own /proc/PID (the kernel's
# view inside the container): no capability, no_new_privs, a seccomp filter,
# a read-only root.
pid=$($P inspect --format '{{.State.Pid}}' "$AGENT" 2>/dev/null)
if [ -n "$pid" ] && [ "$pid" -gt 0 ] && [ -r "/proc/$pid/status" ]; then
        for f in CapEff:0000000000000000 CapPrm:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 Seccomp:2; do
                v=$(sed -n "s/^${f%%:*}:[[:space:]]*//p" "/proc/$pid/status")
                [ "$v" = "${f#*:}" ] || fail "${f%%:*} is \"$v\", expected ${f#*:}"
        done
        [ "$(awk '$5 == "/" { split($6, o, ","); print o[1] }' "/proc/$pid/mountinfo")" = ro ] ||
                fail "the root is mounted \"$(awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo")\", not ro"
else
        fail "no pid for the agent's container (\"$pid\")"
fi
done_test "in the agent's container: CapEff, CapPrm and CapBnd 0, no_new_privs, a seccomp filter, the root mounted read-only"

# The root refuses a write; the hostPath, in the same container, takes one.
$P exec "$AGENT" /usr/bin/sysfence convert "$CM_MOUNT/audit.json" -o /written.json >"$OUT" 2>"$ERR"
rc=$?
expect_rc 1
expect_err "Read-only file system"
$P exec "$AGENT" /usr/bin/sysfence convert "$CM_MOUNT/audit.json" -o "$HOST_MOUNT/written.json" >"$OUT" 2>"$ERR"
rc=$?
expect_rc 0
[ -s "$NODE$HOST_PATH/written.json" ] || fail "the write to the hostPath left no file"
rm -f "$NODE$HOST_PATH/written.json"
done_test "a write to the container's root fails (read-only file system); to the hostPath it succeeds"

# A ConfigMap update: one key gone, one new, one changed.
sed 's/SCMP_ACT_LOG/SCMP_ACT_ERRNO/' "$SEED/audit.json" >"$SCRATCH/audit.json"
configmap_data 2026_12_06_00_01_00.000000002 "$SCRATCH/audit.json" "$SEED/fine-grained.json" "$GOOD/every-operator.json"
wait_secs 30 installed_all audit.json fine-grained.json every-operator.json ||
        fail "within 30 s the agent did not follow the ..data swap: $(ls -A "$INST" | tr '\n' ' ')"
wait_secs 10 test ! -e "$INST/violation.json" || fail "the removed key's file is still there"
probe
expect_rc 0
done_test "a ConfigMap update (the ..data swap) reaches the node: a new key installed, a changed one updated, a removed key's file gone; ready"

# The agent's peak memory against the manifest's limit (podman --memory set it).
hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
echo "# the agent's peak RSS (VmHWM): ${hwm:-?} kB; the manifest's memory limit: ${MEMORY:-none} bytes"
[ -n "$hwm" ] && { [ -z "$MEMORY" ] || [ $((hwm * 1024)) -lt "$MEMORY" ]; } || fail "peak RSS ${hwm:-?} kB, limit $MEMORY bytes"
# SIGTERM (podman stop, the grace period the kubelet gives): exit 0 in time.
now_cs
t0=$_now
timeout -k 5 60 $P stop -t "$GRACE" "$AGENT" >/dev/null 2>&1
now_cs
code=$($P inspect --format '{{.State.ExitCode}}' "$AGENT" 2>/dev/null)
[ "$code" = 0 ] || fail "the agent exited ${code:-?} on SIGTERM, expected 0"
[ $((_now - t0)) -lt $((GRACE * 100)) ] || fail "stop took $(((_now - t0) / 100)) s, the grace period is $GRACE s"
done_test "the agent stays under the memory limit and ends with 0 on SIGTERM within terminationGracePeriodSeconds ($GRACE s)"

$P rm -f "$AGENT" >/dev/null 2>&1
$P rmi -af >/dev/null 2>&1
[ -z "$($P ps -aq 2>/dev/null)" ] && [ -z "$($P images -q 2>/dev/null)" ] || fail "containers or images are left: $($P ps -a; $P images)"
[ -s "$AGENT_IMAGE_CACHE/sysfence.tar" ] || fail "no cached image $AGENT_IMAGE_CACHE/sysfence.tar"
made=
done_test "the test's containers and images are removed; the image stays cached in $AGENT_IMAGE_CACHE"

finish
