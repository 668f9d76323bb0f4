#!/bin/sh
# sysfence record, end to end, on real programs from Debian packages: a
# coreutils pipeline, python3 serving HTTP to curl, nginx serving a file, a
# multi-threaded program, a shell that forks and execs, and a program that makes
# an i386 call (int $0x80).  Each is recorded once with --default-action kill,
# then does the same work again under 'sysfence run --profile' and succeeds;
# with any one recorded syscall removed it fails.  Also: exit statuses, SIGINT,
# argument rules, determinism, the SeccompProfile format, --hot, --pid.
#
# curl, nginx and cc are needed (Debian: curl, nginx-light, gcc); a missing one
# is a failure, not a skip.
set -u
. "$(dirname "$0")/lib.sh"

plan 50

PY3=/usr/bin/python3
[ -x "$PY3" ] || PY3=$PY
limit=60

# --- helpers -------------------------------------------------------------------------

# The hottest syscall of a recording other than execve (an exec is the one call
# the run command makes itself after loading the filter).
hottest() { awk '$1 != "execve" { print $1; exit }' "$SCRATCH/$1.hot"; }

# A free TCP port on 127.0.0.1.
free_port() { "$PY3" -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# fetch URL FILE: attempts for up to 10 s; 0 when FILE holds the body
fetch()
{
        _end=$(($(date +%s) + 10))
        while [ "$(date +%s)" -lt "$_end" ]; do
                curl -sf --max-time 2 -o "$2" "$1" && return 0
                sleep 0.1
        done
        return 1
}

for tool in curl nginx cc; do
        command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (Debian: curl, nginx-light, gcc)"
done
done_test "the programs the tests drive are installed"

# --- the command line ------------------------------------------------------------------

sf record --help
expect_rc 0
expect_out "--default-action"
expect_out "--pid PID"
done_test "--help"

sf record -o "$SCRATCH/x.json"
expect_rc 2
expect_err "no command given"
sf record --default-action allow -- true
expect_rc 2
expect_err "errno, kill or log"
sf record -o /dev/null --args opn -- true
expect_rc 2
expect_err 'unknown syscall "opn" (did you mean "open"?)'
sf record -o /dev/null --args openat -- true
expect_rc 2
expect_err "openat:INDEX"
sf record --pid 1 -- true
expect_rc 2
done_test "usage errors exit 2 and say what is wrong"

# Where the profile goes is settled before the workload runs: no -o is a usage
# error (stdout is the command's), a path that cannot be written an error, and
# the command never runs.
sf record -- touch "$SCRATCH/ran"
expect_rc 2
expect_err "give -o OUT for the profile (-o - for standard output"
sf record -o "$SCRATCH/no/such/dir/p.json" -- touch "$SCRATCH/ran"
expect_rc 1
expect_err "p.json: the directory $SCRATCH/no/such/dir does not exist"
mkdir "$SCRATCH/adir"
sf record -o "$SCRATCH/adir" -- touch "$SCRATCH/ran"
expect_rc 1
expect_err "is a directory"
sf record -o "$SCRATCH/ok.json" --hot "$SCRATCH/no/h.txt" -- touch "$SCRATCH/ran"
expect_rc 1
expect_err "--hot"
[ -e "$SCRATCH/ran" ] && fail "the command ran"
sf record -o /dev/zero -- touch "$SCRATCH/ran"
expect_rc 1
expect_err "not a regular file, a FIFO or /dev/null"
[ -e "$SCRATCH/ran" ] && fail "the command ran"
sf record -o - -- true
expect_rc 0
json_ok "$OUT" || fail "-o -: no profile on stdout"
done_test "-o is required and checked before the command runs (a bad path loses no recording); -o - is stdout"

sf record --json -o "$SCRATCH/rj.json" -- sh -c 'echo own output; exit 3'
expect_rc 3
[ "$(head -1 "$OUT")" = "own output" ] || fail "the command's output: $(head -1 "$OUT")"
tail -1 "$OUT" >"$SCRATCH/report.json"
[ "$(json_get "$SCRATCH/report.json" '(d["output"], d["exit_status"], d["calls"] > 0, d["syscalls"]["amd64"] > 5)')" = "('$SCRATCH/rj.json', 3, True, True)" ] ||
        fail "report: $(cat "$SCRATCH/report.json")"
[ "$(json_get "$SCRATCH/report.json" 'd["syscalls"]["amd64"]')" = "$(json_get "$SCRATCH/rj.json" 'len(d["syscalls"][0]["names"])')" ] ||
        fail "the report counts other syscalls than the profile allows"
sf record --json -o - -- true
expect_rc 2
done_test "record --json: the report as the last line of stdout (exit status, calls, syscalls per arch); -o - refused"

sf record -o "$SCRATCH/nf.json" -- /nonexistent/cmd
expect_rc 127
expect_err "command not found"
[ ! -e "$SCRATCH/nf.json" ] || fail "a profile was written for a command that never ran"
done_test "a command that is not there: exit 127, no profile"

sf record -q -o "$SCRATCH/st.json" -- sh -c 'echo out; exit 7'
expect_rc 7
expect_out out
[ "$(edit get "$SCRATCH/st.json" '"execve" in d["syscalls"][0]["names"]')" = True ] ||
        fail "the profile of a failing command lacks execve"
done_test "the exit status is the command's, and the profile is written anyway"

sf record -q -o "$SCRATCH/sig.json" -- sh -c 'kill -USR1 $$'
expect_rc 138
[ "$(edit get "$SCRATCH/sig.json" '"kill" in d["syscalls"][0]["names"]')" = True ] || fail "kill is not in the profile"
done_test "a command killed by a signal: exit 128+N, profile written"

sf record -q -o - -- sh -c 'exit 0'
expect_rc 0
json_ok "$OUT" || fail "stdout is not one JSON document"
[ "$(json_get "$OUT" 'd["defaultAction"] + " " + str(d["defaultErrnoRet"])')" = "SCMP_ACT_ERRNO 1" ] ||
        fail "default action: $(json_get "$OUT" 'd["defaultAction"]')"
sf record -q --default-action log -o - -- true
[ "$(json_get "$OUT" 'd["defaultAction"]')" = SCMP_ACT_LOG ] || fail "--default-action log"
done_test "default: SCMP_ACT_ERRNO with EPERM, to stdout; --default-action log"

sf record -q -o /dev/null -- true
expect_rc 0
[ -c /dev/null ] || fail "/dev/null is no longer a device"
done_test "-o /dev/null writes into the device, not over it"

sf record -v -o "$SCRATCH/v.json" -- true
expect_rc 0
expect_err "new: execve"
expect_err "new: exit_group"
expect_err "syscalls seen:"
done_test "-v shows each syscall as it first appears"

# --- (a) a coreutils pipeline ---------------------------------------------------------------

pipeline='seq 1000 | sort -r | head -3 | wc -l'
record pipe -- sh -c "$pipeline"
expect_rc 0
expect_out 3
json_ok "$SCRATCH/pipe.json" || fail "the profile is not JSON"
[ "$(edit get "$SCRATCH/pipe.json" 'd["defaultAction"] + " " + ",".join(d["architectures"])')" = \
        "SCMP_ACT_KILL_PROCESS SCMP_ARCH_X86_64" ] || fail "default action or arches: $(head -c 200 "$SCRATCH/pipe.json")"
done_test "(a) $pipeline: recorded"

confined "$SCRATCH/pipe.json" sh -c "$pipeline"
expect_rc 0
cmp -s "$OUT" "$SCRATCH/pipe.out" || fail "the output differs: $(cat "$OUT")"
done_test "(a) under the recorded profile (kill by default) it does the same work"

every_syscall_needed pipe sh -c "$pipeline"
done_test "(a) without any one of the recorded syscalls it fails"

sf record -q --default-action kill -o "$SCRATCH/pipe2.json" -- sh -c "$pipeline"
cmp -s "$SCRATCH/pipe.json" "$SCRATCH/pipe2.json" || fail "two recordings differ: $(diff "$SCRATCH/pipe.json" "$SCRATCH/pipe2.json" | head -5)"
done_test "(a) recorded twice: the same bytes"

awk 'NF != 2 || $2 !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$SCRATCH/pipe.hot" || fail "a line is not NAME COUNT"
sort -k2,2nr -k1,1 "$SCRATCH/pipe.hot" | cmp -s - "$SCRATCH/pipe.hot" || fail "--hot is not most frequent first"
[ "$(wc -l <"$SCRATCH/pipe.hot")" -eq "$(edit names "$SCRATCH/pipe.json" | sort -u | wc -l)" ] ||
        fail "--hot and the profile name different syscalls"
sf compile --hot "$SCRATCH/pipe.hot" -o "$SCRATCH/pipe.bpf" "$SCRATCH/pipe.json"
expect_rc 0
done_test "(a) --hot: NAME COUNT lines, most frequent first, read by compile --hot"

# --- (b) python3 serving HTTP to curl ------------------------------------------------------------

mkdir -p "$SCRATCH/www"
echo "served by python" >"$SCRATCH/www/file.txt"
port=$(free_port)
(cd "$SCRATCH/www" && exec "$SYSFENCE" record -q --default-action kill --args socket -o "$SCRATCH/http.json" \
        -- "$PY3" -m http.server --bind 127.0.0.1 "$port" >"$SCRATCH/http.log" 2>&1) &
rec=$!
fetch "http://127.0.0.1:$port/file.txt" "$SCRATCH/got1" || fail "curl got nothing from the recorded server"
stop "$rec" INT
[ "$rc" -eq 0 ] || fail "the recorder exited $rc after SIGINT (the server exits 0 on KeyboardInterrupt)"
grep -q "Keyboard interrupt" "$SCRATCH/http.log" || fail "the server did not see SIGINT: $(tail -2 "$SCRATCH/http.log")"
json_ok "$SCRATCH/http.json" || fail "no profile after SIGINT"
cmp -s "$SCRATCH/got1" "$SCRATCH/www/file.txt" || fail "curl got the wrong content"
done_test "(b) python3 -m http.server: curl fetches a file, SIGINT stops it, the profile is written"

[ "$(edit get "$SCRATCH/http.json" 'sorted(r["args"][0]["value"] for r in d["syscalls"] if r["names"] == ["socket"])' |
        tr -d ' ')" = "[1,2]" ] || fail "socket rules: $(grep -c socket "$SCRATCH/http.json")"
done_test "(b) --args socket: one rule per family seen (AF_UNIX, AF_INET)"

# serve_confined PROFILE: the server under PROFILE; sets $got (0: curl fetched the file)
serve_confined()
{
        port=$(free_port)
        (cd "$SCRATCH/www" && exec "$SYSFENCE" run -q --profile "$1" -- "$PY3" -m http.server --bind 127.0.0.1 "$port" \
                >"$SCRATCH/http2.log" 2>&1) &
        srv=$!
        rm -f "$SCRATCH/got2"
        fetch "http://127.0.0.1:$port/file.txt" "$SCRATCH/got2"
        got=$?
        [ "$got" -eq 0 ] && ! cmp -s "$SCRATCH/got2" "$SCRATCH/www/file.txt" && got=1
        stop "$srv" TERM
}

serve_confined "$SCRATCH/http.json"
[ "$got" -eq 0 ] || fail "curl failed against the confined server: $(tail -3 "$SCRATCH/http2.log")"
done_test "(b) the server under its recorded profile serves the same file"

edit drop "$SCRATCH/http.json" accept4 "$SCRATCH/http-cut.json"
serve_confined "$SCRATCH/http-cut.json"
[ "$got" -ne 0 ] || fail "the server still serves without accept4"
edit dropval "$SCRATCH/http.json" socket 2 "$SCRATCH/http-cut.json"
serve_confined "$SCRATCH/http-cut.json"
[ "$got" -ne 0 ] || fail "the server still serves without socket(AF_INET)"
done_test "(b) without accept4, or without the socket(AF_INET) rule, it fails"

# --- nginx serving a file (master and two workers) ---------------------------------------------------

ng=$SCRATCH/nginx
mkdir -p "$ng/www" "$ng/tmp"
# nginx started as root serves as nobody: it must be able to read the files
chmod 755 "$SCRATCH" "$ng" "$ng/www"
echo "served by nginx" >"$ng/www/index.txt"
nginx_conf()
{
        cat >"$ng/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $ng/nginx.pid;
error_log $ng/error.log;
events { worker_connections 64; }
http {
    access_log $ng/access.log;
    client_body_temp_path $ng/tmp/body;
    proxy_temp_path $ng/tmp/proxy;
    fastcgi_temp_path $ng/tmp/fastcgi;
    uwsgi_temp_path $ng/tmp/uwsgi;
    scgi_temp_path $ng/tmp/scgi;
    server { listen 127.0.0.1:$1; root $ng/www; }
}
EOF
}
port=$(free_port)
nginx_conf "$port"
"$SYSFENCE" record -q --default-action kill -o "$SCRATCH/nginx.json" --hot "$SCRATCH/nginx.hot" \
        -- nginx -p "$ng" -c "$ng/nginx.conf" >"$ng/out" 2>&1 &
rec=$!
fetch "http://127.0.0.1:$port/index.txt" "$SCRATCH/ng1" || fail "curl got nothing from nginx: $(tail -3 "$ng/error.log")"
stop "$rec" INT
[ "$rc" -eq 0 ] || fail "the recorder exited $rc after SIGINT"
json_ok "$SCRATCH/nginx.json" || fail "no profile"
done_test "(nginx) master and workers recorded while curl fetches a file; SIGINT stops them"

serve_nginx()
{
        port=$(free_port)
        nginx_conf "$port"
        "$SYSFENCE" run -q --profile "$1" -- nginx -p "$ng" -c "$ng/nginx.conf" >"$ng/out2" 2>&1 &
        srv=$!
        rm -f "$SCRATCH/ng2"
        fetch "http://127.0.0.1:$port/index.txt" "$SCRATCH/ng2"
        got=$?
        [ "$got" -eq 0 ] && ! cmp -s "$SCRATCH/ng2" "$ng/www/index.txt" && got=1
        stop "$srv" TERM
}
serve_nginx "$SCRATCH/nginx.json"
[ "$got" -eq 0 ] || fail "curl failed against the confined nginx: $(tail -3 "$ng/error.log")"
done_test "(nginx) under its recorded profile it serves the same file"

for s in accept4 writev epoll_wait; do
        edit drop "$SCRATCH/nginx.json" "$s" "$SCRATCH/nginx-cut.json"
        serve_nginx "$SCRATCH/nginx-cut.json"
        [ "$got" -ne 0 ] || fail "nginx still serves without $s"
done
done_test "(nginx) without accept4, writev or epoll_wait it fails"

# --- (c) a multi-threaded program --------------------------------------------------------------------------

cat >"$SCRATCH/threads.py" <<'EOF'
import hashlib, threading
out = []
lock = threading.Lock()
def work(i):
    h = hashlib.sha256(str(i).encode() * 200000).hexdigest()
    with lock:
        out.append((i, h[:12]))
ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sorted(out))
EOF
record threads -- "$PY3" "$SCRATCH/threads.py"
expect_rc 0
grep -q "(3, '" "$OUT" || fail "the program did not finish: $(head -c 200 "$OUT")"
edit names "$SCRATCH/threads.json" | grep -qx clone3 || fail "no clone3: the threads were not seen"
done_test "(c) python3 with four threads: recorded"

