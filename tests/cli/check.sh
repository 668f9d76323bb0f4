#!/bin/sh
# sysfence check, end to end: real profiles pass, every malformed input in
# tests/data/bad fails with its spot (tests/data/bad/EXPECT), hostile inputs
# are refused quickly, and the command line behaves as documented.
#
# tests/data/bad/EXPECT has one line per file: FILE<TAB>FLAGS<TAB>EXPECTED.
# FLAGS are extra options ("-" for none); EXPECTED is a fixed string stderr must
# contain: the spot (FILE:LINE:COL and the JSON path) and the message.
set -u
. "$(dirname "$0")/lib.sh"

# moby's test fixtures come with its default profile (golang-github-docker-docker-dev)
FIXTURES=$(dirname "$SF_MOBY")/fixtures
n_real=$(ls "$REAL"/* "$SEED"/* "$FIXTURES"/*.json 2>/dev/null | wc -l)
n_expect=$(grep -c . "$BAD/EXPECT")
n_good=$(ls "$GOOD" | wc -l)
plan $((n_real + 2 + n_expect + 1 + n_good + 2 + 11 + 9 + 3 + 5))

# --- real profiles -------------------------------------------------------------

for f in "$REAL"/* "$SEED"/* "$FIXTURES"/*.json; do
        sf check "$f"
        expect_rc 0
        expect_out "$f: ok, 1 profile"
        expect_no_sanitizer
        done_test "real profile $(basename "$(dirname "$f")")/$(basename "$f") checks clean"
done

moby=$REAL/moby-default.json
sf check --json "$moby"
expect_rc 0
if ! json_ok "$OUT"; then
        fail "--json output is not JSON"
        show_output
elif [ "$(json_get "$OUT" 'd["errors"], d["files"][0]["errors"], d["files"][0]["profiles"]')" != "(0, 0, 1)" ]; then
        fail "expected 0 errors and 1 profile, got (errors, file errors, profiles) = $(json_get "$OUT" 'd["errors"], d["files"][0]["errors"], d["files"][0]["profiles"]')"
fi
done_test "moby-default.json: --json reports 0 errors"

spo=$SF_SOURCE/examples/profiles.yaml
sf check "$spo"
expect_rc 0
expect_out "$spo: ok, 2 profiles"
sf check --json "$spo"
expect_rc 0
[ "$(json_get "$OUT" 'd["files"][0]["profiles"], d["errors"]')" = "(2, 0)" ] ||
        fail "--json: expected 2 profiles and 0 errors: $(head -c 300 "$OUT")"
done_test "multi-document SeccompProfile YAML: exit 0, 2 profiles"

# --- malformed inputs ------------------------------------------------------------

cd "$BAD" || exit 1
while IFS="$TAB" read -r file flags expected || [ -n "$file" ]; do
        [ "$flags" = - ] && flags=
        # shellcheck disable=SC2086 # FLAGS is a list of options
        sf check $flags "$file"
        expect_rc 1
        expect_err "$file:"
        expect_err "$expected"
        expect_no_sanitizer
        done_test "bad/$file${flags:+ ($flags)}: $expected"
done <EXPECT

# Every bad input has exactly one expectation, and every expectation a file.
for f in *; do
        [ "$f" = EXPECT ] && continue
        n=$(cut -f1 EXPECT | grep -cxF -e "$f")
        [ "$n" -eq 1 ] || fail "$f has $n lines in EXPECT"
done
for f in $(cut -f1 EXPECT); do
        [ -f "$f" ] || fail "EXPECT names $f, which does not exist"
done
awk -F "$TAB" 'NF != 3 { print "line " NR " has " NF " fields" }' EXPECT >"$SCRATCH/fields"
[ -s "$SCRATCH/fields" ] && fail "malformed EXPECT: $(cat "$SCRATCH/fields")"
done_test "tests/data/bad/EXPECT covers every bad input once"

# Inputs that look odd but are valid: a parser that is too strict breaks them.
cd "$GOOD" || exit 1
for f in *; do
        sf check "$f"
        expect_rc 0
        expect_out "$f: ok, 1 profile"
        grep -q ': error: ' "$ERR" && fail "error reported: $(grep -m1 ': error: ' "$ERR")"
        expect_no_sanitizer
        done_test "good/$f is accepted"
done
# moby compares excludes.arches as strings: a name no node has excludes nothing
sf check exclude-unknown-arch.json
expect_err 'exclude-unknown-arch.json:1:122: syscalls[0].excludes.arches[0]: warning: unknown architecture "amd65": it matches no node, so it excludes nothing (did you mean "amd64"?)'
done_test "an unknown arch in excludes.arches is a warning that says it excludes nothing"

# A syscall newer than the runtimes' libseccomp is said to be so, not "did you mean".
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["execve", "getxattrat", "mseal"], "action": "SCMP_ACT_ALLOW"}]}' >"$SCRATCH/newer.json"
sf check "$SCRATCH/newer.json"
expect_rc 0
expect_err 'syscalls[0].names[1]: warning: syscall "getxattrat" (Linux 6.13) is newer than libseccomp'
expect_err 'whose tables runc and crun use: they skip it, so the profile cannot allow it there'
expect_err 'syscall "mseal" (Linux 6.10) is newer than libseccomp'
grep -q 'did you mean' "$ERR" && fail "a newer syscall got a spelling hint: $(cat "$ERR")"
sf check --strict "$SCRATCH/newer.json"
expect_rc 0
sf compile --arch amd64 "$SCRATCH/newer.json" -o "$SCRATCH/newer.bpf"
expect_rc 0
expect_err 'syscall "getxattrat" (Linux 6.13) is newer than libseccomp 2.5.4: compiled by its number here'
sf test --bpf "$SCRATCH/newer.bpf" 462
expect_out "ALLOW"
done_test "syscalls newer than the runtimes' libseccomp (getxattrat, mseal): said so, no spelling hint; compiled by number (mseal, 462, allowed)"

# --- hostile inputs, generated here --------------------------------------------

gen=$SCRATCH/gen
mkdir "$gen" && cd "$gen" || exit 1

# hostile FILE ERE DESC: exit 1 within SF_FAST seconds, a message matching ERE
# that names the file, no sanitizer report.
hostile()
{
        sf_fast check "$1"
        expect_rc 1
        expect_err_re "$2" "$3"
        expect_no_sanitizer
}

# 16 MiB + 1 byte, of a valid profile padded with spaces.
{
        printf '{"defaultAction": "SCMP_ACT_ALLOW"}'
        head -c $((16 * 1024 * 1024 - 35 + 1)) /dev/zero | tr '\0' ' '
} >big.json
hostile big.json '^big\.json: error: .*(16777216|16 MiB|limit)' "that it is over the size limit"
done_test "a file over 16 MiB is refused"

# Exactly 16 MiB is still fine: the limit is not off by one.
head -c $((16 * 1024 * 1024)) big.json >limit.json
sf_fast check limit.json
expect_rc 0
expect_out "limit.json: ok, 1 profile"
expect_no_sanitizer
done_test "a file of exactly 16 MiB is accepted"
rm -f limit.json

limit=$SF_FAST
sf_in big.json check -
limit=120
expect_rc 1
expect_err_re '(16777216|16 MiB|limit)' "that the input is over the size limit"
expect_no_sanitizer
done_test "standard input over 16 MiB is refused"
rm -f big.json

awk 'BEGIN {
        printf "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"comment\": "
        for (i = 0; i < 100000; i++) printf "["
        for (i = 0; i < 100000; i++) printf "]"
        print "}"
}' >deep.json
hostile deep.json '^deep\.json:1:[0-9]+: error: .*(nest|deep)' "where the nesting is too deep"
done_test "JSON nested 100000 levels deep is refused"

awk 'BEGIN {
        print "apiVersion: security-profiles-operator.x-k8s.io/v1beta1"
        print "kind: SeccompProfile"
        print "metadata:\n  name: deep\nspec:\n  defaultAction: SCMP_ACT_ERRNO"
        printf "  syscalls: "
        for (i = 0; i < 100000; i++) printf "["
        for (i = 0; i < 100000; i++) printf "]"
        print ""
}' >deep.yaml
hostile deep.yaml '^deep\.yaml:7:[0-9]+: error: .*(nest|deep)' "where the nesting is too deep"
done_test "YAML nested 100000 levels deep is refused"

# 20000 rules, minified on one line as a generator would write them.
awk 'BEGIN {
        printf "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
        for (i = 0; i < 20000; i++)
                printf "%s{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}", (i ? ", " : "")
        print "]}"
}' >rules.json
hostile rules.json '^rules\.json:1:[0-9]+: syscalls: error: .*20000 rules.*limit' "that 20000 rules are over the limit"
done_test "20000 rules are refused"

awk 'BEGIN {
        printf "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\""
        for (i = 0; i < 7000; i++) printf "aaaaaaaaaa"
        print "\"], \"action\": \"SCMP_ACT_ALLOW\"}]}"
}' >longstr.json
hostile longstr.json '^longstr\.json:1:61: error: .*(string|long)' "where the string is too long"
done_test "a 70000-byte string is refused at its spot"

head -c $((3 * 1024 * 1024)) /dev/urandom >random.bin
hostile random.bin '^random\.bin(:[0-9]+:[0-9]+)?: error: ' "what is wrong with it"
if [ -n "$t_why" ]; then
        keep=$(mktemp "${TMPDIR:-/tmp}/sf-random.XXXXXX") && cp random.bin "$keep" && fail "input kept as $keep"
fi
done_test "3 MiB of random bytes are refused"
rm -f random.bin

: >empty.json
hostile empty.json '^empty\.json(:1:1)?: error: .*(empty|end of input)' "that the file is empty"
done_test "an empty file is refused"

mkdir adir
hostile adir '^adir: error: .*[Dd]irectory' "that it is a directory"
done_test "a directory given as FILE is refused"

hostile missing.json '^missing\.json: error: .*(No such file|not found|does not exist)' "that the file is missing"
done_test "a missing file is refused"

# --- the command line --------------------------------------------------------------

cd "$BAD" || exit 1
good=$SEED/audit.json

sf check
expect_rc 2
[ -s "$ERR" ] || fail "nothing on stderr"
done_test "check without files: usage error"

sf check --no-such-option "$good"
expect_rc 2
expect_err "no-such-option"
done_test "check with an unknown option: usage error"

sf no-such-command "$good"
expect_rc 2
expect_err "no-such-command"
done_test "an unknown command: usage error"

sf check --help
expect_rc 0
for o in --strict --json --quiet --werror --help; do
        expect_out "$o"
done
# And every option the help lists is one check accepts.
for o in $(grep -oE -- '--[a-z][a-z-]*' "$OUT" | sort -u); do
        case $o in
        --arch) sf check "$o" amd64 "$good" ;;
        *) sf check "$o" "$good" ;;
        esac
        if [ "$rc" -eq 2 ]; then
                fail "the help lists $o but check refuses it"
        fi
done
done_test "check --help exits 0 and lists every option"

# --strict turns the unknown-syscall warning into an error.
sf check unknown-syscall-strict.json
expect_rc 0
expect_err 'unknown-syscall-strict.json:4:40: syscalls[0].names[2]: warning: unknown syscall "opn"'
sf check --strict unknown-syscall-strict.json
expect_rc 1
done_test "--strict: an unknown syscall is a warning without it, an error with it"

# --quiet: errors only, no summary; --werror: warnings fail.
sf check --quiet "$GOOD/masked-eq-no-valuetwo.json" unknown-action.json
expect_rc 1
grep -q ': warning: ' "$ERR" && fail "--quiet printed a warning"
expect_err 'unknown-action.json:4:35: syscalls[0].action: error:'
[ -s "$OUT" ] && fail "--quiet printed a summary: $(head -n 2 "$OUT")"
done_test "--quiet prints errors only"

sf check "$GOOD/masked-eq-no-valuetwo.json"
expect_rc 0
expect_err ': warning: '
sf check --werror "$GOOD/masked-eq-no-valuetwo.json"
expect_rc 1
done_test "--werror: a warning fails the check"

sf check --json unknown-action.json conflicting-actions.json
expect_rc 1
if ! json_ok "$OUT"; then
        fail "not JSON: $(head -c 300 "$OUT")"
else
        got=$(json_get "$OUT" '[(f["file"], x["severity"], x["path"], x["line"], x["column"]) for f in d["files"] for x in f["findings"] if x["severity"] == "error"]')
        want="[('unknown-action.json', 'error', 'syscalls[0].action', 4, 35), ('conflicting-actions.json', 'error', 'syscalls[1].names[0]', 5, 16)]"
        [ "$got" = "$want" ] || fail "errors found: $got" "expected: $want"
        json_get "$OUT" '[x["message"] for f in d["files"] for x in f["findings"]][0]' | grep -q 'unknown action "SCMP_ACT_ALLOWW"' ||
                fail "the first finding's message does not name the bad action"
        [ "$(json_get "$OUT" 'd["errors"]')" = 2 ] || fail "total errors $(json_get "$OUT" 'd["errors"]'), expected 2"
fi
done_test "--json: findings parse and carry path, line and column"

# Several files: each gets its summary, and one bad file fails the run.
sf check "$good" unknown-action.json "$moby"
expect_rc 1
expect_out "$good: ok"
expect_out "unknown-action.json: 1 error"
expect_out "$moby: ok"
done_test "several files: a summary each, exit 1 if any has an error"

# --- standard input -----------------------------------------------------------------

sf_in "$moby" check -
expect_rc 0
expect_out ": ok, 1 profile"
sf_in "$spo" check -
expect_rc 0
expect_out ": ok, 2 profiles"
done_test "check - reads a JSON or YAML profile from standard input"

sf_in unknown-action.json check -
expect_rc 1
expect_err ':4:35: syscalls[0].action: error: unknown action "SCMP_ACT_ALLOWW"'
done_test "check - reports the spot of an error in standard input"

# The finding and the summary name standard input the same way.
sf_in unknown-action.json check -
fname=$(sed -n 's/:4:35: .*//p' "$ERR")
sname=$(sed -n 's/: 1 error.*//p' "$OUT")
[ -n "$fname" ] && [ "$fname" = "$sname" ] ||
        fail "the finding says \"$fname\", the summary says \"$sname\""
done_test "standard input has one name in findings and summary"

# --- what runc and crun (libseccomp) do --------------------------------------

RT=$SF_SOURCE/tests/data/runtimes

# issue 14's first row, in both orders: libseccomp's rule tree tests a1 before
# a0, so (1, 3) gets ERRNO(22) whichever rule comes first (measured in the kernel)
for f in overlap overlap-reversed; do
        sf check "$RT/$f.json" --arch amd64
        expect_rc 0
        expect_err "note: getpgid on amd64: conditions overlap an earlier rule with a different action; libseccomp, and sysfence with it, decides by the order of its rule tree"
        sf test "$RT/$f.json" getpgid 1 3 --arch amd64
        expect_rc 0
        expect_out "getpgid(0x1, 0x3) on amd64: ERRNO(22)"
        done_test "$f.json: overlapping rules are information, and decide as libseccomp does (ERRNO(22) for (1, 3))"
done

# two 64-bit LT rules sharing a high word: libseccomp < 2.6.1 keeps the earlier
# rule's action below that word (ALLOW for 5), 2.6.1 and sysfence the smaller
# bound's (ERRNO(22)); check and compile say so
sf check "$RT/lt64.json" --arch amd64
expect_rc 0
expect_err "lt64.json:7:17: syscalls[2].names[0]: warning: getpgid on amd64: runc and crun on libseccomp older than 2.6.1 decide differently for this rule"
expect_err "GHSA-4q85-33p6-j5g6"
sf compile "$RT/lt64.json" --arch amd64 -o "$SCRATCH/lt64.bpf"
expect_rc 0
expect_err "runc and crun on libseccomp older than 2.6.1 decide differently"
sf test "$RT/lt64.json" getpgid 5 --arch amd64
expect_out "getpgid(0x5) on amd64: ERRNO(22)"
done_test "a 64-bit LT merge libseccomp < 2.6.1 gets wrong: decided as 2.6.1, warned by check and compile"

# measured with libseccomp 2.5.4 (seccomp_rule_add on SCMP_ARCH_X86): the
# second rule for socket fails with EEXIST in either order, on x86 only
sf check "$RT/socketcall-eexist.json"
expect_rc 1
expect_err "socketcall-eexist.json:7:17: syscalls[2].names[0]: error: socket on x86: libseccomp refuses this rule (EEXIST"
expect_err "runc and crun fail to start the container"
sf check "$RT/socketcall-eexist.json" --arch amd64
expect_rc 0
done_test "an unconditional and a conditional rule for socket: libseccomp refuses it on x86 (EEXIST), check says the container fails; not on amd64 alone"

sf check "$RT/socketcall-eexist.json" --arch bogus
expect_rc 2
done_test "check --arch with an unknown arch: usage error"

finish
