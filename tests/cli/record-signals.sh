#!/bin/sh
# sysfence record changes nothing the recorded program sees, signals included:
# a shell that starts many background jobs gets SIGCHLD while it forks, and
# its fork must never fail with EINTR (a call waiting for a seccomp
# notification does: so the default backend is ptrace, whose stops a signal
# does not interrupt).
set -u
. "$(dirname "$0")/lib.sh"

plan 2

jobs='for i in $(seq 400); do (true) & done; wait; echo all-jobs-done'
bad=0
for run in 1 2 3 4 5; do
        sf record -q -o "$SCRATCH/jobs.json" -- sh -c "$jobs"
        if [ "$rc" != 0 ] || ! grep -q all-jobs-done "$OUT" || grep -q "Cannot fork" "$ERR"; then
                bad=$((bad + 1))
                show_output
        fi
done
[ "$bad" = 0 ] || fail "$bad of 5 recordings changed what the shell saw"
expect_no_sanitizer
done_test "recording a shell that forks 400 background jobs under SIGCHLD: no fork fails (5 runs)"

sf run --profile "$SCRATCH/jobs.json" -- sh -c "$jobs"
expect_rc 0
expect_out all-jobs-done
done_test "the recorded profile runs the same shell again"
finish
