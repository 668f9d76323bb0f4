#!/bin/sh
# sysfence merge and diff, end to end: a merge allows what any input allows and
# keeps argument rules; different defaults are refused unless --default-action
# says which; the output checks clean and merging it with itself changes
# nothing; diff finds exactly the differences `sysfence test` shows.
# $NODE holds options and is split on purpose:
# shellcheck disable=SC2086
set -u
# Until the commands are in the default build, the binary built with them.

. "$(dirname "$0")/lib.sh"

D=$SF_SOURCE/tests/data/merge
MOBY=$REAL/moby-default.json
CC=$REAL/containers-common-seccomp.json
# A fixed node, so that results do not depend on this machine's kernel.
NODE='--caps default --kernel 6.1'
cd "$D" || exit 1

plan 30

# Every run is also checked for sanitizer reports (in the sanitized build).
sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}

# expect_action PROFILE ACTION SYSCALL [ARG...] [--arch A]: sysfence test agrees.
expect_action()
{
        _p=$1 _want=$2
        shift 2
        # shellcheck disable=SC2086
        "$SYSFENCE" test "$_p" "$@" $NODE --expect "$_want" >"$SCRATCH/t.out" 2>&1 ||
                fail "test $* on $(basename "$_p"): $(head -n 1 "$SCRATCH/t.out") (expected $_want)"
        if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/t.out"; then
                fail "sanitizer report: $(grep -m1 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/t.out")"
        fi
}

# --- merge ---------------------------------------------------------------------------

M=$SCRATCH/web+worker.json
sf merge web.json worker.json -o "$M"
expect_rc 0
[ -s "$M" ] || fail "no output written"
[ -s "$OUT" ] && fail "-o OUT also wrote to stdout"
done_test "merge of two allowlists with the same default"

for s in read write close exit_group accept4 brk openat fstat mmap; do
        expect_action "$M" ALLOW "$s" --arch amd64
done
expect_action "$M" 'ERRNO(1)' getpid --arch amd64
expect_action "$M" KILL_PROCESS ptrace --arch amd64
done_test "the merge allows the union on amd64 (and no more)"

# web.json alone filters x86, worker.json alone x32: the merge filters both.
expect_action "$M" ALLOW brk --arch x86
expect_action "$M" ALLOW accept4 --arch x86
expect_action "$M" ALLOW openat --arch x32
expect_action "$M" ALLOW mmap --arch x32
done_test "architectures united: each input's arches still allow what it allows"

expect_action "$M" ALLOW personality 0 --arch amd64
expect_action "$M" ALLOW personality 8 --arch amd64
expect_action "$M" 'ERRNO(1)' personality 1 --arch amd64
expect_action "$M" ALLOW clone 0x11 --arch amd64
expect_action "$M" 'ERRNO(1)' clone 0x10000000 --arch amd64
done_test "argument rules kept (personality 0 and 8 only, clone without namespace flags)"

n=$(grep -c '"personality"' "$M")
[ "$n" -eq 2 ] || fail "personality appears in $n rules, expected 2 (the value-0 rule once)"
n=$(grep -c '"read"' "$M")
[ "$n" -eq 1 ] || fail "read appears $n times, expected once"
json_get "$M" 'd["flags"]' | grep -q SECCOMP_FILTER_FLAG_LOG || fail "worker.json's flag was lost"
[ "$(json_get "$M" '[r.get("comment") for r in d["syscalls"]].count("the server")')" = 1 ] || fail "the first rule's comment was lost"
done_test "duplicates left out, flags and comments kept"

rm -f "$SCRATCH/refused.json"
sf merge web.json kill.json -o "$SCRATCH/refused.json"
expect_rc 1
expect_err 'different default actions'
expect_err 'web.json has SCMP_ACT_ERRNO(1)'
expect_err 'kill.json has SCMP_ACT_KILL_PROCESS'
expect_err '--default-action'
[ ! -e "$SCRATCH/refused.json" ] || fail "an output was written"
done_test "different default actions refused, naming each file's default, no output"

