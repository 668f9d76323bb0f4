#!/bin/sh
# sysfence k8s agent and status, end to end, against a simulated kubelet root and
# a ConfigMap volume laid out and updated exactly as the kubelet does it
# (kubelet-update.sh): creation, updates and deletions of keys; an invalid
# profile never replaces the good copy and status reports it; files the agent
# did not install are never removed; status is a readiness probe; SIGTERM and
# SIGINT exit 0; and the agent SIGKILLed at random moments, hundreds of times,
# while a checker reads every installed file: each read is a whole profile, one
# of the versions ever written, and no temporary ever has a name the kubelet reads.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kubelet-update.sh"

KILLS=${SF_K8S_KILLS:-200}
plan 42

ROOT=$SCRATCH/kubelet
CM=$SCRATCH/cm
STAGE=$SCRATCH/stage
DIR=$ROOT/seccomp/sysfence
mkdir -p "$ROOT" "$STAGE"
AGENT_PID=

# stage KEY=FILE...: the next payload (a fresh staging directory).
stage()
{
        rm -rf "$STAGE"
        mkdir -p "$STAGE"
        for _kv in "$@"; do
                cp "${_kv#*=}" "$STAGE/${_kv%%=*}"
        done
}

start_agent()
{
        "$SYSFENCE" k8s agent --source "$CM" --kubelet-root "$ROOT" "$@" 2>>"$SCRATCH/agent.log" &
        AGENT_PID=$!
}

# signal_agent SIG: send SIG and wait for the agent to end; its exit status in
# $agent_rc.  Twice in some hundred loaded runs an agent went on as if the
# signal never came (sent again by hand, it ended at once): it is sent again
# after 20 s, and that is said as a TAP comment with what the agent was doing,
# so that the suite neither hangs nor forgets it.
signal_agent()
{
        kill -"$1" "$AGENT_PID" 2>/dev/null
        if ! wait_secs 20 gone_pid "$AGENT_PID"; then
                echo "# the agent $AGENT_PID did not end within 20 s of SIG$1; sent again:" \
                        "$(grep -E '^(State|SigPnd|ShdPnd|SigBlk|SigCgt)' "/proc/$AGENT_PID/status" 2>/dev/null | tr '\n\t' '  ')" \
                        "wchan $(cat "/proc/$AGENT_PID/wchan" 2>/dev/null)"
                kill -"$1" "$AGENT_PID" 2>/dev/null
                wait_secs 20 gone_pid "$AGENT_PID" || kill -KILL "$AGENT_PID" 2>/dev/null
        fi
        wait "$AGENT_PID"
        agent_rc=$?
        AGENT_PID=
}
# gone_pid PID: PID is no longer running (a zombie counts as ended)
gone_pid() { ! grep -qs '^State:[[:space:]]*[^Z]' "/proc/$1/status"; }

stop_agent()
{
        [ -n "$AGENT_PID" ] || return 0
        signal_agent TERM
}
trap 'stop_agent; rm -rf "$SCRATCH"' EXIT

# until_true SECONDS CMD...: poll CMD (the test waits for the agent; the agent never polls).
until_true()
{
        _t=$(($1 * 20))
        shift
        while [ "$_t" -gt 0 ]; do
                "$@" && return 0
                sleep 0.05
                _t=$((_t - 1))
        done
        return 1
}

# same SOURCE INSTALLED: INSTALLED is what the agent writes for SOURCE (itself,
# or its form resolved for this node: installed_form)
same() { installed_form "$1" "$SCRATCH/want.json" && cmp -s "$SCRATCH/want.json" "$2"; }
gone() { [ ! -e "$1" ]; }
log_has() { grep -qF -e "$1" "$SCRATCH/agent.log"; }

# --- once: creation from the kubelet's layout -------------------------------------------

stage moby.json="$REAL/moby-default.json" common.json="$REAL/containers-common-seccomp.json" \
        audit.json="$SEED/audit.json" fine.json="$SEED/fine-grained.json" flow.yaml="$GOOD/crd-flow.yaml"
cm_update "$CM" "$STAGE"
echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$SCRATCH/foreign.json"
mkdir -p "$DIR"
cp "$SCRATCH/foreign.json" "$DIR/foreign.json"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
for k in moby.json common.json audit.json fine.json; do
        same "$CM/$k" "$DIR/$k" || fail "$k: installed bytes differ from the ConfigMap's (or their form for this node)"
done
expect_err "installed moby.json"
[ "$(grep -c . "$ERR")" -eq 5 ] || fail "expected one log line per install, got: $(cat "$ERR")"
done_test "agent --once installs every key of a ConfigMap volume, bytes as given"

