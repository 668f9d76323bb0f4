#!/bin/sh
# oci-seccomp-bpf-hook's own test cases (test/00-simple.bats and
# test/01-syslog.bats of containers/oci-seccomp-bpf-hook 1.3), run with
# sysfence oci-hook in its place.  Their intent, on this machine: podman (runc)
# on a busybox rootfs instead of alpine from a registry; --network none with
# ping 127.0.0.1 (NET_RAW added) instead of ping github.com; of: and if: name
# files in the hook's directories (one here, for both) instead of absolute
# paths, as sysfence takes names; podman run returns once the profile is
# written (the hook's poststop waits), so no "sleep 2".  The syslog case
# calls the hook as the runtime does, in a mount namespace of the test's own
# whose /dev/log is a socket the test reads (this machine runs no syslog
# daemon, and podman's hooks log through its mount namespace).
set -u
. "$(dirname "$0")/lib.sh"

plan 8
limit=60

if missing root podman busybox; then
        skip_rest "podman containers"
fi

D=$SCRATCH/profiles
STATE=$SCRATCH/state
mkdir -p "$D"
cp "$SF_SOURCE/tests/data/oci-hook/block-mkdir.json" "$D/"

rootfs=$SCRATCH/rootfs
mkdir -p "$rootfs/bin" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/"
for c in sh ls mkdir ping rmdir true; do ln -s busybox "$rootfs/bin/$c"; done

# The hooks.d files as shipped, pointed at the binary under test and at $D.
hooks=$SCRATCH/hooks.d
mkdir -p "$hooks"
for f in "$SF_SOURCE"/hooks/sysfence-trace-syscall*.json; do
        sed -e "s|\"path\": \"/usr/bin/sysfence\"|\"path\": \"$SYSFENCE\"|" \
                -e "s|\"/var/lib/sysfence/recordings\"|\"$D\"|" -e "s|\"/etc/sysfence/baselines\"|\"$D\"|" \
                -e "s|\"oci-hook\", |\"oci-hook\", \"--state-dir\", \"$STATE\", |" \
                "$f" >"$hooks/$(basename "$f")"
done

# pod ANNOTATION|- PROFILE|- CMD...: podman run --rm; status in $rc.
pod()
{
        _ann=$1 _sec=$2
        shift 2
        set -- --rootfs "$rootfs" "$@"
        [ "$_sec" = - ] || set -- --security-opt "seccomp=$D/$_sec" "$@"
        [ "$_ann" = - ] || set -- --annotation "io.containers.trace-syscall=$_ann" "$@"
        timeout 120 podman --hooks-dir "$hooks" --runtime runc --cgroup-manager cgroupfs run --rm \
                --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --cap-add NET_RAW \
                "$@" >"$OUT" 2>"$ERR"
        rc=$?
}

# profile_ok NAME: $D/NAME is a non-empty profile (upstream: its size is > 0).
profile_ok()
{
        [ -s "$D/$1" ] || { fail "$1 was not written"; return; }
        json_ok "$D/$1" || fail "$1 is not JSON"
        edit names "$D/$1" 2>/dev/null | grep -qx execve || fail "$1 does not allow execve"
}

ping_lo='ping -c 1 -W 5 127.0.0.1'

# "Podman available"
pod - - ls /
expect_rc 0
expect_out bin
done_test "podman available: a busybox container runs"

# "Version check"
sf --version
expect_rc 0
expect_out "sysfence $(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$SF_SOURCE/meson.build" | head -n 1)"
done_test "version check: sysfence --version names the project's version"

# "Trace and check size of generated profile"
pod of:ls.json - ls /
expect_rc 0
expect_out bin
profile_ok ls.json
done_test "trace and check the generated profile (ls)"

# "Trace and use generated profile"
pod - ls.json ls /
expect_rc 0
expect_out bin
done_test "trace and use the generated profile: ls runs under it"

