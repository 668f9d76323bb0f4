#!/bin/sh
# sysfence convert, end to end: every real and example profile converts to each
# form idempotently, the output still checks clean and compiles to the very
# program the original gives; resolving for a node drops what the node lacks;
# -o writes atomically; multi-profile files need --name.
set -u
. "$(dirname "$0")/lib.sh"

# A fixed node kernel, so that results do not depend on this machine's.
K=6.1
ARCHES=amd64,x86,x32

# The forms: LABEL|convert options|compile options for both sides.
# oci and crd cannot express archMap or includes/excludes, so they are resolved
# for a node; --arch makes that node the same on every machine.
forms='docker|--to docker|
oci|--to oci --arch amd64 --kernel 6.1|
crd|--to crd --arch amd64 --kernel 6.1|
node (amd64, default caps)|--to docker --arch amd64 --caps default --kernel 6.1|--caps default
node (amd64, all caps, kernel 4.4)|--to docker --arch amd64 --caps all --kernel 4.4|--caps all --kernel 4.4'

list=$SCRATCH/profiles
profile_list >"$list"
n_profiles=$(grep -c . "$list")
n_forms=$(printf '%s\n' "$forms" | grep -c .)
plan $((n_profiles * n_forms * 3 + 6 + 6 + 5 + 3 + 3))

# --- round trips ---------------------------------------------------------------------

i=0
while IFS="$TAB" read -r label file name single || [ -n "$label" ]; do
        i=$((i + 1))
        sel=
        [ "$name" != - ] && sel="--name $name"
        while IFS='|' read -r form copts kopts; do
                ext=json
                case $copts in *crd*) ext=yaml ;; esac
                c1=$SCRATCH/p$i.1.$ext
                c2=$SCRATCH/p$i.2.$ext
                rm -f "$c1" "$c2"
                # A SeccompProfile has no defaultErrnoRet: convert refuses a profile
                # whose default errno is not EPERM rather than change its decisions.
                case $copts in
                *crd*)
                        # shellcheck disable=SC2086
                        sf convert "$file" $sel --to docker
                        derr=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("defaultErrnoRet", 1) if d["defaultAction"] == "SCMP_ACT_ERRNO" else 1)' <"$OUT" 2>/dev/null)
                        if [ -n "$derr" ] && [ "$derr" != 1 ]; then
                                # shellcheck disable=SC2086
                                sf convert "$file" $sel $copts -o "$SCRATCH/refused.yaml"
                                expect_rc 1
                                expect_err "cannot hold defaultErrnoRet $derr"
                                [ ! -e "$SCRATCH/refused.yaml" ] || fail "an output was written"
                                done_test "$label -> $form: refused (a SeccompProfile cannot hold defaultErrnoRet $derr)"
                                sf convert "$file" $sel $copts --lossy -o "$c1"
                                expect_rc 0
                                sf convert "$c1" $copts -o "$c2"
                                cmp -s "$c1" "$c2" || fail "second conversion differs"
                                done_test "$label -> $form --lossy: converting again gives the same bytes"
                                sf check "$c1"
                                expect_rc 0
                                done_test "$label -> $form --lossy: the output checks with 0 errors"
                                continue
                        fi
                        ;;
                esac

                # Idempotent: converting the output again gives the same bytes.
                # shellcheck disable=SC2086 # option lists
                sf convert "$file" $sel $copts -o "$c1"
                expect_rc 0
                if [ -s "$c1" ]; then
                        # shellcheck disable=SC2086
                        sf convert "$c1" $copts -o "$c2"
                        expect_rc 0
                        if [ -f "$c2" ] && ! cmp -s "$c1" "$c2"; then
                                fail "second conversion differs: $(diff "$c1" "$c2" | head -n 6)"
                        fi
                else
                        fail "no output written"
                fi
                expect_no_sanitizer
                done_test "$label -> $form: converting again gives the same bytes"

                # The output is a valid profile: check finds no error.
                if [ -s "$c1" ]; then
                        sf check --json "$c1"
                        expect_rc 0
                        e=$(json_get "$OUT" 'd["errors"]')
                        if [ -z "$e" ]; then
                                fail "check --json is not JSON"
                        else
                                [ "$e" = 0 ] || fail "$e error(s): $(json_get "$OUT" '"; ".join("%s:%s: %s: %s" % (x["line"], x["column"], x["path"], x["message"]) for x in d["files"][0]["findings"] if x["severity"] == "error")' | head -c 400)"
                        fi
                        expect_no_sanitizer
                else
                        fail "nothing to check"
                fi
                done_test "$label -> $form: the output checks with 0 errors"

                # Same program: compile the original and the output alike.
                ka=$SCRATCH/a.bpf
                kb=$SCRATCH/b.bpf
                rm -f "$ka" "$kb"
                kern="--kernel $K"
                case $kopts in *--kernel*) kern= ;; esac
                # shellcheck disable=SC2086
                sf compile -q "$single" --arch "$ARCHES" $kopts $kern -o "$ka"
                expect_rc 0
                if [ -s "$c1" ]; then
                        # shellcheck disable=SC2086
                        sf compile -q "$c1" --arch "$ARCHES" $kopts $kern -o "$kb"
                        expect_rc 0
                fi
                if [ -s "$ka" ] && [ -s "$kb" ]; then
                        cmp -s "$ka" "$kb" ||
                                fail "programs differ: original $(wc -c <"$ka") bytes, converted $(wc -c <"$kb") bytes"
                else
                        fail "no program to compare"
                fi
                expect_no_sanitizer
                done_test "$label -> $form: compiles to the same program (--arch $ARCHES${kopts:+ $kopts}${kern:+ $kern})"
        done <<EOF
