#!/bin/sh
# sysfence explain: per arch, what a profile allows, denies and decides by
# arguments, and what its program costs — checked against `sysfence test` (each
# listed syscall decides as listed) and `sysfence compile` (the same program);
# and sysfence disasm --profile: each RET names the rule that produced it.
set -u
. "$(dirname "$0")/lib.sh"
plan 7

cat >"$SCRATCH/p.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
 "syscalls": [
  {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
  {"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"},
  {"names": ["mkdir", "rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}
 ]}
EOF

sf explain --arch amd64 --json "$SCRATCH/p.json"
expect_rc 0
expect_no_sanitizer
cp "$OUT" "$SCRATCH/e.json"
got=$(json_get "$SCRATCH/e.json" '(lambda a: "%s %s | %s | %s | %d %d %d" % (a["arch"], " ".join(a["allowed_names"]), " ".join(a["conditional_names"]), " ".join("%s%s:%s" % (o["action"], "(%d)" % o["errno"] if "errno" in o else "", ",".join(o["names"])) for o in a["other"]), a["allowed"], a["conditional"], a["cacheable"]))(d["arches"][0])')
[ "$got" = "amd64 read write exit_group | personality | SCMP_ACT_KILL_PROCESS:uname SCMP_ACT_ERRNO(13):mkdir,rmdir | 3 1 3" ] ||
        fail "explain says: $got"
done_test "--json: allowed, conditional and other syscalls by name, as arrays; every argument-free ALLOW cacheable"

# every name it lists decides that way in the emulator; one it does not list gets the default
bad=
for s in read write exit_group; do
        "$SYSFENCE" test "$SCRATCH/p.json" "$s" --arch amd64 --expect ALLOW >/dev/null 2>&1 || bad="$bad $s"
done
"$SYSFENCE" test "$SCRATCH/p.json" uname --arch amd64 --expect KILL_PROCESS >/dev/null 2>&1 || bad="$bad uname"
"$SYSFENCE" test "$SCRATCH/p.json" mkdir --arch amd64 --expect ERRNO >/dev/null 2>&1 || bad="$bad mkdir"
"$SYSFENCE" test "$SCRATCH/p.json" personality 0 --arch amd64 --expect ALLOW >/dev/null 2>&1 || bad="$bad personality(0)"
"$SYSFENCE" test "$SCRATCH/p.json" personality 8 --arch amd64 --expect ERRNO >/dev/null 2>&1 || bad="$bad personality(8)"
known=$(json_get "$SCRATCH/e.json" '(lambda a: a["known"] - a["allowed"] - a["conditional"] - sum(len(o["names"]) for o in a["other"]) == a["default"])(d["arches"][0])')
[ -z "$bad" ] && [ "$known" = True ] || fail "sysfence test disagrees on:$bad; counts add up: $known"
done_test "each syscall explain lists decides so under sysfence test; the counts add up to every known syscall"

"$SYSFENCE" compile -q --arch amd64 "$SCRATCH/p.json" -o "$SCRATCH/p.bpf"
n=$(($(wc -c <"$SCRATCH/p.bpf") / 8))
[ "$(json_get "$SCRATCH/e.json" 'd["instructions"]')" = "$n" ] || fail "explain counts $(json_get "$SCRATCH/e.json" 'd["instructions"]') instructions, compile wrote $n"
steps=$(json_get "$SCRATCH/e.json" '(lambda a: 0 < a["avg_instructions"] <= a["max_instructions"] <= d["instructions"])(d["arches"][0])')
[ "$steps" = True ] || fail "instructions executed out of range: $(cat "$SCRATCH/e.json")"
done_test "the program explained is the one compile writes ($n instructions); executed counts within it"

sf explain --arch amd64,x86 "$SCRATCH/p.json"
expect_rc 0
expect_out "amd64: "
expect_out "x86: "
expect_out "3 allowed, 1 conditional, 3 other"
expect_out "kernel-cacheable: 3 of 3 argument-free ALLOWs"
expect_out "SCMP_ACT_ERRNO(13) (2):"
done_test "text: one section per arch, the same counts"

sf explain --json --arch amd64,x86 --caps default "$REAL/moby-default.json"
expect_rc 0
cp "$OUT" "$SCRATCH/m.json"
got=$(json_get "$SCRATCH/m.json" '" ".join("%s:%s" % (a["arch"], a["cacheable"] == a["allowed"] > 250) for a in d["arches"])')
[ "$got" = "amd64:True x86:True" ] || fail "moby default: $got"
done_test "moby's default profile: over 250 syscalls allowed per arch, every argument-free one cacheable"

sf disasm "$SCRATCH/p.bpf" --profile "$SCRATCH/p.json" --arch amd64
expect_rc 0
expect_no_sanitizer
grep -q 'ret KILL_PROCESS  ; syscalls\[2\].names\[0\], line 5 (1 syscalls)' "$OUT" &&
        grep -q 'ret ERRNO(13)  ; syscalls\[3\].names\[0\], line 6 (2 syscalls)' "$OUT" &&
        grep -q 'ret ERRNO(1)  ; the default action' "$OUT" || fail "annotations: $(grep ret "$OUT" | tr '\n' '|')"
sf disasm "$SCRATCH/p.bpf" --profile "$SCRATCH/p.json" --arch amd64,x86
expect_err "is not what"
expect_err "no annotations"
done_test "disasm --profile: each RET names its rule's JSON path and line; a program of other options is said to be so"

sf explain "$SCRATCH/nope.json"
expect_rc 1
expect_err "nope.json"
sf explain
expect_rc 2
sf explain --bogus "$SCRATCH/p.json"
expect_rc 2
done_test "a missing file: exit 1 naming it; no profile or a bad option: exit 2"

finish
