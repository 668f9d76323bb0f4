#!/bin/sh
# sysfence oci-hook, the OCI hook behind podman's io.containers.trace-syscall
# annotation: called directly with good and bad states and annotations; run by
# runc and crun from a bundle's config.json; and run by podman (runc) from the hooks.d
# files shipped in hooks/, on a busybox container.  The profile recorded from
# a container lets the same container run under it with the same output, and
# denies a syscall the recording did not see; if: merges a baseline; a bad
# annotation keeps the container from starting.  The annotation names files in
# the hook's --output-dir and --input-dir (here under $SCRATCH), and the hook,
# root, is not led by it to write or read anything else: no paths, no
# symlinks, no devices or FIFOs, no file of somebody else replaced, nothing of
# a baseline quoted, no name that is no syscall copied into OUTPUT.
set -u
. "$(dirname "$0")/lib.sh"

plan 45
limit=60

STATE=$SCRATCH/state
OUTD=$SCRATCH/out
IND=$SCRATCH/in
mkdir -p "$OUTD" "$IND"

# state_json ID PID ANNOTATION-VALUE|- [STATUS]: a runtime's state JSON on stdout.
state_json()
{
        "$PY" -S - "$@" <<'P'
import json, sys
a = sys.argv[1:]
s = {"ociVersion": "1.0.2", "id": a[0], "status": a[3] if len(a) > 3 else "created",
     "pid": int(a[1]), "bundle": "/nonexistent"}
if a[2] != "-":
    s["annotations"] = {"io.containers.trace-syscall": a[2]}
print(json.dumps(s))
P
}

# hook STAGE ID PID ANNOTATION: the hook called as the runtime would, stdin the state.
hook()
{
        state_json "$2" "$3" "$4" >"$SCRATCH/state.json"
        sf_in "$SCRATCH/state.json" oci-hook --state-dir "$STATE" --output-dir "$OUTD" --input-dir "$IND" "$1"
}

# names FILE: every syscall a profile allows, one a line.
names() { edit names "$1" 2>/dev/null; }

# --- the command line and the state --------------------------------------------------

sf oci-hook --help
expect_rc 0
expect_out "io.containers.trace-syscall=[if:INPUT;]of:OUTPUT"
expect_out "poststop"
done_test "--help names the annotation and the stages"

printf 'this is not json' >"$SCRATCH/bad-state"
sf_in "$SCRATCH/bad-state" oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err "sysfence oci-hook: the container state on standard input is not JSON"
expect_no_sanitizer
done_test "bad state on stdin: exit 1 and says it is not JSON"

printf '{"ociVersion": "1.0.2", "pid": 1}' >"$SCRATCH/bad-state"
sf_in "$SCRATCH/bad-state" oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err 'the container state has no "id" string'
printf '{"id": "../etc", "pid": 1}' >"$SCRATCH/bad-state"
sf_in "$SCRATCH/bad-state" oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err 'id "../etc" is not a container id'
printf '{"id": "c1", "pid": -4, "annotations": {"io.containers.trace-syscall": "of:/tmp/x.json"}}' >"$SCRATCH/bad-state"
sf_in "$SCRATCH/bad-state" oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err 'pid -4 is not a process id'
printf '{"id": "c1", "pid": 1, "annotations": {"io.containers.trace-syscall": 7}}' >"$SCRATCH/bad-state"
sf_in "$SCRATCH/bad-state" oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err 'annotation io.containers.trace-syscall is a number, not a string'
expect_no_sanitizer
done_test "a state without id, with a bad id, pid or annotation type: exit 1, named"

sf_in /dev/null oci-hook --state-dir "$STATE" prestart
expect_rc 1
expect_err "not JSON"
done_test "empty stdin: exit 1"

sf oci-hook bogus-stage
expect_rc 2
expect_err 'unknown stage "bogus-stage"'
sf oci-hook --default-action maybe prestart
expect_rc 2
expect_err '"maybe" is not errno, kill or log'
done_test "usage errors: exit 2"

hook prestart c1 1 -
expect_rc 0
expect_err "has no io.containers.trace-syscall annotation: nothing to record"
[ ! -e "$STATE/c1" ] || fail "a lock file was made for a container not to record"
done_test "no annotation: exit 0, nothing recorded"

bad_annotation()
{
        hook prestart c1 $$ "$1"
        expect_rc 1
        expect_err "$2"
        expect_no_sanitizer
        [ ! -e "$STATE/c1" ] || fail "a lock file was left"
}
bad_annotation "" "annotation io.containers.trace-syscall is empty"
bad_annotation "output.json" '"output.json" is neither if:INPUT nor of:OUTPUT'
bad_annotation "of:rel/p.json" 'of: "rel/p.json" is not a file name in the hook'"'"'s --output-dir'
bad_annotation "of:.hidden.json" 'of: ".hidden.json" is not a file name'
bad_annotation "if:base.json" "has no of:OUTPUT"
bad_annotation "of:a.json;of:b.json" "of: given twice"
mkdir -p "$OUTD/sub"
bad_annotation "of:sub" "of:sub: $OUTD/sub is a directory, not a regular file"
done_test "invalid annotations: exit 1 with the problem named"

# Spaces around the parts and values are trimmed (as oci-seccomp-bpf-hook does);
# the errors also go to syslog, since podman shows a failing hook only as
# "exit status 1": here a mount namespace of the test's own, whose /dev/log is
# a socket the test reads.
if skip_unless "the hook's error goes to syslog; spaces around if:/of: are trimmed" root unshare; then
        mkdir -p "$SCRATCH/logd"
        "$PY" -S - "$SCRATCH/logd/log" "$SCRATCH/syslog.txt" <<'P' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "wb", buffering=0) as out:
    try:
        while True:
            out.write(s.recv(4096) + b"\n")
    except socket.timeout:
        pass
