#!/bin/sh
# The command line as a shell sees it and as the man page tells it: the bash
# completion script `sysfence completion bash` prints (and meson builds and
# installs) completes every command of the table, k8s's subcommands and each
# command's options; every option of every --help is in the man page; and
# `meson install` puts the completion and the OCI hooks.d files where bash and
# podman read them.
set -u
. "$(dirname "$0")/lib.sh"
plan 6

build=$(dirname "$SYSFENCE")
sf completion bash
expect_rc 0
cp "$OUT" "$SCRATCH/comp.sh"
bash -n "$SCRATCH/comp.sh" 2>"$SCRATCH/why" || fail "not bash: $(cat "$SCRATCH/why")"
grep -q '^complete -o filenames -F _sysfence sysfence$' "$SCRATCH/comp.sh" || fail "no complete line"
cmp -s "$SCRATCH/comp.sh" "$build/completion/sysfence" || fail "the built completion differs from 'sysfence completion bash'"
sf completion zsh
expect_rc 2
done_test "completion bash: a bash script, the one meson builds; another shell is a usage error"

# complete WORDS...: what bash would offer for the last word (one a line)
complete_words()
{
        PATH="$build:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sysfence; printf "%s\n" "${COMPREPLY[@]}"' \
                sh "$SCRATCH/comp.sh" "$@" 2>&1
}

"$SYSFENCE" help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p' >"$SCRATCH/commands"
[ "$(wc -l <"$SCRATCH/commands")" -ge 16 ] || fail "help lists $(wc -l <"$SCRATCH/commands") commands"
complete_words sysfence "" | sort >"$SCRATCH/got"
for c in $(cat "$SCRATCH/commands"); do
        grep -qx "$c" "$SCRATCH/got" || fail "$c is not completed"
done
[ "$(complete_words sysfence rec)" = record ] || fail "rec -> $(complete_words sysfence rec)"
done_test "every command of 'sysfence help' is completed"

[ "$(complete_words sysfence k8s in)" = install ] || fail "k8s in -> $(complete_words sysfence k8s in)"
complete_words sysfence k8s "" | sort | tr '\n' ' ' >"$SCRATCH/k8s"
for c in agent install lint manifests pod-patch status; do
        grep -qw "$c" "$SCRATCH/k8s" || fail "k8s $c is not completed: $(cat "$SCRATCH/k8s")"
done
done_test "k8s subcommands are completed from 'sysfence k8s --help'"

[ "$(complete_words sysfence record --ba | tr '\n' ' ')" = "--backend --base " ] ||
        fail "record --ba -> $(complete_words sysfence record --ba)"
[ "$(complete_words sysfence k8s install --na)" = --name ] || fail "k8s install --na -> $(complete_words sysfence k8s install --na)"
complete_words sysfence compile --for >"$SCRATCH/got"
grep -qx -- --format "$SCRATCH/got" || fail "compile --for -> $(cat "$SCRATCH/got")"
done_test "options are completed from each command's --help"

# meson install into a scratch DESTDIR: the completion under bash-completion's
# directory, the hooks.d files where podman reads them for this prefix.
prefix=$(meson introspect "$build" --buildoptions 2>/dev/null | "$PY" -S -c 'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
if [ -z "$prefix" ]; then
        fail "meson introspect gave no prefix"
else
        hooks=/etc/containers/oci/hooks.d
        [ "$prefix" = /usr ] && hooks=/usr/share/containers/oci/hooks.d
        meson install -C "$build" --no-rebuild --destdir "$SCRATCH/dest" >"$SCRATCH/install.log" 2>&1 ||
                fail "meson install: $(tail -3 "$SCRATCH/install.log")"
        [ -f "$SCRATCH/dest$prefix/share/bash-completion/completions/sysfence" ] || fail "no installed completion"
        for h in sysfence-trace-syscall.json sysfence-trace-syscall-poststop.json sysfence-precompile.json; do
                [ -f "$SCRATCH/dest$hooks/$h" ] || fail "$h is not in $hooks"
                grep -q "\"$prefix/bin/sysfence\"" "$SCRATCH/dest$hooks/$h" 2>/dev/null || fail "$h does not name $prefix/bin/sysfence"
        done
fi
done_test "meson install: the completion in share/bash-completion/completions, the hooks.d files where podman reads them ($hooks)"

"$PY" -S "$SF_SOURCE/tests/cli/man-options.py" "$SYSFENCE" "$SF_SOURCE/docs/sysfence.1" >"$SCRATCH/man.out" 2>&1 ||
        fail "not in the man page: $(tr '\n' ' ' <"$SCRATCH/man.out")"
done_test "the man page has every command, and in its entry every option of the command's --help"

finish