confined "$SCRATCH/threads.json" "$PY3" "$SCRATCH/threads.py"
expect_rc 0
cmp -s "$OUT" "$SCRATCH/threads.out" || fail "the output differs"
done_test "(c) under its recorded profile it does the same work"

edit drop "$SCRATCH/threads.json" clone3 "$SCRATCH/cut.json"
confined "$SCRATCH/cut.json" "$PY3" "$SCRATCH/threads.py"
[ "$rc" -ne 0 ] || fail "it still works without clone3"
h=$(hottest threads)
edit drop "$SCRATCH/threads.json" "$h" "$SCRATCH/cut.json"
confined "$SCRATCH/cut.json" "$PY3" "$SCRATCH/threads.py"
[ "$rc" -ne 0 ] || fail "it still works without $h, its most frequent syscall"
done_test "(c) without clone3, or without its most frequent syscall ($h), it fails"

awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) print int(rand() * 1000000) }' >"$SCRATCH/numbers"
record psort -- sort --parallel=4 -S 64M -n "$SCRATCH/numbers"
expect_rc 0
edit names "$SCRATCH/psort.json" | grep -qx clone3 || fail "sort started no thread"
confined "$SCRATCH/psort.json" sort --parallel=4 -S 64M -n "$SCRATCH/numbers"
expect_rc 0
cmp -s "$OUT" "$SCRATCH/psort.out" || fail "the output differs"
edit drop "$SCRATCH/psort.json" clone3 "$SCRATCH/cut.json"
confined "$SCRATCH/cut.json" sort --parallel=4 -S 64M -n "$SCRATCH/numbers"
[ "$rc" -ne 0 ] || fail "it still works without clone3"
done_test "(c) sort --parallel=4: recorded, works confined, fails without clone3"

