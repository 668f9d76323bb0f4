#!/bin/sh
# Complain mode, then enforce, end to end (issue 15 item 4), with a workload
# that takes a second code path only on its second run (umask and chdir, which
# its first run never calls): record run 1 with --complain (defaultAction
# SCMP_ACT_LOG); run 2 under that profile is never denied and its extra calls
# are logged; 'audit --follow --to-profile --merge' adds them; 'convert
# --enforce' flips the default to SCMP_ACT_ERRNO; run 2 again passes under it,
# and a call neither run made (kill) is denied.  The records are read from the
# audit netlink group, which needs root.
set -u
. "$(dirname "$0")/lib.sh"

plan 5
AUDIT_PID=
cleanup()
{
        [ -n "$AUDIT_PID" ] && kill -TERM "$AUDIT_PID" 2>/dev/null && wait "$AUDIT_PID" 2>/dev/null
        rm -rf "$SCRATCH"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { why="not root (the audit netlink group needs CAP_AUDIT_READ)"; skip_rest "complain, merge, enforce"; }
[ -x /bin/busybox ] || { why="busybox-static is not installed"; skip_rest "complain, merge, enforce"; }

# the workload: a script, so its records carry its own name as comm, and only
# shell builtins, so every call is the script's process
W=$SCRATCH/sfcomplain
cat >"$W" <<'EOF'
#!/bin/busybox sh
if [ -f "$1/ran" ]; then
        umask 077
        cd /
        echo second
else
        echo first >"$1/ran"
fi
if [ "${2:-}" = outside ]; then
        kill -0 $$ || exit 3
fi
exit 0
EOF
chmod 755 "$W"
mkdir "$SCRATCH/state"

sf record -q --complain -o "$SCRATCH/app.json" -- "$W" "$SCRATCH/state"
expect_rc 0
names=$(edit names "$SCRATCH/app.json" | tr '\n' ' ')
r=$(json_get "$SCRATCH/app.json" 'd["defaultAction"]')
[ "$r" = SCMP_ACT_LOG ] || fail "defaultAction $r"
for n in umask chdir kill; do
        case " $names" in *" $n "*) fail "run 1 already has $n: the test's premise fails ($names)" ;; esac
done
[ -f "$SCRATCH/state/ran" ] || fail "run 1 did not run"
done_test "record --complain, run 1: an allowlist without umask, chdir or kill, defaultAction SCMP_ACT_LOG"

"$SYSFENCE" audit --follow --source kmsg --comm sfcomplain --raw --to-profile "$SCRATCH/merged.json" \
        --merge "$SCRATCH/app.json" >"$SCRATCH/audit.out" 2>"$SCRATCH/audit.err" &
AUDIT_PID=$!
wait_secs 10 grep -qs 'source:' "$SCRATCH/audit.err" || fail "audit --follow did not start: $(cat "$SCRATCH/audit.err")"
sf run --profile "$SCRATCH/app.json" -- "$W" "$SCRATCH/state"
expect_rc 0
expect_out second
logged() { grep -q ' sfcomplain amd64 chdir LOG$' "$SCRATCH/audit.out"; }
wait_secs 10 logged || fail "chdir's LOG record did not come: $(cat "$SCRATCH/audit.out")"
sleep 0.3
kill -TERM "$AUDIT_PID"
wait "$AUDIT_PID"
arc=$?
AUDIT_PID=
[ "$arc" = 0 ] || fail "audit exited $arc: $(cat "$SCRATCH/audit.err")"
grep -v ' LOG$' "$SCRATCH/audit.out" | grep -q . && fail "a record of another action: $(grep -v ' LOG$' "$SCRATCH/audit.out")"
for n in umask chdir; do
        grep -q " sfcomplain amd64 $n LOG\$" "$SCRATCH/audit.out" || fail "no LOG record of $n: $(cat "$SCRATCH/audit.out")"
done
done_test "run 2 under the complain profile: nothing denied, its second path (umask, chdir) logged"

r=$(json_get "$SCRATCH/merged.json" '(d["defaultAction"], len(d["syscalls"]), d["syscalls"][-1]["names"])')
case $r in "('SCMP_ACT_LOG', 2, ["*"'chdir'"*"'umask'"*"])") ;; *) fail "merged: $r ($(cat "$SCRATCH/audit.err"))" ;; esac
grep -q "wrote $SCRATCH/merged.json: $SCRATCH/app.json and [0-9]* syscalls\? it did not allow" "$SCRATCH/audit.err" ||
        fail "$(cat "$SCRATCH/audit.err")"
done_test "audit --follow --to-profile --merge: the profile's rules, then one rule allowing what run 2 logged ($r)"

sf convert --enforce "$SCRATCH/merged.json" -o "$SCRATCH/enforce.json"
expect_rc 0
r=$(json_get "$SCRATCH/enforce.json" 'd["defaultAction"]')
[ "$r" = SCMP_ACT_ERRNO ] || fail "defaultAction $r"
sf run --profile "$SCRATCH/enforce.json" -- "$W" "$SCRATCH/state"
expect_rc 0
expect_out second
done_test "convert --enforce: run 2 passes under SCMP_ACT_ERRNO"

sf run --profile "$SCRATCH/enforce.json" -- "$W" "$SCRATCH/state" outside
expect_rc 3
expect_err "Operation not permitted"
done_test "under the enforced profile a call neither run made (kill) is denied with EPERM"
finish
