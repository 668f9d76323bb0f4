#!/bin/sh
# oci:// keys: a ConfigMap key holding oci://REF@sha256:... instead of a
# profile, end to end against Debian's docker-registry (distribution 2.8)
# started here on 127.0.0.1 (plain http, and with htpasswd basic auth), with
# the profiles pushed by 'sysfence artifact push' and the ConfigMap volume laid
# out as the kubelet does it (kubelet-update.sh).  The agent installs the
# pulled profile byte-identical beside inline keys; status names the reference
# and the digest; a tag alone, a registry not allowed, and a profile KEP-6061
# runtimes refuse are refused at the key; a tampered blob and a missing
# manifest fail the pull and leave the installed copy; a digest already
# pulled is not pulled again (the registry gone, a deleted file comes back);
# credentials only from --registry-auth; 'k8s install oci://...' likewise.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kubelet-update.sh"
. "$(dirname "$0")/registry.sh"

cd "$SCRATCH" || exit 1
# No user's credentials: the tests say which file holds them.
HOME=$SCRATCH/home
mkdir -p "$HOME"
export HOME
unset REGISTRY_AUTH_FILE

plan 10

sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}


ROOT=$SCRATCH/kubelet
DIR=$ROOT/seccomp/sysfence
CM=$SCRATCH/cm
STAGE=$SCRATCH/stage
mkdir -p "$ROOT"

# stage KEY=FILE... / KEY=oci://...: the ConfigMap's next payload, swapped in as the kubelet does
stage() { cm_stage "$CM" "$STAGE" "$@" || fail "cm_update failed"; }

agent_once()
{
        sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" "$@"
        cat "$ERR" >>"$SCRATCH/agent.log"
}

registry_needed
start_registry plain || exit 1
P=$port
PLAIN_PID=$reg_pid
REG=127.0.0.1:$P

printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "write", "exit_group", "execve", "brk"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}\n' >one.json
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ptrace", "bpf"], "action": "SCMP_ACT_ERRNO"}]}\n' >two.json
printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["unshare"], "action": "SCMP_ACT_ERRNO"}]}\n' >inline.json

sf artifact push -q one.json "$REG/profiles/one:1" --plain-http
expect_rc 0
ONE=$(cat "$OUT")
sf artifact push -q two.json "$REG/profiles/two:1" --plain-http
expect_rc 0
TWO=$(cat "$OUT")
case $ONE$TWO in *@sha256:*@sha256:*) ;; *) fail "push printed \"$ONE\" and \"$TWO\", not digest-pinned references" ;; esac

# --- 1. an oci:// key beside inline keys ---------------------------------------------------

stage inline.json=inline.json pulled.json="oci://$ONE"
agent_once --plain-http-registry "$REG"
expect_rc 0
cmp -s one.json "$DIR/pulled.json" || fail "the installed pulled.json is not the pushed profile, byte for byte"
cmp -s inline.json "$DIR/inline.json" || fail "the inline key was not installed as it is"
expect_err "pulled pulled.json: oci://$ONE, $(wc -c <one.json) bytes"
expect_err "installed pulled.json"
# decision-identical too: the same program compiled from either
sf compile -q one.json -o "$SCRATCH/a.bpf"
sf compile -q "$DIR/pulled.json" -o "$SCRATCH/b.bpf"
cmp -s "$SCRATCH/a.bpf" "$SCRATCH/b.bpf" || fail "the installed profile compiles to another program"
done_test "an oci://REF@sha256 key is pulled and installed byte-identical to the pushed profile, beside an inline key"

sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
expect_out "current pulled.json (oci://$ONE)"
expect_out "ready: 2 of 2 profiles installed and current"
sf k8s status --source "$CM" --kubelet-root "$ROOT" --json
expect_rc 0
got=$(json_get "$OUT" '" ".join("%s:%s:%s:%s" % (p["name"], p["status"], p.get("reference", "-"), p.get("digest", "-")) for p in d["profiles"])')
[ "$got" = "inline.json:current:-:- pulled.json:current:$ONE:${ONE#*@}" ] || fail "status --json says \"$got\""
done_test "status lists the key with its reference and digest, current; --json has reference and digest"

# --- 2. refused at the key -----------------------------------------------------------------

TAGONLY=$REG/profiles/one:1
stage inline.json=inline.json pulled.json="oci://$ONE" tag.json="oci://$TAGONLY" \
        other.json="oci://localhost:$P/profiles/one@${ONE#*@}" layout.json="oci://oci:/etc:x"
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "rejected tag.json: $CM/"
expect_err "tag.json: oci://$TAGONLY is not pinned by a digest"
expect_err "rejected other.json: $CM/"
expect_err "registry localhost:$P is not one this node pulls from"
expect_err "layout.json: oci://oci:...: an OCI layout on the node's disk is never read"
grep -q '/etc' "$ERR" && fail "the layout key's path was echoed: $(grep '/etc' "$ERR")"
for k in tag other layout; do
        [ -e "$DIR/$k.json" ] && fail "$k.json was installed"