json_ok "$DIR/flow.yaml" || fail "flow.yaml was not installed as JSON"
[ "$(json_get "$DIR/flow.yaml" 'd["defaultAction"]')" = SCMP_ACT_ERRNO ] || fail "flow.yaml: wrong content"
done_test "a SeccompProfile (YAML) key is installed as Docker JSON, the form the runtime reads"

json_ok "$DIR/.sysfence-agent.json" || fail "no state file"
[ "$(json_get "$DIR/.sysfence-agent.json" 'sorted(o["name"] for o in d["owned"])')" = \
  "['audit.json', 'common.json', 'fine.json', 'flow.yaml', 'moby.json']" ] || fail "state: $(cat "$DIR/.sysfence-agent.json")"
"$PY" -S -c '
import hashlib, json, os, sys
d = sys.argv[1]
for o in json.load(open(os.path.join(d, ".sysfence-agent.json")))["owned"]:
    h = hashlib.sha256(open(os.path.join(d, o["name"]), "rb").read()).hexdigest()
    if h != o["sha256"]:
        print("%s: recorded %s, file %s" % (o["name"], o["sha256"], h))
' "$DIR" >"$SCRATCH/shas" 2>&1
[ -s "$SCRATCH/shas" ] && fail "$(cat "$SCRATCH/shas")"
ls -a "$DIR" | grep -q '^\.sysfence-tmp' && fail "a temporary file is left"
same "$SCRATCH/foreign.json" "$DIR/foreign.json" || fail "foreign.json changed"
done_test "the state file lists the installed files only, with their sha256; no temporaries are left; other files stay"

sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
expect_out "ready: 5 of 5 profiles"
done_test "status: ready when every profile is installed and current"

sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
[ -s "$ERR" ] && fail "a second sync with nothing to do logged: $(cat "$ERR")"
done_test "a sync with nothing to do writes nothing and says nothing"

# --- status: missing, stale -----------------------------------------------------------------

rm "$DIR/audit.json"
printf '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$DIR/fine.json"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "missing audit.json"
expect_out "stale fine.json"
expect_out "not ready: 3 of 5"
done_test "status exits 1 and lists a missing and a stale profile"

sf k8s status --json --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
[ "$(json_get "$OUT" 'd["ready"], [p["status"] for p in d["profiles"]]')" = \
  "(False, ['missing', 'current', 'stale', 'current', 'current'])" ] || fail "json: $(cat "$OUT")"
done_test "status --json: ready false, each profile's status"

sf k8s status --source "$CM" --kubelet-root "$SCRATCH/nonexistent"
expect_rc 1
expect_out "missing moby.json"
done_test "status with no kubelet dir: every profile missing, exit 1"

# --- the agent, running ------------------------------------------------------------------

: >"$SCRATCH/agent.log"
start_agent
until_true 10 same "$CM/audit.json" "$DIR/audit.json" || fail "audit.json not put back"
until_true 10 same "$CM/fine.json" "$DIR/fine.json" || fail "fine.json not put back"
done_test "at start the agent repairs a missing and a stale file"

rm "$DIR/audit.json"
until_true 10 same "$CM/audit.json" "$DIR/audit.json" || fail "audit.json not put back"
done_test "a profile deleted from the kubelet dir while the agent runs is put back"

sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
done_test "status: ready again"

# update: moby.json gets new content, audit.json goes, violation.json comes
stage moby.json="$SEED/fine-grained.json" common.json="$REAL/containers-common-seccomp.json" \
        fine.json="$SEED/fine-grained.json" flow.yaml="$GOOD/crd-flow.yaml" violation.json="$SEED/violation.json"
cm_update "$CM" "$STAGE"
until_true 10 same "$SEED/fine-grained.json" "$DIR/moby.json" || fail "moby.json not updated"
until_true 10 same "$SEED/violation.json" "$DIR/violation.json" || fail "violation.json not installed"
until_true 10 gone "$DIR/audit.json" || fail "audit.json not removed"
[ -L "$CM/audit.json" ] && fail "the helper left the key's symlink"
done_test "a ..data swap: an updated key is rewritten, a new key installed, a removed key removed"

until_true 5 log_has "removed audit.json" || fail "no log line for the removal"
log_has "updated moby.json" || fail "no log line for the update"
log_has "installed violation.json" || fail "no log line for the new key"
done_test "one log line per event (installed, updated, removed)"

same "$SCRATCH/foreign.json" "$DIR/foreign.json" || fail "foreign.json changed"
done_test "a file the agent did not install stays through updates"