P
        lpid=$!
        wait_secs 10 test -S "$SCRATCH/logd/log"
        state_json c9 $$ " if: absent.json ; of: p9.json " >"$SCRATCH/state9.json"
        timeout -k 5 60 unshare -m sh -c '
                mount --make-rprivate / && mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 &&
                touch /dev/log && mount --bind "$1/logd/log" /dev/log &&
                exec "$2" oci-hook --state-dir "$3" --output-dir "$4" --input-dir "$5" prestart <"$1/state9.json"' \
                sh "$SCRATCH" "$SYSFENCE" "$STATE" "$OUTD" "$IND" >"$OUT" 2>"$ERR"
        rc=$?
        expect_rc 1
        expect_err "if:absent.json: cannot read the profile $IND/absent.json"
        wait_secs 10 grep -q 'absent.json' "$SCRATCH/syslog.txt"
        kill "$lpid" 2>/dev/null
        wait "$lpid" 2>/dev/null
        grep -q "sysfence\[[0-9]*\]: oci-hook: annotation io.containers.trace-syscall: if:absent.json: cannot read the profile" "$SCRATCH/syslog.txt" ||
                fail "syslog got: $(head -c 300 "$SCRATCH/syslog.txt")"
        done_test "the hook's error goes to syslog; spaces around if:/of: are trimmed"
fi

bad_annotation "if:missing.json;of:p.json" "if:missing.json: cannot read the profile $IND/missing.json: No such file or directory"
printf '{"defaultAction": "SCMP_ACT_NOPE"}' >"$IND/broken.json"
bad_annotation "if:broken.json;of:p.json" "if:broken.json: $IND/broken.json is not a valid profile"
[ ! -e "$OUTD/p.json" ] || fail "an output was written"
done_test "an unreadable or invalid if: baseline: exit 1, no output"

# --- what the annotation may name: files in the hook's directories -----------------
# A process for the hook to attach to if it wrongly accepted the annotation
# (never the test's own shell); each of these must fail before it attaches.
sleep 300 &
victim=$!

# refused ANNOTATION EXPECTED-STDERR: the hook at prestart (within 10 s) refuses it
refused()
{
        state_json c6 "$victim" "$1" >"$SCRATCH/state.json"
        limit=10
        sf_in "$SCRATCH/state.json" oci-hook --state-dir "$STATE" --output-dir "$OUTD" --input-dir "$IND" prestart
        limit=60
        expect_rc 1
        expect_err "$2"
        expect_no_sanitizer
        [ ! -e "$STATE/c6" ] || fail "a lock file was left: the recorder was started"
}

refused "of:$OUTD/../escape.json" "of: \"$OUTD/../escape.json\" is not a file name in the hook's --output-dir"
refused "of:$SCRATCH/escape.json" "of: \"$SCRATCH/escape.json\" is not a file name"
refused "of:../escape.json" 'of: "../escape.json" is not a file name'
refused "of:..;if:base.json" 'of: ".." is not a file name'
[ ! -e "$SCRATCH/escape.json" ] || fail "a file was written outside the output directory"
[ -z "$(ls "$OUTD" | grep -v '^sub$')" ] || fail "something was written in the output directory: $(ls "$OUTD")"
done_test "of: with '/' or '..' is refused (exit 1), nothing written anywhere"

printf 'theirs\n' >"$OUTD/theirs.json"
chown 65534 "$OUTD/theirs.json" && chmod 0600 "$OUTD/theirs.json"
before=$(stat -c '%a %u %i' "$OUTD/theirs.json")
refused "of:theirs.json" "of:theirs.json: $OUTD/theirs.json exists and is not a profile this hook wrote: not replaced"
# root's own file, not written by the hook, is not replaced either
printf 'roots\n' >"$OUTD/roots.json"
refused "of:roots.json" "$OUTD/roots.json exists and is not a profile this hook wrote"
[ "$(stat -c '%a %u %i' "$OUTD/theirs.json")" = "$before" ] || fail "theirs.json changed: $(stat -c '%a %u %i' "$OUTD/theirs.json"), was $before"
[ "$(cat "$OUTD/theirs.json")" = theirs ] || fail "the content of theirs.json changed"
[ "$(cat "$OUTD/roots.json")" = roots ] || fail "the content of roots.json changed"
done_test "an existing file in the output directory the hook did not write is not replaced (mode, owner, content kept)"

printf 'elsewhere\n' >"$SCRATCH/elsewhere.json"
ln -s "$SCRATCH/elsewhere.json" "$OUTD/link.json"
ln -s "$SCRATCH/dangling.json" "$OUTD/dangling.json"
refused "of:link.json" "of:link.json: $OUTD/link.json is a symbolic link"
refused "of:dangling.json" "$OUTD/dangling.json is a symbolic link"
[ "$(cat "$SCRATCH/elsewhere.json")" = elsewhere ] || fail "the symlink's target was written"
[ ! -e "$SCRATCH/dangling.json" ] || fail "the dangling symlink's target was created"
[ -L "$OUTD/link.json" ] || fail "the symlink was replaced"
done_test "a symlink in the output directory is not followed (its target untouched) and not replaced"