done
cmp -s one.json "$DIR/pulled.json" || fail "pulled.json changed"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "rejected tag.json: $CM/"
expect_out "is not pinned by a digest"
done_test "a tag alone, a registry not allowed and an OCI layout are refused at the key, naming it; nothing installed for them"

stage pulled.json="oci://$ONE"
rm -f "$DIR/pulled.json"
agent_once
expect_rc 1
expect_err "registry $REG is not one this node pulls from"
[ -e "$DIR/pulled.json" ] && fail "installed without any --allow-registry"
agent_once --allow-registry "$REG"
expect_rc 1
expect_err "failed pulled.json: oci://$ONE: cannot pull:"
[ -e "$DIR/pulled.json" ] && fail "pulled over https from a plain http registry"
done_test "no --allow-registry: every oci:// key refused; --allow-registry alone speaks https, not plain http"

# --- 3. pulls that fail keep the installed copy ----------------------------------------------

stage pulled.json="oci://$ONE"
agent_once --plain-http-registry "$REG"
expect_rc 0
cmp -s one.json "$DIR/pulled.json" || fail "pulled.json not installed"
# the key moves to two's digest, whose blob was edited in the registry's storage (same length)
BLOB=$(blob_file plain "$(sha256 two.json)")
cp "$BLOB" blob.orig
sed 's/SCMP_ACT_ERRNO/SCMP_ACT_TRACE/' blob.orig >"$BLOB"
cmp -s blob.orig "$BLOB" && fail "the test did not change the blob"
stage pulled.json="oci://$TWO"
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "failed pulled.json: oci://$TWO: cannot pull: blob $(sha256 two.json): the content does not match its digest"
expect_err "(the installed copy stays)"
cmp -s one.json "$DIR/pulled.json" || fail "the installed copy was changed by a tampered pull"
ls "$DIR"/.sysfence-tmp.* >/dev/null 2>&1 && fail "a temporary was left behind"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "failed pulled.json: oci://$TWO: cannot pull: blob $(sha256 two.json): the content does not match its digest"
expect_out "(an older copy is installed)"
cp blob.orig "$BLOB"
done_test "a tampered blob is refused naming its digest; the installed copy stays; status says failed"

MISSING=$REG/profiles/one@sha256:$(printf x | sha256sum | cut -d' ' -f1)
stage pulled.json="oci://$MISSING"
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "failed pulled.json: oci://$MISSING: cannot pull:"
expect_err "the registry answered 404 MANIFEST_UNKNOWN"
grep -qi 'manifest unknown' "$ERR" && fail "the registry's answer was echoed: $(grep -i 'manifest unknown' "$ERR")"
cmp -s one.json "$DIR/pulled.json" || fail "the installed copy was changed by a failed pull"
sf k8s status --source "$CM" --kubelet-root "$ROOT" --json
expect_rc 1
[ "$(json_get "$OUT" 'd["profiles"][0]["status"]')" = failed ] || fail "status --json: $(head -c 300 "$OUT")"
done_test "a digest the registry lacks (404): failed with the status and error code only, the installed copy stays"

# A profile KEP-6061 runtimes refuse, put in the registry by hand (push refuses it).
printf '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/l.sock", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}\n' >notify.json
printf '{}' >config.json
[ "$(put_blob "$P" profiles/notify config.json)" = 201 ] || fail "the config blob was not put"
[ "$(put_blob "$P" profiles/notify notify.json)" = 201 ] || fail "the layer was not put"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.cncf.seccomp-profile.config.v1+json","config":{"mediaType":"application/vnd.cncf.seccomp-profile.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/json","digest":"%s","size":%d}]}' \
        "$(sha256 config.json)" "$(sha256 notify.json)" "$(wc -c <notify.json)" >m.json
[ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
        --data-binary @m.json "http://$REG/v2/profiles/notify/manifests/1")" = 201 ] || fail "the manifest was not put"
stage pulled.json="oci://$ONE" notify.json="oci://$REG/profiles/notify@$(sha256 m.json)"
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "rejected notify.json: $CM/notify.json"
expect_err "listenerPath: error: a listener field (KEP-6061 runtimes refuse it)"
[ -e "$DIR/notify.json" ] && fail "a profile KEP-6061 runtimes refuse was installed"
grep -q '/run/l.sock' "$ERR" && fail "the pulled profile's text was echoed"
done_test "a pulled profile KEP-6061 runtimes refuse (listenerPath, NOTIFY) is rejected at the spot, its text not echoed"

# --- 4. a digest is pulled once --------------------------------------------------------------