# --- (d) a tree that forks and execs ----------------------------------------------------------------------------

tree='for i in 1 2 3; do /bin/echo $i; done; ls / | wc -l'
record tree -- sh -c "$tree"
expect_rc 0
[ "$(head -3 "$OUT" | tr '\n' ' ')" = "1 2 3 " ] || fail "output: $(head -c 100 "$OUT")"
done_test "(d) $tree: recorded"

confined "$SCRATCH/tree.json" sh -c "$tree"
expect_rc 0
cmp -s "$OUT" "$SCRATCH/tree.out" || fail "the output differs"
done_test "(d) under its recorded profile it does the same work"

every_syscall_needed tree sh -c "$tree"
done_test "(d) without any one of the recorded syscalls it fails"

# --- (e) an i386 call from a 64-bit program --------------------------------------------------------------------

# (the recorder's side of i386 calls is tested without executing one in tests/unit/test-record.c)
if skip_unless "(e) int \$0x80: the profile lists SCMP_ARCH_X86 beside SCMP_ARCH_X86_64" int80; then
        if cc -O2 -o "$SCRATCH/int80" "$SF_SOURCE/tests/data/programs/int80.c" 2>"$ERR"; then
                record int80 -- "$SCRATCH/int80"
                expect_rc 0
                expect_out "same pid"
                [ "$(edit get "$SCRATCH/int80.json" '",".join(d["architectures"])')" = "SCMP_ARCH_X86_64,SCMP_ARCH_X86" ] ||
                        fail "arches: $(edit get "$SCRATCH/int80.json" 'd["architectures"]')"
        else
                fail "cc failed: $(head -3 "$ERR")"
        fi
        done_test "(e) int \$0x80: the profile lists SCMP_ARCH_X86 beside SCMP_ARCH_X86_64"

        confined "$SCRATCH/int80.json" "$SCRATCH/int80"
        expect_rc 0
        expect_out "same pid"
        done_test "(e) under its recorded profile it runs"

        every_syscall_needed int80 "$SCRATCH/int80"
        edit droparch "$SCRATCH/int80.json" SCMP_ARCH_X86 "$SCRATCH/cut.json"
        confined "$SCRATCH/cut.json" "$SCRATCH/int80"
        [ "$rc" -ne 0 ] || fail "it still runs without SCMP_ARCH_X86"
        done_test "(e) without any one recorded syscall, or without SCMP_ARCH_X86, it fails"
