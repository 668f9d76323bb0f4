#!/bin/sh
# sysfence doctor, end to end: on this machine (where seccomp works) it exits 0,
# prints one aligned OK/WARN/FAIL line per check, and --json says the same; the
# kubelet directory is found, counted or reported missing with its fix; runtimes
# are found in PATH, asked for their version with a time limit, and inherit no
# descriptor; usage errors exit 2.
set -u
. "$(dirname "$0")/lib.sh"

NAMES='seccomp
seccomp filter
actions available
actions logged
filter flags
user notification
ebpf recorder
action cache
i386 ABI
x32 ABI
audit records
audit netlink
kubelet profiles
runtimes
cgroups'
n_names=$(printf '%s\n' "$NAMES" | grep -c .)

plan $((n_names + 22))

# line NAME: the text line of check NAME in $OUT (exact name, then 2+ spaces).
line()
{
        grep -E "^(OK|WARN|FAIL) +$1  " "$OUT" | head -n 1
}

# expect_status NAME STATUS...: the check's status is one of those given.
expect_status()
{
        _name=$1
        shift
        _l=$(line "$_name")
        _st=${_l%% *}
        for _want in "$@"; do
                [ "$_st" = "$_want" ] && return
        done
        fail "check \"$_name\" is ${_st:-missing}, expected $*: $_l"
}

# with_path DIR ARGS...: sf, with PATH=DIR for sysfence alone.
with_path()
{
        _dir=$1
        shift
        last_limit=$limit
        shown=
        timeout -k 5 "$limit" env PATH="$_dir" "$SYSFENCE" "$@" </dev/null >"$OUT" 2>"$ERR"
        rc=$?
}

# --- the report on this machine -------------------------------------------------

sf doctor
expect_rc 0
[ -s "$ERR" ] && fail "stderr: $(head -n 3 "$ERR")"
done_test "doctor exits 0 here (no check fails) and writes nothing on stderr"
cp "$OUT" "$SCRATCH/text"

while IFS= read -r name; do
        [ -n "$(line "$name")" ] || fail "no line for check \"$name\""
        done_test "the report has the check \"$name\""
done <<EOF
$NAMES
EOF

"$PY" -S - "$OUT" "$n_names" <<'EOF' >"$SCRATCH/why" 2>&1 || fail "$(cat "$SCRATCH/why")"
import re, sys
lines = open(sys.argv[1]).read().split("\n")
assert lines[-1] == "", "the report does not end in a newline"
lines = lines[:-1]
assert len(lines) == int(sys.argv[2]), "%d lines, expected %s" % (len(lines), sys.argv[2])
cols = set()
for l in lines:
    m = re.match(r"(OK|WARN|FAIL) +(\S+(?: \S+)*)  +(\S)", l)
    assert m, "line does not start with OK/WARN/FAIL, a name and a detail: %r" % l
    assert l.index(m.group(2)) == 6, "the name column does not start at column 7: %r" % l
    cols.add(m.start(3))
    if m.group(1) != "OK":
        assert "; fix: " in l, "a %s line without a fix: %r" % (m.group(1), l)
assert len(cols) == 1, "the detail column is not aligned (columns %s)" % sorted(cols)
EOF
done_test "every line is STATUS NAME DETAIL, in aligned columns, with a fix when not OK"

expect_status "seccomp" OK
expect_status "seccomp filter" OK
expect_status "user notification" OK
expect_status "ebpf recorder" OK
done_test "seccomp, filters, user notification and the eBPF recorder work on this machine"

# The compat ABIs as the tests' own probe (tests/unit/feature.h) finds them
# (the real machine's: doctor knows nothing of SF_TEST_MISSING).
pretend=${SF_TEST_MISSING:-}
SF_TEST_MISSING=
has_int80=no has_x32=no
feature int80 && has_int80=yes
feature x32 && has_x32=yes
SF_TEST_MISSING=$pretend
if [ "$has_int80" = yes ]; then
        expect_status "i386 ABI" OK
        line "i386 ABI" | grep -q 'int \$0x80 works: 32-bit programs run here' || fail "$(line "i386 ABI")"
