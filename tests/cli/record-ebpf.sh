#!/bin/sh
# sysfence record --backend ebpf, end to end (root).  The proof is the one the
# ptrace recorder's tests make: each workload is recorded once with
# --default-action kill, then does the same work again under 'sysfence run
# --profile' and succeeds; with any one recorded syscall removed it fails.
# Workloads: a coreutils pipeline, a multi-threaded sort, a shell that forks
# and execs, and a program making an i386 call (int $0x80).  Also: a process
# tree in a new pid namespace (--pidns), a running tree (--pid), exit statuses,
# signals, argument values, the usage and permission errors, and the ebpf and
# ptrace recorders agreeing on deterministic workloads.
#
# Needs root, BTF and a kernel that runs BPF programs on sys_enter; where the
# machine lacks them the tests are skipped (SF_TEST_REQUIRE=ebpf: they fail).
set -u
. "$(dirname "$0")/lib.sh"

plan 28

PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=$PY
limit=60

# record (lib.sh) records with eBPF here
RECORD_OPTS="--backend ebpf"

# The rest needs root and a kernel that runs BPF programs on sys_enter (the
# probe "ebpf", which does not ask sysfence): where the machine has them and
# sysfence cannot record, the tests fail; where it has not, they are skipped.
can=yes
why=
if ! feature ebpf; then
        can=no
elif "$SYSFENCE" record --backend ebpf -q -o /dev/null -- true 2>"$SCRATCH/probe.err"; then
        :
else
        can=no
        why="the machine runs eBPF programs on sys_enter, but sysfence cannot record: $(head -1 "$SCRATCH/probe.err")"
fi
# needs DESC [FEATURE...]: 0 if the test DESC can run; else it is skipped (the
# machine lacks eBPF or FEATURE) or fails (sysfence cannot record)
needs()
{
        _nd=$1
        shift
        skip_unless "$_nd" ebpf "$@" || return 1
        [ "$can" = yes ] && return 0
        fail "$why"
        done_test "$_nd"
        return 1
}

command -v cc >/dev/null 2>&1 || fail "cc is not installed (Debian: gcc)"
command -v unshare >/dev/null 2>&1 || fail "unshare is not installed (Debian: util-linux)"
command -v setpriv >/dev/null 2>&1 || fail "setpriv is not installed (Debian: util-linux)"
[ "$can" = yes ] || [ -z "$why" ] || fail "$why"
done_test "the tools the tests drive are there, and eBPF recording works where the machine has eBPF"

# --- the command line ------------------------------------------------------------------

sf record --help
expect_rc 0
expect_out "--backend"
expect_out "--pidns PID"
done_test "--help shows --backend and --pidns"

sf record --backend bpf -- true
expect_rc 2
expect_err '--backend: "bpf" is not notify, ptrace or ebpf'
sf record --backend ptrace --pidns 1
expect_rc 2
expect_err "--pidns needs --backend ebpf"
sf record --backend ebpf --pidns 1 -- true
expect_rc 2
expect_err "only one"
sf record --backend ebpf --pin 0 -- true
expect_rc 2
expect_err "--pin is for the notify and ptrace backends"
sf record --backend ebpf -o /dev/null --args opn -- true
expect_rc 2
expect_err 'unknown syscall "opn"'
sf record --backend ebpf --pidns 12ab
expect_rc 2
done_test "usage errors exit 2 and say what is wrong"

# nobody may run the binary from the build tree; the error is the recorder's
setpriv --reuid 65534 --regid 65534 --clear-groups "$SYSFENCE" record --backend ebpf -o /dev/null -- true \
        >"$OUT" 2>"$ERR"
rc=$?
expect_rc 1
if grep -q "built without the eBPF recorder" "$ERR"; then
        : # a build without it says so before it asks for privilege
else
        expect_err "the eBPF recorder needs root"
fi
expect_no_sanitizer
done_test "not root: exit 1, and the message says root (or CAP_BPF and CAP_PERFMON) is needed"

# --- (a) a coreutils pipeline -------------------------------------------------------------