else
        skip_unless "(e) under its recorded profile it runs" int80
        skip_unless "(e) without any one recorded syscall, or without SCMP_ARCH_X86, it fails" int80
fi

# --- argument rules ------------------------------------------------------------------------------------------------

record pers --args personality -- setarch x86_64 -R true
expect_rc 0
vals=$(edit get "$SCRATCH/pers.json" 'sorted(r["args"][0]["value"] for r in d["syscalls"] if r["names"] == ["personality"])' | tr -d ' ')
case $vals in
*262144*) ;; # ADDR_NO_RANDOMIZE
*) fail "personality values: $vals" ;;
esac
edit names "$SCRATCH/pers.json" | grep -qx personality || fail "no personality rule"
confined "$SCRATCH/pers.json" setarch x86_64 -R true
expect_rc 0
confined "$SCRATCH/pers.json" setarch x86_64 -L true
[ "$rc" -ne 0 ] || fail "another persona (ADDR_COMPAT_LAYOUT) is allowed too"
done_test "--args personality: only the personas seen are allowed"

sf record -q --args clone -o "$SCRATCH/clone.json" -- sh -c '/bin/true | /bin/true'
expect_rc 0
[ "$(edit get "$SCRATCH/clone.json" '[(a["value"], a["valueTwo"], a["op"]) for r in d["syscalls"] if r["names"] == ["clone"] for a in r["args"]]' | tr -d " '")" = \
        "[(2114060288,0,SCMP_CMP_MASKED_EQ)]" ] || fail "clone rule: $(grep -A8 '"clone"' "$SCRATCH/clone.json" | head -12)"
done_test "--args clone: a MASKED_EQ rule on the namespace flags (none set)"

sf record -q --args ioctl,prctl:0 -o "$SCRATCH/io.json" -- "$PY3" -S -c 'import os, fcntl, termios, sys
try:
    fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8)