$forms
EOF
done <"$list"

# --- resolving for a node ---------------------------------------------------------------

moby=$REAL/moby-default.json
# names FILE: the syscall names of a Docker JSON profile, one a line.
names()
{
        json_get "$1" '"\n".join(n for r in d["syscalls"] for n in r["names"])'
}
# plain FILE: why FILE is not the plain form containerd reads (empty if it is).
plain()
{
        json_get "$1" '" ".join(sorted({k for k in d if k in ("archMap", "includes", "excludes")} | {k for r in d["syscalls"] for k in r if k in ("includes", "excludes")}))'
}

# The names moby allows only in rules that include CAP_SYS_ADMIN (mount, ...).
json_get "$moby" '"\n".join(sorted({n for r in d["syscalls"] if "CAP_SYS_ADMIN" in r.get("includes", {}).get("caps", []) for n in r["names"]} - {n for r in d["syscalls"] if "CAP_SYS_ADMIN" not in r.get("includes", {}).get("caps", []) for n in r["names"]}))' >"$SCRATCH/sysadmin"

sf convert "$moby" --to docker --arch amd64 --caps default --kernel "$K" -o "$SCRATCH/node.json"
expect_rc 0
grep -qx mount "$SCRATCH/sysadmin" || fail "moby has no CAP_SYS_ADMIN rule with mount"
leaked=$(names "$SCRATCH/node.json" | grep -xF -f "$SCRATCH/sysadmin" | tr '\n' ' ')
[ -z "$leaked" ] || fail "allowed without CAP_SYS_ADMIN: $leaked"
names "$SCRATCH/node.json" | grep -qx read || fail "read is missing"
done_test "moby, amd64, default caps: rules that need CAP_SYS_ADMIN (mount, ...) are dropped"

p=$(plain "$SCRATCH/node.json")
[ -z "$p" ] || fail "still has: $p"
a=$(json_get "$SCRATCH/node.json" 'd.get("architectures")')
[ "$a" = "['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']" ] || fail "architectures $a"
done_test "moby, amd64: plain form, no archMap/includes/excludes, amd64's arches"

sf convert "$moby" --to docker --arch amd64 --caps all --kernel "$K" -o "$SCRATCH/all.json"
expect_rc 0
missing=$(names "$SCRATCH/all.json" | grep -vxF -f - "$SCRATCH/sysadmin" | tr '\n' ' ')
[ -z "$missing" ] || fail "missing with --caps all: $missing"
p=$(plain "$SCRATCH/all.json")
[ -z "$p" ] || fail "still has: $p"
done_test "moby, amd64, --caps all: the CAP_SYS_ADMIN rules (mount, ...) are kept, plain form"