pipeline='seq 1000 | sort -r | head -3 | wc -l'
if needs "(a) pipeline"; then
        record pipe -- sh -c "$pipeline"
        expect_rc 0
        expect_out 3
        expect_no_sanitizer
        json_ok "$SCRATCH/pipe.json" || fail "the profile is not JSON"
        [ "$(edit get "$SCRATCH/pipe.json" 'd["defaultAction"] + " " + ",".join(d["architectures"])')" = \
                "SCMP_ACT_KILL_PROCESS SCMP_ARCH_X86_64" ] || fail "default action or arches: $(head -c 200 "$SCRATCH/pipe.json")"
        confined "$SCRATCH/pipe.json" sh -c "$pipeline"
        expect_rc 0
        cmp -s "$OUT" "$SCRATCH/pipe.out" || fail "the output differs under the profile: $(cat "$OUT")"
        done_test "(a) $pipeline: recorded, and under its kill-by-default profile it does the same work"
fi

if needs "(a) every syscall"; then
        every_syscall_needed pipe sh -c "$pipeline"
        done_test "(a) without any one of the recorded syscalls it fails"
fi

if needs "(a) --hot"; then
        awk 'NF != 2 || $2 !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$SCRATCH/pipe.hot" || fail "a line is not NAME COUNT"
        sort -k2,2nr -k1,1 "$SCRATCH/pipe.hot" | cmp -s - "$SCRATCH/pipe.hot" || fail "--hot is not most frequent first"
        [ "$(wc -l <"$SCRATCH/pipe.hot")" -eq "$(edit names "$SCRATCH/pipe.json" | sort -u | wc -l)" ] ||
                fail "--hot and the profile name different syscalls"
        # sh, then seq, sort, head and wc: five execs, four forks
        grep -qx "execve 5" "$SCRATCH/pipe.hot" || fail "not 5 execve calls: $(grep execve "$SCRATCH/pipe.hot")"
        grep -qx "clone 4" "$SCRATCH/pipe.hot" || fail "not 4 clone calls: $(grep clone "$SCRATCH/pipe.hot")"
        sf compile --hot "$SCRATCH/pipe.hot" -o "$SCRATCH/pipe.bpf" "$SCRATCH/pipe.json"
        expect_rc 0
        done_test "(a) --hot: NAME COUNT lines, most frequent first (5 execve, 4 clone), read by compile --hot"
fi

# --- (b) a multi-threaded program -----------------------------------------------------------

awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) print int(rand() * 1000000) }' >"$SCRATCH/numbers"
psort="sort --parallel=4 -S 64M -n $SCRATCH/numbers"
if needs "(b) sort --parallel=4"; then
        record psort -- $psort
        expect_rc 0
        edit names "$SCRATCH/psort.json" | grep -qx clone3 || fail "sort started no thread"
        confined "$SCRATCH/psort.json" $psort
        expect_rc 0
        cmp -s "$OUT" "$SCRATCH/psort.out" || fail "the output differs"
        done_test "(b) $psort: recorded, its threads too, and under the profile it does the same work"
fi

if needs "(b) every syscall"; then
        every_syscall_needed psort $psort
        done_test "(b) without any one of the recorded syscalls (clone3 among them) it fails"
fi

cat >"$SCRATCH/threads.py" <<'EOF'
import os, threading
def work(i):
    # each thread makes calls no other part of the program makes
    fd = os.memfd_create("t%d" % i)
    os.ftruncate(fd, 4096)
    os.close(fd)
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("threads done")
EOF
if needs "(b) python3 threads"; then
        record pythr -- "$PY3" -S "$SCRATCH/threads.py"
        expect_rc 0
        expect_out "threads done"
        names=$(edit names "$SCRATCH/pythr.json" | tr '\n' ' ')
        for s in clone3 memfd_create ftruncate; do
                case " $names" in *" $s "*) ;; *) fail "$s not recorded (made only by the threads)" ;; esac
        done
        confined "$SCRATCH/pythr.json" "$PY3" -S "$SCRATCH/threads.py"
        expect_rc 0
        expect_out "threads done"
        edit drop "$SCRATCH/pythr.json" memfd_create "$SCRATCH/cut.json"
        confined "$SCRATCH/cut.json" "$PY3" -S "$SCRATCH/threads.py"
        [ "$rc" -ne 0 ] || fail "it still works without memfd_create"
        done_test "(b) python3 threads: the calls only the threads make are recorded; it runs confined, not without them"