except OSError:
    pass'
expect_rc 0
edit get "$SCRATCH/io.json" '[r["args"][0]["value"] for r in d["syscalls"] if r["names"] == ["ioctl"]]' | grep -q 21523 ||
        fail "no rule for ioctl TIOCGWINSZ (21523): $(edit get "$SCRATCH/io.json" '[r["args"] for r in d["syscalls"] if r["names"] == ["ioctl"]]')"
done_test "--args ioctl: the requests seen (TIOCGWINSZ), on argument 1"

# --- formats -----------------------------------------------------------------------------------------------------------

sf record -q --format crd -o "$SCRATCH/rec-crd.yaml" -- sh -c "$pipeline"
expect_rc 0
grep -q '^kind: SeccompProfile' "$SCRATCH/rec-crd.yaml" || fail "not a SeccompProfile: $(head -3 "$SCRATCH/rec-crd.yaml")"
grep -q '^  name: rec-crd' "$SCRATCH/rec-crd.yaml" || fail "metadata.name is not made from OUT"
sf check "$SCRATCH/rec-crd.yaml"
expect_rc 0
confined "$SCRATCH/rec-crd.yaml" sh -c "$pipeline"
expect_rc 0
done_test "--format crd: a SeccompProfile that check accepts and run applies"

sf record -q --format oci -o "$SCRATCH/oci.json" -- true
expect_rc 0
sf check "$SCRATCH/oci.json"
expect_rc 0
done_test "--format oci: accepted by check"

