# A Kubernetes node for the tests: containerd 1.6's CRI plugin as the test's own
# process, driven over CRI v1 the way the kubelet drives it (tests/cri/README).
# POSIX sh, sourced after tests/cli/lib.sh (it uses $SCRATCH and $SYSFENCE).
#
#   node_probe            0 if this machine can run a node; else 1, the reason in
#                         $why (and $missing=containerd, for lib.sh's skip)
#   node_start            start containerd with its own root, state, socket and
#                         /run; import the test image; sets the variables below
#   cri ARGS...           tests/cri/cri.py against the node (its commands: cri.py --help)
#   node_cri_pid ID       the pid of container ID's process (0 if none)
#   node_stop             remove every pod, stop containerd, kill whatever is
#                         left in the node's cgroups, remove them and the node's
#                         files; safe to call twice and from a trap
#   node_gone             node_stop, then 0 if nothing of the node is left (no
#                         containerd, shim, process of its cgroups, cgroup,
#                         mount or file); else 1, what is left in $why
#
#   NODE        the node's directory ($SCRATCH/node)
#   NODE_KUBELET the kubelet root: profiles go under $NODE_KUBELET/seccomp/
#   NODE_ROOTFS the test image's files (to record its commands outside a container)
#   CRI_IMAGE   the test image (busybox-static; its entrypoint sleeps forever)
#   NODE_PID    containerd's pid
#
# containerd runs in a private mount namespace with a tmpfs over /run: 1.6 puts
# its shim sockets under /run/containerd/s/ whatever its state dir says, and
# runc's state under /run/containerd/runc; the namespace and every mount in it
# (the containers' rootfs) end with the node's last process.  Pods get the
# cgroup parent /$NODE_CGROUP/pod<uid> in every hierarchy; runc leaves those
# directories behind, node_stop removes them.

CRI_PY=/usr/bin/python3
CRI_IMAGE=docker.io/sysfence/busybox:test
NODE=
NODE_PID=
NODE_CGROUP=

node_probe()
{
        why=
        # the feature a skip names (lib.sh: SF_TEST_REQUIRE, SF_TEST_MISSING)
        missing=containerd
        if _listed SF_TEST_MISSING containerd; then
                why="containerd is missing (SF_TEST_MISSING says so)"
        elif [ "$(id -u)" -ne 0 ]; then
                why="not root (containerd needs it)"
        elif ! command -v containerd >/dev/null 2>&1 || ! command -v ctr >/dev/null 2>&1; then
                why="containerd is not installed (scripts/deps installs it)"
        elif ! command -v containerd-shim-runc-v2 >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
                why="containerd's runc shim or runc is not installed"
        elif ! command -v unshare >/dev/null 2>&1; then
                why="unshare (util-linux) is not installed"
        elif [ ! -x /bin/busybox ]; then
                why="busybox-static is not installed"
        elif ! "$CRI_PY" -c 'import grpc, google.protobuf, grpc_tools, yaml' 2>/dev/null; then
                why="$CRI_PY lacks python3-grpcio, python3-grpc-tools, python3-protobuf or python3-yaml"
        fi
        [ -z "$why" ]
}

# node_up: node_start; where it fails, says why (and containerd's log), fails
# every test left and ends the script
node_up()
{
        node_start && return 0
        fail "$why"
        [ -n "$NODE" ] && fail "containerd's log: $(tail -n 5 "$NODE/containerd.log" 2>/dev/null)"
        done_test "containerd starts with its own root, state and socket, and its CRI answers"
        while [ "$tap_n" -lt "$tap_planned" ]; do done_test "(the node did not start)"; done
        finish
        exit
}

cri()
{
        CRI_IMAGE=$CRI_IMAGE CRI_CGROUP_PARENT=/$NODE_CGROUP \
                "$CRI_PY" "$SF_SOURCE/tests/cri/cri.py" --socket "$NODE/containerd.sock" --state "$NODE/cri" "$@"
}

# node_cri_pid ID: the pid of the container's process, from ContainerStatus
node_cri_pid()
{
        cri status "$1" | "$CRI_PY" -S -c 'import json, sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null || echo 0
}