# "Containers fails to run blocked syscall": ping makes calls ls does not
pod - - sh -c "$ping_lo"
expect_rc 0
pod - ls.json sh -c "$ping_lo"
[ "$rc" -ne 0 ] || fail "ping ran under the profile recorded from ls"
done_test "a container fails to run a syscall its profile does not allow (ping under ls's profile)"

# "Extend existing seccomp profile"
pod "if:ls.json;of:ping.json" - sh -c "$ping_lo"
expect_rc 0
profile_ok ping.json
pod - ping.json ls /
expect_rc 0
expect_out bin
pod - ping.json sh -c "$ping_lo"
expect_rc 0
done_test "extend an existing profile: recorded with if:ls.json, ping.json runs ls and ping"

# "Syscall blocked in input profile remains blocked in output profile"
rm -rf "$rootfs/tmp/foo"
pod of:mkdir.json - mkdir /tmp/foo
expect_rc 0
profile_ok mkdir.json
rm -rf "$rootfs/tmp/foo"
pod - mkdir.json mkdir /tmp/foo
expect_rc 0
[ -d "$rootfs/tmp/foo" ] || fail "mkdir under mkdir.json made no directory"
rm -rf "$rootfs/tmp/foo"
pod "if:block-mkdir.json;of:mkdir.json" - mkdir /tmp/foo
expect_rc 0
rm -rf "$rootfs/tmp/foo"
pod - mkdir.json mkdir /tmp/foo
[ "$rc" -ne 0 ] || fail "mkdir ran under the profile merged with block-mkdir.json"
[ ! -e "$rootfs/tmp/foo" ] || fail "the directory was made"
expect_err "Operation not permitted"
rm -rf "$rootfs/tmp/foo"
done_test "a syscall blocked in the input profile remains blocked in the output profile (mkdir)"

# "Trace and look for syslogs": the recorder's line when it wrote the profile
if skip_unless "trace and look for syslogs: the hook says in syslog that it wrote the profile" unshare; then
        mkdir -p "$SCRATCH/logd"
        "$PY" -S - "$SCRATCH/logd/log" "$SCRATCH/syslog.txt" <<'P' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "wb", buffering=0) as out:
    try:
        while True:
            out.write(s.recv(4096) + b"\n")
    except socket.timeout:
        pass
P
        lpid=$!
        wait_secs 10 test -S "$SCRATCH/logd/log"
        # the "container": a process that waits for the hook, then execs
        timeout -k 5 60 unshare -m sh -c '
                mount --make-rprivate / && mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
                touch /dev/log && mount --bind "$1/logd/log" /dev/log || exit 99
                sh -c "sleep 1; exec true" & w=$!
                printf "{\"ociVersion\": \"1.0.2\", \"id\": \"sf-up-$$\", \"status\": \"created\", \"pid\": %d, \"bundle\": \"/nonexistent\", \"annotations\": {\"io.containers.trace-syscall\": \"of:sys.json\"}}" $w >"$1/state.json"
                "$2" oci-hook --backend ptrace --state-dir "$3" --output-dir "$4" prestart <"$1/state.json" || exit 98
                wait $w
                "$2" oci-hook --state-dir "$3" --output-dir "$4" poststop <"$1/state.json"' \
                sh "$SCRATCH" "$SYSFENCE" "$STATE" "$D" >"$OUT" 2>"$ERR"
        rc=$?
        expect_rc 0
        profile_ok sys.json
        wait_secs 10 grep -q 'sys.json' "$SCRATCH/syslog.txt"
        grep -q "sysfence\[[0-9]*\]: oci-hook: process [0-9]*: profile written to $D/sys.json" "$SCRATCH/syslog.txt" ||
                fail "syslog got: $(head -c 300 "$SCRATCH/syslog.txt")"
        kill "$lpid" 2>/dev/null
        wait "$lpid" 2>/dev/null
        done_test "trace and look for syslogs: the hook says in syslog that it wrote the profile"
fi

finish