# --- --base: the runtime's own calls, proven in real containers ------------------------------------------

# A busybox container running /bin/true, its profile recorded outside any
# container: without the runtime's base set it cannot start, with it it does,
# whether the runtime loads the filter before (noNewPrivileges off, the
# Kubernetes default) or after dropping privileges.
if missing root runc crun busybox; then
        skip "a busybox container starts under its recorded profile only with the runtime's base set"
else
        bundle=$SCRATCH/bundle
        mkdir -p "$bundle/rootfs/bin"
        cp /bin/busybox "$bundle/rootfs/bin/"
        ln -s busybox "$bundle/rootfs/bin/true"
        (cd "$bundle" && runc spec) || fail "runc spec"
        cp "$bundle/config.json" "$SCRATCH/config.orig"
        # in_container RUNTIME PROFILE NNP: sets $rc
        in_container()
        {
                "$PY3" -S - "$SCRATCH/config.orig" "$2" "$3" "$bundle/config.json" <<'P'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["process"]["noNewPrivileges"] = sys.argv[3] == "on"
c["root"]["readonly"] = True
c["linux"]["seccomp"] = json.load(open(sys.argv[2]))
json.dump(c, open(sys.argv[4], "w"))
P
                if [ "$1" = crun ]; then
                        # crun refuses this machine's hybrid cgroups unless the v2 mount is hidden
                        unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; cd '$bundle' && timeout 60 crun run sf-rec-$$" \
                                >/dev/null 2>"$ERR"
                else
                        (cd "$bundle" && timeout 60 runc run "sf-rec-$$") >/dev/null 2>"$ERR"
                fi
                rc=$?
        }
        for rt in runc crun; do
                for base in none "$rt"; do
                        sf record -q --default-action kill --base "$base" --format oci -o "$SCRATCH/bb-$base.json" \
                                -- "$bundle/rootfs/bin/busybox" true
                        [ "$rc" -eq 0 ] || fail "record --base $base: exit $rc"
                        for nnp in on off; do
                                in_container "$rt" "$SCRATCH/bb-$base.json" "$nnp"
                                if [ "$base" = none ] && [ "$rc" -eq 0 ]; then
                                        fail "$rt started the container without the base set (noNewPrivileges $nnp)"
                                elif [ "$base" != none ] && [ "$rc" -ne 0 ]; then
                                        fail "$rt with --base $rt, noNewPrivileges $nnp: exit $rc: $(head -c 200 "$ERR")"
                                fi
                        done
                done
        done
        done_test "--base runc / crun: a container starts under the recorded profile only with its runtime's base set"
fi

# --- --pid --------------------------------------------------------------------------------------------------------------