sf merge web.json kill.json --default-action SCMP_ACT_ERRNO -o "$SCRATCH/def.json"
expect_rc 0
[ "$(json_get "$SCRATCH/def.json" 'd["defaultAction"], d.get("defaultErrnoRet")')" = "('SCMP_ACT_ERRNO', 1)" ] ||
        fail "default is not SCMP_ACT_ERRNO(1): $(json_get "$SCRATCH/def.json" 'd["defaultAction"]')"
expect_action "$SCRATCH/def.json" ALLOW getpid --arch amd64
expect_action "$SCRATCH/def.json" ALLOW accept4 --arch amd64
expect_action "$SCRATCH/def.json" 'ERRNO(1)' mkdir --arch amd64
sf merge web.json kill.json --default-action 'SCMP_ACT_ERRNO(ENOSYS)'
expect_rc 0
[ "$(json_get "$OUT" 'd.get("defaultErrnoRet")')" = 38 ] || fail "SCMP_ACT_ERRNO(ENOSYS) did not give errno 38"
sf merge web.json kill.json --default-action SCMP_ACT_KILL_PROCESS
expect_rc 0
[ "$(json_get "$OUT" 'd["defaultAction"]')" = SCMP_ACT_KILL_PROCESS ] || fail "--default-action SCMP_ACT_KILL_PROCESS not taken"
done_test "--default-action settles the default (ERRNO, ERRNO(ENOSYS), KILL_PROCESS)"

sf merge web.json --default-action SCMP_ACT_NOPE
expect_rc 2
expect_err 'unknown action "SCMP_ACT_NOPE"'
sf merge
expect_rc 2
done_test "usage errors exit 2"

sf check "$M" "$SCRATCH/def.json"
expect_rc 0
grep -q 'error' "$OUT" "$ERR" && fail "check reports errors: $(grep -h -m1 error "$OUT" "$ERR")"
[ "$(grep -c ': ok' "$OUT")" -eq 2 ] || { fail "check does not say ok for both"; show_output; }
done_test "merge output passes sysfence check"

sf merge "$M" "$M" -o "$SCRATCH/again.json"
expect_rc 0
cmp -s "$M" "$SCRATCH/again.json" || fail "merging the merge with itself changed it"
sf convert "$M" -o "$SCRATCH/conv.json"
cmp -s "$M" "$SCRATCH/conv.json" || fail "the merge is not in canonical form (convert changes it)"
done_test "merge with itself: the same bytes as canonical convert"

# Real profiles: archMap and includes/excludes kept; the union still checks clean.
sf merge "$MOBY" "$CC" --default-action 'SCMP_ACT_ERRNO(1)' -o "$SCRATCH/real.json"
expect_rc 0
# moby's clone3 ENOSYS rule comes first and beats containers-common's allow
expect_err '"clone3" is SCMP_ACT_ALLOW here but SCMP_ACT_ERRNO(38) in'
# containers-common denies vmsplice and io_pgetevents (errno 1) that moby allows
expect_err 'moby-default.json are denied in'
expect_err 'io_pgetevents'
sf check "$SCRATCH/real.json" --quiet
expect_rc 0
sf merge "$SCRATCH/real.json" "$SCRATCH/real.json" -o "$SCRATCH/real2.json"
cmp -s "$SCRATCH/real.json" "$SCRATCH/real2.json" || fail "merging the real merge with itself changed it"
[ -n "$(json_get "$SCRATCH/real.json" 'd["archMap"]')" ] || fail "archMap lost"
for s in mount unshare keyctl io_uring_setup; do
        expect_action "$SCRATCH/real.json" ALLOW "$s" --arch amd64
done
for s in vmsplice io_pgetevents; do
        expect_action "$SCRATCH/real.json" 'ERRNO(1)' "$s" --arch amd64
done
expect_action "$SCRATCH/real.json" 'ERRNO(38)' clone3 --arch amd64
done_test "moby-default + containers-common: union allowed but for containers-common's denials, checks clean, idempotent"

sf merge "$MOBY" "$CC" --default-action 'SCMP_ACT_ERRNO(1)' --prefer recorded -o "$SCRATCH/real-first.json"
expect_rc 0
for s in vmsplice io_pgetevents; do
        expect_action "$SCRATCH/real-first.json" ALLOW "$s" --arch amd64