mkfifo "$OUTD/fifo.json" "$IND/fifo.json"
refused "of:fifo.json" "of:fifo.json: $OUTD/fifo.json is a FIFO, not a regular file"
refused "if:fifo.json;of:fine.json" "if:fifo.json: $IND/fifo.json is a FIFO, not a regular file"
[ -p "$OUTD/fifo.json" ] || fail "the FIFO was replaced"
[ ! -e "$OUTD/fine.json" ] || fail "an output was written"
done_test "a FIFO as of: or if: does not hang the hook (10 s bound) and is refused"

printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ALLOW"}]}' >"$SCRATCH/outside.json"
ln -s "$SCRATCH/outside.json" "$IND/outside.json"
refused "if:$SCRATCH/outside.json;of:fine.json" "if: \"$SCRATCH/outside.json\" is not a file name in the hook's --input-dir"
refused "if:../outside.json;of:fine.json" 'if: "../outside.json" is not a file name'
refused "if:outside.json;of:fine.json" "if:outside.json: $IND/outside.json is a symbolic link: not followed"
[ ! -e "$OUTD/fine.json" ] || fail "an output was written"
done_test "if: outside --input-dir (a path, '..', a symlink out of it) is refused"

# Files whose content the annotation's author must not see in the message
printf 'SECRET-1 not a profile at all\n' >"$IND/secret1.json"
printf '{"defaultAction": "SCMP_ACT_SECRET-2", "syscalls": [{"names": ["SECRET-3"], "action": "SECRET-4"}]}' >"$IND/secret2.json"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SECRET-5", "subArchitectures": []}]}' >"$IND/secret3.json"
for f in secret1 secret2 secret3; do
        refused "if:$f.json;of:fine.json" "if:$f.json: $IND/$f.json is not a valid profile"
        grep -q SECRET "$ERR" && fail "$f: the message quotes the file: $(grep SECRET "$ERR" | head -c 300)"
done
[ ! -e "$OUTD/fine.json" ] || fail "an output was written"
done_test "an invalid if: baseline: the error names the file, never its content"

printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "/tmp/x.so"], "action": "SCMP_ACT_ALLOW"}]}' >"$IND/preload.json"
refused "if:preload.json;of:preload-out.json" "if:preload.json: $IND/preload.json: syscalls[0].names[1] is not a syscall: refused"
grep -q 'x\.so' "$ERR" && fail "the message quotes the name"
[ ! -e "$OUTD/preload-out.json" ] || fail "an output was written"
grep -rqs 'x\.so' "$OUTD" && fail "the name reached the output directory"
done_test "a baseline name that is no syscall (\"/tmp/x.so\") is an error and goes into no output"

# Before Linux 5.6 there is no openat2: the hook opens the one component with
# O_NOFOLLOW instead.  Here openat2 fails with ENOSYS under a seccomp filter.
desc="without openat2 (ENOSYS): a symlink or FIFO in the output directory and a symlink as if: are still refused"
if skip_unless "$desc" seccomp; then
        printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["openat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}' >"$SCRATCH/no-openat2.json"
        no_openat2()
        {
                state_json c7 "$victim" "$1" >"$SCRATCH/state.json"
                limit=10
                sf_in "$SCRATCH/state.json" run -q --profile "$SCRATCH/no-openat2.json" -- "$SYSFENCE" oci-hook \
                        --state-dir "$STATE" --output-dir "$OUTD" --input-dir "$IND" prestart
                limit=60
                expect_rc 1
                expect_err "$2"
                expect_no_sanitizer
                [ ! -e "$STATE/c7" ] || fail "a lock file was left: the recorder was started"
        }
        no_openat2 "of:link.json" "$OUTD/link.json is a symbolic link"
        no_openat2 "of:fifo.json" "$OUTD/fifo.json is a FIFO, not a regular file"
        no_openat2 "if:outside.json;of:fine.json" "$IND/outside.json is a symbolic link: not followed"
        no_openat2 "of:theirs.json" "$OUTD/theirs.json exists and is not a profile this hook wrote"
        [ "$(cat "$SCRATCH/elsewhere.json")" = elsewhere ] || fail "the symlink's target was written"
        [ ! -e "$OUTD/fine.json" ] || fail "an output was written"
        done_test "$desc"
fi
kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

# A pid that no longer exists: the recorder cannot attach; the hook says so.
sh -c 'exit 0' &
gone=$!
wait $gone
hook prestart c2 "$gone" "of:gone.json"
expect_rc 1
expect_err "cannot record the container's process $gone"
[ ! -e "$OUTD/gone.json" ] || fail "an output was written"
[ ! -e "$STATE/c2" ] || fail "a lock file was left"
done_test "a process that cannot be traced: exit 1, no output"

# poststop: nothing recorded for this container: nothing to wait for
hook poststop c3 0 "of:c3.json"
expect_rc 0
done_test "poststop without a recorder: exit 0"

# poststop waits for the recorder's lock, bounded by --timeout
mkdir -p "$STATE"
printf 'recording 1\n' >"$STATE/c4"
hold_lock "$STATE/c4"
state_json c4 0 "of:c4.json" stopped >"$SCRATCH/state.json"
sf_in "$SCRATCH/state.json" oci-hook --state-dir "$STATE" --timeout 1
expect_rc 1
expect_err "the recorder has not written its profile after 1 s"
[ -e "$STATE/c4" ] || fail "the lock file of a running recorder was removed"
release_lock 1
sf_in "$SCRATCH/state.json" oci-hook --state-dir "$STATE" --timeout 10
expect_rc 1
expect_err "the recorder ended without writing its profile"
wait $holder
[ ! -e "$STATE/c4" ] || fail "the lock file is still there"
done_test "poststop (stage from the status): waits for the lock, gives up after --timeout, reports a recorder that died"

printf 'ok\n' >"$STATE/c5"
hold_lock "$STATE/c5"
release_lock 1
hook poststop c5 0 "of:c5.json"
expect_rc 0
wait $holder
[ ! -e "$STATE/c5" ] || fail "the lock file is still there"
done_test "poststop: waits while the lock is held, then exit 0"

# --- containers -------------------------------------------------------------------------

if missing root runc busybox; then
        skip_rest "containers"
        exit $?
fi

bundle=$SCRATCH/bundle
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp"
cp /bin/busybox "$bundle/rootfs/bin/"
for c in sh true echo mkdir uname cat ls wc; do ln -s busybox "$bundle/rootfs/bin/$c"; done
(cd "$bundle" && runc spec) || fail "runc spec"

# runc_hooked ID ANNOTATION HOOK-ARGS CMD...: runc run with the hook at
# prestart and poststop (HOOK-ARGS: extra options, space-separated).
runc_hooked()
{
        _id=$1 _ann=$2 _args=$3
        shift 3
        "$PY" -S - "$bundle/config.json" "$SYSFENCE" "$STATE" "$_ann" "--output-dir $OUTD --input-dir $IND $_args" "$@" <<'P'
import json, os, sys
cfg, exe, state, ann, extra, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5].split(), sys.argv[6:]
c = json.load(open(cfg))
c["process"]["terminal"] = False
c["process"]["args"] = args
c["root"]["readonly"] = True
c.pop("hooks", None)
c["linux"].pop("seccomp", None)
c["annotations"] = {"io.containers.trace-syscall": ann}
start = os.environ.get("HOOK_STAGE", "prestart")
h = lambda st: [{"path": exe, "args": ["sysfence", "oci-hook", "--state-dir", state] + extra + [st]}]
c["hooks"] = {start: h(start), "poststop": h("poststop")}
if os.environ.get("FAILING_HOOK"):
    c["hooks"][start].append({"path": "/bin/false", "args": ["false"]})
json.dump(c, open(cfg, "w"))
P
        ( cd "$bundle" && timeout 60 runc run "$_id" ) >"$OUT" 2>"$ERR"
        rc=$?
}

