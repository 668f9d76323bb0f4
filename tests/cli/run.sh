#!/bin/sh
# sysfence run, end to end: the seed profiles of the Kubernetes tutorial under
# sysfence run and inside real containers (runc directly, and podman with runc),
# exit statuses passed through, seccomp kills named, and profiles that fail to
# parse, compile or load never let the command run.
set -u
. "$(dirname "$0")/lib.sh"

plan 28

# --- sysfence run --------------------------------------------------------------------

sf run --profile "$SEED/audit.json" -- sh -c 'echo audited; exit 0'
expect_rc 0
expect_out audited
expect_no_sanitizer
done_test "audit.json (SCMP_ACT_LOG): the command runs"

# The tutorial's "observe auditing": records of an SCMP_ACT_LOG run, decoded by
# sysfence audit from the lossless netlink stream, become a profile that works.
if ! missing audit-read; then
        "$SYSFENCE" audit --follow --json --to-profile "$SCRATCH/from-audit.json" \
                >"$SCRATCH/follow.json" 2>"$SCRATCH/follow.err" &
        follower=$!
        # wait until it listens on the netlink group (it says so once bound)
        wait_secs 10 grep -q "netlink multicast group" "$SCRATCH/follow.err"
        sf run --profile "$SEED/audit.json" -- sh -c 'echo logged; cat /dev/null'
        run_rc=$rc
        # and until it has printed the run's records (it may still be reading the backlog)
        wait_secs 20 grep -q '"comm":"cat"' "$SCRATCH/follow.json"
        sleep 0.5
        kill -TERM "$follower"
        wait "$follower"
        [ "$run_rc" = 0 ] || fail "the run failed"
        grep -q '"comm":"sh".*"action":"SCMP_ACT_LOG"' "$SCRATCH/follow.json" || fail "no LOG record of sh: $(head -c 300 "$SCRATCH/follow.err")"
        grep -q '"syscall":"execve"' "$SCRATCH/follow.json" || fail "the execve was not logged"
        done_test "audit.json: every syscall is logged and sysfence audit --follow decodes the records"
        sf check "$SCRATCH/from-audit.json"
        expect_rc 0
        done_test "audit --to-profile turns the records into a profile that passes check"
        sf run --profile "$SCRATCH/from-audit.json" -- sh -c 'echo logged; cat /dev/null'
        expect_rc 0
        expect_out logged
        done_test "the profile made from the records runs the same command"
else
        for d in "audit --follow decodes the run's records" "the records say what was logged" \
                "the profile made from the records runs the same command"; do
                skip "$d"
        done
fi

sf run --default -- sh -c 'exit 7'
expect_rc 7
done_test "--default: the exit status is passed through"

sf run --default=docker -- ls /
expect_rc 0
expect_out bin
done_test "--default=docker: ls / runs"

sf run --profile "$SEED/violation.json" -- true
expect_rc 126
expect_err "Operation not permitted"
expect_err "does not allow execve"
done_test "violation.json: the program fails with EPERM at execve, exit 126"

cat >"$SCRATCH/mkdir-errno.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
J
sf run --profile "$SCRATCH/mkdir-errno.json" -- mkdir "$SCRATCH/d"
expect_rc 1
expect_err "Operation not permitted"
[ ! -e "$SCRATCH/d" ] || fail "the directory was created"
done_test "an ERRNO rule makes the call fail with EPERM and nothing happens"

# As root run names what the profile denied (the audit stream, with
# SECCOMP_FILTER_FLAG_LOG); a call no rule denies is not named.
if skip_unless "an ERRNO denial is named, as a kill is" audit-read; then
        # the command's own process: every denial is named (children only while they are there)
        sf run --profile "$SCRATCH/mkdir-errno.json" -- mkdir -p "$SCRATCH/d1/d2"
        expect_err "denied by the profile (SCMP_ACT_ERRNO): mkdir (amd64)"
        grep -q 'denied by the profile.*\(openat\|getdents\|stat\)' "$ERR" && fail "an allowed call is named: $(cat "$ERR")"
        sf run --quiet --profile "$SCRATCH/mkdir-errno.json" -- mkdir "$SCRATCH/d3"
        grep -q 'denied by the profile' "$ERR" && fail "--quiet still names denials"
        sf run --profile "$SCRATCH/mkdir-errno.json" -- true
        grep -q 'denied by the profile' "$ERR" && fail "a run without denials names some: $(cat "$ERR")"
        done_test "an ERRNO denial is named, as a kill is"
