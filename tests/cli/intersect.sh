#!/bin/sh
# sysfence intersect, end to end: containerd's default ∩ a recorded profile
# decides, call by call, the stricter of the two (checked with `sysfence test`
# on both inputs and the result); --explain names the input that took each
# call away; -o is atomic and nothing is written on an error (an unreadable
# input, a bad one, an inexpressible result); and a program run under the
# result cannot make a call one input allows and the other denies.
set -u

. "$(dirname "$0")/lib.sh"

D=$SF_SOURCE/tests/data/intersect
NODE='--caps default --kernel 6.1'
cd "$D" || exit 1

plan 14

sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}

# action PROFILE SYSCALL ARG...: the action `sysfence test` prints (first word).
action()
{
        # shellcheck disable=SC2086
        "$SYSFENCE" test "$@" $NODE 2>/dev/null | sed -n '1s/^[^:]*: \([A-Z_]*\(([0-9]*)\)\{0,1\}\) after .*/\1/p'
}

# stricter A B: the more restrictive of two actions (the kernel's precedence).
rank()
{
        case $1 in
        KILL_PROCESS*) echo 0 ;; KILL*) echo 1 ;; TRAP*) echo 2 ;; ERRNO*) echo 3 ;;
        USER_NOTIF*) echo 4 ;; TRACE*) echo 5 ;; LOG*) echo 6 ;; ALLOW*) echo 7 ;; *) echo 9 ;;
        esac
}

CD=$SCRATCH/containerd.json
"$SYSFENCE" profile default --for containerd >"$CD" 2>/dev/null || fail "no built-in containerd default"

# --- the acceptance pair ---------------------------------------------------------------

R=$SCRATCH/cd+rec.json
# shellcheck disable=SC2086
sf intersect "$CD" recorded-args.json -o "$R" $NODE
expect_rc 0
[ -s "$R" ] || fail "no output written"
[ -s "$OUT" ] && fail "-o OUT also wrote to stdout"
"$SYSFENCE" check "$R" >/dev/null 2>&1 || fail "the result does not pass sysfence check: $("$SYSFENCE" check "$R" 2>&1 | head -n 3)"
done_test "containerd default ∩ recorded-args.json: written, and it checks clean"

# call by call: the result's action is the stricter of the inputs' (errno: the earlier input's)
bad=0
for call in "read" "write" "mount" "umount2" "ptrace" "clone3" "personality 0" "personality 4" "personality 8" \
        "personality 0xffffffff" "socket 1" "socket 2 1" "socket 2 9" "socket 10" "socket 40" "ioctl 0 0x5401" \
        "ioctl 0 0x5402" "ioctl 0 7" "kill 1 0" "kill 1 9" "clone 0x100" "clone 0x10000100" "clone 0" "unshare" \
        "reboot" "getpid" "execve"; do
        # shellcheck disable=SC2086
        a=$(action "$CD" $call) b=$(action recorded-args.json $call) got=$(action "$R" $call)
        if [ "$(rank "$a")" -le "$(rank "$b")" ]; then want=$a; else want=$b; fi
        # of two ERRNOs the earlier input's errno
        if [ -z "$got" ] || [ -z "$a" ] || [ -z "$b" ]; then
                fail "$call: no action read from sysfence test ($a, $b, $got)"
                bad=$((bad + 1))
        elif [ "$got" != "$want" ]; then
                fail "$call: containerd $a, recorded $b, result $got (want $want)"
                bad=$((bad + 1))
        fi
done
[ "$bad" -eq 0 ] || fail "$bad calls differ"
done_test "every call tested decides the stricter of containerd's and the recorded profile's action"