else
        expect_status "i386 ABI" WARN
        line "i386 ABI" | grep -q 'int \$0x80 faults on this machine: 32-bit programs cannot run here; profiles still decide their calls' ||
                fail "$(line "i386 ABI")"
fi
done_test "i386 ABI: OK where int \$0x80 works, WARN where it faults (the probe of the tests agrees)"
if [ "$has_x32" = yes ]; then
        expect_status "x32 ABI" OK
        line "x32 ABI" | grep -q 'numbers with bit 30 reach seccomp filters, which decide them' || fail "$(line "x32 ABI")"
else
        expect_status "x32 ABI" WARN
fi
line "x32 ABI" | grep -Eq 'x32 (is off in this kernel|system calls work)' || fail "$(line "x32 ABI")"
done_test "x32 ABI: whether x32 programs run, and that bit-30 numbers reach the filter"

# --version says what this build can do, as doctor and the library do.
sf --version
expect_rc 0
expect_out "sysfence "
expect_out "syscall tables: from libseccomp $(pkg-config --modversion libseccomp)"
if grep -q "^OK    ebpf recorder      built in" "$SCRATCH/text"; then
        expect_out "eBPF recorder: built in"
else
        expect_out "eBPF recorder: not built"
fi
done_test "--version names the build's features: the eBPF recorder, the libseccomp of its syscall tables"

sf doctor --json
expect_rc 0
cp "$OUT" "$SCRATCH/json"
"$PY" -S - "$OUT" <<'EOF' >"$SCRATCH/why" 2>&1 || fail "$(cat "$SCRATCH/why")"
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d) == ["checks", "ok"], "keys %s" % sorted(d)
assert d["ok"] is True, "ok is %r" % d["ok"]
for c in d["checks"]:
    assert sorted(c) == ["detail", "fix", "name", "status"], "keys %s" % sorted(c)
    assert c["status"] in ("OK", "WARN", "FAIL"), c
    assert isinstance(c["detail"], str) and c["detail"], c
    assert (c["fix"] is None) == (c["status"] == "OK"), "fix must be null exactly when OK: %s" % c
EOF
done_test "--json is one JSON document {checks:[{name,status,detail,fix}],ok:true}"

"$PY" -S - "$SCRATCH/text" "$SCRATCH/json" <<'EOF' >"$SCRATCH/why" 2>&1 || fail "$(cat "$SCRATCH/why")"
import json, re, sys
text = [re.match(r"(OK|WARN|FAIL) +(\S+(?: \S+)*)  ", l).groups() for l in open(sys.argv[1]).read().splitlines()]
js = [(c["status"], c["name"]) for c in json.load(open(sys.argv[2]))["checks"]]
assert text == js, "text %s\njson %s" % (text, js)
EOF
done_test "--json has the same checks, in the same order, with the same statuses as the text"

# --- the kubelet directory ------------------------------------------------------------

K=$SCRATCH/kubelet
mkdir -p "$K/seccomp"
echo '{"defaultAction":"SCMP_ACT_ALLOW"}' >"$K/seccomp/audit.json"
echo '{"defaultAction":"SCMP_ACT_LOG"}' >"$K/seccomp/violation.json"
sf doctor --kubelet-root "$K"
expect_rc 0
expect_status "kubelet profiles" OK
line "kubelet profiles" | grep -qF "$K/seccomp: 2 profiles" || fail "not 2 profiles: $(line "kubelet profiles")"
done_test "--kubelet-root DIR with seccomp/ holding two .json files: 2 profiles"