# an invalid profile: the good copy stays
cp "$DIR/moby.json" "$SCRATCH/moby.good"
stage moby.json="$BAD/arg-index-6.json" common.json="$REAL/containers-common-seccomp.json" \
        fine.json="$SEED/fine-grained.json" flow.yaml="$GOOD/crd-flow.yaml" violation.json="$SEED/violation.json"
cm_update "$CM" "$STAGE"
until_true 10 log_has "rejected moby.json" || fail "no rejection logged"
same "$SCRATCH/moby.good" "$DIR/moby.json" || fail "the good copy was replaced"
grep -F "rejected moby.json" "$SCRATCH/agent.log" | grep -qE ':[0-9]+:[0-9]+: syscalls\[0\]\.args\[0\]\.index: error' ||
        fail "the rejection does not point at the spot: $(grep rejected "$SCRATCH/agent.log")"
[ "$(grep -c "rejected moby.json" "$SCRATCH/agent.log")" -eq 1 ] || fail "the rejection is not one line"
done_test "an invalid profile is rejected (file:line:col logged once) and the installed good copy stays"

sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "rejected moby.json"
expect_out "index"
expect_out "an older copy is installed"
done_test "status exits 1 and reports the rejected profile with the reason"

kill -HUP "$AGENT_PID"
rejections() { [ "$(grep -c "rejected moby.json" "$SCRATCH/agent.log")" -eq "$1" ]; }
until_true 10 rejections 2 ||
        fail "SIGHUP did not check the profiles again ($(grep -c "rejected moby.json" "$SCRATCH/agent.log") rejections logged)"
kill -0 "$AGENT_PID" || fail "SIGHUP ended the agent"
same "$SCRATCH/moby.good" "$DIR/moby.json" || fail "the good copy was replaced"
done_test "SIGHUP: every profile is checked again (the rejection is said again), the agent goes on"

stage moby.json="$REAL/moby-default.json" common.json="$REAL/containers-common-seccomp.json" \
        fine.json="$SEED/fine-grained.json" flow.yaml="$GOOD/crd-flow.yaml" violation.json="$SEED/violation.json"
cm_update "$CM" "$STAGE"
until_true 10 same "$REAL/moby-default.json" "$DIR/moby.json" || fail "moby.json not fixed"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
done_test "the fixed profile is installed and status is ready again"

# every key removed: only the agent's files go
stage
cm_update "$CM" "$STAGE"
only_foreign() { [ "$(ls "$DIR")" = foreign.json ]; }
until_true 10 only_foreign || fail "left: $(ls "$DIR" | tr '\n' ' ')"
same "$SCRATCH/foreign.json" "$DIR/foreign.json" || fail "foreign.json changed"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
done_test "with every key removed, the agent's files go and the others stay; empty source is ready"

stop_agent
[ "$agent_rc" -eq 0 ] || fail "SIGTERM: exit $agent_rc"
done_test "SIGTERM: the agent exits 0"

start_agent
wait_until catches "$AGENT_PID" 2 || fail "the agent set no SIGINT handler within 60 s"
signal_agent INT
[ "$agent_rc" -eq 0 ] || fail "SIGINT: exit $agent_rc"
done_test "SIGINT: the agent exits 0"

# another writer holds the dir's lock (an agent of the previous DaemonSet
# generation, k8s install): the new agent waits, and SIGTERM still exits 0
hold_lock "$DIR/.sysfence-agent.lock"
start_agent
wait_until catches "$AGENT_PID" 15 || fail "the agent set no SIGTERM handler within 60 s"
wait_until in_flock "$AGENT_PID" || fail "the agent does not wait for the lock: $(waits_on "$AGENT_PID")"
signal_agent TERM
release_lock
[ "$agent_rc" -eq 0 ] || fail "SIGTERM while waiting: exit $agent_rc"
done_test "an agent waiting for another writer's lock exits 0 on SIGTERM"

if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/agent.log"; then
        fail "sanitizer report: $(grep -m1 'Sanitizer\|runtime error' "$SCRATCH/agent.log")"
fi
done_test "no sanitizer report from the running agent"

# --- removal while the agent is down, ownership across runs ----------------------------------

stage a.json="$SEED/audit.json" b.json="$SEED/violation.json"
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
stage a.json="$SEED/audit.json"
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
gone "$DIR/b.json" || fail "b.json, removed while no agent ran, is still installed"
expect_err "removed b.json"
done_test "a key removed while the agent was down is removed at its next start"