# shellcheck disable=SC2086
sf intersect "$CD" recorded.json -o "$SCRATCH/cd+plain.json" --explain $NODE
expect_rc 0
grep -q '^mount ' "$OUT" && fail "mount is explained though both inputs deny it alike"
expect_out "clone3 [amd64]: $CD: ERRNO(38); recorded.json: ERRNO(1) -> ERRNO(38)"
expect_out "accept [amd64]: $CD: ALLOW; recorded.json: ERRNO(1) -> ERRNO(1); taken away by recorded.json"
grep -q '^read ' "$OUT" && fail "read is explained though both inputs allow it"
# the counts at the end are those of the lines above
for who in "$CD" recorded.json; do
        n=$(grep -c "taken away by \(.*, \)\{0,1\}$who\(,\|$\)" "$OUT")
        grep -q "^$who took away $n syscall" "$OUT" || fail "$who: $n lines say it took a syscall away, the count says: $(grep "^$who took away" "$OUT")"
done
tail -n 1 "$OUT" | grep -q '^recorded.json took away [0-9][0-9]* syscalls$' || fail "the last line is not recorded.json's count: $(tail -n 1 "$OUT")"
done_test "--explain: one line per call the inputs decide differently, naming who took it away"

# shellcheck disable=SC2086
sf intersect "$CD" recorded-args.json -o "$SCRATCH/x.json" --explain $NODE
expect_out "mount [amd64, x86]: $CD: ERRNO(1); recorded-args.json: KILL_PROCESS -> KILL_PROCESS; taken away by recorded-args.json"
expect_out "personality [amd64, x86]: $CD: by arguments; recorded-args.json: by arguments -> by arguments (2 rules); taken away by $CD, recorded-args.json"
done_test "--explain: argument rules, and both inputs taking something away"

# --- determinism and the input order ---------------------------------------------------

# shellcheck disable=SC2086
sf intersect "$CD" recorded-args.json -o "$SCRATCH/again.json" $NODE
cmp -s "$R" "$SCRATCH/again.json" || fail "two runs differ"
# shellcheck disable=SC2086
sf intersect recorded-args.json "$CD" -o "$SCRATCH/swapped.json" $NODE
expect_rc 0
[ "$(action "$SCRATCH/swapped.json" clone3)" = "ERRNO(1)" ] ||
        fail "with recorded-args.json first, clone3 gives $(action "$SCRATCH/swapped.json" clone3), not the earlier input's ERRNO(1)"
[ "$(action "$R" clone3)" = "ERRNO(38)" ] || fail "with containerd first, clone3 gives $(action "$R" clone3), not ERRNO(38)"
done_test "deterministic output; of two ERRNO actions the earlier input's errno"

# --- errors: named, exit 1, nothing written --------------------------------------------

echo "keep" >"$SCRATCH/out.json"
sf intersect "$CD" "$SCRATCH/missing.json" -o "$SCRATCH/out.json"
expect_rc 1
expect_err "missing.json"
[ "$(cat "$SCRATCH/out.json")" = "keep" ] || fail "OUT was changed"
done_test "an unreadable input: exit 1, the file named, OUT untouched"

printf '{"defaultAction": "SCMP_ACT_ERRNO",\n "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALOW"}]}\n' >"$SCRATCH/bad.json"
sf intersect "$CD" "$SCRATCH/bad.json" -o "$SCRATCH/out.json"
expect_rc 1
expect_err_re 'bad\.json:2:[0-9]+: .*SCMP_ACT_ALOW' "the file, line and bad value"
[ "$(cat "$SCRATCH/out.json")" = "keep" ] || fail "OUT was changed"
done_test "a bad input: exit 1, the file, line and value named, OUT untouched"

cat >"$SCRATCH/wide.json" <<'J'
{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
 {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 1, "value": 8191, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
 {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}]}