fi

# --- (c) a tree that forks and execs ----------------------------------------------------------

tree='for i in 1 2 3; do /bin/echo $i; done; ls / | wc -l'
if needs "(c) fork/exec tree"; then
        record tree -- sh -c "$tree"
        expect_rc 0
        [ "$(head -3 "$OUT" | tr '\n' ' ')" = "1 2 3 " ] || fail "output: $(head -c 100 "$OUT")"
        confined "$SCRATCH/tree.json" sh -c "$tree"
        expect_rc 0
        cmp -s "$OUT" "$SCRATCH/tree.out" || fail "the output differs"
        done_test "(c) $tree: recorded, and under its profile it does the same work"
fi

if needs "(c) every syscall"; then
        every_syscall_needed tree sh -c "$tree"
        done_test "(c) without any one of the recorded syscalls it fails"
fi

# --- (d) an i386 call from a 64-bit program ---------------------------------------------------

cc -O2 -o "$SCRATCH/int80" "$SF_SOURCE/tests/data/programs/int80.c" 2>"$ERR" || fail "cc failed: $(head -3 "$ERR")"
if needs "(d) int \$0x80: getpid recorded under SCMP_ARCH_X86, and the program runs under its profile" int80; then
        sf record --backend ebpf -v --default-action kill -o "$SCRATCH/int80.json" -- "$SCRATCH/int80"
        expect_rc 0
        expect_out "same pid"
        cp "$OUT" "$SCRATCH/int80.out"
        [ "$(edit get "$SCRATCH/int80.json" '",".join(d["architectures"])')" = "SCMP_ARCH_X86_64,SCMP_ARCH_X86" ] ||
                fail "arches: $(edit get "$SCRATCH/int80.json" 'd["architectures"]')"
        expect_err "new: getpid (x86)"
        # the 64-bit getpid of printf's check is there too, and only one call is i386
        [ "$(grep -c '(x86)' "$ERR")" -eq 1 ] || fail "i386 calls: $(grep '(x86)' "$ERR" | tr '\n' ' ')"
        confined "$SCRATCH/int80.json" "$SCRATCH/int80"
        expect_rc 0
        expect_out "same pid"
        done_test "(d) int \$0x80: getpid recorded under SCMP_ARCH_X86, and the program runs under its profile"
fi

if needs "(d) without any one recorded syscall, or without SCMP_ARCH_X86, it fails" int80; then
        every_syscall_needed int80 "$SCRATCH/int80"
        edit droparch "$SCRATCH/int80.json" SCMP_ARCH_X86 "$SCRATCH/cut.json"
        confined "$SCRATCH/cut.json" "$SCRATCH/int80"
        [ "$rc" -ne 0 ] || fail "it still runs without SCMP_ARCH_X86"
        done_test "(d) without any one recorded syscall, or without SCMP_ARCH_X86, it fails"
fi

cat >"$SCRATCH/x32.c" <<'EOF'
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void)
{
        /* x32's getpid: x86_64's number with bit 30; ENOSYS where x32 is off */
        long r = syscall(0x40000000L | SYS_getpid);
        printf("%ld\n", r == -1 ? -1L : 0L);
        return 0;
}
EOF
cc -O2 -o "$SCRATCH/x32" "$SCRATCH/x32.c" 2>"$ERR" || fail "cc failed: $(head -3 "$ERR")"
if needs "(d) a number with bit 30 is recorded as x32" x32; then
        sf record --backend ebpf -v -o "$SCRATCH/x32.json" -- "$SCRATCH/x32"
        expect_rc 0
        expect_err "new: getpid (x32)"
        [ "$(edit get "$SCRATCH/x32.json" '",".join(d["architectures"])')" = "SCMP_ARCH_X86_64,SCMP_ARCH_X32" ] ||
                fail "arches: $(edit get "$SCRATCH/x32.json" 'd["architectures"]')"
        done_test "(d) a number with bit 30 is recorded as x32"