# a plain directory (not a ConfigMap) works too
mkdir -p "$SCRATCH/plain"
cp "$SEED/audit.json" "$SCRATCH/plain/p.json"
sf k8s agent --once --source "$SCRATCH/plain" --kubelet-root "$ROOT" --subdir plain
expect_rc 0
same "$SEED/audit.json" "$ROOT/seccomp/plain/p.json" || fail "not installed"
done_test "--source may be a plain directory; --subdir picks the directory"

stage ok.json="$SEED/audit.json" bad.json="$BAD/arg-index-6.json"
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
[ -e "$DIR/ok.json" ] || fail "the valid key was not installed"
gone "$DIR/bad.json" || fail "the invalid key was installed"
expect_err_re 'rejected bad\.json: .*bad\.json:[0-9]+:[0-9]+:' "the rejection with file:line:col"
done_test "--once: exit 1 when a profile is invalid; the valid ones are installed"

# a file named like a key: the key's (replaced); with the very bytes, left the admin's
rm -rf "$ROOT/seccomp/same"
mkdir -p "$ROOT/seccomp/same"
cp "$SEED/audit.json" "$ROOT/seccomp/same/twin.json"
echo '{"defaultAction": "SCMP_ACT_ALLOW"}' >"$ROOT/seccomp/same/clash.json"
stage twin.json="$SEED/audit.json" clash.json="$SEED/violation.json" edited.json="$SEED/fine-grained.json"
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" --subdir same
expect_rc 0
same "$SEED/violation.json" "$ROOT/seccomp/same/clash.json" || fail "clash.json not replaced"
expect_err "updated clash.json"
grep -q twin.json "$ERR" && fail "twin.json (already current) was written"
# someone edits a file the agent installed, then the key goes: the edit stays
echo '{"defaultAction": "SCMP_ACT_LOG"}' >"$ROOT/seccomp/same/edited.json"
stage
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" --subdir same
expect_rc 0
[ -e "$ROOT/seccomp/same/twin.json" ] || fail "twin.json, which the agent never wrote, was removed"
gone "$ROOT/seccomp/same/clash.json" || fail "clash.json, which the agent wrote, stayed"
grep -q SCMP_ACT_LOG "$ROOT/seccomp/same/edited.json" || fail "edited.json, changed since the agent wrote it, was removed"
expect_err "left edited.json"
done_test "a file named like a key is replaced and then the agent's; one already holding the bytes, or changed since, stays"

# a key that cannot be written (a directory holds its name): the others go on, exit 1
rm -rf "$ROOT/seccomp/wf"
mkdir -p "$ROOT/seccomp/wf/blocked.json"
stage blocked.json="$SEED/audit.json" fine.json="$SEED/fine-grained.json"
cm_update "$CM" "$STAGE"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" --subdir wf
expect_rc 1
expect_err "failed blocked.json"
same "$SEED/fine-grained.json" "$ROOT/seccomp/wf/fine.json" || fail "fine.json not installed"
sf k8s status --source "$CM" --kubelet-root "$ROOT" --subdir wf
expect_rc 1
expect_out "stale blocked.json"
done_test "a write that fails is logged, the other keys are installed, --once and status exit 1"

sf k8s agent --kubelet-root "$ROOT"
expect_rc 2
sf k8s agent --once --source "$SCRATCH/none" --kubelet-root "$ROOT"
expect_rc 1
sf k8s status --source "$CM" --kubelet-root "$ROOT" extra
expect_rc 2
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" --subdir ../x
expect_rc 2
done_test "usage errors exit 2; a missing source exits 1"

# --- hostile input: the kubelet dir, the state file, the source ---------------------------------

# a symlink where the agent's dir should be: refused, nothing written where it points
HR=$SCRATCH/hroot
mkdir -p "$HR/seccomp" "$SCRATCH/elsewhere" "$SCRATCH/hsrc"
echo keep >"$SCRATCH/elsewhere/keep"
ln -s "$SCRATCH/elsewhere" "$HR/seccomp/sysfence"
cp "$SEED/audit.json" "$SCRATCH/hsrc/a.json"
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR"
expect_rc 1
expect_err "$HR/seccomp/sysfence: is a symlink; refusing to follow it"
[ "$(ls -A "$SCRATCH/elsewhere")" = keep ] || fail "written through the symlink: $(ls -A "$SCRATCH/elsewhere" | tr '\n' ' ')"
sf k8s status --source "$SCRATCH/hsrc" --kubelet-root "$HR"
expect_rc 1
expect_err "$HR/seccomp/sysfence: is a symlink"
done_test "a symlinked seccomp/SUBDIR is refused, named in the error; the dir it points to is unchanged"