id=sf-hook-$$
runc_hooked "$id" "of:runc.json" "" /bin/sh -c 'echo in runc; ls / >/dev/null'
expect_rc 0
expect_out "in runc"
expect_no_sanitizer
[ -f "$OUTD/runc.json" ] || fail "no profile when runc run returned"
json_ok "$OUTD/runc.json" || fail "the profile is not JSON"
[ "$(json_get "$OUTD/runc.json" 'd["defaultAction"]')" = SCMP_ACT_ERRNO ] || fail "the default action is not SCMP_ACT_ERRNO"
for s in execve getdents64 exit_group; do
        names "$OUTD/runc.json" | grep -qx "$s" || fail "$s is not in the profile"
done
# runc's own setup before it loads the filter is not the workload's
for s in mount pivot_root umount2 sethostname; do
        names "$OUTD/runc.json" | grep -qx "$s" && fail "$s (runc's setup, before its filter) is in the profile"
done
[ ! -e "$STATE/$id" ] || fail "the lock file was left after poststop"
done_test "runc: prestart and poststop hooks record the container (from the workload's execve on: no mount, pivot_root, umount2, sethostname)"

# the profile back into runc as linux.seccomp: the same run succeeds; one more syscall is denied
runc_with()
{
        "$SYSFENCE" convert "$1" --to oci --arch amd64 -o "$SCRATCH/seccomp.json" || { rc=99; return; }
        shift
        "$PY" -S - "$bundle/config.json" "$SCRATCH/seccomp.json" "$@" <<'P'
import json, sys
cfg, sec, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(cfg))
c["process"]["args"] = args
c.pop("hooks", None)
c.pop("annotations", None)
c["linux"]["seccomp"] = json.load(open(sec))
json.dump(c, open(cfg, "w"))
P
        ( cd "$bundle" && timeout 60 runc run "sf-hook-replay-$$" ) >"$OUT" 2>"$ERR"
        rc=$?
}
for s in tgkill rt_sigreturn sched_yield; do
        names "$OUTD/runc.json" | grep -qx "$s" || fail "$s (runc's base set, found by --base auto) is not in the profile"
done
# runc's Go runtime makes some calls at random after the filter is in: several runs
for i in 1 2 3 4 5; do
        runc_with "$OUTD/runc.json" /bin/sh -c 'echo in runc; ls / >/dev/null'
        expect_rc 0
        expect_out "in runc"
done
runc_with "$OUTD/runc.json" /bin/sh -c 'echo in runc; ls / >/dev/null; mkdir /tmp/x'
[ "$rc" -ne 0 ] || fail "mkdir was not denied"
expect_err "Operation not permitted"
done_test "runc: the recorded profile (with runc's base set) runs the same container 5 times; mkdir, not recorded, fails with EPERM"

runc_hooked "$id-k" "of:kill.json" "--default-action kill" /bin/true
expect_rc 0
[ "$(json_get "$OUTD/kill.json" 'd["defaultAction"]')" = SCMP_ACT_KILL_PROCESS ] ||
        fail "the hook's --default-action kill is not the profile's default"
done_test "runc: --default-action in the hook's args"

runc_hooked "$id-b" "if:missing.json;of:never.json" "" /bin/sh -c 'echo should not run'
[ "$rc" -ne 0 ] || fail "runc started the container"
grep -q "should not run" "$OUT" && fail "the container ran"
expect_err "cannot read the profile"
[ ! -e "$OUTD/never.json" ] || fail "an output was written"
runc delete -f "$id-b" >/dev/null 2>&1
done_test "runc: a missing if: baseline keeps the container from starting"