done
grep -q 'are denied in' "$ERR" && fail "--prefer recorded still holds denials back: $(grep -m1 'are denied in' "$ERR")"
done_test "--prefer recorded: the first input's unconditional rule wins, as before"

sf merge tracer.json web.json -o "$SCRATCH/conflict.json"
expect_rc 0
expect_err 'tracer.json: warning: 1 syscall allowed in tracer.json is denied in web.json and stays denied: ptrace'
expect_action "$SCRATCH/conflict.json" KILL_PROCESS ptrace --arch amd64
sf check "$SCRATCH/conflict.json" --quiet
expect_rc 0
sf merge tracer.json web.json --prefer recorded -o "$SCRATCH/conflict.json"
expect_rc 0
expect_err 'web.json:17:17: syscalls[2].names[0]: warning: "ptrace" is SCMP_ACT_KILL_PROCESS here but SCMP_ACT_ALLOW in tracer.json'
expect_action "$SCRATCH/conflict.json" ALLOW ptrace --arch amd64
sf check "$SCRATCH/conflict.json" --quiet
expect_rc 0
sf merge tracer.json web.json --prefer tracer
expect_rc 2
done_test "conflict (allow vs kill, both unconditional): the kill stays, a warning names it; --prefer recorded: the first wins"

# A recording merged with its baseline: the baseline's denials stay, those for
# some arguments too (the recording's allowance is written around them).
sf merge recorded.json baseline.json --default-action 'SCMP_ACT_ERRNO(38)' -o "$SCRATCH/rb.json"
expect_rc 0
expect_err 'recorded.json: warning: 3 syscalls allowed in recorded.json are denied in baseline.json and stay denied: clone (for the arguments it denies), sethostname, socket (for the arguments it denies)'
expect_action "$SCRATCH/rb.json" 'ERRNO(1)' sethostname --arch amd64
expect_action "$SCRATCH/rb.json" 'ERRNO(22)' socket 16 3 9 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW socket 16 3 0 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW socket 2 1 9 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW socket 1 1 0 --arch amd64
expect_action "$SCRATCH/rb.json" 'ERRNO(1)' clone 0x30000011 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW clone 0x10000011 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW clone 0x20000000 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW clone 0x11 --arch amd64
expect_action "$SCRATCH/rb.json" ALLOW getpid --arch amd64
expect_action "$SCRATCH/rb.json" 'ERRNO(38)' io_uring_setup --arch amd64
sf check "$SCRATCH/rb.json" --quiet
expect_rc 0
sf merge recorded.json baseline.json --default-action 'SCMP_ACT_ERRNO(38)' --prefer recorded -o "$SCRATCH/rb2.json"
expect_rc 0
expect_action "$SCRATCH/rb2.json" ALLOW sethostname --arch amd64
expect_action "$SCRATCH/rb2.json" ALLOW socket 16 3 9 --arch amd64
expect_action "$SCRATCH/rb2.json" ALLOW clone 0x30000011 --arch amd64
done_test "a baseline's denials stay, for some arguments too; --prefer recorded lets the recording widen it"

sf merge recorded.json baseline-or.json -o "$SCRATCH/ro.json"
expect_rc 0
expect_err 'stays denied: socket (only as the baseline allows it)'
expect_action "$SCRATCH/ro.json" 'ERRNO(97)' socket 16 --arch amd64
expect_action "$SCRATCH/ro.json" 'ERRNO(97)' socket 17 --arch amd64
expect_action "$SCRATCH/ro.json" ALLOW socket 2 --arch amd64
expect_action "$SCRATCH/ro.json" 'ERRNO(1)' socket 1 --arch amd64
expect_action "$SCRATCH/ro.json" ALLOW sethostname --arch amd64
done_test "denials the recording's allowance cannot be written around: the syscall keeps the baseline's rules alone, with a warning"

sf merge web.json "$MOBY" -o "$SCRATCH/mixed.json"
expect_rc 1
expect_err 'web.json lists "architectures" but'
expect_err 'has an "archMap"'
[ ! -e "$SCRATCH/mixed.json" ] || fail "an output was written"
sf merge web.json "$MOBY" --arch amd64 $NODE -o "$SCRATCH/mixed.json"
expect_rc 0
expect_action "$SCRATCH/mixed.json" ALLOW accept4 --arch x86
done_test "architectures next to archMap refused; --arch resolves the inputs first"