sf convert "$moby" --to docker --arch arm64 --kernel "$K" -o "$SCRATCH/arm.json"
expect_rc 0
a=$(json_get "$SCRATCH/arm.json" 'd.get("architectures")')
[ "$a" = "['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']" ] || fail "architectures $a"
p=$(plain "$SCRATCH/arm.json")
[ -z "$p" ] || fail "still has: $p"
done_test "moby, --arch arm64: architectures AARCH64 and ARM"

# The one minKernel rule of moby (4.8) goes on an older kernel.
sf convert "$moby" --to docker --arch amd64 --kernel 4.4 -o "$SCRATCH/old.json"
expect_rc 0
kept=$(names "$SCRATCH/node.json" | sort)
old=$(names "$SCRATCH/old.json" | sort)
gone=$(printf '%s\n' "$kept" | grep -vxF -e "$old" | tr '\n' ' ' | sed 's/ $//')
want=$(json_get "$moby" '" ".join(sorted(n for r in d["syscalls"] if r.get("includes", {}).get("minKernel") for n in r["names"]))')
[ -n "$want" ] && [ "$gone" = "$want" ] || fail "dropped on 4.4: \"$gone\", expected the minKernel rule's names \"$want\""
done_test "moby, --kernel 4.4: the minKernel 4.8 rule is dropped"

# A profile that gives defaultErrnoRet keeps it in every form (or the
# conversion refuses): dropping it turns ENOSYS into EPERM for unknown calls.
cc=$REAL/containers-common-seccomp.json
for to in oci crd; do
        sf convert "$cc" --to "$to" --arch amd64 -o "$SCRATCH/cc.$to"
        if [ "$rc" -eq 0 ]; then
                sf convert "$SCRATCH/cc.$to" --to docker -o "$SCRATCH/cc.$to.json"
                e=$(json_get "$SCRATCH/cc.$to.json" 'd.get("defaultErrnoRet")')
                [ "$e" = 38 ] || fail "--to $to: defaultErrnoRet 38 became $e"
        else
                expect_err defaultErrnoRet
        fi
done
done_test "containers-common: defaultErrnoRet 38 survives --to oci and --to crd"

# --- output files ---------------------------------------------------------------------

webapp=$SF_SOURCE/examples/webapp.json

mkdir "$SCRATCH/out"
sf convert "$webapp" -o "$SCRATCH/out/missing/dir/p.json"
expect_rc 1
expect_err "$SCRATCH/out/missing/dir"
[ -e "$SCRATCH/out/missing" ] && fail "created $SCRATCH/out/missing"
[ -z "$(ls -A "$SCRATCH/out")" ] || fail "left files: $(ls -A "$SCRATCH/out")"
done_test "-o into a missing directory: exit 1, names it, writes nothing"

echo "precious" >"$SCRATCH/out/p.json"
sf convert "$BAD/unknown-action.json" -o "$SCRATCH/out/p.json"
expect_rc 1
expect_err 'unknown-action.json:4:35: syscalls[0].action: error: unknown action'
[ "$(cat "$SCRATCH/out/p.json")" = precious ] || fail "OUT was changed: $(head -c 100 "$SCRATCH/out/p.json")"
[ "$(ls -A "$SCRATCH/out")" = p.json ] || fail "left files: $(ls -A "$SCRATCH/out")"
done_test "a bad input leaves an existing OUT untouched and no temporary file"

sf convert "$webapp" --to no-such-format -o "$SCRATCH/out/p.json"
expect_rc 2
[ "$(cat "$SCRATCH/out/p.json")" = precious ] || fail "OUT was changed"
done_test "an unknown --to format: usage error, OUT untouched"