HOOK_STAGE=createRuntime runc_hooked "$id-c" "of:create.json" "" /bin/sh -c 'echo at createRuntime'
expect_rc 0
expect_out "at createRuntime"
names "$OUTD/create.json" | grep -qx execve || fail "execve is not in the profile"
done_test "runc: the hook at createRuntime records the same way"

# OUTPUT's directory goes away while the container runs: poststop reports it
mkdir "$SCRATCH/vanish"
# once the recorder runs (its lock file says so), not at a fixed time: starting
# the eBPF recorder takes longer than attaching with ptrace
(i=0; until grep -qs recording "$STATE/$id-v" || [ $i -ge 300 ]; do sleep 0.05; i=$((i + 1)); done
 rmdir "$SCRATCH/vanish") &
runc_hooked "$id-v" "of:p.json" "--output-dir $SCRATCH/vanish" /bin/sh -c 'sleep 1.5; echo ran'
wait
expect_out ran
expect_err "the recording failed"
expect_err "cannot create a temporary file in $SCRATCH/vanish"
[ ! -e "$STATE/$id-v" ] || fail "the lock file was left after poststop"
done_test "runc: a profile that cannot be written is reported by poststop"

# A profile the hook wrote is replaced by the next recording of that name (the
# hook noted its device and inode), through a temporary file and a rename.
runc_hooked "$id-t1" "of:twice.json" "" /bin/true
expect_rc 0
ino1=$(stat -c %i "$OUTD/twice.json" 2>/dev/null)
runc_hooked "$id-t2" "of:twice.json" "" /bin/sh -c 'echo second'
expect_rc 0
expect_out second
ino2=$(stat -c %i "$OUTD/twice.json" 2>/dev/null)
{ [ -n "$ino1" ] && [ -n "$ino2" ] && [ "$ino1" != "$ino2" ]; } || fail "twice.json was not replaced by a new file (inodes $ino1, $ino2)"
json_ok "$OUTD/twice.json" || fail "the replaced profile is not JSON"
ls -A "$OUTD" | grep -q '^\.sysfence-' && fail "a temporary file was left: $(ls -A "$OUTD" | grep '^\.sysfence-')"
ls -A "$STATE/.written" | grep -q -e "-$ino1\$" && fail "the replaced profile is still noted as the hook's"
ls -A "$STATE/.written" | grep -q -e "-$ino2\$" || fail "the new profile is not noted as the hook's"
done_test "runc: a profile the hook wrote is replaced by the next recording of that name (a new file, no temporary left)"

# The output directory is opened once, at prestart: swapped for a symlink while
# the container runs, it still gets the profile, and the symlink's target not.
mkdir "$SCRATCH/swap" "$SCRATCH/decoy"
(i=0; until grep -qs recording "$STATE/$id-s" || [ $i -ge 300 ]; do sleep 0.05; i=$((i + 1)); done
 mv "$SCRATCH/swap" "$SCRATCH/swap.moved"; ln -s "$SCRATCH/decoy" "$SCRATCH/swap") &
runc_hooked "$id-s" "of:p.json" "--output-dir $SCRATCH/swap" /bin/sh -c 'sleep 1.5; echo ran'
wait
expect_rc 0
expect_out ran
[ -L "$SCRATCH/swap" ] || fail "the directory was not swapped while the container ran: the test proves nothing"
[ -f "$SCRATCH/swap.moved/p.json" ] || fail "the profile is not in the directory opened at prestart"
[ ! -e "$SCRATCH/decoy/p.json" ] || fail "the profile followed the symlink put in the directory's place"
done_test "runc: --output-dir is resolved once, at prestart: replaced by a symlink while the container runs, the profile still goes into the directory"

# crun (refuses hybrid cgroups: run in a private mount namespace without the
# unified hierarchy, as crun.sh does)
# a later hook fails: the container never starts, and no profile is written
FAILING_HOOK=1 runc_hooked "$id-f" "of:failed.json" "" /bin/sh -c 'echo should not run'
[ "$rc" -ne 0 ] || fail "runc started the container"
grep -q "should not run" "$OUT" && fail "the container ran"
runc delete -f "$id-f" >/dev/null 2>&1
sleep 0.5
[ ! -e "$OUTD/failed.json" ] || fail "a profile was written for a container that never started"
[ ! -e "$STATE/$id-f" ] || fail "the lock file was left"
done_test "runc: a container that never starts (a later hook fails) gets no profile and leaves no lock file"

if command -v crun >/dev/null && command -v unshare >/dev/null; then
        cbundle=$SCRATCH/cbundle
        mkdir -p "$cbundle/rootfs/bin" "$cbundle/rootfs/tmp" "$cbundle/rootfs/proc"
        cp /bin/busybox "$cbundle/rootfs/bin/"
        for c in sh echo mkdir cat ls; do ln -s busybox "$cbundle/rootfs/bin/$c"; done
        (cd "$cbundle" && crun spec) || fail "crun spec"
        # crun_conf HOOKED(0|1) SECCOMP|- CMD...
        crun_conf()
        {
                _hooked=$1 _sec=$2
                shift 2
                "$PY" -S - "$cbundle/config.json" "$SYSFENCE" "$STATE" "$OUTD" "$_hooked" "$_sec" "$@" <<'P'
import json, os, sys
cfg, exe, state, outd, hooked, sec, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7:]
c = json.load(open(cfg))
c["process"]["terminal"] = False
c["process"]["noNewPrivileges"] = os.environ.get("CRUN_NNP", "1") == "1"
c["process"]["args"] = args
c.pop("hooks", None)
c.pop("annotations", None)
c["linux"].pop("seccomp", None)
if hooked == "1":
    c["annotations"] = {"io.containers.trace-syscall": "of:crun.json"}
    h = lambda st: [{"path": exe, "args": ["sysfence", "oci-hook", "--state-dir", state, "--output-dir", outd, st]}]
    c["hooks"] = {"prestart": h("prestart"), "poststop": h("poststop")}
