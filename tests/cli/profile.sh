#!/bin/sh
# sysfence profile: the built-in runtime defaults make the same decisions as the
# runtimes' own files (compiled programs byte for byte, for several nodes).
set -u
. "$(dirname "$0")/lib.sh"
plan 10

sf profile list
expect_rc 0
expect_out "containerd (default)"
expect_out docker
expect_out podman
done_test "profile list names the three built-in profiles"

# podman's is containers-common's file, which Debian ships as it is
sf profile default --for podman -o "$SCRATCH/podman.json"
expect_rc 0
for node in "--arch amd64,x86,x32 --caps default --kernel 6.1" "--arch amd64,x86,x32 --caps all --kernel 4.4" \
            "--arch arm64,arm --caps none --kernel 6.1"; do
        # shellcheck disable=SC2086
        "$SYSFENCE" compile -q "$SCRATCH/podman.json" $node -o "$SCRATCH/a.bpf" &&
                "$SYSFENCE" compile -q "$REAL/containers-common-seccomp.json" $node -o "$SCRATCH/b.bpf" &&
                cmp -s "$SCRATCH/a.bpf" "$SCRATCH/b.bpf" || fail "$node: programs differ"
done
done_test "built-in podman default compiles to the same programs as containers-common-seccomp.json"

# docker's is a newer moby than Debian's 20.10: every decision is the same but
# for the changes tests/data/moby-since-20.10.txt lists, each of which shows
sf profile default --for docker -o "$SCRATCH/docker.json"
expect_rc 0
for node in "--arch amd64,x86,x32 --caps default --kernel 6.1" "--arch amd64,x86,x32 --caps all --kernel 4.4" \
            "--arch arm64,arm --caps none --kernel 6.1"; do
        # shellcheck disable=SC2086
        "$SYSFENCE" diff --json $node "$SCRATCH/docker.json" "$REAL/moby-default.json" >>"$SCRATCH/diffs.json"
        [ $? -le 1 ] || fail "$node: diff failed"
        echo >>"$SCRATCH/diffs.json"
done
"$PY" -S - "$SCRATCH/diffs.json" "$SF_SOURCE/tests/data/moby-since-20.10.txt" >"$SCRATCH/why" 2>&1 <<'P' || fail "$(cat "$SCRATCH/why")"
import json, sys
kind = {"allowed_only_by_a": "added", "allowed_only_by_b": "removed",
        "different_actions": "changed", "different_conditions": "changed"}
seen = set()
for line in open(sys.argv[1]):
    if line.strip():
        for a in json.loads(line)["arches"]:
            for k, v in a.items():
                if k in kind:
                    seen |= {kind[k] + " " + e["syscall"] for e in v}
want = {l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
if seen != want:
    sys.exit("differences not listed: %s; listed but not seen: %s" % (sorted(seen - want), sorted(want - seen)))
P
done_test "built-in docker default decides as Debian's moby 20.10 file but for the listed changes of newer moby"

sf profile default --for containerd --arch amd64 --caps default --to oci
expect_rc 0
expect_out '"SCMP_ARCH_X86_64"'
expect_out '"clone3"'
done_test "the containerd default resolves for an amd64 node"

sf profile default --for containerd
expect_rc 0
json_ok "$OUT" || fail "not JSON"
done_test "the containerd default is valid JSON"

sf check "$SCRATCH/docker.json"
expect_rc 0
done_test "the built-in docker default passes check"

sf profile default --for cri-o
expect_rc 2
expect_err "no built-in profile"
done_test "an unknown runtime is a usage error"

sf profile default --for containerd-2 --arch amd64 --caps default -o "$SCRATCH/c.json"
sf test "$SCRATCH/c.json" clone 0x10000000 --expect ERRNO
expect_rc 0
sf test "$SCRATCH/c.json" clone 0x11 --expect ALLOW
expect_rc 0
sf test "$SCRATCH/c.json" socket 40 --expect ERRNO
expect_rc 0
sf test "$SCRATCH/c.json" io_uring_setup --expect ERRNO
expect_rc 0
done_test "the containerd 2 default: clone with CLONE_NEWUSER, AF_VSOCK sockets and io_uring are denied, threads are not"

# containerd 1.6 (Debian 12's, what a node here loads for RuntimeDefault: tests/cli/k8s-cri.sh)
sf profile default --for containerd --arch amd64 --caps default -o "$SCRATCH/c16.json"
sf test "$SCRATCH/c16.json" clone 0x10000000 --expect ERRNO
expect_rc 0
for call in "socket 40" "socket 38" io_uring_setup; do
        # shellcheck disable=SC2086 # the call and its argument
        sf test "$SCRATCH/c16.json" $call --expect ALLOW
        [ "$rc" = 0 ] || fail "containerd 1.6 denies $call: $(cat "$OUT" "$ERR")"
done
for call in name_to_handle_at process_vm_readv; do
        sf test "$SCRATCH/c16.json" $call --expect ERRNO
        [ "$rc" = 0 ] || fail "containerd 1.6 allows $call without its capability: $(cat "$OUT" "$ERR")"
done
done_test "the containerd 1.6 default: io_uring and AF_VSOCK/AF_ALG sockets allowed, name_to_handle_at and process_vm_readv only with their capabilities"

# runc's ENOSYS stub (compile --enosys-unknown): above the highest number the profile names
cat >"$SCRATCH/two.json" <<'J'
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}, {"names": ["close"], "action": "SCMP_ACT_ERRNO"}]}
J
sf compile -q --enosys-unknown --arch amd64 "$SCRATCH/two.json" -o "$SCRATCH/two.bpf"
expect_rc 0
sf test --bpf "$SCRATCH/two.bpf" close
expect_out "ERRNO(1)"
sf test --bpf "$SCRATCH/two.bpf" fstat
expect_out "ERRNO(38)"
sf test --bpf "$SCRATCH/two.bpf" 462
expect_out "ERRNO(38)"
sed 's/SCMP_ACT_ERRNO", "syscalls/SCMP_ACT_LOG", "syscalls/' "$SCRATCH/two.json" >"$SCRATCH/two-log.json"
sf compile -q --enosys-unknown --arch amd64 "$SCRATCH/two-log.json" -o "$SCRATCH/two-log.bpf"
sf test --bpf "$SCRATCH/two-log.bpf" fstat
expect_out "LOG"
done_test "compile --enosys-unknown: ENOSYS above the highest syscall the profile names (close, a denial, counts), as runc; none under a LOG default"
finish