fi

# --- the same set as the ptrace recorder -------------------------------------------------------

# Both start recording at the command's execve; the ptrace recorder's child
# makes its own calls (prctl, seccomp) before it, the eBPF one's only a read:
# neither is recorded, so deterministic work gives the same profile.
if needs "ebpf and ptrace agree"; then
        diffs=
        works="pipe tree"
        feature int80 && works="$works int80"
        for w in $works; do
                case $w in
                pipe) set -- sh -c "$pipeline" ;;
                tree) set -- sh -c "$tree" ;;
                int80) set -- "$SCRATCH/int80" ;;
                esac
                for b in ptrace notify; do
                        # stdout to a file as in record(): glibc asks a device whether it is a tty (ioctl)
                        "$SYSFENCE" record -q --backend $b --default-action kill -o "$SCRATCH/$w-$b.json" -- "$@" \
                                >"$SCRATCH/$w-$b.out" 2>"$ERR" || fail "$b recording of $w failed: $(head -2 "$ERR")"
                        if ! cmp -s "$SCRATCH/$w.json" "$SCRATCH/$w-$b.json"; then
                                diffs="$diffs $w ($b): $(diff "$SCRATCH/$w.json" "$SCRATCH/$w-$b.json" | grep '^[<>]' | tr -d ' \n')"
                        fi
                done
        done
        [ -z "$diffs" ] || fail "the profiles differ:$diffs"
        done_test "the eBPF, notify and ptrace recorders write the same profile for the pipeline, the tree and the int \$0x80 program"
fi

# --- exit statuses -----------------------------------------------------------------------------------

if needs "exit statuses"; then
        sf record --backend ebpf -q -o "$SCRATCH/st.json" -- sh -c 'echo out; exit 7'
        expect_rc 7
        expect_out out
        [ "$(edit get "$SCRATCH/st.json" '"exit_group" in d["syscalls"][0]["names"]')" = True ] ||
                fail "the profile of a failing command lacks exit_group"
        sf record --backend ebpf -q -o "$SCRATCH/sig.json" -- sh -c 'kill -USR1 $$'
        expect_rc 138
        [ "$(edit get "$SCRATCH/sig.json" '"kill" in d["syscalls"][0]["names"]')" = True ] || fail "kill is not in the profile"
        sf record --backend ebpf -o "$SCRATCH/nf.json" -- /nonexistent/cmd
        expect_rc 127
        expect_err "command not found"
        [ ! -e "$SCRATCH/nf.json" ] || fail "a profile was written for a command that never ran"
        sf record --backend ebpf -o "$SCRATCH/nx.json" -- /etc/hostname
        expect_rc 126
        expect_err "cannot execute"
        expect_no_sanitizer
        done_test "exit status passed through (7, 128+SIGUSR1); 127 not found, 126 not executable, no profile"
fi

# --- arguments ------------------------------------------------------------------------------------------

if needs "--args"; then
        sf record --backend ebpf -q --args socket,personality -o "$SCRATCH/sock.json" -- "$PY3" -S -c 'import socket, threading
socket.socket(socket.AF_INET).close()
t = threading.Thread(target=lambda: socket.socket(socket.AF_UNIX).close()); t.start(); t.join()'
        expect_rc 0
        [ "$(edit get "$SCRATCH/sock.json" 'sorted(r["args"][0]["value"] for r in d["syscalls"] if r["names"] == ["socket"])' |
                tr -d ' ')" = "[1,2]" ] || fail "socket rules: $(edit get "$SCRATCH/sock.json" '[r for r in d["syscalls"] if "socket" in r["names"]]')"
        record pers --args personality -- setarch x86_64 -R true
        expect_rc 0
        confined "$SCRATCH/pers.json" setarch x86_64 -R true
        expect_rc 0
        confined "$SCRATCH/pers.json" setarch x86_64 -L true
        [ "$rc" -ne 0 ] || fail "another persona (ADDR_COMPAT_LAYOUT) is allowed too"
        done_test "--args: one rule per socket family seen (a thread's too); personality: only the personas seen"
