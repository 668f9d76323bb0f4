#!/bin/sh
# Table-driven decisions (tests/data/decisions/table.txt): each line runs
# `sysfence test PROFILE SYSCALL ARGS --arch A --expect ACTION`.
set -u
. "$(dirname "$0")/lib.sh"
table=$SF_SOURCE/tests/data/decisions/table.txt
plan "$(grep -c '^[^#]' "$table")"
grep '^[^#]' "$table" >"$SCRATCH/table"
while read -r line; do
        prof=${line%% *}
        rest=${line#* }
        case $prof in
        real:*) file=$REAL/${prof#real:} ;;
        seed:*) file=$SEED/${prof#seed:} ;;
        ex:*) file=$SF_SOURCE/examples/${prof#ex:} ;;
        builtin:*)
                file=$SCRATCH/${prof#builtin:}.json
                [ -f "$file" ] || "$SYSFENCE" profile default --for "${prof#builtin:}" -o "$file" ||
                        fail "sysfence profile default --for ${prof#builtin:} failed"
                ;;
        esac
        call=${rest%% -> *}
        want=${rest#* -> }
        caps=default
        case $want in *" "*) caps=${want#* }; want=${want%% *} ;; esac
        arch=${call%% *}
        args=${call#* }
        # shellcheck disable=SC2086
        sf test "$file" $args --arch "$arch" --caps "$caps" --kernel 6.1 --expect "$want"
        expect_rc 0
        expect_no_sanitizer
        done_test "$line"
done <"$SCRATCH/table"
finish