fi

# Without root, a notify listener names them: the filter says USER_NOTIF where
# the profile says ERRNO and run answers with the profile's errno, for CMD's
# whole tree, even a process that outlives CMD.
cat >"$SCRATCH/errno-13.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
 {"names": ["uname"], "action": "SCMP_ACT_ERRNO"}]}
J
if ! skip_unless "without root, a notify listener names the ERRNO denials of CMD's tree, each with the profile's errno" other-user; then
        skip "a process that outlives CMD gets the profile's errno (the listener is handed over)"
else
        pub=$SCRATCH/pub
        mkdir "$pub" && chmod 1777 "$pub" && chmod 711 "$SCRATCH" && cp "$SCRATCH/errno-13.json" "$pub/" && chmod 644 "$pub/errno-13.json"
        limit=60
        timeout -k 5 60 $as_user "$SYSFENCE" run --profile "$pub/errno-13.json" -- \
                sh -c "mkdir '$pub/d'; uname; (uname; uname); exit 3" >"$OUT" 2>"$ERR" </dev/null
        rc=$?
        expect_rc 3
        expect_err "Permission denied"
        expect_err "Operation not permitted"
        expect_err "denied by the profile (SCMP_ACT_ERRNO): mkdir (amd64), uname (amd64) x3"
        [ ! -e "$pub/d" ] || fail "the directory was created"
        expect_no_sanitizer
        timeout -k 5 60 $as_user "$SYSFENCE" run --quiet --profile "$pub/errno-13.json" -- mkdir "$pub/d" >"$OUT" 2>"$ERR" </dev/null
        rc=$?
        expect_rc 1
        expect_err "Permission denied"
        grep -q 'denied by the profile' "$ERR" && fail "--quiet still names denials"
        done_test "without root, a notify listener names the ERRNO denials of CMD's tree, each with the profile's errno"

        timeout -k 5 60 $as_user "$SYSFENCE" run --profile "$pub/errno-13.json" -- \
                sh -c "(sleep 0.3; uname 2>'$pub/late.err'; echo \$? >'$pub/late.rc') >/dev/null 2>&1 & exit 0" >"$OUT" 2>"$ERR" </dev/null
        rc=$?
        expect_rc 0
        wait_secs 10 test -s "$pub/late.rc"
        [ "$(cat "$pub/late.rc" 2>/dev/null)" = 1 ] || fail "the late uname exited $(cat "$pub/late.rc" 2>/dev/null)"
        grep -q "Operation not permitted" "$pub/late.err" || fail "the late uname did not get EPERM: $(cat "$pub/late.err" 2>/dev/null)"
        done_test "a process that outlives CMD gets the profile's errno (the listener is handed over)"
        chmod 700 "$SCRATCH"
fi

cat >"$SCRATCH/kill-uname.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"}]}
J
sf run --profile "$SCRATCH/kill-uname.json" -- uname -a
expect_rc 159
if [ "$(id -u)" = 0 ]; then
        expect_err "killed by seccomp: uname (amd64)"
else
        expect_err "killed by SIGSYS"
fi
done_test "a SIGSYS death names the syscall"

# Nothing runs unconfined: each failure before the exec leaves the file uncreated.
marker=$SCRATCH/ran
cat >"$SCRATCH/waitkill.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}
J
python3 -c 'import json; print(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}]} for v in range(5000)]}))' >"$SCRATCH/huge.json"
while IFS='|' read -r what opts needle; do
        rm -f "$marker"
        # shellcheck disable=SC2086
        sf run $opts -- touch "$marker"
        expect_rc 1
        expect_err "$needle"
        [ ! -e "$marker" ] || fail "the command ran"
        expect_no_sanitizer
        done_test "$what: exit 1 and the command never runs"
done <<EOF2
a profile that does not parse|--profile $BAD/unknown-action.json|unknown action
a missing profile|--profile $SCRATCH/nonexistent.json|nonexistent.json
a profile too big for the kernel|--profile $SCRATCH/huge.json|the kernel's limit of 4096 instructions
a profile the kernel refuses to load|--profile $SCRATCH/waitkill.json|cannot load the filter
a program file that is not a program|--bpf $BAD/unknown-action.json|instructions
EOF2

