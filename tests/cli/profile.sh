#!/bin/sh
# sysfence profile: the built-in runtime defaults make the same decisions as the
# runtimes' own files (compiled programs byte for byte, for several nodes).
set -u
. "$(dirname "$0")/lib.sh"
plan 8

sf profile list
expect_rc 0
expect_out "containerd (default)"
expect_out docker
expect_out podman
done_test "profile list names the three built-in profiles"

for pair in "docker|$SF_SHARED/profiles/real/moby-default.json" \
            "podman|$SF_SHARED/profiles/real/containers-common-seccomp.json"; do
        rt=${pair%%|*}
        up=${pair#*|}
        sf profile default --for "$rt" -o "$SCRATCH/$rt.json"
        expect_rc 0
        for node in "--arch amd64,x86,x32 --caps default --kernel 6.1" "--arch amd64,x86,x32 --caps all --kernel 4.4" \
                    "--arch arm64,arm --caps none --kernel 6.1"; do
                # shellcheck disable=SC2086
                "$SYSFENCE" compile -q "$SCRATCH/$rt.json" $node -o "$SCRATCH/a.bpf" &&
                        "$SYSFENCE" compile -q "$up" $node -o "$SCRATCH/b.bpf" &&
                        cmp -s "$SCRATCH/a.bpf" "$SCRATCH/b.bpf" || fail "$node: programs differ"
        done
        done_test "built-in $rt default compiles to the same programs as $(basename "$up")"
done

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

sf profile default --for containerd --arch amd64 --caps default -o "$SCRATCH/c.json"
sf test "$SCRATCH/c.json" clone 0x10000000 --expect ERRNO
expect_rc 0
sf test "$SCRATCH/c.json" clone 0x11 --expect ALLOW
expect_rc 0
sf test "$SCRATCH/c.json" socket 40 --expect ERRNO
expect_rc 0
done_test "the containerd default: clone with CLONE_NEWUSER and AF_VSOCK sockets are denied, threads are not"
finish