mkdir -p "$K/seccomp/profiles/deep" "$K/seccomp/..2024_01_01"
echo '{}' >"$K/seccomp/profiles/fine-grained.json"
echo '{}' >"$K/seccomp/profiles/deep/x.json"
echo '{}' >"$K/seccomp/..2024_01_01/copy.json"
echo '{}' >"$K/seccomp/.audit.json.tmp1"
echo 'not a profile' >"$K/seccomp/README.txt"
ln -s audit.json "$K/seccomp/alias.json"
ln -s missing.json "$K/seccomp/dangling.json"
ln -s profiles "$K/seccomp/linked-dir"
sf doctor --kubelet-root "$K/"
line "kubelet profiles" | grep -qF "$K/seccomp: 5 profiles" || fail "not 5 profiles: $(line "kubelet profiles")"
done_test "profiles in subdirectories and symlinks to files count; hidden, other, dangling and symlinked dirs do not"

sf doctor --kubelet-root "$SCRATCH/nowhere"
expect_rc 0
expect_status "kubelet profiles" WARN
line "kubelet profiles" | grep -qF "$SCRATCH/nowhere/seccomp: not found" ||
        fail "no 'not found': $(line "kubelet profiles")"
line "kubelet profiles" | grep -qF 'fix: profiles are installed there; `sysfence k8s install` creates it' ||
        fail "no fix: $(line "kubelet profiles")"
sf doctor --json --kubelet-root "$SCRATCH/nowhere"
[ "$(json_get "$OUT" '[c["fix"] for c in d["checks"] if c["name"] == "kubelet profiles"][0]')" = \
        'profiles are installed there; `sysfence k8s install` creates it' ] || fail "the JSON fix differs"
done_test "a missing kubelet directory: WARN with the fix (\`sysfence k8s install\`), exit 0"

mkdir -p "$SCRATCH/broken"
echo 'oops' >"$SCRATCH/broken/seccomp"
sf doctor --kubelet-root "$SCRATCH/broken"
expect_rc 1
expect_status "kubelet profiles" FAIL
sf doctor --json --kubelet-root "$SCRATCH/broken"
expect_rc 1
[ "$(json_get "$OUT" 'd["ok"]')" = False ] || fail "--json does not say ok: false"
done_test "<kubelet-root>/seccomp that is a file: FAIL, exit 1, and \"ok\": false"

# --- runtimes ------------------------------------------------------------------------

# No runtime and no zcat: the kernel checks fall back on /boot or on behaviour.
mkdir -p "$SCRATCH/empty"
with_path "$SCRATCH/empty" doctor
expect_rc 0
expect_status runtimes WARN
expect_out "none of runc, crun, podman in PATH"
expect_status seccomp OK
expect_status "seccomp filter" OK
done_test "no runtime in PATH: WARN; without zcat the kernel checks still pass"

# The kernel config: /boot/config-RELEASE first, else /proc/config.gz through
# zcat.  A fake zcat shows that it is parsed, and that behaviour decides.
ZC=$SCRATCH/zcat
mkdir -p "$ZC"
if [ ! -r "/boot/config-$(uname -r)" ] && [ -r /proc/config.gz ]; then
        printf '#!/bin/sh\necho CONFIG_SECCOMP=y\necho "# CONFIG_SECCOMP_FILTER is not set"\n' >"$ZC/zcat"
        chmod +x "$ZC/zcat"
        with_path "$ZC" doctor
        expect_rc 0
        expect_status seccomp OK
        expect_status "seccomp filter" WARN
        line "seccomp filter" | grep -qF 'CONFIG_SECCOMP_FILTER is not set; a test filter loads' ||
                fail "config not parsed: $(line "seccomp filter")"
        expect_out "fix: /proc/config.gz does not describe the running kernel"
        printf '#!/bin/sh\nexit 1\n' >"$ZC/zcat"
        with_path "$ZC" doctor
        expect_rc 0
        expect_status seccomp OK
        expect_out "zcat /proc/config.gz exited with status 1): inferred from behaviour"
        desc="/proc/config.gz through zcat is parsed; a config that contradicts the kernel: WARN"
        desc="$desc; zcat failing: inferred from behaviour"
else
        sf doctor
        expect_out "CONFIG_SECCOMP=y (/boot/config-$(uname -r))"
        desc="the kernel config is read from /boot/config-$(uname -r)"
fi
done_test "$desc"