HR2=$SCRATCH/hroot2
mkdir -p "$HR2" "$SCRATCH/elsewhere2"
ln -s "$SCRATCH/elsewhere2" "$HR2/seccomp"
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR2"
expect_rc 1
expect_err "$HR2/seccomp: is a symlink; refusing to follow it"
[ -z "$(ls -A "$SCRATCH/elsewhere2")" ] || fail "created through the symlink: $(ls -A "$SCRATCH/elsewhere2" | tr '\n' ' ')"
sf k8s install "$SEED/audit.json" --kubelet-root "$HR2"
expect_rc 1
[ -z "$(ls -A "$SCRATCH/elsewhere2")" ] || fail "k8s install wrote through the symlink"
rm -rf "$HR2"
mkdir -p "$HR2"
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR2"
expect_rc 0
[ "$(stat -c %a "$HR2/seccomp") $(stat -c %a "$HR2/seccomp/sysfence")" = "755 755" ] ||
        fail "modes: $(stat -c %a "$HR2/seccomp" "$HR2/seccomp/sysfence" | tr '\n' ' ')"
done_test "a symlinked seccomp/ is refused by the agent and by install; missing, both dirs are created 0755"

# a forged record: a file the agent never wrote, with its very sha256
FD=$HR2/seccomp/sysfence
cp "$SEED/violation.json" "$FD/admin.json"
forge()
{
        "$PY" -S -c '
import hashlib, json, os, sys
d, name, like = sys.argv[1:4]
p = os.path.join(d, ".sysfence-agent.json")
s = json.load(open(p))
st = os.stat(os.path.join(d, like))
s["owned"].append({"name": name, "sha256": hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest(),
                   "device": st.st_dev, "inode": st.st_ino})
text = json.dumps(s)
if len(sys.argv) > 4:
    text = text[:-1] + " " * int(sys.argv[4]) + "}"
open(p, "w").write(text)
' "$@"
}
forge "$FD" admin.json a.json
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR2"
expect_rc 0
same "$SEED/violation.json" "$FD/admin.json" || fail "admin.json, named in a forged record with its sha256, was removed"
expect_err "left admin.json: it is not the file the agent installed"
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR2"
expect_rc 0
[ -s "$ERR" ] && fail "said again: $(cat "$ERR")"
json_ok "$FD/.sysfence-agent.json" || fail "no state file"
[ "$(json_get "$FD/.sysfence-agent.json" '[(o["name"], o["device"] > 0, o["inode"] > 0) for o in d["owned"]]')" = \
  "[('a.json', True, True)]" ] || fail "state: $(cat "$FD/.sysfence-agent.json")"
done_test "a forged state entry (the right sha256, another file's inode) removes nothing; said once; the record holds device and inode"

# the same forgery with admin.json's own inode, in a state file too large to be the agent's
cp "$SEED/violation.json" "$FD/admin.json"
forge "$FD" admin.json admin.json 8400000
rm "$SCRATCH/hsrc/a.json"
sf k8s agent --once --source "$SCRATCH/hsrc" --kubelet-root "$HR2"
expect_rc 0
same "$SEED/violation.json" "$FD/admin.json" || fail "admin.json was removed on the word of an 8 MB state file"
[ -e "$FD/a.json" ] || fail "a.json was removed though the record of it was not trusted"
expect_err "not trusted"
[ "$(stat -c %s "$FD/.sysfence-agent.json")" -lt 10000 ] || fail "the oversized state was kept"
done_test "a state file larger than any the agent writes is not trusted: nothing is removed, a new record is started"

# ..data pointing out of the volume: refused
mkdir -p "$SCRATCH/evil/etc" "$SCRATCH/evil/x/cm"
cp "$SEED/audit.json" "$SCRATCH/evil/etc/passwd.json"
for target in ../../etc "$SCRATCH/evil/etc"; do
        rm -f "$SCRATCH/evil/x/cm/..data"
        ln -s "$target" "$SCRATCH/evil/x/cm/..data"
        sf k8s agent --once --source "$SCRATCH/evil/x/cm" --kubelet-root "$HR2" --subdir evil
        expect_rc 1
        expect_err "$SCRATCH/evil/x/cm/..data: points to"
        gone "$HR2/seccomp/evil/passwd.json" || fail "..data -> $target: a file from outside the volume was installed"
        sf k8s status --source "$SCRATCH/evil/x/cm" --kubelet-root "$HR2" --subdir evil
        expect_rc 1
done
done_test "..data pointing to ../../etc or to an absolute path is refused; nothing from there is read"