sf convert "$webapp"
expect_rc 0
cp "$OUT" "$SCRATCH/stdout.json"
sf convert "$webapp" -o "$SCRATCH/out/p.json"
expect_rc 0
cmp -s "$SCRATCH/stdout.json" "$SCRATCH/out/p.json" || fail "-o wrote other bytes than stdout"
[ -s "$OUT" ] && fail "-o also printed on stdout"
[ "$(ls -A "$SCRATCH/out")" = p.json ] || fail "left files: $(ls -A "$SCRATCH/out")"
done_test "-o replaces OUT with exactly what stdout would get"

sf convert
expect_rc 2
sf convert "$webapp" "$moby"
expect_rc 2
done_test "convert without a file, or with two: usage error"

sf convert --help
expect_rc 0
for o in --to --arch --caps --kernel --name --output -o; do
        expect_out "$o"
done
for f in docker oci crd; do
        expect_out "$f"
done
done_test "convert --help exits 0 and lists every option"

# --- several profiles in one file -------------------------------------------------------

spo=$SF_SOURCE/examples/profiles.yaml
sf convert "$spo" --to docker
expect_rc 1
expect_err "$spo"
expect_err "--name"
[ -s "$OUT" ] && fail "wrote output: $(head -c 100 "$OUT")"
done_test "a multi-profile YAML to docker without --name: exit 1, asks for --name"

sf convert "$spo" --to docker --name audit-everything
expect_rc 0
[ "$(json_get "$OUT" 'd["defaultAction"], len(d.get("syscalls", []))')" = "('SCMP_ACT_LOG', 0)" ] ||
        fail "not the audit-everything profile: $(head -c 200 "$OUT")"
sf convert "$spo" --to docker --name sleeper
expect_rc 0
[ "$(json_get "$OUT" 'd["defaultAction"], "nanosleep" in [n for r in d["syscalls"] for n in r["names"]]')" = "('SCMP_ACT_ERRNO', True)" ] ||
        fail "not the sleeper profile: $(head -c 200 "$OUT")"
done_test "--name picks one profile of several"

sf convert "$spo" --to docker --name no-such-profile
expect_rc 1
expect_err "no-such-profile"
done_test "--name of a profile the file does not hold: exit 1, names it"

sf convert "$spo" --to crd -o "$SCRATCH/all.yaml"
expect_rc 0
sf check "$SCRATCH/all.yaml"
expect_rc 0
expect_out "ok, 2 profiles"
sf convert "$SCRATCH/all.yaml" --to crd -o "$SCRATCH/all2.yaml"
cmp -s "$SCRATCH/all.yaml" "$SCRATCH/all2.yaml" || fail "second conversion differs"
done_test "a multi-profile YAML to crd keeps both profiles, idempotently"

# Two documents with one name: --name cannot tell them apart, and must say so.
sf convert "$BAD/crd-dup-name.yaml" --to docker --name same
expect_rc 1
expect_err '"same"'
done_test "--name matching two profiles: exit 1, names the duplicate"

# -o into a FIFO or a device writes into it, never renames a file over it
mkfifo "$SCRATCH/fifo"
cat "$SCRATCH/fifo" >"$SCRATCH/from-fifo" &
reader=$!
sf convert "$SF_SOURCE/examples/webapp.json" -o "$SCRATCH/fifo"
expect_rc 0
wait "$reader"
[ -p "$SCRATCH/fifo" ] || fail "the FIFO was replaced by a file"
grep -q defaultAction "$SCRATCH/from-fifo" || fail "nothing came through the FIFO"
done_test "-o a FIFO: the profile goes through it, and it stays a FIFO"

# YAML 1.1 (go-yaml v2, as Kubernetes reads it) takes On, YES, Null... in any
# case for booleans and nulls: written as strings, they are quoted.
for v in ON Yes N Off NULL True; do
        printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: "%s"\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n' "$v" >"$SCRATCH/word.yaml"
        sf convert --to crd "$SCRATCH/word.yaml"
        expect_rc 0
        expect_out "  name: \"$v\""
done
done_test "convert --to crd quotes the words YAML 1.1 reads as booleans or null, in any case"