sf run --profile "$SEED/audit.json" -- /nonexistent/cmd
expect_rc 127
expect_err "command not found"
done_test "a missing command: exit 127"

sf run -- true
expect_rc 2
done_test "no profile: usage error"

sf compile "$SCRATCH/kill-uname.json" -o "$SCRATCH/k.bpf"
sf run --bpf "$SCRATCH/k.bpf" -- uname
expect_rc 159
done_test "--bpf: a compiled program is loaded as it is"

# --- containers ----------------------------------------------------------------------

if missing root runc busybox; then
        skip_rest "containers"
        exit $?
fi

# An OCI bundle with a busybox rootfs.
bundle=$SCRATCH/bundle
mkdir -p "$bundle/rootfs/bin"
cp /bin/busybox "$bundle/rootfs/bin/"
for c in sh true echo mkdir uname cat; do ln -s busybox "$bundle/rootfs/bin/$c"; done
(cd "$bundle" && runc spec) || fail "runc spec"

# runc_with PROFILE CMD: run CMD in the bundle with PROFILE as linux.seccomp.
runc_with()
{
        _prof=$1
        shift
        "$SYSFENCE" convert "$_prof" --to oci --arch amd64 -o "$SCRATCH/seccomp.json" || return 99
        python3 - "$bundle/config.json" "$SCRATCH/seccomp.json" "$@" <<'P'
import json, sys
cfg, sec, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(cfg))
c["process"]["terminal"] = False
c["process"]["args"] = args
c["root"]["readonly"] = True
c["linux"]["seccomp"] = json.load(open(sec))
json.dump(c, open(cfg, "w"))
P
        ( cd "$bundle" && timeout 60 runc run "sysfence-test-$$" ) >"$OUT" 2>"$ERR"
        rc=$?
}

runc_with "$SEED/audit.json" /bin/sh -c 'echo in runc'
expect_rc 0
expect_out "in runc"
done_test "runc: the audit profile lets the container run"

runc_with "$SEED/violation.json" /bin/true
[ "$rc" -ne 0 ] || fail "the container ran"
done_test "runc: the violation profile stops the container from starting"

runc_with "$SCRATCH/mkdir-errno.json" /bin/mkdir /tmp/x
expect_rc 1
expect_err "Operation not permitted"
done_test "runc: an ERRNO rule fails the call with EPERM"

runc_with "$SCRATCH/kill-uname.json" /bin/uname
[ "$rc" -ne 0 ] || fail "uname was not killed"
done_test "runc: a KILL rule stops the process (exit $rc)"

# the same profile through sysfence run and runc: the same outcome
"$SYSFENCE" profile default --for docker -o "$SCRATCH/docker-default.json"
runc_with "$SCRATCH/docker-default.json" /bin/sh -c 'mkdir /tmp/x 2>/dev/null; uname -s'
runc_rc=$rc
runc_out=$(cat "$OUT")
sf run --profile "$SCRATCH/docker-default.json" -q -- "$bundle/rootfs/bin/busybox" uname -s
[ "$rc" = "$runc_rc" ] || fail "sysfence run exits $rc, runc $runc_rc"
[ "$(cat "$OUT")" = "$runc_out" ] || fail "sysfence run says $(cat "$OUT"), runc $runc_out"
done_test "the docker default: sysfence run and runc agree (exit $rc)"

if command -v podman >/dev/null; then
        pod()
        {
                timeout 120 podman --runtime runc --cgroup-manager cgroupfs run --rm \
                        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none \
                        --security-opt "seccomp=$1" --rootfs "$bundle/rootfs" "$2" >"$OUT" 2>"$ERR"
                rc=$?
        }
        pod "$SEED/audit.json" /bin/true
        expect_rc 0
        done_test "podman (runc): the audit profile lets the container run"
        pod "$SEED/violation.json" /bin/true
        [ "$rc" -ne 0 ] || fail "the container ran"
        done_test "podman (runc): the violation profile stops the container"
        "$SYSFENCE" profile default --for podman -o "$SCRATCH/podman-default.json"
        pod "$SCRATCH/podman-default.json" /bin/true
        expect_rc 0
        done_test "podman (runc): the built-in podman default runs a container"
else
        for i in 1 2 3; do
                skip "podman (runc)"
        done
fi
finish