fi

# --- --pidns: a process tree in a new pid namespace ------------------------------------------------------

# The namespace's first process waits for a file, then starts a shell that runs
# the pipeline and a child in the background, and ends: the recorder stops with
# it.  What the first process did before the recorder started is not recorded
# (its start-up): the rerun under the profile is of the work started after.
if needs "--pidns"; then
        ns_work="$pipeline >$SCRATCH/ns.out; (/bin/echo child >$SCRATCH/ns-child.out) & wait"
        unshare -fp --mount-proc sh -c "while [ ! -e $SCRATCH/go ]; do sleep 0.05; done; sh -c '$ns_work'; :" &
        ush=$!
        wait_secs 10 pgrep -P "$ush" >/dev/null
        inner=$(pgrep -P "$ush" | head -1)
        [ -n "$inner" ] || fail "no process in the new pid namespace"
        timeout -k 5 "$limit" "$SYSFENCE" record --backend ebpf --default-action kill --pidns "$inner" \
                -o "$SCRATCH/ns.json" >/dev/null 2>"$SCRATCH/ns.err" &
        rec=$!
        wait_for "$SCRATCH/ns.err" "recording the pid namespace of process $inner" || fail "the recorder did not start: $(cat "$SCRATCH/ns.err")"
        touch "$SCRATCH/go"
        wait "$ush"
        wait_secs 10 gone "$rec"
        running "$rec" && fail "the recorder did not stop when process $inner ended"
        stop "$rec" INT
        [ "$rc" -eq 0 ] || fail "the recorder exited $rc: $(cat "$SCRATCH/ns.err")"
        [ "$(cat "$SCRATCH/ns.out" 2>/dev/null)" = 3 ] || fail "the namespace's pipeline printed: $(cat "$SCRATCH/ns.out" 2>/dev/null)"
        names=$(edit names "$SCRATCH/ns.json" 2>/dev/null | tr '\n' ' ')
        for s in execve pipe2 wait4 clone; do
                case " $names" in *" $s "*) ;; *) fail "$s not recorded in the namespace: $names" ;; esac
        done
        # the same work, outside the namespace, under the profile
        rm -f "$SCRATCH/ns.out" "$SCRATCH/ns-child.out"
        confined "$SCRATCH/ns.json" sh -c "$ns_work"
        expect_rc 0
        [ "$rc" -eq 0 ] || fail "last seccomp record: $(dmesg 2>/dev/null | grep 'type=1326' | tail -1 | sed 's/.*\(comm=.*syscall=[0-9]*\).*/\1/')"
        [ "$(cat "$SCRATCH/ns.out")" = 3 ] || fail "under the profile the pipeline printed: $(cat "$SCRATCH/ns.out")"
        grep -q child "$SCRATCH/ns-child.out" || fail "the background child did not run"
        edit drop "$SCRATCH/ns.json" pipe2 "$SCRATCH/cut.json"
        confined "$SCRATCH/cut.json" sh -c "$ns_work"
        [ "$rc" -ne 0 ] || fail "it still works without pipe2"
        done_test "--pidns: a tree in a new pid namespace (unshare -fp) is recorded until its first process ends; the profile runs it"
fi

if needs "--pidns errors"; then
        sf record --backend ebpf --pidns 999999999 -o "$SCRATCH/x.json"
        expect_rc 1
        expect_err "no process 999999999"
        sf record --backend ebpf --pidns $$ -o "$SCRATCH/x.json"
        expect_rc 1
        expect_err "recorder's own pid namespace"
        done_test "--pidns of no process, or of the recorder's own namespace: exit 1, and why"
fi

# --- --pidns: a runc container ---------------------------------------------------------------------------------

