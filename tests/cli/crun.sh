#!/bin/sh
# sysfence oci-precompile with crun: the precompiled annotation makes crun take
# the same decisions as crun compiling linux.seccomp itself, on a probe run in
# a busybox container; and crun really loads the annotation.  crun refuses
# hybrid cgroups, so each run is in a private mount namespace without
# /sys/fs/cgroup/unified.
set -u
. "$(dirname "$0")/lib.sh"
plan 14

missing root crun unshare busybox && skip_rest "crun containers"

bundle=$SCRATCH/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp" "$bundle/rootfs/proc"
cp /bin/busybox "$bundle/rootfs/bin/"
for c in sh echo mkdir uname chmod cat ln rm kill sleep true; do ln -s busybox "$bundle/rootfs/bin/$c"; done
(cd "$bundle" && crun spec) || fail "crun spec"

# The probe: several syscalls, each reporting how it went.
probe='for t in "uname -s" "mkdir /tmp/d" "chmod 700 /tmp/d" "ln -s x /tmp/l" "cat /proc/self/comm" "kill -0 1" "rm -r /tmp/d /tmp/l"; do sh -c "$t >/dev/null 2>&1"; echo "$t: $?"; done'

# crun_with SECCOMP.json [ANNOTATION-CONFIG]: runs the probe; status in $rc.
crun_with()
{
        python3 - "$bundle/config.json" "$1" "$probe" <<'P'
import json, sys
cfg, sec, probe = sys.argv[1:4]
c = json.load(open(cfg))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", probe]
c["root"]["readonly"] = False
c["linux"]["seccomp"] = json.load(open(sec))
c.pop("annotations", None)
json.dump(c, open(cfg, "w"), indent=1)
P
        if [ $# -gt 1 ]; then
                "$SYSFENCE" oci-precompile "$bundle/config.json" 2>/dev/null || { rc=99; return; }
        fi
        (cd "$bundle" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "sysfence-crun-$$"') >"$OUT" 2>"$ERR"
        rc=$?
}

cat >"$SCRATCH/mixed.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
 {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
 {"names": ["chmod", "fchmodat"], "action": "SCMP_ACT_ERRNO"},
 {"names": ["symlink", "symlinkat"], "action": "SCMP_ACT_KILL_PROCESS"},
 {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}
]}
J
"$SYSFENCE" profile default --for docker --to oci --arch amd64 -o "$SCRATCH/docker.json"
"$SYSFENCE" convert "$SCRATCH/mixed.json" --to oci --arch amd64 -o "$SCRATCH/mixed.oci.json"

for prof in docker mixed.oci; do
        crun_with "$SCRATCH/$prof.json"
        plain_rc=$rc
        cp "$OUT" "$SCRATCH/plain.out"
        crun_with "$SCRATCH/$prof.json" yes
        [ "$rc" = "$plain_rc" ] || fail "exit $rc with the annotation, $plain_rc without"
        cmp -s "$OUT" "$SCRATCH/plain.out" || fail "the probe differs: $(diff "$SCRATCH/plain.out" "$OUT" | head -n 6)"
        [ -s "$OUT" ] || fail "the probe printed nothing: $(head -c 300 "$ERR")"
        done_test "$prof: crun with the precompiled annotation decides as crun compiling the profile"
done
grep -q '^mkdir /tmp/d: 0' "$SCRATCH/plain.out" && fail "mkdir was not denied under mixed.json"
grep -q '^ln -s x /tmp/l: 137\|^ln -s x /tmp/l: 159' "$SCRATCH/plain.out" || fail "symlink was not killed: $(cat "$SCRATCH/plain.out")"
done_test "mixed.json: the probe sees the denials and the kill"

# crun really uses the annotation: a config whose linux.seccomp allows all, and
# whose annotation (from another profile) denies mkdir.
"$SYSFENCE" convert "$SCRATCH/mixed.json" --to oci --arch amd64 -o "$SCRATCH/m.json"
crun_with "$SCRATCH/m.json" yes
cp "$bundle/config.json" "$SCRATCH/with-annotation.json"
python3 - "$SCRATCH/with-annotation.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW"}
json.dump(c, open(sys.argv[1], "w"))
P
cp "$SCRATCH/with-annotation.json" "$bundle/config.json"
(cd "$bundle" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "sysfence-crun2-$$"') >"$OUT" 2>"$ERR"
grep -q '^mkdir /tmp/d: 1' "$OUT" || fail "crun did not load the annotation: $(cat "$OUT" | head -3)"
done_test "crun loads the program from run.oci.seccomp_bpf_data, not linux.seccomp"

# --crun-only: the profile is replaced by a kill-everything stub; crun decides
# by the annotation exactly as before, and runc, which ignores it, refuses.
crun_with "$SCRATCH/mixed.oci.json"
cp "$OUT" "$SCRATCH/plain.out"
python3 - "$bundle/config.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
c.pop("annotations", None)
json.dump(c, open(sys.argv[1], "w"))
P
"$SYSFENCE" oci-precompile --crun-only "$bundle/config.json" 2>/dev/null
grep -q '"defaultAction": "SCMP_ACT_KILL_PROCESS"}' "$bundle/config.json" || fail "linux.seccomp was not replaced"
(cd "$bundle" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "sysfence-crun3-$$"') >"$OUT" 2>"$ERR"
cmp -s "$OUT" "$SCRATCH/plain.out" || fail "the probe differs: $(diff "$SCRATCH/plain.out" "$OUT" | head -n 6)"
done_test "--crun-only: crun decides by the annotation as before"

# A second run keeps the program (the profile is a stub by then).
cp "$bundle/config.json" "$SCRATCH/once.json"
sf oci-precompile --crun-only "$bundle/config.json"
expect_rc 0
expect_err "already precompiled with --crun-only"
cmp -s "$bundle/config.json" "$SCRATCH/once.json" || fail "the second run changed the config"
sf_in "$bundle/config.json" oci-precompile --hook
expect_rc 0
cmp -s "$OUT" "$SCRATCH/once.json" || fail "--hook changed an already precompiled config"
(cd "$bundle" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "sysfence-crun4-$$"') >"$OUT" 2>"$ERR"
cmp -s "$OUT" "$SCRATCH/plain.out" || fail "after the second run the probe differs: $(diff "$SCRATCH/plain.out" "$OUT" | head -n 6)"
done_test "--crun-only twice: the second run keeps the program (the config is unchanged) and crun decides as before"
if command -v runc >/dev/null; then
        (cd "$bundle" && timeout 60 runc run "sysfence-runc-$$") >"$OUT" 2>"$ERR"
        [ $? -ne 0 ] || fail "runc ran the container"
        grep -q '^uname' "$OUT" && fail "the probe ran under runc"
        done_test "--crun-only: runc, which ignores the annotation, refuses to run the container"
else
        missing runc && skip "--crun-only: runc, which ignores the annotation, refuses to run the container"
fi

sf oci-precompile "$SCRATCH/nonexistent.json"
expect_rc 1
expect_err "nonexistent.json"
done_test "a missing config: exit 1 naming it"

printf '{"ociVersion": "1.0.2", "process": {}}' >"$SCRATCH/noseccomp.json"
cp "$SCRATCH/noseccomp.json" "$SCRATCH/noseccomp.orig"
sf oci-precompile "$SCRATCH/noseccomp.json"
expect_rc 1
expect_err "no linux.seccomp"
cmp -s "$SCRATCH/noseccomp.json" "$SCRATCH/noseccomp.orig" || fail "the config was changed"
done_test "a config without linux.seccomp: exit 1, file untouched"

sf oci-precompile "$BAD/unknown-action.json"
expect_rc 1
done_test "a config whose profile is invalid: exit 1"

# --- --hook: a precreate hook (config in, config out) -------------------------------------------------------

crun_with "$REAL/moby-default.json"
cp "$bundle/config.json" "$SCRATCH/hook-in.json"
cp "$bundle/config.json" "$SCRATCH/file-mode.json"
"$SYSFENCE" oci-precompile "$SCRATCH/file-mode.json" 2>/dev/null || fail "file mode failed"
sf_in "$SCRATCH/hook-in.json" oci-precompile --hook
expect_rc 0
cmp -s "$OUT" "$SCRATCH/file-mode.json" || fail "--hook wrote another config than the file mode"
sf_in "$SCRATCH/noseccomp.orig" oci-precompile --hook
expect_rc 0
cmp -s "$OUT" "$SCRATCH/noseccomp.orig" || fail "a config without linux.seccomp did not come out as it went in"
python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); c["linux"]["seccomp"] = json.load(open(sys.argv[2])); json.dump(c, open(sys.argv[3], "w"))' \
        "$SCRATCH/hook-in.json" "$BAD/unknown-action.json" "$SCRATCH/hook-bad.json"
sf_in "$SCRATCH/hook-bad.json" oci-precompile --hook
expect_rc 1
expect_err "the container's config (standard input)"
sf oci-precompile --hook "$SCRATCH/hook-in.json"
expect_rc 2
done_test "--hook: the config from standard input to standard output, as the file mode writes it; none without linux.seccomp; invalid: exit 1"

if command -v podman >/dev/null && command -v runc >/dev/null; then
        hd=$SCRATCH/precreate.d
        mkdir -p "$hd"
        sed "s|\"/usr/bin/sysfence\"|\"$SYSFENCE\"|" "$SF_SOURCE/hooks/sysfence-precompile.json" >"$hd/sysfence-precompile.json"
        json_ok "$hd/sysfence-precompile.json" || fail "hooks/sysfence-precompile.json is not JSON"
        # podman_pc NAME SECCOMP|-: podman (runc) with the precreate hook; keeps the container
        podman_pc()
        {
                _sec=
                [ "$2" = - ] || _sec="--security-opt seccomp=$2"
                # shellcheck disable=SC2086 # _sec is one option or none
                timeout 120 podman --hooks-dir "$hd" --runtime runc --cgroup-manager cgroupfs run --name "$1" $_sec \
                        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none --rootfs "$bundle/rootfs" \
                        /bin/sh -c 'uname -s' >"$OUT" 2>"$ERR"
                rc=$?
        }
        podman_pc "sf-pc-$$" -
        expect_rc 0
        expect_out Linux
        cfg=$(podman inspect "sf-pc-$$" --format '{{.OCIConfigPath}}' 2>/dev/null)
        grep -q '"run.oci.seccomp_bpf_data": *"' "$cfg" 2>/dev/null || fail "the runtime's config lacks the annotation ($cfg)"
        podman rm -f "sf-pc-$$" >/dev/null 2>&1
        done_test "podman: the precreate hook puts the compiled default profile in the config the runtime gets; the container runs"

        printf '{"defaultAction": "SCMP_ACT_NOPE"}' >"$SCRATCH/nope.json"
        podman_pc "sf-pc2-$$" "$SCRATCH/nope.json"
        [ "$rc" -ne 0 ] || fail "podman started the container"
        grep -q Linux "$OUT" && fail "the container ran"
        podman rm -f "sf-pc2-$$" >/dev/null 2>&1
        done_test "podman: a profile that does not compile keeps the container from starting"

        podman_pc "sf-pc3-$$" unconfined
        expect_rc 0
        cfg=$(podman inspect "sf-pc3-$$" --format '{{.OCIConfigPath}}' 2>/dev/null)
        grep -q seccomp_bpf_data "$cfg" 2>/dev/null && fail "an unconfined container got a filter"
        podman rm -f "sf-pc3-$$" >/dev/null 2>&1
        done_test "podman: --security-opt seccomp=unconfined passes through the hook unchanged"
else
        fail "podman and runc are needed (Debian: podman, runc)"
        done_test "podman: the precreate hook"
        done_test "podman: a profile that does not compile"
        done_test "podman: unconfined passes through"
fi
finish