sf merge two.yaml web.json -o "$SCRATCH/two.json"
expect_rc 0
expect_action "$SCRATCH/two.json" ALLOW getpid --arch amd64
expect_action "$SCRATCH/two.json" ALLOW getppid --arch amd64
expect_action "$SCRATCH/two.json" ALLOW personality 8 --arch amd64
expect_action "$SCRATCH/two.json" ALLOW personality 0 --arch amd64
expect_action "$SCRATCH/two.json" ALLOW accept4 --arch amd64
done_test "a file with several SeccompProfiles contributes each"

# --- diff ----------------------------------------------------------------------------

sf diff web.json web.json
expect_rc 0
expect_out 'amd64: no difference'
done_test "diff of a profile with itself: exit 0"

sf diff "$MOBY" "$CC" $NODE
expect_rc 1
expect_out 'the default actions differ: ERRNO(1) in A, ERRNO(38) in B'
for arch in amd64 x86 x32; do
        grep -q "^$arch:" "$OUT" || fail "no section for $arch"
done
done_test "diff moby-default containers-common: exit 1, default actions differ, every arch"

# The categories, checked against what `sysfence test` says of each profile.
sf diff "$MOBY" "$CC" $NODE --json
expect_rc 1
cp "$OUT" "$SCRATCH/diff.json"
json_ok "$SCRATCH/diff.json" || fail "--json output does not parse"
[ "$(json_get "$SCRATCH/diff.json" 'd["identical"]')" = False ] || fail "identical is not false"
[ "$(json_get "$SCRATCH/diff.json" '(d["default"]["a"], d["default"]["b"])')" = "({'action': 'SCMP_ACT_ERRNO', 'errno': 1}, {'action': 'SCMP_ACT_ERRNO', 'errno': 38})" ] ||
        fail "default: $(json_get "$SCRATCH/diff.json" 'd["default"]')"
done_test "diff --json parses"

# in_list CATEGORY SYSCALL: the amd64 entry of the JSON diff lists SYSCALL there.
in_list()
{
        json_get "$SCRATCH/diff.json" "[str(e['a']) + ' / ' + str(e['b']) for a in d['arches'] if a['arch'] == 'amd64' for e in a['$1'] if e['syscall'] == '$2']"
}
for s in mount vmsplice add_key clone; do
        "$SYSFENCE" test "$MOBY" $s --arch amd64 $NODE --json >"$SCRATCH/a.json" 2>/dev/null
        "$SYSFENCE" test "$CC" $s --arch amd64 $NODE --json >"$SCRATCH/b.json" 2>/dev/null
        # one spelling in all JSON: SCMP_ACT_* with the errno apart
        ta=$(json_get "$SCRATCH/a.json" 'd["action"][9:] + ("(%d)" % d["errno"] if "errno" in d else "") + ("?" if d["conditional"] else "")')
        tb=$(json_get "$SCRATCH/b.json" 'd["action"][9:] + ("(%d)" % d["errno"] if "errno" in d else "") + ("?" if d["conditional"] else "")')
        case $s in
        mount) want=allowed_only_by_b; [ "$ta $tb" = "ERRNO(1) ALLOW" ] || fail "test says mount: $ta / $tb" ;;
        vmsplice) want=allowed_only_by_a; [ "$ta $tb" = "ALLOW ERRNO(1)" ] || fail "test says vmsplice: $ta / $tb" ;;
        add_key) want=different_actions; [ "$ta $tb" = "ERRNO(1) ERRNO(38)" ] || fail "test says add_key: $ta / $tb" ;;
        clone) want=different_conditions; [ "$ta $tb" = "ALLOW? ALLOW" ] || fail "test says clone: $ta / $tb" ;;
        esac
        got=$(in_list "$want" "$s")
        if [ -z "$got" ] || [ "$got" = "[]" ]; then
                fail "$s is not under $want on amd64"
        fi
