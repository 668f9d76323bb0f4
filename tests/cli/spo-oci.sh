#!/bin/sh
# spec.baseProfileName: oci://REF, as the Security Profiles Operator resolves
# it, against Debian's docker-registry started here on 127.0.0.1 (plain http).
# A base pushed with 'sysfence artifact push' (a KEP-6061 runtime-spec
# profile) and one put there as spoc pushes a SeccompProfile object (which has
# a base of its own: runc-v1.1.5).  The user commands pull it (--base-plain-http)
# and flatten to the union, deciding what the inline union decides; a tag is
# warned as not pinned, a missing digest is an error naming the reference, a
# cycle through oci:// and local names is named.  The node agent takes only
# digests from the registries it was given, installs the union, and a failed
# pull leaves the installed file as it was, the key failed in status.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/kubelet-update.sh"
. "$(dirname "$0")/registry.sh"

cd "$SCRATCH" || exit 1
# No user's credentials: none are needed, and none may be read.
HOME=$SCRATCH/home
mkdir -p "$HOME"
export HOME
unset REGISTRY_AUTH_FILE

plan 8

sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}


registry_needed
start_registry plain || exit 1
P=$port
REG=127.0.0.1:$P

# put_object REPO TAG FILE: FILE (a SeccompProfile) as spoc pushes a profile
# object (SPO's packProfiles: ORAS's unknown config type, one file layer
# profile.yaml); the manifest's digest in $OBJ
put_object()
{
        printf '{}' >obj-config.json
        [ "$(put_blob "$P" "$1" obj-config.json)" = 201 ] || fail "the config blob of $1 was not put"
        [ "$(put_blob "$P" "$1" "$3")" = 201 ] || fail "the layer of $1 was not put"
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.unknown.config.v1+json","digest":"%s","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.title":"profile.yaml"}}]}' \
                "$(sha256 obj-config.json)" "$(sha256 "$3")" "$(wc -c <"$3")" >obj-manifest.json
        [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
                --data-binary @obj-manifest.json "http://$REG/v2/$1/manifests/$2")" = 201 ] ||
                fail "the manifest of $1 was not put"
        OBJ=$REG/$1@$(sha256 obj-manifest.json)
}

# crd NAME BASE RULES: a SeccompProfile (BASE "" for none)
crd()
{
        printf 'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: %s\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n' "$1"
        [ -n "$2" ] && printf '  baseProfileName: %s\n' "$2"
        printf '  syscalls:\n%s\n' "$3"
}

OWN='  - action: SCMP_ACT_ALLOW
    names: [uname, getpid]
  - action: SCMP_ACT_ERRNO
    errnoRet: 38
    names: [ptrace]'
BASE_RULES='  - action: SCMP_ACT_ALLOW
    names: [read, write, exit_group, execve, brk]
  - action: SCMP_ACT_ERRNO
    errnoRet: 13
    names: [mkdir]
  - action: SCMP_ACT_ALLOW
    names: [socket]
    args: [{index: 0, value: 1, op: SCMP_CMP_EQ}]'
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read", "write", "exit_group", "execve", "brk"], "action": "SCMP_ACT_ALLOW"}, {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}]}\n' >base.json
sf artifact push -q base.json "$REG/bases/app:1" --plain-http
expect_rc 0
BASE=$(cat "$OUT")
case $BASE in "$REG/bases/app@sha256:"*) ;; *) fail "push printed \"$BASE\"" ;; esac

# --- 1. the union, pulled by digest ---------------------------------------------------------