# plain directory: a key that is a symlink to a file elsewhere is not read
mkdir -p "$SCRATCH/plain2"
printf '{"defaultAction": "SCMP_ACT_ALLOW", "comment": "root:x:0:0"}' >"$SCRATCH/passwd"
ln -s "$SCRATCH/passwd" "$SCRATCH/plain2/link.json"
cp "$SEED/audit.json" "$SCRATCH/plain2/ok.json"
sf k8s agent --once --source "$SCRATCH/plain2" --kubelet-root "$HR2" --subdir p2
expect_rc 1
gone "$HR2/seccomp/p2/link.json" || fail "the symlinked key was read and installed"
expect_err "rejected link.json: $SCRATCH/plain2/link.json: a symlink (not followed)"
same "$SEED/audit.json" "$HR2/seccomp/p2/ok.json" || fail "ok.json not installed"
grep -qr 'root:x' "$HR2/seccomp/p2" "$ERR" && fail "the link's target was read"
done_test "in a plain directory a key that is a symlink is not followed: rejected, its target never read"

# the source's mode, at most 0644
mkdir -p "$SCRATCH/modes"
for m in 600 640 755; do
        cp "$SEED/audit.json" "$SCRATCH/modes/m$m.json"
        chmod "$m" "$SCRATCH/modes/m$m.json"
done
sf k8s agent --once --source "$SCRATCH/modes" --kubelet-root "$HR2" --subdir modes
expect_rc 0
got=$(cd "$HR2/seccomp/modes" && stat -c '%n:%a' m600.json m640.json m755.json | tr '\n' ' ')
[ "$got" = "m600.json:600 m640.json:640 m755.json:644 " ] || fail "modes installed: $got"
chmod 644 "$HR2/seccomp/modes/m600.json"
sf k8s status --source "$SCRATCH/modes" --kubelet-root "$HR2" --subdir modes
expect_rc 1
expect_out "stale m600.json"
sf k8s agent --once --source "$SCRATCH/modes" --kubelet-root "$HR2" --subdir modes
expect_rc 0
[ "$(stat -c %a "$HR2/seccomp/modes/m600.json")" = 600 ] || fail "the mode was not put back"
done_test "a 0600 source is installed 0600 (0640 stays, 0755 becomes 0644); a changed mode is stale and put back"

# key names outside the ConfigMap charset: rejected, escaped wherever they appear
mkdir -p "$SCRATCH/keynames"
nl='
'
cp "$SEED/audit.json" "$SCRATCH/keynames/bad name.json"
cp "$SEED/audit.json" "$SCRATCH/keynames/new${nl}sysfence k8s agent: installed forged.json"
cp "$SEED/audit.json" "$SCRATCH/keynames/fine.json"
sf k8s agent --once --source "$SCRATCH/keynames" --kubelet-root "$HR2" --subdir names
expect_rc 1
expect_err 'rejected bad\x20name.json: '
expect_err 'rejected new\x0asysfence\x20k8s\x20agent\x3a\x20installed\x20forged.json: '
grep -q '^sysfence k8s agent: installed forged.json' "$ERR" && fail "a key name forged a log line"
[ "$(grep -c . "$ERR")" -eq 3 ] || fail "expected 3 log lines: $(cat "$ERR")"
[ "$(ls "$HR2/seccomp/names")" = fine.json ] || fail "installed: $(ls "$HR2/seccomp/names" | tr '\n' ' ')"
sf k8s status --source "$SCRATCH/keynames" --kubelet-root "$HR2" --subdir names
expect_rc 1
expect_out 'rejected new\x0asysfence\x20k8s\x20agent'
grep -q '^sysfence k8s agent: installed' "$OUT" && fail "status printed the raw name"
LC_ALL=C grep -q "$(printf '[\001-\011\013-\037]')" "$HR2/seccomp/names/.sysfence-agent.json" && fail "control bytes in the state"
done_test "key names with a space or a newline are rejected, and escaped in the log, status and state"

# an invalid key's text is quoted nowhere
mkdir -p "$SCRATCH/marker"
printf '{"defaultAction": "SCMP_ACT_MARK3R_SECRET"}' >"$SCRATCH/marker/action.json"
printf '{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["MARK3R_SECRET"]}' >"$SCRATCH/marker/arch.json"
printf '{"defaultAction": MARK3R_SECRET}' >"$SCRATCH/marker/syntax.json"
printf 'kind: SeccompProfile\nspec:\n  defaultAction: [MARK3R_SECRET\n' >"$SCRATCH/marker/yaml"
sf k8s agent --once --source "$SCRATCH/marker" --kubelet-root "$HR2" --subdir marker
expect_rc 1
cp "$ERR" "$SCRATCH/marker.log"
[ "$(grep -c '^.*rejected .*:[0-9]*:[0-9]*: .*error: ' "$SCRATCH/marker.log")" -eq 4 ] ||
        fail "expected 4 rejections with line:col: $(cat "$SCRATCH/marker.log")"