J
cat >"$SCRATCH/log.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
 {"names": ["ioctl"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_GT"}]}]}
J
sf intersect "$SCRATCH/wide.json" "$SCRATCH/log.json" -o "$SCRATCH/out.json"
expect_rc 1
expect_err "ioctl: the intersection cannot be written exactly as a profile"
expect_err "MASKED_EQ masks use 13 distinct bits"
[ "$(cat "$SCRATCH/out.json")" = "keep" ] || fail "OUT was changed"
ls "$SCRATCH" | grep -q '^\.out\.json\|out\.json\.' && fail "a temporary file was left: $(ls -a "$SCRATCH")"
done_test "an inexpressible result: exit 1, the syscall and why named, nothing written"

sf intersect "$SCRATCH/wide.json" "$SCRATCH/log.json" -o "$SCRATCH/approx.json" --approximate
expect_rc 0
expect_err "approx.json: ioctl: warning: argument 1: MASKED_EQ masks use 13 distinct bits"
expect_err "approximated as ERRNO(1)"
[ "$(action "$SCRATCH/approx.json" ioctl 0 0)" = "ERRNO(1)" ] || fail "ioctl(0, 0) is $(action "$SCRATCH/approx.json" ioctl 0 0), not ERRNO(1)"
[ "$(action "$SCRATCH/approx.json" read)" = "ALLOW" ] || fail "read is not allowed"
done_test "--approximate: the syscall made the stricter action whatever its arguments, with a warning"

sf intersect "$CD" -o "$SCRATCH/one.json"
expect_rc 2
sf intersect "$CD" recorded.json
expect_rc 2
expect_err "-o OUT"
done_test "usage errors: one profile, no -o (exit 2)"

sf intersect "$CD" recorded.json -o "$SCRATCH/j.json" --json --explain
expect_rc 0
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["output"].endswith("j.json"), d; assert any(l.startswith("accept ") for l in d["explain"]), d["explain"][:3]; assert d["rules"] > 0' "$OUT" 2>"$SCRATCH/py.err" ||
        fail "--json report: $(tail -n 1 "$SCRATCH/py.err")"
done_test "--json: the report with the explain lines"

# --- a run under the result ----------------------------------------------------------------

cat >"$SCRATCH/no-mkdir.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
J
cat >"$SCRATCH/no-unlink.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["unlink", "unlinkat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
J
sf intersect "$SCRATCH/no-mkdir.json" "$SCRATCH/no-unlink.json" -o "$SCRATCH/both.json"
expect_rc 0
: >"$SCRATCH/f"
sf run --profile "$SCRATCH/no-mkdir.json" -- sh -c "rm '$SCRATCH/f'"
expect_rc 0
[ -e "$SCRATCH/f" ] && fail "no-mkdir.json alone does not allow unlink?"
: >"$SCRATCH/f"
sf run --profile "$SCRATCH/both.json" -- sh -c "touch '$SCRATCH/g' && rm '$SCRATCH/f'"
expect_rc 1
expect_err "Permission denied"
[ -e "$SCRATCH/f" ] || fail "the file was removed under the intersection"
[ -e "$SCRATCH/g" ] || fail "touch failed: the intersection denies more than the inputs"
done_test "run under the result: unlink, which no-mkdir.json allows and no-unlink.json denies (EACCES), is denied"

sf run --profile "$SCRATCH/both.json" -- sh -c "mkdir '$SCRATCH/d'"
expect_rc 1
expect_err "Operation not permitted"
[ -e "$SCRATCH/d" ] && fail "the directory was created"
done_test "run under the result: mkdir, which no-unlink.json allows and no-mkdir.json denies, is denied"

# a profile recorded here, intersected with containerd's default: the workload
# still runs under the result, and a call it never made is denied
sf record -o "$SCRATCH/rec.json" -- sh -c 'ls / >/dev/null; echo recorded'
expect_rc 0
# shellcheck disable=SC2086
sf intersect "$CD" "$SCRATCH/rec.json" -o "$SCRATCH/applied.json" $NODE
expect_rc 0
sf run --profile "$SCRATCH/applied.json" -- sh -c 'ls / >/dev/null; echo recorded'
expect_rc 0
expect_out "recorded"
sf run --profile "$SCRATCH/applied.json" -- sh -c "ls / >/dev/null; mkdir '$SCRATCH/never'"
[ "$rc" -ne 0 ] || fail "mkdir, never recorded, succeeded under the result"
[ -e "$SCRATCH/never" ] && fail "the directory was created"
done_test "containerd default ∩ a profile recorded here: the workload runs, an unrecorded call is denied"

finish