done
grep -q '"syscall":"read"' "$SCRATCH/diff.json" && fail "read (allowed by both) is listed"
done_test "diff lists mount, vmsplice, add_key and clone where sysfence test puts them"

sf diff "$MOBY" "$CC" $NODE
# the amd64 section, from "allowed only by B" to the next heading
sed -n '/^amd64:/,/^$/p' "$OUT" | sed -n '/^  allowed only by B/,/^  [a-z]/p' | grep -qw mount ||
        fail "text output does not list mount as allowed only by B on amd64"
expect_out '    add_key: ERRNO(1) / ERRNO(38)'
done_test "diff text output: the same differences, grouped by arch"

for f in "$MOBY" "$CC" "$SF_SOURCE/examples/webapp.json" web.json worker.json; do
        "$SYSFENCE" convert "$f" -o "$SCRATCH/conv.json" 2>/dev/null
        sf diff "$f" "$SCRATCH/conv.json" $NODE
        expect_rc 0
done
done_test "diff of a profile and its sysfence convert form: exit 0"

for f in "$MOBY" "$CC"; do
        "$SYSFENCE" convert "$f" --arch amd64 $NODE -o "$SCRATCH/node.json" 2>/dev/null
        sf diff "$f" "$SCRATCH/node.json" $NODE
        expect_rc 0
        "$SYSFENCE" convert "$f" --arch amd64 --caps all --kernel 6.1 -o "$SCRATCH/node-all.json" 2>/dev/null
        sf diff "$f" "$SCRATCH/node-all.json" --caps all --kernel 6.1
        expect_rc 0
done
done_test "diff of resolved and unresolved forms for the same node: exit 0"

sf diff "$MOBY" "$SCRATCH/node-all.json" $NODE
expect_rc 1
done_test "diff of forms resolved for different capabilities: exit 1"

sf diff web.json worker.json
expect_rc 1
expect_out 'x86: not an arch of B'
expect_out 'x32: not an arch of A'
expect_out 'personality:'
done_test "diff reports arches only one filter holds, and differing argument rules"

sf diff web.json
expect_rc 2
sf diff web.json worker.json --arch nope
expect_rc 2
sf diff web.json "$SCRATCH/no-such.json"
expect_rc 2
expect_err "no-such.json"
printf '{"defaultAction": "SCMP_ACT_NOPE"}' >"$SCRATCH/invalid.json"
sf diff web.json "$SCRATCH/invalid.json"
expect_rc 2
done_test "diff exits 2 for usage errors and for an input it cannot read or compile (1 is only 'different')"

sf merge --json web.json worker.json -o "$SCRATCH/mj.json"
expect_rc 0
[ "$(json_get "$OUT" '(d["output"], d["inputs"], d["profiles"], d["rules"] > 0, type(d["findings"]).__name__)')" = "('$SCRATCH/mj.json', ['web.json', 'worker.json'], 2, True, 'list')" ] ||
        fail "merge --json: $(head -c 300 "$OUT")"
[ "$(json_get "$SCRATCH/mj.json" 'len(d["syscalls"])')" = "$(json_get "$OUT" 'd["rules"]')" ] || fail "rules counted differ"
sf merge --json web.json worker.json
expect_rc 2
done_test "merge --json: the report (inputs, profiles, rules, findings) as JSON; stdout output refused"

# Only the default action differs: one line says so, no list of every call.
"$PY" -S -c 'import json, sys; d = json.load(open(sys.argv[1])); d["defaultAction"] = "SCMP_ACT_KILL"; json.dump(d, open(sys.argv[2], "w"))' \
        "$SEED/fine-grained.json" "$SCRATCH/fine-kill.json"
sf diff "$SEED/fine-grained.json" "$SCRATCH/fine-kill.json"
expect_rc 1
expect_out "only the default actions differ:"
expect_out "every rule decides the same"
[ "$(wc -l <"$OUT")" -eq 3 ] || fail "$(wc -l <"$OUT") lines, expected the two headers and one"
done_test "diff of profiles that differ only in the default action: one line says so"

sf diff "$M" "$M" --json
expect_rc 0
[ "$(json_get "$OUT" 'd["identical"]')" = True ] || fail "identical is not true"
done_test "diff --json of equal profiles: identical, exit 0"

finish
