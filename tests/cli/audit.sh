#!/bin/sh
# sysfence audit, end to end: decoding the kernel log, /dev/kmsg, journal and
# audit.log samples captured on a real kernel (tests/data/audit/), exact counts
# through rate-limit notes, cut lines and garbage; the --pid/--comm/--since
# filters; --raw and --json; --to-profile writes a profile that checks clean and
# allows exactly the names logged; bad sources and usage errors.  As root, the
# live tests read /dev/kmsg and follow the audit netlink group while a probe
# makes SECCOMP_RET_LOG records: every one must arrive.
set -u
. "$(dirname "$0")/lib.sh"

D=$SF_SOURCE/tests/data/audit
# --raw prints local time: make it the same everywhere
TZ=UTC
export TZ

plan 49

# total N: the table's last line says N records.
expect_total()
{
        _t=$(tail -n 1 "$OUT" | awk '$2 == "total" { print $1 }')
        [ "$_t" = "$1" ] || { fail "total is \"$_t\", expected $1"; show_output; }
}

# expect_group COUNT COMM ARCH SYSCALL ACTION: a line of the table.
expect_group()
{
        awk -v c="$1" -v m="$2" -v a="$3" -v s="$4" -v x="$5" \
                '$1 == c && $2 == m && $3 == a && $4 == s && $5 == x { f = 1 } END { exit !f }' "$OUT" ||
                { fail "no table line: $*"; show_output; }
}

# --- help --------------------------------------------------------------------------

sf audit --help
expect_rc 0
expect_out "usage: sysfence audit"
expect_out "examples:"
expect_out "--to-profile OUT"
done_test "--help shows the usage and examples"

# --- every source format, exact counts ------------------------------------------------

sf audit --source "$D/dmesg.txt"
expect_rc 0
expect_total 26
expect_group 13 gen amd64 getppid LOG
expect_group 2 gen x32 getpid LOG
expect_group 1 test-live x86 fremovexattr KILL_THREAD
expect_group 1 gen amd64 getpid KILL_PROCESS
expect_group 2 gen amd64 getppid ERRNO
expect_group 1 gen amd64 getppid TRAP
done_test "dmesg output: 26 records, grouped by comm, arch, syscall and action"

# records of this host's processes from an old log: no pod names them, the
# table keeps its five columns, and a pod filter keeps none of them
head -n 1 "$OUT" | grep -q 'POD' && fail "a POD column without any pod's record: $(head -n 1 "$OUT")"
sf audit --source "$D/dmesg.txt" --pod default/web --state-dir "$SCRATCH/no-such-state"
expect_rc 0
expect_err "no seccomp records found (26 did not match --pid/--comm/--since/--pod/--namespace/--container)"
sf audit --source "$D/dmesg.txt" --container app --json
expect_rc 0
expect_out '"records":0'
done_test "--pod, --container: records of no pod's container are left out; without a pod's record the table has no POD column"

sf audit --source "$D/dmesg.txt" --pod default/
expect_rc 2
expect_err 'invalid --pod "default/" (NAME or NAMESPACE/NAME)'
sf audit --source "$D/dmesg.txt" --namespace ""
expect_rc 2
expect_err "empty --namespace"
done_test "--pod NS/ and an empty --namespace are usage errors"
sf audit --source "$D/dmesg.txt"

expect_err "dropped 310 audit messages"
head -n 2 "$OUT" | tail -n 1 | grep -q '^ *13 ' || fail "the largest group is not first"
done_test "dmesg output: the \"callbacks suppressed\" notes are reported (310), other subsystems' are not"

sf audit --source "$D/dmesg.txt"
grep -q '"my prog"' "$OUT" || { fail "the hex-encoded comm is not shown decoded"; show_output; }
done_test "dmesg output: a hex-encoded comm (6D792070726F67) shows as \"my prog\""

sf audit --source "$D/kmsg.txt"
expect_rc 0
expect_total 24
expect_group 13 gen amd64 getppid LOG
done_test "/dev/kmsg format: 24 records"

sf audit --source "$D/journal.txt"
expect_rc 0
expect_total 24
expect_group 1 pwd amd64 getcwd KILL_PROCESS
grep -q '^ *1  "my prog" *amd64 *uname *LOG$' "$OUT" || fail "no line for \"my prog\""
done_test "journalctl -k -o short format: 24 records"