if sec != "-":
    c["linux"]["seccomp"] = json.load(open(sec))
json.dump(c, open(cfg, "w"))
P
                (cd "$cbundle" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun run "sf-hook-crun-$$"') >"$OUT" 2>"$ERR"
                rc=$?
        }
        crun_conf 1 - /bin/sh -c 'echo in crun; ls / >/dev/null'
        expect_rc 0
        expect_out "in crun"
        [ -f "$OUTD/crun.json" ] || fail "no profile when crun run returned"
        for s in execve getdents64 setresuid; do
                names "$OUTD/crun.json" | grep -qx "$s" || fail "$s is not in the profile"
        done
        names "$OUTD/crun.json" | grep -qx tgkill && fail "runc's base set was added for crun"
        for s in mount pivot_root umount2 sethostname; do
                names "$OUTD/crun.json" | grep -qx "$s" && fail "$s (crun's setup, before its filter) is in the profile"
        done
        "$SYSFENCE" convert "$OUTD/crun.json" --to oci --arch amd64 -o "$SCRATCH/crun-oci.json"
        crun_conf 0 "$SCRATCH/crun-oci.json" /bin/sh -c 'echo in crun; ls / >/dev/null'
        expect_rc 0
        expect_out "in crun"
        crun_conf 0 "$SCRATCH/crun-oci.json" /bin/sh -c 'echo in crun; ls / >/dev/null; mkdir /tmp/x'
        [ "$rc" -ne 0 ] || fail "mkdir was not denied"
        expect_err "Operation not permitted"
        done_test "crun: recorded (crun's base set; no mount, pivot_root, umount2, sethostname), the same container runs under the profile, mkdir fails"

        # no_new_privs off: crun loads the filter before it sets the capabilities
        CRUN_NNP=0 crun_conf 1 - /bin/sh -c 'echo in crun; ls / >/dev/null'
        expect_rc 0
        for s in mount pivot_root umount2 sethostname; do
                names "$OUTD/crun.json" | grep -qx "$s" && fail "$s (crun's setup, before its filter) is in the profile"
        done
        "$SYSFENCE" convert "$OUTD/crun.json" --to oci --arch amd64 -o "$SCRATCH/crun-oci.json"
        for i in 1 2 3; do
                CRUN_NNP=0 crun_conf 0 "$SCRATCH/crun-oci.json" /bin/sh -c 'echo in crun; ls / >/dev/null'
                expect_rc 0
                expect_out "in crun"
        done
        done_test "crun with no_new_privs off: recorded without its setup, the same container runs under the profile (3 runs)"
else
        missing crun unshare && skip "crun: recorded (crun's base set; no mount, pivot_root, umount2, sethostname), the same container runs under the profile, mkdir fails"
        skip "crun with no_new_privs off: recorded without its setup, the same container runs under the profile (3 runs)"
fi

if missing podman; then
        skip_rest "podman"
        exit $?
fi