# a loop that forks and execs, and counts its rounds
sh -c 'while :; do ls / >/dev/null; echo >>"$0"; sleep 0.05; done' "$SCRATCH/rounds" &
victim=$!
wait_until has_lines "$SCRATCH/rounds" '' 1 || fail "the loop did not start"
"$SYSFENCE" record --pid "$victim" -o "$SCRATCH/pid.json" >/dev/null 2>"$SCRATCH/pid.err" &
rec=$!
wait_until grep -q "recording process tree $victim" "$SCRATCH/pid.err" || fail "the recorder did not attach within 60 s"
# three more rounds, recorded
n=$(wc -l <"$SCRATCH/rounds")
wait_until has_lines "$SCRATCH/rounds" '' $((n + 3)) || fail "the loop stopped while recorded: $(waits_on "$victim")"
stop "$rec" INT
[ "$rc" -eq 0 ] || fail "the recorder exited $rc: $(head -3 "$SCRATCH/pid.err")"
names=$(edit names "$SCRATCH/pid.json" 2>/dev/null | tr '\n' ' ')
case " $names" in
*" clone "* | *" vfork "*) ;;
*) fail "no fork from the attached tree: $names" ;;
esac
for s in wait4 execve getdents64; do
        case " $names" in
        *" $s "*) ;;
        *) fail "$s not recorded from the attached tree (children are followed): $names" ;;
        esac
done
running "$victim" || fail "the process did not survive the detach"
[ "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$victim/status")" = 0 ] || fail "the process is still traced"
sleep 0.2
running "$victim" || fail "the process died after the detach"
stop "$victim" TERM
done_test "--pid: a running shell loop and the children it forks are recorded; ^C lets it go, untraced"

# A zombie child that its parent has not reaped yet cannot be seized; stopping
# the parent to attach means it is not reaped during the attach either (this
# once made the attach list the zombie again forever).
"$PY3" -c 'import os, time
if os.fork() == 0:
    os._exit(0)
time.sleep(30)' &
victim=$!
sleep 0.5
"$SYSFENCE" record --pid "$victim" -o "$SCRATCH/zombie.json" >/dev/null 2>"$SCRATCH/zombie.err" &
rec=$!
wait_until grep -q "recording process tree $victim" "$SCRATCH/zombie.err" || fail "the recorder did not attach within 60 s"
stop "$rec" INT
[ "$rc" -eq 0 ] || fail "the recorder exited $rc: $(head -3 "$SCRATCH/zombie.err")"
json_ok "$SCRATCH/zombie.json" || fail "no profile"
stop "$victim" TERM
done_test "--pid of a process with an unreaped zombie child: attached, ^C ends it, profile written"

sf record -q --pid 12ab -o "$SCRATCH/nopid.json"
expect_rc 2
sf record -q --pid 999999999 -o "$SCRATCH/nopid.json"
expect_rc 1
expect_err "no process"
done_test "--pid of no process: an error"

# By default the command runs on the recorder's CPU (several times cheaper) but
# sched_getaffinity still tells it of every CPU it would have had.
ncpu=$(nproc)
sf record -q -o "$SCRATCH/np.json" -- sh -c 'nproc; grep Cpus_allowed_list /proc/self/status'
[ "$(head -1 "$OUT")" = "$ncpu" ] || fail "by default the command is told of $(head -1 "$OUT") CPUs, not $ncpu"
grep -qE 'Cpus_allowed_list:[[:space:]]+[0-9]+$' "$OUT" || fail "by default the command is not on one CPU: $(tail -1 "$OUT")"
sf record -q --pin none -o "$SCRATCH/np.json" -- nproc
[ "$(cat "$OUT")" = "$ncpu" ] || fail "--pin none: the command sees $(cat "$OUT") CPUs, not $ncpu"
done_test "--pin: the command runs on one CPU, and is told of all $ncpu"

if [ "$ncpu" -gt 1 ]; then
        record sortn -- sort -S 64M -n "$SCRATCH/numbers"
        expect_rc 0
        edit names "$SCRATCH/sortn.json" | grep -qx clone3 || fail "sort, sizing its threads from the CPUs, started none"
        confined "$SCRATCH/sortn.json" sort -S 64M -n "$SCRATCH/numbers"
        expect_rc 0
        cmp -s "$OUT" "$SCRATCH/sortn.out" || fail "the output differs"
        done_test "sort without --parallel: its threads are recorded, and unpinned it runs under the profile"
else
        missing cpus2 && skip "sort without --parallel: its threads are recorded (sort starts none on one CPU)"
fi

# --- signals -----------------------------------------------------------------------------------------------------------