# 'runc create' leaves the container's init waiting for 'runc start': recording
# its pid namespace from then on catches the runtime's own calls before the
# workload's execve and the workload, so the profile runs the container as it
# is (noNewPrivileges on: runc loads the filter after 'start'); --base runc adds
# what runc calls between an earlier filter load and the wait (noNewPrivileges
# off).
if ! command -v runc >/dev/null || [ ! -x /bin/busybox ]; then
        tap_n=$((tap_n + 1))
        echo "ok $tap_n # SKIP a container needs runc and busybox-static"
elif needs "--pidns runc"; then
        bundle=$SCRATCH/bundle
        mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/etc" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
        cp /bin/busybox "$bundle/rootfs/bin/"
        for t in sh ls wc cat; do ln -s busybox "$bundle/rootfs/bin/$t"; done
        echo in-the-container >"$bundle/rootfs/etc/hostname"
        (cd "$bundle" && runc spec) || fail "runc spec"
        mv "$bundle/config.json" "$SCRATCH/config.orig"
        # ctr_config PROFILE NNP: config.json with that seccomp profile ("-": none)
        ctr_config()
        {
                "$PY3" -S - "$SCRATCH/config.orig" "$1" "$2" "$bundle/config.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", "ls /bin | wc -l; cat /etc/hostname"]
c["process"]["noNewPrivileges"] = sys.argv[3] == "on"
c["root"]["readonly"] = True
if sys.argv[2] != "-":
    c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[4], "w"))