sf audit --source "$D/audit.log"
expect_rc 0
expect_total 27
expect_group 1 'runc:[2:INIT]' amd64 execve LOG
expect_group 1 uname amd64 uname KILL_PROCESS
if grep -q 'callbacks\|dropped' "$ERR"; then fail "audit.log reported losses"; show_output; fi
done_test "audit.log (auditd): 27 SECCOMP records; SYSCALL and other types are skipped"

sf audit --source "$D/hostile.txt"
expect_rc 0
expect_total 10
expect_group 4 gen amd64 getppid LOG
expect_no_sanitizer
done_test "hostile input: exactly the 10 whole records among cut lines, garbage and notes"

expect_err "dropped 19 audit messages"
expect_err "audit_lost=1843"
expect_err "skipped 1 line longer than"
done_test "hostile input: suppressed (19), audit_lost (1843) and the overlong line are reported"

sf_in "$D/dmesg.txt" audit --source -
expect_rc 0
expect_total 26
done_test "standard input (--source -)"

# --- --raw ---------------------------------------------------------------------------

sf audit --source "$D/dmesg.txt" --raw
expect_rc 0
n=$(grep -c . "$OUT")
[ "$n" = 26 ] || fail "$n lines, expected 26"
bad=$(awk 'NF != 6' "$OUT" | grep -v '"my prog"' | head -n 1)
[ -z "$bad" ] || fail "a line without 6 fields: $bad"
done_test "--raw: one line per record (26), six fields each"

head -n 1 "$OUT" | grep -qx '2026-11-24T00:16:55.144+0000 25540 test-live x86 fremovexattr KILL_THREAD' ||
        { fail "first line: $(head -n 1 "$OUT")"; }
grep -q ' 14429 gen x32 getpid LOG$' "$OUT" || fail "no x32 getpid line"
done_test "--raw: time pid comm arch syscall action, x32 named"

# --- filters ---------------------------------------------------------------------------

sf audit --source "$D/dmesg.txt" --pid 26063
expect_rc 0
expect_total 10
expect_group 10 gen amd64 getppid LOG
done_test "--pid: only that process (10 records)"

sf audit --source "$D/dmesg.txt" --comm "my prog"
expect_rc 0
expect_total 1
done_test "--comm with a space in the name"

sf audit --source "$D/audit.log" --comm 'runc:[2:INIT]'
expect_rc 0
expect_total 3
done_test "--comm runc:[2:INIT] (the runtime's init)"

sf audit --source "$D/audit.log" --since 1795479790
expect_rc 0
expect_total 14
done_test "--since SECONDS: records from then on (14)"

sf audit --source "$D/audit.log" --since 100000d
expect_rc 0
expect_total 27
done_test "--since with a relative time"

sf audit --source "$D/dmesg.txt" --pid 1
expect_rc 0
expect_err "no seccomp records found"
[ -s "$OUT" ] && fail "output without records: $(head -n 2 "$OUT")"
done_test "no record matches: exit 0, \"no seccomp records found\""

printf 'just\nsome\nlines\n' >"$SCRATCH/none.txt"
sf audit --source "$SCRATCH/none.txt"
expect_rc 0
expect_err "no seccomp records found"
done_test "a file without records: exit 0, \"no seccomp records found\""

# --- --json --------------------------------------------------------------------------

sf audit --source "$D/dmesg.txt" --json
expect_rc 0
json_ok "$OUT" || { fail "not JSON"; show_output; }
r=$(json_get "$OUT" 'd["records"], sum(g["count"] for g in d["groups"]), len(d["groups"]), d["suppressed"]')
[ "$r" = "(26, 26, 12, 310)" ] || fail "records, sum of counts, groups, suppressed: $r"
done_test "--json parses: 26 records in 12 groups, 310 suppressed"

r=$(json_get "$OUT" '[g["count"] for g in d["groups"]] == sorted([g["count"] for g in d["groups"]], reverse=True) and [g for g in d["groups"] if g["arch"] == "x32" and g["syscall"] == "getpid" and g["action"] == "SCMP_ACT_LOG"][0]["count"]')
[ "$r" = 2 ] || fail "groups not sorted, or no x32 getpid LOG group of 2: $r"
done_test "--json: groups sorted by count, x32 named"