# node_start: 0 once the CRI answers and knows $CRI_IMAGE; else 1 with the
# reason in $why (containerd's log is in $NODE/containerd.log).
node_start()
{
        why=
        NODE=$SCRATCH/node
        NODE_KUBELET=$NODE/kubelet
        NODE_ROOTFS=$NODE/rootfs
        NODE_CGROUP=sysfence-cri-${SCRATCH##*.}
        mkdir -p "$NODE/cri" "$NODE/cni/bin" "$NODE/cni/net.d" "$NODE_KUBELET/seccomp" || return 1
        # the image is built once per build tree and kept (same busybox, same bytes)
        _cache=${CRI_CACHE:-$(dirname "$SYSFENCE")/tests/cri-cache}
        mkdir -p "$_cache" 2>/dev/null || _cache=$NODE/cache
        mkdir -p "$_cache" "$NODE/cri/gen" || return 1
        [ -f "$_cache/cri.pb" ] && cp "$_cache/cri.pb" "$NODE/cri/gen/"
        _key=$(cat /bin/busybox "$SF_SOURCE/tests/cri/image.py" | sha256sum | cut -c1-16)
        if [ ! -f "$_cache/busybox-$_key.tar" ]; then
                "$CRI_PY" "$SF_SOURCE/tests/cri/image.py" /bin/busybox "$CRI_IMAGE" "$_cache/busybox-$_key.tar" ||
                        { why="could not build the image"; return 1; }
        fi
        "$CRI_PY" "$SF_SOURCE/tests/cri/image.py" --rootfs /bin/busybox "$NODE_ROOTFS" || return 1
        sed -e "s|@NODE@|$NODE|g" -e "s|@IMAGE@|$CRI_IMAGE|g" "$SF_SOURCE/tests/cri/containerd.toml.in" >"$NODE/containerd.toml" || return 1
        # its own mount namespace, /run a tmpfs there; unshare and sh exec, so
        # $! is containerd itself
        unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755,size=64m sf-cri-run /run && exec containerd --config "$1"' \
                _ "$NODE/containerd.toml" >"$NODE/containerd.log" 2>&1 &
        NODE_PID=$!
        _i=0
        until [ -S "$NODE/containerd.sock" ] && cri version >/dev/null 2>&1; do
                if ! kill -0 "$NODE_PID" 2>/dev/null; then
                        why="containerd ended: $(tail -n 3 "$NODE/containerd.log" | tr '\n' ' ')"
                        NODE_PID=
                        return 1
                fi
                _i=$((_i + 1))
                [ "$_i" -lt 300 ] || { why="containerd's CRI did not answer within 30 s"; return 1; }
                sleep 0.1
        done
        cp "$NODE/cri/gen/cri.pb" "$_cache/" 2>/dev/null
        ctr --address "$NODE/containerd.sock" -n k8s.io images import --snapshotter overlayfs \
                "$_cache/busybox-$_key.tar" >"$NODE/import.log" 2>&1 ||
                { why="ctr images import failed: $(tail -n 2 "$NODE/import.log" | tr '\n' ' ')"; return 1; }
        cri wait-ready "$CRI_IMAGE" 30 2>"$NODE/ready.err" || { why="the CRI does not know the image: $(cat "$NODE/ready.err")"; return 1; }
        return 0
}

# the node's cgroup directories, one per hierarchy (v1 controllers and unified)
_node_cgroups()
{
        [ -n "$NODE_CGROUP" ] || return 0
        for _h in /sys/fs/cgroup /sys/fs/cgroup/*; do
                [ -d "$_h/$NODE_CGROUP" ] && echo "$_h/$NODE_CGROUP"
        done
}

node_stop()
{
        [ -n "$NODE" ] || return 0
        if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
                cri rm-all >/dev/null 2>&1
                kill -TERM "$NODE_PID" 2>/dev/null
                _i=0
                while kill -0 "$NODE_PID" 2>/dev/null && [ "$_i" -lt 100 ]; do
                        sleep 0.1
                        _i=$((_i + 1))
                done
                kill -KILL "$NODE_PID" 2>/dev/null
                wait "$NODE_PID" 2>/dev/null
        fi
        NODE_PID=
        # what rm-all could not stop: processes in the node's cgroups (its
        # containers), then the shims, found by the node's socket in their
        # command line and killed by pid
        for _c in $(_node_cgroups); do
                find "$_c" -name cgroup.procs -exec cat {} + 2>/dev/null
        done | sort -u | while read -r _p; do kill -KILL "$_p" 2>/dev/null; done
        for _p in $(pgrep -f "containerd-shim-runc-v2 .*-address $NODE/containerd.sock" 2>/dev/null); do
                kill -KILL "$_p" 2>/dev/null
        done
        for _c in $(_node_cgroups); do
                _i=0
                until find "$_c" -depth -type d -exec rmdir {} + 2>/dev/null; do
                        _i=$((_i + 1))
                        [ "$_i" -lt 50 ] || break
                        sleep 0.1
                done
        done
        rm -rf "$NODE"
        NODE=
}

node_gone()
{
        why=
        _g_dir=$NODE _g_cg=$NODE_CGROUP _g_pid=$NODE_PID
        _g_procs=$(for _c in $(_node_cgroups); do find "$_c" -name cgroup.procs -exec cat {} + 2>/dev/null; done)
        node_stop
        [ -n "$_g_pid" ] && kill -0 "$_g_pid" 2>/dev/null && why="$why containerd ($_g_pid) still runs;"
        pgrep -f "containerd-shim-runc-v2 .*-address $_g_dir/containerd.sock" >/dev/null && why="$why a shim still runs;"
        for _p in $_g_procs; do kill -0 "$_p" 2>/dev/null && why="$why process $_p of the node's cgroups still runs;"; done
        for _h in /sys/fs/cgroup /sys/fs/cgroup/*; do [ -n "$_g_cg" ] && [ -e "$_h/$_g_cg" ] && why="$why cgroup $_h/$_g_cg is left;"; done
        [ -n "$_g_dir" ] && grep -qF "$_g_dir" /proc/self/mountinfo && why="$why a mount below $_g_dir is left;"
        [ -n "$_g_dir" ] && [ -e "$_g_dir" ] && why="$why $_g_dir is left;"
        [ -z "$why" ]
}