crd app "oci://$BASE" "$OWN" >app.yaml
crd app "" "$BASE_RULES
$OWN" >inline.yaml
sf convert app.yaml --base-plain-http -o flat.json
expect_rc 0
sf compile -q flat.json -o a.bpf
expect_rc 0
sf compile -q inline.yaml -o b.bpf
expect_rc 0
cmp -s a.bpf b.bpf || fail "the flattened profile compiles to another program than the inline union"
sf compile -q app.yaml --base-plain-http -o c.bpf
expect_rc 0
cmp -s c.bpf b.bpf || fail "compile of the object with its oci:// base is not the inline union's program"
sf diff app.yaml inline.yaml --base-plain-http
expect_rc 0
sf explain app.yaml --base-plain-http
expect_rc 0
expect_out "SCMP_ACT_ERRNO(13) (1):"
sf merge app.yaml --base-plain-http -o merged.json
expect_rc 0
sf diff merged.json inline.yaml
expect_rc 0
mkdir -p "$SCRATCH/install"
sf k8s install app.yaml --kubelet-root "$SCRATCH/install" --base-plain-http
expect_rc 0
sf compile -q "$SCRATCH/install/seccomp/sysfence/app.yaml" -o i.bpf
expect_rc 0
cmp -s i.bpf b.bpf || fail "k8s install did not install the union"
done_test "a base oci://REF@sha256 pushed by 'sysfence artifact push' flattens to the union: convert, compile, diff, explain, merge and k8s install decide as the inline union"

# without the puller's plain http the pull is tried over https and fails, naming the reference
sf convert app.yaml -o none.json
expect_rc 1
expect_err "app.yaml:7:"
expect_err "base oci://$BASE: cannot pull:"
[ -e none.json ] && fail "convert wrote a file for a base it could not pull"
MISSING=$REG/bases/app@sha256:$(printf x | sha256sum | cut -d' ' -f1)
crd app "oci://$MISSING" "$OWN" >missing.yaml
sf convert missing.yaml --base-plain-http -o none.json
expect_rc 1
expect_err "SeccompProfile \"app\": base oci://$MISSING: cannot pull:"
expect_err "404 MANIFEST_UNKNOWN"
[ -e none.json ] && fail "convert wrote a file for a missing base"
done_test "a digest the registry lacks is an error naming the reference and the spot; nothing written"

# --- 2. a tag: pulled with a warning ----------------------------------------------------------

crd app "oci://$REG/bases/app:1" "$OWN" >tag.yaml
sf check tag.yaml --base-plain-http
expect_rc 0
expect_err "tag.yaml:7:"
expect_err "base \"oci://$REG/bases/app:1\" is not pinned by a digest"
sf compile -q tag.yaml --base-plain-http -o d.bpf
expect_rc 0
cmp -s d.bpf b.bpf || fail "the tag's base is not the digest's"
# convert, quiet otherwise, says it too
sf convert tag.yaml --base-plain-http -o tag.json
expect_rc 0
expect_err "is not pinned by a digest"
done_test "a tag-only base is pulled (the operator takes tags) with a warning that it is not pinned"

# --- 3. chains and cycles ---------------------------------------------------------------------

crd team "runc-v1.1.5" '  - action: SCMP_ACT_ALLOW
    names: [getcwd, uname]' >team.yaml
put_object bases/team v1 team.yaml
TEAM=$OBJ
crd app "oci://$TEAM" "$OWN" >chain.yaml
mkdir -p local
cp team.yaml local/
crd app "team" "$OWN" >local-chain.yaml
sf compile -q chain.yaml --base-plain-http -o e.bpf
expect_rc 0
sf compile -q local-chain.yaml --profiles-dir local -o f.bpf
expect_rc 0
cmp -s e.bpf f.bpf || fail "app -> oci://team -> runc-v1.1.5 is not the local chain's program"
sf diff chain.yaml local-chain.yaml --base-plain-http --profiles-dir local
expect_rc 0
# the runc base's calls are in: futex (runc's) allowed, unlike in the inline union
sf explain chain.yaml --base-plain-http
expect_rc 0
grep -A8 "allowed (" "$OUT" | grep -qw futex || fail "futex (the runc base's) is not allowed: $(head -c 400 "$OUT")"
done_test "a pulled SeccompProfile object with a base of its own: app -> oci://team -> runc-v1.1.5 decides as the same chain of local objects"

crd loop "" '  - action: SCMP_ACT_ALLOW
    names: [getcwd]' | sed 's/^spec:$/spec:\n  baseProfileName: loop/' >loop.yaml
