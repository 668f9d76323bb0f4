# Shared helpers for the CLI tests (POSIX sh, sourced).  They drive the real
# sysfence binary and print TAP: "1..N" first, then one "ok"/"not ok" line per
# test, with the reasons of a failure as "#" lines under it.
#
#   SYSFENCE   the binary under test  (default /work/main/build/sysfence)
#   SF_MOBY    moby's default profile (golang-github-docker-docker-dev)
#   SF_CONTAINERS_COMMON  containers-common's seccomp.json (podman)
#   SF_SOURCE  the repository root    (default /work/main)
#   SF_FAST    seconds a hostile input may take before it counts as a hang (5)
#   SF_PROBE   the feature probe, tests/probe.c (default next to the binary)
#   SF_TEST_REQUIRE  features whose absence fails a test instead of skipping it
#              (comma list, or "all"); SF_TEST_MISSING pretends they are absent

: "${SYSFENCE:=/work/main/build/sysfence}"
: "${SF_MOBY:=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json}"
: "${SF_CONTAINERS_COMMON:=/usr/share/containers/seccomp.json}"
: "${SF_SOURCE:=/work/main}"
: "${SF_FAST:=5}"
: "${SF_PROBE:=$(dirname "$SYSFENCE")/tests/sf-probe}"
# Tests cd into data directories so that messages name files as users see
# them: make the paths absolute first.
case $SYSFENCE in /*) ;; *) SYSFENCE=$(pwd)/$SYSFENCE ;; esac
case $SF_SOURCE in /*) ;; *) SF_SOURCE=$(pwd)/$SF_SOURCE ;; esac
case $SF_PROBE in /*) ;; *) SF_PROBE=$(pwd)/$SF_PROBE ;; esac
export SYSFENCE SF_SOURCE SF_PROBE SF_MOBY SF_CONTAINERS_COMMON

BAD=$SF_SOURCE/tests/data/bad
GOOD=$SF_SOURCE/tests/data/good
# The Kubernetes tutorial's profiles and pod manifests (examples/tutorial).
SEED=$SF_SOURCE/examples/tutorial/profiles
MANIFESTS=$SF_SOURCE/examples/tutorial/manifests
TAB=$(printf '\t')

# A missing binary or data file is a failure, not a skip: scripts/deps
# installs the packages the real profiles come with.
for _p in "$SYSFENCE" "$SF_MOBY" "$SF_CONTAINERS_COMMON" "$SEED/audit.json" "$MANIFESTS" "$BAD/EXPECT"; do
        if [ ! -e "$_p" ]; then
                echo "1..1"
                echo "not ok 1 - $_p exists (scripts/deps installs the Debian packages; or set SYSFENCE, SF_MOBY, SF_CONTAINERS_COMMON, SF_SOURCE)"
                exit 1
        fi
done

# Scratch space, removed however the script ends.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/sf-cli.XXXXXX") || exit 1
trap 'rm -rf "$SCRATCH"' EXIT
trap 'exit 130' INT TERM

# The real profiles, under the names the tests give them: moby's default
# (Debian's moby 20.10) and containers-common's (podman's and CRI-O's).
REAL=$SCRATCH/real
mkdir "$REAL" && cp "$SF_MOBY" "$REAL/moby-default.json" &&
        cp "$SF_CONTAINERS_COMMON" "$REAL/containers-common-seccomp.json" || exit 1

# --- TAP ---------------------------------------------------------------------

tap_n=0
tap_planned=0
tap_failed=0
t_why=

plan()
{
        tap_planned=$1
        echo "1..$1"
}

# fail MSG: the current test fails, MSG says why (several may be given).
fail()
{
        t_why="$t_why$*
"
}

# done_test DESC: print the result of the current test and start the next.
done_test()
{
        tap_n=$((tap_n + 1))
        # A "#" in a description would start a TAP directive.
        _desc=$(printf '%s' "$1" | sed 's/#/\\#/g')
        if [ -z "$t_why" ]; then
                echo "ok $tap_n - $_desc"
        else
                echo "not ok $tap_n - $_desc"
                printf '%s' "$t_why" | sed 's/^/#   /'
                tap_failed=$((tap_failed + 1))
        fi
        t_why=
}

# finish: the last line of a script; the exit status tells whether all passed.
finish()
{
        if [ "$tap_n" -ne "$tap_planned" ]; then
                echo "# planned $tap_planned tests but ran $tap_n"
                exit 1
        fi
        [ "$tap_failed" -eq 0 ]
}

# installed_form FILE OUT: what k8s install and the agent write for FILE on
# this node: FILE itself, or, where it has archMap or includes/excludes (which
# containerd ignores), its plain form resolved for this node's arch, kernel and
# the default capabilities (as sysfence convert writes it).
installed_form()
{
        # an arches list of names no node has counts for nothing (check warns of it)
        if "$PY" -S -c 'import json, sys
known = set("amd64 x86 x32 arm64 arm ppc64le ppc64 ppc s390x s390 riscv64 mips mipsel mips64 mipsel64 mips64n32 mipsel64n32 parisc parisc64".split())
d = json.load(open(sys.argv[1]))
def cond(c):
    return bool(c) and bool(c.get("caps") or c.get("minKernel") or [a for a in c.get("arches") or [] if a in known])
sys.exit(0 if d.get("archMap") or any(cond(r.get("includes")) or cond(r.get("excludes")) for r in d.get("syscalls") or []) else 1)' "$1" 2>/dev/null; then
                "$SYSFENCE" convert "$1" --caps default -o "$2" 2>/dev/null
        else
                cp "$1" "$2"
        fi
}

# --- machine features -----------------------------------------------------------
# Machines of one kind differ (on some VMs int $0x80 faults): a test that needs
# a feature asks for it, runs where it is there, and is a skip that says why
# where it is not, or a failure where SF_TEST_REQUIRE names it.

# _listed VAR NAME: the comma list in $VAR names NAME, or is "all".
_listed()
{
        eval "_l=\${$1:-}"
        case ",$_l," in *",all,"* | *",$2,"*) return 0 ;; esac
        return 1
}

# feature NAME: 0 if this machine has NAME; else 1 with the reason in $why.
# The probes of tests/unit/feature.h (int80 x32 seccomp root btf ebpf
# audit-read), commands (runc crun podman busybox cc unshare: installed by
# scripts/deps), and cpus2 (more than one CPU to run on).
feature()
{
        why=
        if _listed SF_TEST_MISSING "$1"; then
                why="$1 is missing (SF_TEST_MISSING says so)"
                return 1
        fi
        case $1 in
        runc | crun | podman | cc | unshare)
                command -v "$1" >/dev/null 2>&1 || why="$1 is not installed"
                ;;
        busybox)
                [ -x /bin/busybox ] || why="busybox-static is not installed"
                ;;
        cpus2)
                [ "$(nproc 2>/dev/null || echo 1)" -gt 1 ] || why="one CPU"
                ;;
        other-user)
                # a user other than root runs $SYSFENCE: this one, or nobody by setpriv ($as_user)
                as_user=
                if [ "$(id -u)" = 0 ]; then
                        as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
                        if ! command -v setpriv >/dev/null 2>&1; then
                                why="setpriv (util-linux) is not installed"
                        elif ! $as_user test -x "$SYSFENCE"; then
                                why="the user nobody cannot execute $SYSFENCE (a directory above it is not searchable)"
                        fi
                fi
                ;;
        *)
                "$SF_PROBE" "$1" >"$SCRATCH/probe.out" 2>&1 && return 0
                why=$(head -n 1 "$SCRATCH/probe.out")
                [ -n "$why" ] || why="the probe of $1 failed"
                ;;
        esac
        [ -z "$why" ]
}

# missing NAME...: 0 if this machine lacks one of the features NAME, named in
# $missing with the reason in $why; 1 if it has them all.
missing()
{
        for _f in "$@"; do
                feature "$_f" || { missing=$_f; return 0; }
        done
        return 1
}

# skip DESC: the test DESC is a skip for the reason $why (set by missing), or a
# failure where SF_TEST_REQUIRE names the feature $missing.
skip()
{
        if _listed SF_TEST_REQUIRE "$missing"; then
                fail "$missing is required (SF_TEST_REQUIRE) but missing: $why"
                done_test "$1"
        else
                tap_n=$((tap_n + 1))
                echo "ok $tap_n - $(printf '%s' "$1" | sed 's/#/\\#/g') # SKIP $why"
        fi
}

# skip_rest DESC: every test left of the plan is a skip (see skip), then finish.
skip_rest()
{
        while [ "$tap_n" -lt "$tap_planned" ]; do
                skip "$1"
        done
        finish
        exit
}

# skip_unless DESC NAME...: 0 if this machine has every feature NAME and the
# test DESC runs; else DESC is reported by skip and 1 is returned.
skip_unless()
{
        _d=$1
        shift
        missing "$@" || return 0
        skip "$_d"
        return 1
}

# --- running the binary --------------------------------------------------------

OUT=$SCRATCH/stdout
ERR=$SCRATCH/stderr

# sf ARGS...: run sysfence with a time limit of $limit seconds (default 120);
# sets $rc, stdout in $OUT, stderr in $ERR.  rc 124 means it timed out.
limit=120
sf()
{
        sf_in /dev/null "$@"
}

# sf_in FILE ARGS...: the same, with FILE on standard input.
sf_in()
{
        _in=$1
        shift
        last_limit=$limit
        shown=
        timeout -k 5 "$limit" "$SYSFENCE" "$@" <"$_in" >"$OUT" 2>"$ERR"
        rc=$?
}

# sf_fast ARGS...: sf with the short limit for hostile inputs ($SF_FAST).
sf_fast()
{
        limit=$SF_FAST
        sf "$@"
        limit=120
}

# Show a little of what the command printed, for a failure's diagnostics.
show_output()
{
        [ -n "$shown" ] && return
        shown=1
        if [ -s "$ERR" ]; then
                fail "stderr: $(head -c 600 "$ERR" | head -n 5)"
        fi
        if [ -s "$OUT" ]; then
                fail "stdout: $(head -c 600 "$OUT" | head -n 5)"
        fi
}

expect_rc()
{
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
                fail "timed out after ${last_limit}s (expected exit $1)"
        elif [ "$rc" -ne "$1" ]; then
                fail "exit status $rc, expected $1"
                show_output
        fi
}

# expect_err STRING / expect_out STRING: a fixed string the stream must contain.
expect_err()
{
        grep -qF -e "$1" "$ERR" || { fail "stderr lacks: $1"; show_output; }
}

expect_out()
{
        grep -qF -e "$1" "$OUT" || { fail "stdout lacks: $1"; show_output; }
}

# expect_err_re ERE DESC: stderr must match an extended regular expression.
expect_err_re()
{
        grep -qE -e "$1" "$ERR" || { fail "stderr does not say $2 (/$1/)"; show_output; }
}

# No AddressSanitizer, LeakSanitizer or UBSan report in either stream.
expect_no_sanitizer()
{
        if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$ERR" "$OUT"; then
                fail "sanitizer report: $(grep -h -m1 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$ERR" "$OUT")"
        fi
}

# python3 runs many times: call the interpreter itself, not a version
# manager's shim, and with -S (no site packages; json is in the standard library).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
# edit OP PROFILE ...: read or change a profile (tests/cli/profile-edit.py says how)
edit() { "$PY" -S "$SF_SOURCE/tests/cli/profile-edit.py" "$@"; }

# json_ok FILE: FILE holds one valid JSON document.
json_ok()
{
        "$PY" -S -c 'import json,sys; json.load(sys.stdin)' <"$1" 2>/dev/null
}

# json_get FILE EXPR: print a Python expression over the parsed document `d`
# (nothing if FILE is not JSON).
json_get()
{
        "$PY" -S -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# The profiles the round-trip tests use, one line each:
#   LABEL<TAB>FILE<TAB>NAME<TAB>SINGLE
# NAME is the --name that picks the profile ("-" when FILE holds one), SINGLE a
# file that holds that profile alone (FILE itself, or the document cut out of a
# multi-document YAML into $SCRATCH, since compile takes no --name).
profile_list()
{
        for f in "$REAL"/*.json "$SEED"/*.json "$SF_SOURCE"/examples/*.json "$SF_SOURCE"/examples/*.yaml; do
                [ -f "$f" ] || continue
                case $f in
                *.yaml)
                        ndocs=$(grep -c '^kind: *SeccompProfile' "$f")
                        if [ "$ndocs" -gt 1 ]; then
                                mkdir -p "$SCRATCH/docs"
                                # Document i goes to docs/BASE-i.yaml; its metadata.name is read back.
                                awk -v out="$SCRATCH/docs/$(basename "$f")" '
                                        /^---/ { if (seen) { n++; seen = 0 }; next }
                                        /^kind:/ { seen = 1 }
                                        { print > (out "-" (n + 0) ".yaml") }' "$f"
                                for d in "$SCRATCH/docs/$(basename "$f")"-*.yaml; do
                                        n=$(awk '/^metadata:/ { m = 1; next }
                                                 m && /^  name:/ { sub(/^  name: */, ""); gsub(/["\047]/, ""); print; exit }
                                                 /^[^ ]/ { m = 0 }' "$d")
                                        printf '%s\t%s\t%s\t%s\n' "$(basename "$f"):$n" "$f" "$n" "$d"
                                done
                                continue
                        fi
                        ;;
                esac
                printf '%s\t%s\t-\t%s\n' "$(basename "$f")" "$f" "$f"
        done
}

# The helpers below that wait read the clock and a process's state with shell
# built-ins: a wait is bounded by the time it takes, not by a count of sleeps
# (a sleep that fails at once, as a fork may on a loaded machine, would end it
# early), and a test says how long it really waited.

# now_cs: sets $_now to the centiseconds since boot
now_cs()
{
        read -r _up _rest </proc/uptime
        _now=${_up%.*}${_up#*.}
        while [ "${_now#0}" != "$_now" ]; do _now=${_now#0}; done # not octal
        _now=${_now:-0}
}

# running PID: 0 while PID is alive and not a zombie
running()
{
        { while read -r _k _v _rest; do
                if [ "$_k" = State: ]; then
                        [ "$_v" != Z ] && [ "$_v" != X ]
                        return
                fi
        done <"/proc/$1/status"; } 2>/dev/null
        return 1
}

# gone PID: 0 once PID has ended (a zombie has)
gone() { ! running "$1"; }

# waits_on PID: where PID, its threads and its children wait, for whoever reads a failure
waits_on()
{
        for _t in /proc/"$1"/task/*; do
                printf '[task %s: %s, wchan %s, pending %s, blocked %s; %s] ' "${_t##*/}" \
                        "$(sed -n 's/^State:[[:space:]]*//p' "$_t/status" 2>/dev/null)" "$(cat "$_t/wchan" 2>/dev/null)" \
                        "$(sed -n 's/^ShdPnd:[[:space:]]*//p' "$_t/status" 2>/dev/null)" \
                        "$(sed -n 's/^SigBlk:[[:space:]]*//p' "$_t/status" 2>/dev/null)" \
                        "$(head -4 "$_t/stack" 2>/dev/null | tr '\n' ' ')"
        done
        # its user-space stack too, where gdb is at hand
        command -v gdb >/dev/null 2>&1 &&
                printf '[backtrace: %s] ' "$(timeout 20 gdb -q -batch -p "$1" -ex 'thread apply all bt 12' 2>/dev/null |
                        grep '^#' | head -24 | tr '\n' ' ')"
        for _c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
                printf '[child %s (%s): %s, wchan %s, tracer %s] ' "$_c" "$(tr '\0' ' ' <"/proc/$_c/cmdline" 2>/dev/null)" \
                        "$(sed -n 's/^State:[[:space:]]*//p' "/proc/$_c/status" 2>/dev/null)" "$(cat "/proc/$_c/wchan" 2>/dev/null)" \
                        "$(sed -n 's/^TracerPid:[[:space:]]*//p' "/proc/$_c/status" 2>/dev/null)"
        done
}

# stop PID SIG: send SIG, wait up to 60 s for PID to end (then say where it
# waits, and KILL it); sets $rc, and $stop_secs to the seconds it took.
stop()
{
        now_cs
        _t0=$_now
        kill -"$2" "$1" 2>/dev/null
        wait_secs 60 gone "$1"
        if running "$1"; then
                now_cs
                fail "pid $1 did not end within $(((_now - _t0) / 100)) s of SIG$2: $(waits_on "$1")"
                kill -KILL "$1"
        fi
        wait "$1"
        rc=$?
        now_cs
        stop_secs=$(((_now - _t0) / 100))
}

# wait_secs N CMD...: up to N seconds for CMD to succeed; 1 if it never did
wait_secs()
{
        now_cs
        _wend=$((_now + $1 * 100))
        shift
        until "$@"; do
                now_cs
                [ "$_now" -ge "$_wend" ] && return 1
                # a failing sleep makes this loop spin: say so, once a wait
                sleep 0.1 || {
                        _ws=$?
                        [ "$_wend" = "${_wsaid:-}" ] || echo "# sleep 0.1 failed (exit $_ws) while waiting for: $*"
                        _wsaid=$_wend
                }
        done
}

# wait_until CMD...: up to 60 s for CMD to succeed (a started command to get
# where a test needs it, however loaded the machine)
wait_until() { wait_secs 60 "$@"; }

# in_nanosleep PATTERN: a process whose command line matches PATTERN (pgrep -f)
# sleeps in clock_nanosleep
in_nanosleep()
{
        for _p in $(pgrep -f "$1"); do
                grep -q nanosleep "/proc/$_p/wchan" 2>/dev/null && return 0
        done
        return 1
}

# no_process PATTERN: no process's command line matches PATTERN (pgrep -f)
no_process() { ! pgrep -f "$1" >/dev/null; }

# in_flock PID: PID sleeps waiting for a file lock (flock(2))
in_flock() { grep -qE '^locks_|flock' "/proc/$1/wchan" 2>/dev/null; }

# catches PID SIGNUM: PID has a handler for signal SIGNUM (its SigCgt bit), so a
# signal sent now tests the handler, not the default action
catches()
{
        _m=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
        [ -n "$_m" ] && [ $(((0x$_m >> ($2 - 1)) & 1)) -eq 1 ]
}

# hold_lock FILE: another process takes flock(1)'s lock on FILE and holds it
# until release_lock; returns once the lock is held (sets $holder)
hold_lock()
{
        rm -f "$SCRATCH/lock.held" "$SCRATCH/lock.release"
        flock "$1" sh -c ': >"$1"; until [ -e "$2" ]; do sleep 0.05; done' _ "$SCRATCH/lock.held" "$SCRATCH/lock.release" &
        holder=$!
        wait_until test -e "$SCRATCH/lock.held" || fail "flock did not take $1 within 60 s"
}

# release_lock [SECONDS]: the lock of hold_lock is let go, at once or that many
# seconds from now (in the background: wait "$holder" for it)
release_lock()
{
        if [ $# -gt 0 ]; then
                (sleep "$1"; : >"$SCRATCH/lock.release") &
        else
                : >"$SCRATCH/lock.release"
                wait "$holder"
        fi
}

# has_lines FILE PATTERN N: FILE has at least N lines that match PATTERN
has_lines() { [ "$(grep -c -e "$2" "$1" 2>/dev/null)" -ge "$3" ]; }

# wait_for FILE TEXT: up to 60 s for FILE to contain TEXT (remove FILE before
# starting what writes it: a redirection in a background job may come later)
wait_for() { wait_until grep -qF -e "$2" "$1" 2>/dev/null; }

# --- recording tests (record.sh, record-ebpf.sh) -------------------------------------------------

# record NAME ARGS... -- CMD...: sysfence record $RECORD_OPTS -q --default-action
# kill -o $SCRATCH/NAME.json --hot $SCRATCH/NAME.hot ARGS; CMD's output in
# $SCRATCH/NAME.out and $OUT
record()
{
        _name=$1
        shift
        # shellcheck disable=SC2086 # RECORD_OPTS is words
        timeout -k 5 "$limit" "$SYSFENCE" record ${RECORD_OPTS:-} -q --default-action kill -o "$SCRATCH/$_name.json" \
                --hot "$SCRATCH/$_name.hot" "$@" >"$SCRATCH/$_name.out" 2>"$ERR"
        rc=$?
        cp "$SCRATCH/$_name.out" "$OUT"
}

# confined PROFILE CMD...: sysfence run --profile PROFILE -q -- CMD; output in $OUT
confined()
{
        _p=$1
        shift
        timeout -k 5 "$limit" "$SYSFENCE" run -q --profile "$_p" -- "$@" >"$OUT" 2>"$ERR"
        rc=$?
}

# every_syscall_needed NAME CMD...: for each syscall the profile allows (but
# execve, the call 'run' itself makes after loading the filter), CMD under the
# profile without it must not do the same work.
every_syscall_needed()
{
        _name=$1
        shift
        _n=0
        _spared=
        for _s in $(edit names "$SCRATCH/$_name.json" | sort -u); do
                [ "$_s" = execve ] && continue
                edit drop "$SCRATCH/$_name.json" "$_s" "$SCRATCH/cut.json"
                timeout -k 5 "$limit" "$SYSFENCE" run -q --profile "$SCRATCH/cut.json" -- "$@" \
                        >"$SCRATCH/cut.out" 2>/dev/null
                _rc=$?
                _n=$((_n + 1))
                if [ "$_rc" -eq 0 ] && cmp -s "$SCRATCH/cut.out" "$SCRATCH/$_name.out"; then
                        _spared="$_spared $_s"
                fi
        done
        [ "$_n" -gt 10 ] || fail "only $_n syscalls recorded"
        [ -z "$_spared" ] || fail "the work succeeds without:$_spared"
}