# --json: the report on stdout (the output must be a file), warnings as findings.
sf convert --json "$REAL/moby-default.json" -o "$SCRATCH/j.json"
expect_rc 0
[ "$(json_get "$OUT" '(d["output"], d["format"], d["profiles"], d["resolved"], len(d["findings"]) > 0, d["findings"][0]["severity"])')" = "('$SCRATCH/j.json', 'docker', 1, False, True, 'warning')" ] ||
        fail "convert --json: $(head -c 300 "$OUT")"
json_ok "$SCRATCH/j.json" || fail "the converted profile is not JSON"
sf compile --json "$SCRATCH/j.json" --arch amd64,x86 -o "$SCRATCH/j.bpf"
expect_rc 0
n=$(($(wc -c <"$SCRATCH/j.bpf") / 8))
[ "$(json_get "$OUT" '(d["written"], d["instructions"], d["arches"], d["default"])')" = "(True, $n, ['amd64', 'x86'], {'action': 'SCMP_ACT_ERRNO', 'errno': 1})" ] ||
        fail "compile --json: $(head -c 300 "$OUT") ($n instructions written)"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [%s]}]}' \
        "$("$PY" -S -c 'print(",".join("{\"index\": 0, \"value\": %d, \"op\": \"SCMP_CMP_EQ\"}" % i for i in range(1)))')" >"$SCRATCH/ok1.json"
sf compile --json "$SCRATCH/ok1.json" -o -
expect_rc 2
expect_err "--json prints the report on standard output: give -o FILE"
sf convert --json "$SCRATCH/ok1.json"
expect_rc 2
done_test "convert --json and compile --json: the report as JSON (output, format, instructions, arches, default, findings); -o - is refused"
# --- complain mode over: --enforce, --default-action --------------------------
printf '{"defaultAction": "SCMP_ACT_LOG", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["write", "read"], "action": "SCMP_ACT_ALLOW"}, {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}\n' >"$SCRATCH/complain.json"
cp "$SCRATCH/complain.json" "$SCRATCH/inplace.json"
sf convert --enforce "$SCRATCH/inplace.json" -o "$SCRATCH/inplace.json"
expect_rc 0
r=$(json_get "$SCRATCH/inplace.json" '(d["defaultAction"], d.get("defaultErrnoRet"), d["architectures"], [(x["names"], x["action"], x.get("errnoRet")) for x in d["syscalls"]])')
[ "$r" = "('SCMP_ACT_ERRNO', 1, ['SCMP_ARCH_X86_64'], [(['read', 'write'], 'SCMP_ACT_ALLOW', None), (['kill'], 'SCMP_ACT_ERRNO', 13)])" ] ||
        fail "enforced in place: $r"
sf check "$SCRATCH/inplace.json"
expect_rc 0
done_test "convert --enforce -o FILE FILE: defaultAction SCMP_ACT_LOG becomes SCMP_ACT_ERRNO (EPERM) in place, every rule kept"

sf convert --default-action 'SCMP_ACT_ERRNO(ENOSYS)' "$SCRATCH/complain.json"
expect_rc 0
r=$(json_get "$OUT" '(d["defaultAction"], d.get("defaultErrnoRet"))')
[ "$r" = "('SCMP_ACT_ERRNO', 38)" ] || fail "ERRNO(ENOSYS): $r"
sf convert --default-action KILL_PROCESS --to crd "$SCRATCH/complain.json"
expect_rc 0
expect_out "defaultAction: SCMP_ACT_KILL_PROCESS"
done_test "convert --default-action ACTION: SCMP_ACT_ERRNO(ENOSYS) writes defaultErrnoRet 38; KILL_PROCESS in a SeccompProfile"

sf convert --default-action SCMP_ACT_BOGUS "$SCRATCH/complain.json" -o "$SCRATCH/bad.json"
expect_rc 2
expect_err 'unknown action "SCMP_ACT_BOGUS"'
sf convert --enforce --default-action SCMP_ACT_LOG "$SCRATCH/complain.json" -o "$SCRATCH/bad.json"
expect_rc 2
expect_err "give one"
[ -e "$SCRATCH/bad.json" ] && fail "an output was written"
done_test "convert: an unknown --default-action, or it with --enforce, is a usage error and writes nothing"
finish