# each command says when its traps are set: a signal before would test nothing
"$SYSFENCE" record -q -o "$SCRATCH/ign.json" -- sh -c 'trap "" INT TERM; : >"$0"; while :; do sleep 0.1; done' \
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

"$SYSFENCE" record -q -o "$SCRATCH/grace.json" -- sh -c 'trap "" TERM; : >"$0"; while :; do sleep 0.1; done' \
        "$SCRATCH/grace.ready" >/dev/null 2>&1 &
rec=$!
wait_until test -e "$SCRATCH/grace.ready" || fail "the command did not start within 60 s"
stop "$rec" TERM
[ "$rc" -eq 137 ] || fail "exit $rc, expected 137"
# 5 s of grace; more only when the machine is loaded
[ "$stop_secs" -ge 4 ] && [ "$stop_secs" -le 20 ] || fail "the tree was killed after $stop_secs s, not about 5"
json_ok "$SCRATCH/grace.json" || fail "no profile"
done_test "a command that ignores SIGTERM is killed after 5 seconds; the profile is written"

"$SYSFENCE" record -q -o "$SCRATCH/bg.json" -- sh -c 'sleep 30.3 & echo started' >"$SCRATCH/bg.out" 2>&1 &
rec=$!
wait_until in_nanosleep '^sleep 30[.]3$' || fail "the background sleep did not start within 60 s"
running "$rec" || fail "the recorder did not wait for the background child"
stop "$rec" INT
json_ok "$SCRATCH/bg.json" || fail "no profile"
grep -q started "$SCRATCH/bg.out" || fail "no output"
done_test "a child that outlives the command is still traced until SIGINT"

# A syscall newer than libseccomp 2.5.4: mseal (Linux 6.10, 462 on x86_64),
# recorded by its name and made again under the profile, which sysfence
# compiles by number; without mseal in the profile the call is denied.
"$PY3" -S "$SF_SOURCE/tests/mseal.py" >"$SCRATCH/mseal.plain" 2>&1
sf record -o "$SCRATCH/mseal.json" -- "$PY3" -S "$SF_SOURCE/tests/mseal.py"
if [ "$(cat "$SCRATCH/mseal.plain")" != "mseal: 0" ]; then
        missing=mseal why="no mseal here: $(head -c 100 "$SCRATCH/mseal.plain")"
        skip "mseal (newer than libseccomp 2.5.4) recorded by name and run again under its profile"
elif grep -q 'syscall 462 on amd64, which the tables cannot name' "$ERR"; then
        missing=mseal-tables why="sysfence's syscall tables (libseccomp 2.5.4's) have no number for mseal yet (issue 14 item 6)"
        skip "mseal (newer than libseccomp 2.5.4) recorded by name and run again under its profile"
else
        expect_rc 0
        edit names "$SCRATCH/mseal.json" | grep -qx mseal || fail "mseal is not in the recorded profile"
        sf run --profile "$SCRATCH/mseal.json" -- "$PY3" -S "$SF_SOURCE/tests/mseal.py"
        expect_rc 0
        expect_out "mseal: 0"
        edit drop "$SCRATCH/mseal.json" mseal "$SCRATCH/mseal-not.json"
        sf run --profile "$SCRATCH/mseal-not.json" -- "$PY3" -S "$SF_SOURCE/tests/mseal.py"
        expect_rc 1
        expect_out "mseal: 1"
        done_test "mseal (newer than libseccomp 2.5.4) recorded by name and run again under its profile"
fi

# --- complain mode ------------------------------------------------------------
sf record -q --complain -o "$SCRATCH/complain.json" -- /bin/true
expect_rc 0
r=$(json_get "$SCRATCH/complain.json" '(d["defaultAction"], "execve" in d["syscalls"][0]["names"], d["syscalls"][0]["action"])')
[ "$r" = "('SCMP_ACT_LOG', True, 'SCMP_ACT_ALLOW')" ] || fail "complain profile: $r"
sf run --profile "$SCRATCH/complain.json" -- /bin/true
expect_rc 0
done_test "record --complain: the recorded allowlist with defaultAction SCMP_ACT_LOG, which runs the command again"

sf record --complain --default-action kill -o "$SCRATCH/both.json" -- /bin/true
expect_rc 2
expect_err "--complain and --default-action"
[ -e "$SCRATCH/both.json" ] && fail "a profile was written"
done_test "record --complain with --default-action is a usage error"

finish