P
        }
        ctr=sf-ebpf-$$
        # record_ctr OUT ARGS...: create, record the namespace, start; sets $rc
        record_ctr()
        {
                _out=$1
                shift
                ctr_config - on
                (cd "$bundle" && timeout 30 runc create "$ctr") </dev/null >"$SCRATCH/ctr.out" 2>"$SCRATCH/ctr.err" ||
                        fail "runc create: $(head -c 200 "$SCRATCH/ctr.err")"
                _pid=$(runc state "$ctr" 2>/dev/null | "$PY3" -S -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
                # not the last recorder's words: the redirection below may come after wait_for's first look
                rm -f "$SCRATCH/ctr-rec.err"
                timeout -k 5 "$limit" "$SYSFENCE" record --backend ebpf --pidns "$_pid" --default-action kill --format oci \
                        -o "$_out" "$@" >/dev/null 2>"$SCRATCH/ctr-rec.err" &
                _rec=$!
                if ! wait_for "$SCRATCH/ctr-rec.err" "recording the pid namespace"; then
                        _r=$(pgrep -P "$_rec" | head -1)
                        fail "the recorder did not start (container pid $_pid): $(head -c 300 "$SCRATCH/ctr-rec.err")"
                        fail "recorder $_r: $(grep State /proc/"$_r"/status 2>/dev/null) $(tr '\n' ' ' </proc/"$_r"/stack 2>/dev/null | head -c 600)"
                fi
                runc start "$ctr" || fail "runc start"
                wait "$_rec"
                rc=$?
                runc delete -f "$ctr" >/dev/null 2>&1
                [ "$rc" -eq 0 ] || fail "the recorder exited $rc: $(head -3 "$SCRATCH/ctr-rec.err")"
                grep -qx in-the-container "$SCRATCH/ctr.out" || fail "the container printed: $(head -c 200 "$SCRATCH/ctr.out")"
        }
        # in_ctr PROFILE NNP: runc run; sets $rc
        in_ctr()
        {
                ctr_config "$1" "$2"
                (cd "$bundle" && timeout 30 runc run "$ctr") </dev/null >"$SCRATCH/ctr2.out" 2>"$SCRATCH/ctr2.err"
                rc=$?
                runc delete -f "$ctr" >/dev/null 2>&1
                [ "$rc" -ne 0 ] || grep -qx in-the-container "$SCRATCH/ctr2.out" || rc=99
        }
        record_ctr "$SCRATCH/ctr.json"
        record_ctr "$SCRATCH/ctr-base.json" --base runc
        in_ctr "$SCRATCH/ctr.json" on
        [ "$rc" -eq 0 ] || fail "the container does not run under its recorded profile: exit $rc: $(head -c 200 "$SCRATCH/ctr2.err")"
        in_ctr "$SCRATCH/ctr-base.json" off
        [ "$rc" -eq 0 ] || fail "noNewPrivileges off, with --base runc: exit $rc: $(head -c 200 "$SCRATCH/ctr2.err")"
        for s in getdents64 sendfile; do
                edit names "$SCRATCH/ctr.json" | grep -qx "$s" || { fail "$s (ls, cat) not recorded"; continue; }
                edit drop "$SCRATCH/ctr.json" "$s" "$SCRATCH/cut.json"
                in_ctr "$SCRATCH/cut.json" on
                [ "$rc" -ne 0 ] || fail "the container still runs without $s"
        done
        done_test "--pidns of a runc container between create and start: it runs under the recorded profile (with --base runc when noNewPrivileges is off), not without getdents64 or sendfile"
fi

# --- --pid: a running tree ------------------------------------------------------------------------------------

if needs "--pid"; then
        # a loop that forks and execs, and counts its rounds
        sh -c 'while :; do ls / >/dev/null; echo >>"$0"; sleep 0.05; done' "$SCRATCH/rounds" &
        victim=$!
        wait_until has_lines "$SCRATCH/rounds" '' 1 || fail "the loop did not start"
        "$SYSFENCE" record --backend ebpf --pid "$victim" -o "$SCRATCH/pid.json" >/dev/null 2>"$SCRATCH/pid.err" &
        rec=$!
        wait_for "$SCRATCH/pid.err" "recording process tree $victim" || fail "the recorder did not start"
        # three more rounds, recorded
        n=$(wc -l <"$SCRATCH/rounds")
        wait_until has_lines "$SCRATCH/rounds" '' $((n + 3)) || fail "the loop stopped while recorded: $(waits_on "$victim")"
        stop "$rec" INT
        [ "$rc" -eq 0 ] || fail "the recorder exited $rc: $(head -3 "$SCRATCH/pid.err")"
        names=$(edit names "$SCRATCH/pid.json" 2>/dev/null | tr '\n' ' ')
        for s in wait4 execve getdents64; do
                case " $names" in *" $s "*) ;; *) fail "$s not recorded from the running tree: $names" ;; esac
        done
        running "$victim" || fail "the process did not survive the recording"
        stop "$victim" TERM
        done_test "--pid: a running shell loop and the children it forks are recorded; ^C leaves it running"
fi

# --- signals ------------------------------------------------------------------------------------------------------

if needs "SIGINT"; then
        # each command says when its traps are set: a signal before would test nothing
        "$SYSFENCE" record --backend ebpf -q -o "$SCRATCH/int.json" -- sh -c 'trap "exit 3" INT; : >"$0"; while :; do sleep 0.1; done' \
                "$SCRATCH/int.ready" >/dev/null 2>&1 &
        rec=$!
        wait_until test -e "$SCRATCH/int.ready" || fail "the command did not start within 60 s"
        stop "$rec" INT
        [ "$rc" -eq 3 ] || fail "exit $rc, expected 3 (the command's, after it got SIGINT)"
        json_ok "$SCRATCH/int.json" || fail "no profile"
        done_test "SIGINT is passed to the command, recording goes on while it exits, its status is passed through"
fi

if needs "second SIGINT"; then
        "$SYSFENCE" record --backend ebpf -q -o "$SCRATCH/ign.json" -- sh -c 'trap "" INT TERM; : >"$0"; while :; do sleep 0.1; done' \
                "$SCRATCH/ign.ready" >/dev/null 2>&1 &
        rec=$!
        wait_until test -e "$SCRATCH/ign.ready" || fail "the command did not start within 60 s"
        kill -INT "$rec"
        sleep 0.5
        running "$rec" || fail "the recorder ended before the grace period"
        stop "$rec" INT
        [ "$rc" -eq 137 ] || fail "exit $rc, expected 137 (the tree killed by the second signal)"
        json_ok "$SCRATCH/ign.json" || fail "no profile"
        done_test "a command that ignores SIGINT: a second SIGINT kills the tree, the profile is written"