# A fake runc that records its descriptors (only 0-2, the shell's own and those
# this script inherited may be there: doctor's must all be close-on-exec).
FAKE=$SCRATCH/fake
mkdir -p "$FAKE"
cat >"$FAKE/runc" <<'EOF'
#!/bin/sh
/bin/ls /proc/$$/fd >"$FDLOG"
echo "runc version 9.9.9"
echo "commit: v9.9.9-0-gdeadbee"
echo "libseccomp: 2.5.4"
EOF
printf '#!/bin/sh\necho "crun version 8.8.8"\n' >"$FAKE/crun"
chmod +x "$FAKE/runc" "$FAKE/crun"
FDLOG=$SCRATCH/fd.direct "$FAKE/runc" </dev/null >/dev/null 2>&1
FDLOG=$SCRATCH/fd.doctor
export FDLOG
with_path "$FAKE" doctor
expect_rc 0
expect_status runtimes OK
expect_out "$FAKE/runc: runc version 9.9.9 (libseccomp 2.5.4)"
expect_out "$FAKE/crun: crun version 8.8.8"
cmp -s "$SCRATCH/fd.direct" "$SCRATCH/fd.doctor" ||
        fail "a runtime inherits descriptors: $(tr '\n' ' ' <"$SCRATCH/fd.doctor")" \
                "(run directly: $(tr '\n' ' ' <"$SCRATCH/fd.direct"))"
done_test "runtimes in PATH: the first line of --version (and runc's libseccomp); no descriptor leaks to them"

# The crun note depends on this machine's cgroups: hybrid means a v2 mount at
# /sys/fs/cgroup/unified while /sys/fs/cgroup itself is not v2.
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] &&
        [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
        expect_status cgroups WARN
        line cgroups | grep -qF 'fix: crun needs cgroup v2 or `unshare -m` + `umount /sys/fs/cgroup/unified`' ||
                fail "no crun fix: $(line cgroups)"
        with_path "$SCRATCH/empty" doctor
        expect_status cgroups OK
        desc="hybrid cgroups here: WARN with the fix when crun is installed, OK without crun"
else
        expect_status cgroups OK
        desc="cgroups not hybrid here: no crun warning"
fi
done_test "$desc"

# A runtime whose --version hangs, with a child of its own: both are killed.
HANG=$SCRATCH/hang
mkdir -p "$HANG"
cat >"$HANG/podman" <<'EOF'
#!/bin/sh
/bin/sleep 60 &
echo $! >"$PIDLOG"
wait
EOF
chmod +x "$HANG/podman"
PIDLOG=$SCRATCH/hang.pid
export PIDLOG
start=$(date +%s)
limit=30
with_path "$HANG" doctor
limit=120
took=$(($(date +%s) - start))
expect_rc 0
expect_status runtimes WARN
expect_out "$HANG/podman: \`--version\` gave no answer within 5 s"
[ "$took" -le 15 ] || fail "took ${took}s"
child=$(cat "$PIDLOG" 2>/dev/null)
# A killed process is gone, or a zombie (Z) or dead (X) until its reaper, pid 1,
# collects it; on a loaded machine that can take a moment: wait up to 10 s.
[ -n "$child" ] && wait_secs 10 gone "$child"
if [ -z "$child" ]; then
        fail "the fake runtime did not start"
elif running "$child"; then
        fail "the runtime's child (pid $child) survived"
        kill "$child" 2>/dev/null
fi
done_test "a runtime whose --version hangs: WARN after 5 s, and its process group is killed"

# --- options ----------------------------------------------------------------------

sf doctor --help
expect_rc 0
expect_out "usage: sysfence doctor [--json] [--kubelet-root DIR]"
done_test "--help prints the usage, exit 0"

for args in "--bogus" "extra" "--kubelet-root" "--kubelet-root="; do
        # shellcheck disable=SC2086
        sf doctor $args
        expect_rc 2
        expect_err "try 'sysfence doctor --help'"
        [ -s "$OUT" ] && fail "stdout is not empty"
        done_test "usage error: doctor $args exits 2"
done

finish