stage pulled.json="oci://$ONE" again.json="oci://$ONE"
: >"$SCRATCH/run.log"
"$SYSFENCE" k8s agent --source "$CM" --kubelet-root "$ROOT" --plain-http-registry "$REG" 2>>"$SCRATCH/run.log" &
AGENT_PID=$!
PIDS="$PIDS $AGENT_PID"
wait_until grep -q "installed again.json" "$SCRATCH/run.log" || fail "the agent did not install again.json: $(tail -n 3 "$SCRATCH/run.log")"
n=$(grep -c "pulled .*: oci://$ONE" "$SCRATCH/run.log")
[ "$n" = 1 ] || fail "two keys of one digest were pulled $n times, not once"
kill "$PLAIN_PID"
wait "$PLAIN_PID" 2>/dev/null
forget_pid "$PLAIN_PID"
rm -f "$DIR/pulled.json"
wait_until cmp -s one.json "$DIR/pulled.json" || fail "the deleted file did not come back with the registry gone: $(tail -n 3 "$SCRATCH/run.log")"
n=$(grep -c "pulled .*: oci://$ONE" "$SCRATCH/run.log")
[ "$n" = 1 ] || fail "the digest was pulled again ($n pulls)"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
[ $? = 0 ] || fail "the agent did not exit 0 on SIGTERM"
forget_pid "$AGENT_PID"
grep -q 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/run.log" &&
        fail "sanitizer report: $(grep -m1 'ERROR: [A-Za-z]*Sanitizer\|runtime error:' "$SCRATCH/run.log")"
# a new agent, the registry still gone: the record says what it installed for these very texts
agent_once --plain-http-registry "$REG"
expect_rc 0
expect_err "kept pulled.json: oci://$ONE, as installed before (not pulled again)"
grep -q "agent: pulled " "$ERR" && fail "a restarted agent pulled again: $(grep 'agent: pulled ' "$ERR")"
cmp -s one.json "$DIR/pulled.json" || fail "pulled.json changed"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 0
# ... but only the very file it wrote: one changed since is pulled again (and here cannot be)
printf ' ' >>"$DIR/again.json"
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "failed again.json: oci://$ONE: cannot pull:"
grep -q "kept again.json" "$ERR" && fail "a changed file was kept as the agent's"
done_test "a digest already pulled is not pulled again: two keys, one pull; a deleted file comes back with the registry gone; a restarted agent keeps what its record proves it installed"

# --- 5. basic auth: credentials from --registry-auth only ------------------------------------

start_basic_registry basic || exit 1
PB=$port
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$PB" "$(printf user:secret | base64)" >auth.json
sf artifact push -q two.json "127.0.0.1:$PB/p/two:1" --plain-http --authfile "$SCRATCH/auth.json"
expect_rc 0
SECRET=$(cat "$OUT")
stage secret.json="oci://$SECRET"
mkdir -p "$HOME/.docker" && cp auth.json "$HOME/.docker/config.json"
REGISTRY_AUTH_FILE=$SCRATCH/auth.json
export REGISTRY_AUTH_FILE
agent_once --plain-http-registry "127.0.0.1:$PB"
unset REGISTRY_AUTH_FILE
expect_rc 1
expect_err "failed secret.json: oci://$SECRET: cannot pull: 127.0.0.1:$PB: the registry asks for credentials, and no credentials file was given"
[ -e "$DIR/secret.json" ] && fail "installed with credentials the agent was not given"
agent_once --plain-http-registry "127.0.0.1:$PB" --registry-auth "$SCRATCH/auth.json"
expect_rc 0
cmp -s two.json "$DIR/secret.json" || fail "secret.json not installed with --registry-auth"
grep -q "$(printf user:secret | base64)" "$SCRATCH/agent.log" && fail "the credentials reached the log"
rm -rf "$HOME/.docker"
done_test "basic auth: never the environment's or \$HOME's credentials; --registry-auth FILE pulls"

# --- 6. k8s install oci://... ----------------------------------------------------------------

IR=$SCRATCH/install-root
mkdir -p "$IR"
sf k8s install "oci://127.0.0.1:$PB/p/two:1" --kubelet-root "$IR" --registry-auth "$SCRATCH/auth.json" \
        --plain-http-registry "127.0.0.1:$PB"
expect_rc 1
expect_err "oci://127.0.0.1:$PB/p/two:1 is not pinned by a digest"
[ -e "$IR/seccomp" ] && fail "install wrote something for a tag-only reference"
sf k8s install "oci://$SECRET" --kubelet-root "$IR" --registry-auth "$SCRATCH/auth.json" --plain-http-registry "127.0.0.1:$PB"
expect_rc 0
expect_out "sysfence/two.json"
cmp -s two.json "$IR/seccomp/sysfence/two.json" || fail "install oci:// did not write the pushed profile"
sf k8s install "oci://$SECRET" --kubelet-root "$IR" --registry-auth "$SCRATCH/auth.json" \
        --allow-registry "$REG" --name other.json
expect_rc 1
expect_err "registry 127.0.0.1:$PB is not one this node pulls from (--allow-registry)"
[ -e "$IR/seccomp/sysfence/other.json" ] && fail "installed from a registry --allow-registry leaves out"
done_test "k8s install oci://REF@sha256: pulled, verified, installed as REPO.json; a tag alone and a registry not allowed refused"

finish