put_object bases/loop v1 loop.yaml
crd loop "oci://$OBJ" "$OWN" >cycle.yaml
sf convert cycle.yaml --base-plain-http -o none.json
expect_rc 1
expect_err "base profiles form a cycle: \"loop\" -> \"oci://$OBJ\" -> \"loop\""
[ -e none.json ] && fail "convert wrote a file for a cycle"
done_test "a cycle through an oci:// base and a local name is an error naming them"

# --- 4. the node agent ------------------------------------------------------------------------

ROOT=$SCRATCH/kubelet
DIR=$ROOT/seccomp/sysfence
CM=$SCRATCH/cm
STAGE=$SCRATCH/stage
mkdir -p "$ROOT"
stage() { cm_stage "$CM" "$STAGE" "$@" || fail "cm_update failed"; }
agent_once()
{
        sf k8s agent --once --source "$CM" --kubelet-root "$ROOT" "$@"
}

sed 's/^  name: app$/  name: app-b/' app.yaml >app-b.yaml
stage app.yaml=app.yaml app-b.yaml=app-b.yaml chain.yaml=chain.yaml
agent_once --plain-http-registry "$REG"
expect_rc 0
expect_err "installed app.yaml"
expect_err "installed app-b.yaml"
expect_err "installed chain.yaml"
n=$(grep -c "pulled base oci://$BASE" "$ERR")
[ "$n" = 1 ] || fail "the base of two keys was pulled $n times, not once"
sf compile -q "$DIR/app.yaml" -o g.bpf
expect_rc 0
cmp -s g.bpf b.bpf || fail "the installed app.yaml is not the inline union's program"
sf compile -q "$DIR/chain.yaml" -o h.bpf
expect_rc 0
cmp -s h.bpf f.bpf || fail "the installed chain.yaml is not the local chain's program"
done_test "the agent installs keys whose base is oci://REF@sha256 (and a chain through one) as their unions, pulling each digest once"

crd other "oci://localhost:$P/bases/app@${BASE#*@}" "$OWN" >other.yaml
# a runtime-spec base KEP-6061 runtimes refuse (a listener), put there by hand
printf '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/l.sock", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}\n' >notify.json
put_object bases/notify v1 notify.json
crd notified "oci://$OBJ" "$OWN" >notified.yaml
stage app.yaml=app.yaml tag.yaml=tag.yaml other.yaml=other.yaml notified.yaml=notified.yaml
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "rejected notified.yaml: $CM/notified.yaml: base oci://$OBJ: refused as KEP-6061 runtimes refuse it (kep6061-listener)"
grep -q '/run/l.sock' "$ERR" && fail "the pulled base's text was echoed"
expect_err "rejected tag.yaml: $CM/tag.yaml: base oci://$REG/bases/app:1 is not pinned by a digest"
expect_err "rejected other.yaml: $CM/other.yaml: base oci://localhost:$P/bases/app@${BASE#*@}: registry localhost:$P is not one this node pulls from"
for k in tag other notified; do
        [ -e "$DIR/$k.yaml" ] && fail "$k.yaml was installed"
done
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "is not pinned by a digest"
done_test "the agent refuses a tag-only base, a base from a registry it was not given and one KEP-6061 runtimes refuse, saying so in its log and status"

cp "$DIR/app.yaml" installed.before
crd app "oci://$MISSING" "$OWN" >app2.yaml
stage app.yaml=app2.yaml
agent_once --plain-http-registry "$REG"
expect_rc 1
expect_err "failed app.yaml: $CM/app.yaml: base oci://$MISSING: cannot pull:"
cmp -s installed.before "$DIR/app.yaml" || fail "a failed base pull changed the installed file"
ls "$DIR"/.sysfence-tmp.* >/dev/null 2>&1 && fail "a temporary was left behind"
sf k8s status --source "$CM" --kubelet-root "$ROOT"
expect_rc 1
expect_out "failed app.yaml: $CM/app.yaml: base oci://$MISSING: cannot pull:"
done_test "a base the registry lacks: the key failed with the reason in status, the installed file untouched"

finish