sf audit --source "$D/audit.log" --json --raw
expect_rc 0
r=$("$PY" -S -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
print(len(recs), sum(1 for r in recs if r["comm"] == "runc:[2:INIT]"), recs[0]["action"], recs[0]["serial"], recs[0]["exe"])
' "$OUT" 2>&1)
[ "$r" = "27 3 SCMP_ACT_LOG 80350 /tmp/sfa/gen" ] || fail "JSON lines: $r"
done_test "--json --raw: one JSON object per record (27)"

sf audit --source "$D/hostile.txt" --json
json_ok "$OUT" || { fail "not JSON"; show_output; }
done_test "--json of hostile input is valid JSON"

# --- --to-profile ------------------------------------------------------------------------

P=$SCRATCH/profile.json
sf audit --source "$D/audit.log" --to-profile "$P"
expect_rc 0
[ -s "$P" ] || fail "no profile written"
expect_err "wrote $P: 7 syscalls"
done_test "--to-profile writes the profile and says so"

sf check "$P"
expect_rc 0
done_test "--to-profile: the profile passes sysfence check"

r=$(json_get "$P" '(d["defaultAction"], d["architectures"], len(d["syscalls"]), d["syscalls"][0]["action"], d["syscalls"][0]["names"])')
[ "$r" = "('SCMP_ACT_ERRNO', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], 1, 'SCMP_ACT_ALLOW', ['execve', 'fcntl', 'fstat', 'getcwd', 'getpid', 'getppid', 'uname'])" ] ||
        fail "profile: $r"
done_test "--to-profile: exactly the logged names, sorted, on the arches seen"

sf audit --source "$D/audit.log" --json
want=$(json_get "$OUT" 'sorted(set(g["syscall"] for g in d["groups"]))')
got=$(json_get "$P" 'd["syscalls"][0]["names"]')
if [ -z "$want" ] || [ "$want" != "$got" ]; then fail "names $got, logged $want"; fi
done_test "--to-profile: names equal the syscalls of the --json groups"

sf convert "$P"
cmp -s "$OUT" "$P" || fail "convert changes it: $(diff "$P" "$OUT" | head -n 4)"
done_test "--to-profile: written in canonical form (convert leaves it as it is)"

P2=$SCRATCH/runc.json
sf audit --source "$D/audit.log" --comm 'runc:[2:INIT]' --to-profile "$P2"
expect_rc 0
r=$(json_get "$P2" '(d["architectures"], d["syscalls"][0]["names"])')
[ "$r" = "(['SCMP_ARCH_X86_64'], ['execve', 'fcntl', 'fstat'])" ] || fail "profile: $r"
done_test "--to-profile with --comm: only that command's syscalls and arch"

sf audit --source "$D/hostile.txt" --to-profile "$SCRATCH/h.json"
expect_rc 0
sf check "$SCRATCH/h.json"
expect_rc 0
done_test "--to-profile of hostile input passes sysfence check"

# --- --to-profile --merge: what a complain-mode profile logged, added to it ------------------

printf '{"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["getpid", "execve"], "action": "SCMP_ACT_ALLOW"}]}\n' >"$SCRATCH/complain.json"
cp "$SCRATCH/complain.json" "$SCRATCH/inplace.json"
sf audit --source "$D/audit.log" --to-profile "$SCRATCH/inplace.json" --merge "$SCRATCH/inplace.json"
expect_rc 0
expect_err "wrote $SCRATCH/inplace.json: $SCRATCH/inplace.json and 4 syscalls it did not allow"
expect_err "7 records of another action than LOG: not added"
r=$(json_get "$SCRATCH/inplace.json" '(d["defaultAction"], d["architectures"], [(x["names"], x["action"]) for x in d["syscalls"]])')
[ "$r" = "('SCMP_ACT_LOG', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'], [(['execve', 'getpid'], 'SCMP_ACT_ALLOW'), (['fcntl', 'fstat', 'getppid', 'uname'], 'SCMP_ACT_ALLOW')])" ] ||
        fail "merged: $r"
done_test "--to-profile FILE --merge FILE: in place, FILE's rules and default kept, one ALLOW rule for the LOG'd syscalls it lacked (getcwd, only KILLed, is not added)"

sf audit --source "$D/audit.log" --to-profile "$SCRATCH/again.json" --merge "$SCRATCH/inplace.json"
expect_rc 0
expect_err "and 0 syscalls it did not allow"
sf convert "$SCRATCH/inplace.json"
cmp -s "$OUT" "$SCRATCH/again.json" || fail "merging the same records again changes it: $(diff "$OUT" "$SCRATCH/again.json" | head -n 4)"
done_test "--merge again with the same records adds nothing (the profile as convert writes it)"

printf '{"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALOW"}]}\n' >"$SCRATCH/badmerge.json"
sf audit --source "$D/audit.log" --to-profile "$SCRATCH/merged-bad.json" --merge "$SCRATCH/badmerge.json"
expect_rc 1
expect_err "badmerge.json"
expect_err "syscalls[0].action"
[ -e "$SCRATCH/merged-bad.json" ] && fail "a profile was written"
done_test "--merge with an invalid profile: the file and the spot named, exit 1, nothing written"

sf audit --source "$D/audit.log" --merge "$SCRATCH/complain.json"
expect_rc 2
expect_err "--merge FILE needs --to-profile OUT"
done_test "--merge without --to-profile is a usage error"

sf audit --source "$SCRATCH/none.txt" --to-profile "$SCRATCH/empty.json"
expect_rc 0
[ -e "$SCRATCH/empty.json" ] && fail "a profile was written from no records"
expect_err "not written"
done_test "--to-profile without records writes nothing"

sf audit --source "$D/audit.log" --to-profile -
expect_rc 0
r=$(json_get "$OUT" 'd["syscalls"][0]["names"]')
[ "$r" = "['execve', 'fcntl', 'fstat', 'getcwd', 'getpid', 'getppid', 'uname']" ] || { fail "stdout: $r"; show_output; }
done_test "--to-profile -: the profile alone on stdout"

# --- errors ------------------------------------------------------------------------------

sf audit --source "$SCRATCH/missing/audit.log"
expect_rc 1
expect_err "$SCRATCH/missing/audit.log"
done_test "a missing source file: exit 1, the path in the message"

sf audit --source "$SCRATCH"
expect_rc 1
expect_err "$SCRATCH: is a directory"
done_test "a directory as source: exit 1"

if [ -e /var/log/audit/audit.log ]; then
        sf audit --source auditd
        expect_rc 0
else
        sf audit --source auditd
        expect_rc 1
        expect_err "/var/log/audit/audit.log"
fi
done_test "--source auditd: reads /var/log/audit/audit.log, or exit 1 naming it"

limit=20
timeout -k 5 "$limit" env PATH="$SCRATCH/no-such-dir" "$SYSFENCE" audit --source journal >"$OUT" 2>"$ERR"
rc=$?
limit=120
expect_rc 1
expect_err "journalctl: not found"
done_test "--source journal without journalctl: exit 1, clear message"

ok_usage=1
for args in "--bogus" "--since 5x" "--since -1" "--pid abc" "--pid 0" "--source=" "--comm=" "extra" "--to-profile="; do
        # shellcheck disable=SC2086 # word splitting wanted
        sf audit $args
        if [ "$rc" -ne 2 ]; then
                fail "sysfence audit $args: exit $rc, expected 2"
                ok_usage=
        fi
done
grep -q "try 'sysfence audit --help'" "$ERR" || fail "no hint to --help"
[ -n "$ok_usage" ] || show_output
done_test "usage errors exit 2"

# --- live (root) -----------------------------------------------------------------------

# A probe that makes N SECCOMP_RET_LOG records (getppid on x86_64) under the
# comm given, with python's ctypes: prctl(NO_NEW_PRIVS), seccomp(SET_MODE_FILTER).
probe()
{
        "$PY" -S - "$1" "$2" <<'EOF'
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(15, sys.argv[1].encode(), 0, 0, 0)          # PR_SET_NAME
def ins(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)
prog = (ins(0x20, 0, 0, 4) + ins(0x15, 0, 3, 0xc000003e) +  # arch == x86_64
        ins(0x20, 0, 0, 0) + ins(0x15, 0, 1, 110) +          # nr == getppid
        ins(0x06, 0, 0, 0x7ffc0000) + ins(0x06, 0, 0, 0x7fff0000))
buf = ctypes.create_string_buffer(prog, len(prog))
class fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fp = fprog(6, ctypes.cast(buf, ctypes.c_void_p))
if libc.prctl(38, 1, 0, 0, 0) != 0:                    # PR_SET_NO_NEW_PRIVS
    sys.exit(3)
if libc.syscall(317, 1, 0, ctypes.byref(fp)) != 0:     # seccomp(SET_MODE_FILTER)
    sys.exit(4)
for _ in range(int(sys.argv[2])):
    libc.syscall(110)
EOF
}

# --follow starts at now: a followed file's records from before are not
# replayed unless --since asks for them.
cp "$D/audit.log" "$SCRATCH/grow.log"
old=$(grep -c 'type=SECCOMP' "$SCRATCH/grow.log")
"$SYSFENCE" audit --follow --raw --source "$SCRATCH/grow.log" >"$SCRATCH/grow.out" 2>"$SCRATCH/grow.err" &
gpid=$!
wait_secs 10 grep -q 'source' "$SCRATCH/grow.err"
sleep 0.5
grep 'type=SECCOMP' "$D/audit.log" | head -1 | sed 's/comm="gen"/comm="newer"/' >>"$SCRATCH/grow.log"
wait_secs 10 grep -q newer "$SCRATCH/grow.out"
kill -TERM "$gpid" 2>/dev/null
wait "$gpid"
[ "$(grep -c newer "$SCRATCH/grow.out")" = 1 ] || fail "the appended record: $(head -c 300 "$SCRATCH/grow.out")"
[ "$(wc -l <"$SCRATCH/grow.out")" = 1 ] || fail "$(wc -l <"$SCRATCH/grow.out") records printed, the $old old ones replayed"
timeout 2 "$SYSFENCE" audit --follow --raw --since 0 --source "$SCRATCH/grow.log" >"$SCRATCH/since.out" 2>/dev/null
[ "$(wc -l <"$SCRATCH/since.out")" -eq $((old + 1)) ] || fail "--since 0: $(wc -l <"$SCRATCH/since.out") records, expected $((old + 1))"
done_test "--follow FILE starts at now; --since replays the file's older records first"

live=yes
if missing root audit-read; then
        live=no
elif [ "$(uname -m)" != x86_64 ] || [ ! -r /dev/kmsg ]; then
        live=no missing=kmsg why="the probe is x86_64 only, or /dev/kmsg is not readable"
fi

if [ "$live" = no ]; then
        for d in "--follow --source kmsg starts at now: an older record of the kernel log is not replayed" \
                "--source kmsg reads the kernel log and says it is rate-limited" \
                "--follow as root: the source is the audit netlink group" \
                "--follow: all 200 records of a burst arrive" \
                "--follow --to-profile: written when stopped"; do
                skip "$d"
        done
else
        sf audit --source kmsg
        expect_rc 0
        expect_err "10 records per 5 s"
        expect_no_sanitizer
        done_test "--source kmsg reads the kernel log and says it is rate-limited"

        # an old record, in the kernel log before --follow starts: not shown
        old=sfo-$$
        probe "$old" 1 || fail "the probe failed ($?)"
        wait_secs 5 sh -c "dmesg 2>/dev/null | grep -q 'comm=\"$old\"'"
        "$SYSFENCE" audit --follow --source kmsg --comm "$old" --raw >"$SCRATCH/old.out" 2>"$SCRATCH/old.err" &
        opid=$!
        wait_secs 10 grep -q 'source:' "$SCRATCH/old.err"
        sleep 0.5
        kill -TERM "$opid" 2>/dev/null
        wait "$opid"
        grep -q "from now on" "$SCRATCH/old.err" || fail "stderr does not say from now on: $(head -c 300 "$SCRATCH/old.err")"
        [ -s "$SCRATCH/old.out" ] && fail "an old record was replayed: $(head -c 200 "$SCRATCH/old.out")"
        done_test "--follow --source kmsg starts at now: an older record of the kernel log is not replayed"

        comm=sfa-$$
        FO=$SCRATCH/follow.out
        FE=$SCRATCH/follow.err
        "$SYSFENCE" audit --follow --source kmsg --comm "$comm" --to-profile "$SCRATCH/follow.json" >"$FO" 2>"$FE" &
        fpid=$!
        wait_secs 10 grep -q 'source:' "$FE"
        grep -q 'audit netlink multicast group' "$FE" || fail "stderr does not name the netlink source: $(head -c 300 "$FE")"
        done_test "--follow as root: the source is the audit netlink group"

        probe "$comm" 200 || fail "the probe failed ($?)"
        wait_secs 5 has_lines "$FO" ' getppid LOG$' 200
        sleep 0.3
        kill -TERM "$fpid" 2>/dev/null
        wait "$fpid"
        frc=$?
        n=$(grep -c " $comm amd64 getppid LOG\$" "$FO")
        [ "$n" = 200 ] || fail "$n of 200 records (kernel log kept $(dmesg 2>/dev/null | grep -c "comm=\"$comm\""))"
        [ "$frc" = 0 ] || fail "exit status $frc after SIGTERM"
        done_test "--follow: all 200 records of a burst arrive"

        r=$(json_get "$SCRATCH/follow.json" 'd["syscalls"][0]["names"]')
        [ "$r" = "['getppid']" ] || fail "profile names: $r ($(tail -n 3 "$FE"))"
        done_test "--follow --to-profile: written when stopped"
fi

finish