sf k8s status --source "$SCRATCH/marker" --kubelet-root "$HR2" --subdir marker
cp "$OUT" "$SCRATCH/marker.status"
sf k8s status --json --source "$SCRATCH/marker" --kubelet-root "$HR2" --subdir marker
cat "$OUT" >>"$SCRATCH/marker.status"
expect_rc 1
for f in "$SCRATCH/marker.log" "$SCRATCH/marker.status" "$HR2/seccomp/marker/.sysfence-agent.json"; do
        grep -q MARK3R "$f" && fail "${f##*/} quotes the profile: $(grep MARK3R "$f" | head -2)"
done
grep -q 'action.json:1:19: defaultAction: error: invalid value' "$SCRATCH/marker.log" ||
        fail "no line:column and reason: $(grep action.json "$SCRATCH/marker.log")"
done_test "an invalid key's text is quoted nowhere (log, status, state file): the escaped name, line:column and a generic reason"

# --- SIGKILL at random moments, with a checker reading every installed file --------------------

# The versions: real and seed profiles, the good test data, and one invalid profile.
VERS=$SCRATCH/versions
mkdir -p "$VERS"
nv=0
for f in "$REAL"/*.json "$SEED"/*.json "$GOOD"/*; do
        cp "$f" "$VERS/v$nv"
        nv=$((nv + 1))
done
cp "$BAD/arg-index-6.json" "$VERS/bad"
# What may ever appear: each valid version as the agent installs it (k8s install
# gives the same bytes), and the foreign file.
mkdir -p "$SCRATCH/iroot"
( cd "$VERS" && "$SYSFENCE" k8s install v* --kubelet-root "$SCRATCH/iroot" >/dev/null 2>&1 ) ||
        fail "k8s install of the versions failed"
"$PY" -S -c '
import hashlib, os, sys
d = sys.argv[1]
for n in os.listdir(d):
    if not n.startswith("."):
        print(hashlib.sha256(open(os.path.join(d, n), "rb").read()).hexdigest())
print(hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest())
' "$SCRATCH/iroot/seccomp/sysfence" "$SCRATCH/foreign.json" >"$SCRATCH/valid"
[ "$(grep -c . "$SCRATCH/valid")" -eq $((nv + 1)) ] || fail "versions: $(cat "$SCRATCH/valid")"

# Payloads: 60 keys (no extension: JSON or YAML is told by the content), each variant shifts the versions, drops some keys, and
# one in three makes a key invalid.
NK=60
NVAR=12
nvar=0
while [ $nvar -lt $NVAR ]; do
        p=$SCRATCH/var$nvar
        mkdir -p "$p"
        k=0
        while [ $k -lt $NK ]; do
                if [ $(((k + nvar) % 7)) -ne 0 ]; then
                        cp "$VERS/v$(((k * 3 + nvar) % nv))" "$p/k$k"
                fi
                k=$((k + 1))
        done
        [ $((nvar % 3)) -eq 1 ] && cp "$VERS/bad" "$p/k5"
        # in every payload, the same: once installed it must never be missing
        cp "$REAL/moby-default.json" "$p/pinned"
        nvar=$((nvar + 1))
done
k=0
while [ $k -lt $NK ]; do echo "k$k"; k=$((k + 1)); done >"$SCRATCH/names"
echo foreign.json >>"$SCRATCH/names"
echo pinned >>"$SCRATCH/names"

rm -rf "$ROOT" "$CM"
mkdir -p "$DIR"
cp "$SCRATCH/foreign.json" "$DIR/foreign.json"
cm_update "$CM" "$SCRATCH/var0"

# The checker: reads every non-dot file of the dir, over and over, until told to stop.
"$PY" -S -c '
import hashlib, json, os, sys, time
d, valid, names, stop = sys.argv[1:5]
valid = set(open(valid).read().split())
names = set(open(names).read().split())
parsed = set()
seen = set()
bad = []
passes = reads = 0
while not os.path.exists(stop):
    for n in os.listdir(d):
        if n.startswith("."):
            continue
        if n not in names:
            bad.append("a file the kubelet would read and nobody meant: %r" % n)
            continue
        try:
            with open(os.path.join(d, n), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            continue
        reads += 1
        seen.add(n)
        h = hashlib.sha256(data).hexdigest()
        if h not in valid:
            bad.append("%s: %d bytes that are no version ever written: %r" % (n, len(data), data[:60]))
        elif h not in parsed:
            json.loads(data)
            parsed.add(h)
    if "pinned" in seen and not os.path.exists(os.path.join(d, "pinned")):
        bad.append("pinned, in every payload, went missing (a torn snapshot read as removed keys?)")
    passes += 1
print(passes, reads, len(bad))
for b in bad[:5]:
    print(b)
' "$DIR" "$SCRATCH/valid" "$SCRATCH/names" "$SCRATCH/stop" >"$SCRATCH/checker.out" 2>&1 &
CHECKER=$!

# The kubelet: a new payload every 20-80 ms.
(
        i=0
        while [ ! -e "$SCRATCH/stop" ]; do
                cm_update "$CM" "$SCRATCH/var$((i % NVAR))"
                i=$((i + 5))
                sleep "0.0$(($(od -An -N1 -tu1 /dev/urandom) % 6 + 2))"
        done
) &
UPDATER=$!

# Random delays before each kill: half of them within 150 ms of the start, half
# within what a whole first sync of the 60 keys takes in this build (a sanitizer
# build is slower): some kills land while it compiles, some while it writes,
# some while it follows an update.
mkdir -p "$SCRATCH/troot"
t0=$(date +%s%N)
"$SYSFENCE" k8s agent --once --source "$CM" --kubelet-root "$SCRATCH/troot" 2>/dev/null
t1=$(date +%s%N)
span=$(((t1 - t0) / 1000000))
[ "$span" -lt 150 ] && span=150
[ "$span" -gt 1000 ] && span=1000
awk -v n="$KILLS" -v ms="$span" 'BEGIN { srand(); for (i = 0; i < n; i++) printf "%.3f\n", rand() * (i % 2 ? ms : 150) / 1000 }' >"$SCRATCH/delays"
killed=0
midwrite=0
: >"$SCRATCH/agent.log"
while read -r delay; do
        start_agent
        sleep "$delay"
        kill -KILL "$AGENT_PID" 2>/dev/null && killed=$((killed + 1))
        wait "$AGENT_PID" 2>/dev/null
        AGENT_PID=
        # a temporary left behind: this kill cut a write short
        for t in "$DIR"/.sysfence-tmp.*; do
                [ -e "$t" ] && midwrite=$((midwrite + 1))
                break
        done
done <"$SCRATCH/delays"
touch "$SCRATCH/stop"
wait "$UPDATER"
wait "$CHECKER"
[ "$killed" -ge "$KILLS" ] || fail "only $killed of $KILLS agents were killed (the others had exited)"
done_test "the agent SIGKILLed $killed times at random moments (0-$span ms after its start) during syncs and updates ($midwrite in the middle of writing a file)"

read -r passes reads nbad <"$SCRATCH/checker.out" || { passes=0; nbad=1; }
[ "$nbad" = 0 ] || fail "$(tail -n +2 "$SCRATCH/checker.out")"
[ "$passes" -ge 100 ] || fail "the checker made only $passes passes"
done_test "every read of every installed file ($reads reads in $passes passes) was a whole profile, one of the versions written; a key in every payload never went missing"

if grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/agent.log"; then
        fail "sanitizer report: $(grep -m1 'Sanitizer\|runtime error' "$SCRATCH/agent.log")"
fi
grep -q "rejected k5:" "$SCRATCH/agent.log" || fail "the invalid variant was never seen"
grep -q "updated k" "$SCRATCH/agent.log" || fail "no update ever happened between kills"
done_test "the killed agents made updates and rejections, and no sanitizer report"

# After the storm: one last payload, one sync: exactly its keys, all current.
cm_update "$CM" "$SCRATCH/var0"
sf k8s agent --once --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
for f in "$SCRATCH/var0"/*; do
        # the version this key holds, as k8s install wrote it
        for v in "$VERS"/v*; do
                cmp -s "$f" "$v" && break
        done
        cmp -s "$SCRATCH/iroot/seccomp/sysfence/${v##*/}" "$DIR/${f##*/}" || fail "${f##*/} is not current"
done
[ "$(ls "$DIR" | grep -vc foreign.json)" -eq "$(ls "$SCRATCH/var0" | grep -c .)" ] ||
        fail "installed: $(ls "$DIR" | tr '\n' ' ') (orphans of killed agents?)"
same "$SCRATCH/foreign.json" "$DIR/foreign.json" || fail "foreign.json changed"
ls -a "$DIR" | grep -q '^\.sysfence-tmp' && fail "temporaries left after a restart"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
done_test "after the kills one sync converges: the payload's keys only, all current, no orphan, no temporary"

finish