# The hooks.d files as shipped, with the path of the binary under test and a
# mark in the hook's environment, so that its processes are told from others.
hooks=$SCRATCH/hooks.d
mkdir -p "$hooks"
for f in "$SF_SOURCE"/hooks/*.json; do
        sed -e "s|\"path\": \"/usr/bin/sysfence\"|\"path\": \"$SYSFENCE\", \"env\": [\"SF_TEST_MARK=$SCRATCH\"]|" \
                -e "s|\"/var/lib/sysfence/recordings\"|\"$OUTD\"|" -e "s|\"/etc/sysfence/baselines\"|\"$IND\"|" \
                "$f" >"$hooks/$(basename "$f")"
done
grep -q "\"$SYSFENCE\"" "$hooks/sysfence-trace-syscall.json" || fail "hooks/sysfence-trace-syscall.json does not name /usr/bin/sysfence"
for f in sysfence-trace-syscall.json sysfence-trace-syscall-poststop.json; do
        grep -q "\"--output-dir\", \"$OUTD\"" "$hooks/$f" || fail "hooks/$f does not give --output-dir /var/lib/sysfence/recordings"
done
grep -q "\"--input-dir\", \"$IND\"" "$hooks/sysfence-trace-syscall.json" || fail "hooks/sysfence-trace-syscall.json does not give --input-dir /etc/sysfence/baselines"
for f in "$hooks"/*.json; do
        json_ok "$f" || fail "$(basename "$f") is not JSON"
done
[ "$(cat "$hooks"/*.json | grep -c '"prestart"\|"poststop"')" -ge 2 ] || fail "the hooks lack a prestart or poststop stage"
done_test "hooks/: the hooks.d files are JSON for prestart and poststop, with the hook's directories in args"

# pod ANNOTATION|- SECCOMP|- CMD...: podman run (runc) on the busybox rootfs.
pod()
{
        _ann=$1 _sec=$2
        shift 2
        set -- --rootfs "$bundle/rootfs" "$@"
        [ "$_sec" = - ] || set -- --security-opt "seccomp=$_sec" "$@"
        [ "$_ann" = - ] || set -- --annotation "io.containers.trace-syscall=$_ann" "$@"
        timeout 120 podman --hooks-dir "$hooks" --runtime runc --cgroup-manager cgroupfs run --rm \
                --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none "$@" >"$OUT" 2>"$ERR"
        rc=$?
}

locks_before=$(ls /run/sysfence/oci-hook 2>/dev/null)
work='echo start; ls /bin | wc -l; cat /proc/self/status >/dev/null; echo done'
pod - - /bin/sh -c "$work"
expect_rc 0
cp "$OUT" "$SCRATCH/plain.out"
pod "of:p.json" - /bin/sh -c "$work"
expect_rc 0
expect_no_sanitizer
cmp -s "$OUT" "$SCRATCH/plain.out" || fail "the recorded run printed $(cat "$OUT"), not $(cat "$SCRATCH/plain.out")"
[ -f "$OUTD/p.json" ] || fail "no profile when podman run --rm returned"
json_ok "$OUTD/p.json" || fail "the profile is not JSON"
[ "$(json_get "$OUTD/p.json" 'd["defaultAction"]')" = SCMP_ACT_ERRNO ] || fail "the default action is not SCMP_ACT_ERRNO"
names "$OUTD/p.json" | grep -qx execve || fail "execve is not in the profile"
names "$OUTD/p.json" | grep -qx mkdir && fail "mkdir is in the profile, the denial test below would prove nothing"
for s in mount pivot_root umount2 sethostname; do
        names "$OUTD/p.json" | grep -qx "$s" && fail "$s (runc's setup, before its filter) is in the profile"
done
[ "$(ls /run/sysfence/oci-hook 2>/dev/null)" = "$locks_before" ] || fail "lock files left: $(ls /run/sysfence/oci-hook)"
done_test "podman: the annotation records the container; the profile is there when podman run --rm returns"

for i in 1 2 3; do
        pod - "$OUTD/p.json" /bin/sh -c "$work"
        expect_rc 0
        cmp -s "$OUT" "$SCRATCH/plain.out" || fail "under the profile it printed $(cat "$OUT"), not $(cat "$SCRATCH/plain.out")"
done
done_test "podman: the same container under the recorded profile runs with the same output (3 runs)"

pod - "$OUTD/p.json" /bin/sh -c "$work; mkdir /tmp/new && echo made"
[ "$rc" -ne 0 ] || fail "the container succeeded"
grep -q made "$OUT" && fail "mkdir succeeded"
expect_err "Operation not permitted"
done_test "podman: one more syscall (mkdir) than recorded is denied with EPERM"

# if: a baseline that allows mkdir and swapon: both end up in the output
cat >"$IND/base.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["mkdir", "swapon"], "action": "SCMP_ACT_ALLOW"}]}
EOF
pod "if:base.json;of:merged.json" - /bin/sh -c "$work"
expect_rc 0
for s in mkdir swapon execve getdents64; do
        names "$OUTD/merged.json" | grep -qx "$s" || fail "$s is not in the merged profile"
done
rm -rf "$bundle/rootfs/tmp/new"
pod - "$OUTD/merged.json" /bin/sh -c "$work; mkdir /tmp/new && echo made"
expect_rc 0
expect_out made
done_test "podman: if: merges a baseline (its mkdir and swapon are in the output; mkdir now works)"

# if: podman's own default profile (an archMap and includes.caps): resolved for
# this node and the container's capabilities, then merged
"$SYSFENCE" profile default --for podman -o "$IND/podman-default.json"
pod "if:podman-default.json;of:pm.json" - /bin/sh -c "$work"
expect_rc 0
[ -f "$OUTD/pm.json" ] || fail "no merged profile"
[ "$(json_get "$OUTD/pm.json" '"archMap" in d')" = False ] || fail "the merged profile has an archMap"
for s in execve getdents64 tgkill clock_adjtime; do
        names "$OUTD/pm.json" | grep -qx "$s" || fail "$s is not in the merged profile"
done
rm -rf "$bundle/rootfs/tmp/new"
pod - "$OUTD/pm.json" /bin/sh -c "$work; mkdir /tmp/new && echo made"
expect_rc 0
expect_out made
"$SYSFENCE" test "$OUTD/pm.json" io_uring_setup --arch amd64 --expect 'ERRNO(38)' >/dev/null 2>&1 ||
        fail "io_uring_setup is not ERRNO(38) (podman's defaultErrnoRet) in the merged profile: $("$SYSFENCE" test "$OUTD/pm.json" io_uring_setup --arch amd64 2>&1 | head -n 1)"
done_test "podman: if: podman's default profile (archMap, includes) is resolved and merged, its defaultErrnoRet (ENOSYS) kept"

# if: a baseline that denies what the workload makes: it stays denied, with the
# baseline's default; --prefer recorded lets the recording allow it
cat >"$IND/deny-uname.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [
 {"names": ["uname"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
EOF
pod "if:deny-uname.json;of:du.json" - /bin/sh -c 'echo "[$(uname -s)]"'
expect_rc 0
expect_out "[Linux]"
"$SYSFENCE" test "$OUTD/du.json" uname --arch amd64 --expect 'ERRNO(13)' >/dev/null 2>&1 ||
        fail "uname is not ERRNO(13) as the baseline says: $("$SYSFENCE" test "$OUTD/du.json" uname --arch amd64 2>&1 | head -n 1)"
"$SYSFENCE" test "$OUTD/du.json" swapon --arch amd64 --expect 'ERRNO(38)' >/dev/null 2>&1 ||
        fail "the baseline's default ERRNO(38) is not the profile's"
# busybox's uname prints nothing when the call fails
pod - "$OUTD/du.json" /bin/sh -c 'echo "[$(uname -s)]"'
expect_out "[]"
mkdir -p "$SCRATCH/hooks-pr"
for f in "$hooks"/*.json; do
        sed 's|"oci-hook", |"oci-hook", "--prefer", "recorded", |' "$f" >"$SCRATCH/hooks-pr/$(basename "$f")"
done
timeout 120 podman --hooks-dir "$SCRATCH/hooks-pr" --runtime runc --cgroup-manager cgroupfs run --rm \
        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none \
        --annotation "io.containers.trace-syscall=if:deny-uname.json;of:du2.json" --rootfs "$bundle/rootfs" \
        /bin/sh -c 'echo "[$(uname -s)]"' >"$OUT" 2>"$ERR"
expect_out "[Linux]"
"$SYSFENCE" test "$OUTD/du2.json" uname --arch amd64 --expect ALLOW >/dev/null 2>&1 ||
        fail "--prefer recorded: uname is not allowed: $("$SYSFENCE" test "$OUTD/du2.json" uname --arch amd64 2>&1 | head -n 1)"
done_test "podman: if: a syscall the baseline denies stays denied though the workload made it, and its default is kept; --prefer recorded allows it"

rm -f "$OUTD/never.json"
pod "of:../never.json" - /bin/sh -c 'echo should not run'
[ "$rc" -ne 0 ] || fail "podman started the container"
grep -q "should not run" "$OUT" && fail "the container ran"
expect_err 'io.containers.trace-syscall="of:../never.json": of: "../never.json" is not a file name'
done_test "podman: a bad annotation value keeps the container from starting, with the reason"

pod "if:missing.json;of:never.json" - /bin/sh -c 'echo should not run'
[ "$rc" -ne 0 ] || fail "podman started the container"
grep -q "should not run" "$OUT" && fail "the container ran"
expect_err "if:missing.json: cannot read the profile $IND/missing.json"
[ ! -e "$OUTD/never.json" ] || fail "an output was written"
done_test "podman: a missing if: baseline keeps the container from starting"

# A longer-lived container with threads of work: the recorder follows forks.
pod "of:forks.json" - /bin/sh -c 'for i in 1 2 3 4 5; do (echo $i; uname -s) & done; wait; echo end'
expect_rc 0
expect_out end
names "$OUTD/forks.json" | grep -qx uname || fail "uname from the forked children is not in the profile"
names "$OUTD/forks.json" | grep -qx wait4 || fail "wait4 is not in the profile"
done_test "podman: children forked by the workload are recorded"

# podman exec: a process that joins the container later is no descendant of its
# init.  The eBPF recorder (the default where it is built) records the whole pid
# namespace, so it is in the profile; ptrace follows the init's tree only.
for b in auto ptrace; do
        hd=$SCRATCH/hooks-$b
        mkdir -p "$hd"
        for f in "$hooks"/*.json; do
                sed "s|\"oci-hook\", |\"oci-hook\", \"--backend\", \"$b\", |" "$f" >"$hd/$(basename "$f")"
        done
        rm -f "$OUTD/exec-$b.json"
        timeout 60 podman --hooks-dir "$hd" --runtime runc --cgroup-manager cgroupfs run -d --name "sf-exec-$b-$$" \
                --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network none \
                --annotation "io.containers.trace-syscall=of:exec-$b.json" --rootfs "$bundle/rootfs" \
                /bin/sh -c 'sleep 2; echo end' >/dev/null 2>"$ERR" || fail "podman run -d ($b): $(head -c 300 "$ERR")"
        timeout 30 podman exec "sf-exec-$b-$$" /bin/mkdir -p /tmp/by-exec >/dev/null 2>&1 || fail "podman exec ($b) failed"
        timeout 30 podman wait "sf-exec-$b-$$" >/dev/null 2>&1
        timeout 60 podman rm -f "sf-exec-$b-$$" >/dev/null 2>&1
        wait_secs 10 test -f "$OUTD/exec-$b.json"
        [ -f "$OUTD/exec-$b.json" ] || fail "no profile ($b)"
done
names "$OUTD/exec-auto.json" | grep -qx mkdir || fail "the eBPF recorder missed podman exec's mkdir"
names "$OUTD/exec-ptrace.json" | grep -qx mkdir && fail "the ptrace recorder saw podman exec's mkdir: the test proves nothing"
names "$OUTD/exec-ptrace.json" | grep -qx nanosleep || names "$OUTD/exec-ptrace.json" | grep -qx clock_nanosleep ||
        fail "the ptrace recorder missed the workload's sleep"
done_test "podman: --backend auto (eBPF) records podman exec's processes too; --backend ptrace the init's tree only"

# The profile is replaced atomically: the old one stays whole until the new one is in.
ino1=$(stat -c %i "$OUTD/p.json")
pod "of:p.json" - /bin/sh -c "$work"
expect_rc 0
json_ok "$OUTD/p.json" || fail "the rewritten profile is not JSON"
[ "$(stat -c %i "$OUTD/p.json")" != "$ino1" ] || fail "p.json was written in place, not replaced"
ls -A "$OUTD" | grep -q '^\.sysfence-' && fail "a temporary file was left: $(ls -A "$OUTD" | grep '^\.sysfence-')"
done_test "podman: an existing output the hook wrote is replaced whole (no temporary file left)"

# No recorder outlives its container: none of this test's sysfence processes
# (their command line names its scratch directory, or their environment has
# its mark) is left; other tests' and users' are none of its business.
left=
for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "$SYSFENCE" ] || continue
        if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF "$SCRATCH" ||
                tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "SF_TEST_MARK=$SCRATCH"; then
                left="$left ${p#/proc/}"
        fi
done
[ -z "$left" ] || fail "sysfence processes still running:$left"
done_test "no recorder is left running"

finish