fi

if needs "background child"; then
        "$SYSFENCE" record --backend ebpf -q -o "$SCRATCH/bg.json" -- sh -c 'sleep 31.7 & echo started' >"$SCRATCH/bg.out" 2>&1 &
        rec=$!
        wait_until in_nanosleep '^sleep 31[.]7$' || fail "the background sleep did not start within 60 s"
        running "$rec" || fail "the recorder did not wait for the background child"
        stop "$rec" INT
        json_ok "$SCRATCH/bg.json" || fail "no profile"
        edit names "$SCRATCH/bg.json" | grep -qx clock_nanosleep || fail "the background sleep's calls are not recorded"
        grep -q started "$SCRATCH/bg.out" || fail "no output"
        wait_secs 10 no_process '^sleep 31[.]7$' || fail "the background child was left running"
        done_test "a child that outlives the command is recorded until SIGINT, then killed"
fi

# --- formats ----------------------------------------------------------------------------------------------------------

if needs "--format crd"; then
        sf record --backend ebpf -q --format crd -o "$SCRATCH/rec-crd.yaml" -- sh -c "$pipeline"
        expect_rc 0
        grep -q '^kind: SeccompProfile' "$SCRATCH/rec-crd.yaml" || fail "not a SeccompProfile"
        sf check "$SCRATCH/rec-crd.yaml"
        expect_rc 0
        sf record --backend ebpf -q --base runc --format oci -o "$SCRATCH/oci.json" -- true
        expect_rc 0
        sf check "$SCRATCH/oci.json"
        expect_rc 0
        edit names "$SCRATCH/oci.json" | grep -qx capset || fail "--base runc added no runc call (capset)"
        done_test "--format crd / oci and --base runc work as with ptrace"
fi

if needs "-v"; then
        sf record --backend ebpf -v -o "$SCRATCH/v.json" -- true
        expect_rc 0
        expect_err "new: execve"
        expect_err "new: exit_group"
        expect_err "syscalls seen:"
        expect_no_sanitizer
        [ "$(grep -c 'new:' "$ERR")" -eq "$(edit names "$SCRATCH/v.json" | wc -l)" ] ||
                fail "$(grep -c 'new:' "$ERR") new: lines for $(edit names "$SCRATCH/v.json" | wc -l) syscalls"
        # while the command runs, not only at the end
        "$SYSFENCE" record --backend ebpf -v -o "$SCRATCH/v2.json" -- sh -c "sleep 2; touch $SCRATCH/v2.done" \
                >/dev/null 2>"$SCRATCH/v2.err" &
        rec=$!
        wait_for "$SCRATCH/v2.err" "new: execve" || fail "no new: line within 60 s"
        [ ! -e "$SCRATCH/v2.done" ] || fail "the first new: line came only after the command ended"
        wait "$rec"
        done_test "-v names each syscall once, as it is first seen"
fi

if needs "SIGTERM ignored"; then
        "$SYSFENCE" record --backend ebpf -q -o "$SCRATCH/grace.json" -- sh -c 'trap "" TERM; : >"$0"; while :; do sleep 0.1; done' \
                "$SCRATCH/grace.ready" >/dev/null 2>&1 &
        rec=$!
        wait_until test -e "$SCRATCH/grace.ready" || fail "the command did not start within 60 s"
        stop "$rec" TERM
        [ "$rc" -eq 137 ] || fail "exit $rc, expected 137"
        # 5 s of grace; more only when the machine is loaded
        [ "$stop_secs" -ge 4 ] && [ "$stop_secs" -le 20 ] || fail "the tree was killed after $stop_secs s, not about 5"
        json_ok "$SCRATCH/grace.json" || fail "no profile"
        done_test "a command that ignores SIGTERM is killed after 5 seconds; the profile is written"
fi

finish
