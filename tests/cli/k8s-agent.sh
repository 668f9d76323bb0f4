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
plan 33

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

stop_agent()
{
        [ -n "$AGENT_PID" ] || return 0
        kill -TERM "$AGENT_PID" 2>/dev/null
        wait "$AGENT_PID"
        agent_rc=$?
        AGENT_PID=
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

same() { cmp -s "$1" "$2"; }
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
        same "$CM/$k" "$DIR/$k" || fail "$k: installed bytes differ from the ConfigMap's"
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
kill -INT "$AGENT_PID"
wait "$AGENT_PID"
agent_rc=$?
AGENT_PID=
[ "$agent_rc" -eq 0 ] || fail "SIGINT: exit $agent_rc"
done_test "SIGINT: the agent exits 0"

# another writer holds the dir's lock (an agent of the previous DaemonSet
# generation, k8s install): the new agent waits, and SIGTERM still exits 0
hold_lock "$DIR/.sysfence-agent.lock"
start_agent
wait_until catches "$AGENT_PID" 15 || fail "the agent set no SIGTERM handler within 60 s"
wait_until in_flock "$AGENT_PID" || fail "the agent does not wait for the lock: $(waits_on "$AGENT_PID")"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
agent_rc=$?
AGENT_PID=
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
                same "$f" "$v" && break
        done
        same "$SCRATCH/iroot/seccomp/sysfence/${v##*/}" "$DIR/${f##*/}" || fail "${f##*/} is not current"
done
[ "$(ls "$DIR" | grep -vc foreign.json)" -eq "$(ls "$SCRATCH/var0" | grep -c .)" ] ||
        fail "installed: $(ls "$DIR" | tr '\n' ' ') (orphans of killed agents?)"
same "$SCRATCH/foreign.json" "$DIR/foreign.json" || fail "foreign.json changed"
ls -a "$DIR" | grep -q '^\.sysfence-tmp' && fail "temporaries left after a restart"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
done_test "after the kills one sync converges: the payload's keys only, all current, no orphan, no temporary"

finish
