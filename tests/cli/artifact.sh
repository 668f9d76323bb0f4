#!/bin/sh
# sysfence artifact, end to end against real parts: Debian's docker-registry
# (distribution 2.8) started here on 127.0.0.1, without auth, with htpasswd
# basic auth, and behind a token front (tests/data/artifact/token-proxy.py);
# skopeo reading what sysfence pushed; push -> pull byte-identical, by tag
# and by digest, and through an OCI layout; a blob or manifest edited in the
# registry's storage, a layer of the wrong media type, a foreign config type and
# an oversized layer refused with nothing written; and what KEP-6061 runtimes
# refuse, refused by check --kep6061 and by push at the spot.
set -u

. "$(dirname "$0")/lib.sh"

D=$SF_SOURCE/tests/data/artifact
SMALL=$D/small.json
cd "$SCRATCH" || exit 1
# No user's credentials: the tests say which file holds them.
HOME=$SCRATCH/home
mkdir -p "$HOME"
export HOME
unset REGISTRY_AUTH_FILE

plan 22

sf()
{
        sf_in /dev/null "$@"
        expect_no_sanitizer
}

# The registries and the token front: $PIDS (registry.sh)

. "$(dirname "$0")/registry.sh"

# --- KEP-6061's rules, no registry needed --------------------------------------------

sf check --kep6061 "$D/notify.json"
expect_rc 1
expect_err "notify.json:3:19: listenerPath: error: listenerPath: KEP-6061 runtimes refuse it"
expect_err "notify.json:4:23: listenerMetadata: error: listenerMetadata: KEP-6061 runtimes refuse it"
expect_err "notify.json:7:5: syscalls[1]: error: SCMP_ACT_NOTIFY: KEP-6061 runtimes refuse it"
sf check "$D/notify.json"
grep -q kep6061 "$ERR" && fail "check without --kep6061 reports KEP-6061 findings"
done_test "check --kep6061: NOTIFY and the listener fields, at the spot"

"$PY" -S -c 'import json
print(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}] +
    [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]} for i in range(129)]}, indent=1))' >many.json
sf check --kep6061 many.json
expect_rc 1
expect_err "many.json:"
expect_err "syscalls[129].names[0]: error: \"read\" is named by 129 entries: KEP-6061 runtimes refuse more than 128"
"$PY" -S -c 'import json
print(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["execve", "exit_group"], "action": "SCMP_ACT_ALLOW"}] +
    [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": i, "op": "SCMP_CMP_EQ"}]} for i in range(128)]}, indent=1))' >just.json
sf check --kep6061 just.json
expect_rc 0
done_test "check --kep6061: a syscall in 129 entries is refused, in 128 it is not"

{ head -c -2 "$SMALL"; "$PY" -S -c 'print(" " * (1024 * 1024))'; echo "}"; } >huge.json
json_ok huge.json || fail "the test's padded profile is not JSON"
sf check --kep6061 huge.json
expect_rc 1
expect_err "the file has $(wc -c <huge.json) bytes: KEP-6061 runtimes refuse a profile over 1048576"
sf check huge.json
expect_rc 0
done_test "check --kep6061: a profile over 1 MiB"

# --- a registry --------------------------------------------------------------------

registry_needed
start_registry plain || exit 1
P=$port
R=127.0.0.1:$P/profiles/small

# --- push and pull -----------------------------------------------------------------

sf artifact push -q "$SMALL" "$R:1" --plain-http
expect_rc 0
PINNED=$(cat "$OUT")
DIGEST=${PINNED#*@}
case $PINNED in
"127.0.0.1:$P/profiles/small@sha256:"????????????????????????????????????????????????????????????????) ;;
*) fail "push printed \"$PINNED\", not the digest-pinned reference" ;;
esac
done_test "push prints the digest-pinned reference"

sf artifact pull "127.0.0.1:$P/profiles/small@$DIGEST" -o q.json --plain-http
expect_rc 0
cmp -s "$SMALL" q.json || fail "the profile pulled by digest differs from the one pushed"
sf artifact pull "$R:1" -o q-tag.json --plain-http
expect_rc 0
cmp -s "$SMALL" q-tag.json || fail "the profile pulled by tag differs from the one pushed"
done_test "push -> pull is byte-identical, by digest and by tag"

# skopeo, a client sysfence does not share code with, reads the manifest
if command -v skopeo >/dev/null 2>&1; then
        skopeo inspect --raw --tls-verify=false "docker://$R:1" >raw.json 2>skopeo.err || fail "skopeo inspect: $(head -c 300 skopeo.err)"
        [ "$(sha256 raw.json)" = "$DIGEST" ] || fail "the manifest skopeo reads has digest $(sha256 raw.json), push said $DIGEST"
        got=$(json_get raw.json '"%s %s %s %d %s %s" % (d["artifactType"], d["config"]["mediaType"], d["layers"][0]["mediaType"], len(d["layers"]), d["layers"][0]["digest"], d["layers"][0]["annotations"]["org.opencontainers.image.title"])')
        want="application/vnd.cncf.seccomp-profile.config.v1+json application/vnd.cncf.seccomp-profile.config.v1+json application/json 1 $(sha256 "$SMALL") profile.json"
        [ "$got" = "$want" ] || fail "skopeo reads \"$got\", expected \"$want\""
        [ "$(json_get raw.json 'd["config"]["digest"]')" = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" ] ||
                fail "the config blob is not \"{}\""
        done_test "skopeo inspect --raw reads the manifest sysfence pushed: KEP-6061's media types, one raw JSON layer"
else
        missing=skopeo why="skopeo is not installed (scripts/deps)"
        skip "skopeo reads the manifest"
fi

sf artifact inspect "$R:1" --plain-http
expect_rc 0
expect_out "digest:        $DIGEST"
expect_out "layer:         $(sha256 "$SMALL") $(wc -c <"$SMALL") bytes application/json profile.json"
sf artifact push -q "$SMALL" "$R:again" --plain-http
[ "$(cat "$OUT")" = "$PINNED" ] || fail "the same profile pushed again has another digest: $(cat "$OUT")"
done_test "inspect names the digest and the layer; the same profile always has the same digest"

# --- what pull refuses ---------------------------------------------------------------

# A blob edited in the registry's storage (same length): refused naming the digest, nothing written.
LAYER=$(sha256 "$SMALL")
BLOB=$(blob_file plain "$LAYER")
cp "$BLOB" blob.orig
sed 's/SCMP_ACT_ERRNO/SCMP_ACT_ALLOW/' blob.orig >"$BLOB"
cmp -s blob.orig "$BLOB" && fail "the test did not change the blob"
echo old >keep.json
sf artifact pull "$R:1" -o keep.json --plain-http
expect_rc 1
expect_err "blob $LAYER: the content does not match its digest"
[ "$(cat keep.json)" = old ] || fail "keep.json was changed"
sf artifact pull "$R:1" -o new.json --plain-http
[ -e new.json ] && fail "new.json was written"
ls .new.json* >/dev/null 2>&1 && fail "a temporary file was left behind"
# longer than the manifest says: the download stops at the manifest's size
{ cat blob.orig; echo '    '; } >"$BLOB"
sf artifact pull "$R:1" -o keep.json --plain-http
expect_rc 1
expect_err "blob $LAYER is larger than the $(wc -c <"$SMALL") bytes its manifest says: refused, nothing written"
head -c 100 blob.orig >"$BLOB"
sf artifact pull "$R:1" -o keep.json --plain-http
expect_rc 1
expect_err "blob $LAYER has 100 bytes, its manifest says $(wc -c <"$SMALL")"
[ "$(cat keep.json)" = old ] || fail "keep.json was changed"
cp blob.orig "$BLOB"
done_test "a tampered, longer or shorter blob in the registry is refused, naming the digest; nothing is written"

# The manifest itself edited in storage: pulled by digest, refused.
MBLOB=$(blob_file plain "$DIGEST")
cp "$MBLOB" manifest.orig
sed 's/1970-01-01/1971-01-01/' manifest.orig >"$MBLOB"
sf artifact pull "127.0.0.1:$P/profiles/small@$DIGEST" -o m.json --plain-http
expect_rc 1
expect_err "manifest $DIGEST: the content does not match its digest"
[ -e m.json ] && fail "m.json was written"
cp manifest.orig "$MBLOB"
done_test "a tampered manifest is refused when pulled by its digest"

# manifests put in by hand over the same (intact) blobs
variant()
{
        "$PY" -S -c 'import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[2])
sys.stdout.write(json.dumps(d))' raw0.json "$1" >"$2"
}
curl -s "http://127.0.0.1:$P/v2/profiles/small/manifests/1" -H "Accept: application/vnd.oci.image.manifest.v1+json" >raw0.json
variant 'd["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"' gz.json
c=$(put_manifest "$P" profiles/small gz gz.json)
[ "$c" = 201 ] || fail "the registry took the gzip variant with $c"
sf artifact pull "$R:gz" -o gz-out.json --plain-http
expect_rc 1
expect_err "layers[0].mediaType application/vnd.oci.image.layer.v1.tar+gzip: not a raw JSON profile"
[ -e gz-out.json ] && fail "gz-out.json was written"
done_test "a layer of the wrong media type is refused"

variant 'd["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json"; del d["artifactType"]' img.json
put_manifest "$P" profiles/small img img.json >/dev/null
sf artifact pull "$R:img" -o img-out.json --plain-http
expect_rc 1
expect_err "not a seccomp profile artifact: the config media type is application/vnd.oci.image.config.v1+json"
variant 'd["config"]["mediaType"] = "application/vnd.oci.empty.v1+json"' empty.json
put_manifest "$P" profiles/small empty empty.json >/dev/null
sf artifact pull "$R:empty" -o empty-out.json --plain-http
expect_rc 0
cmp -s "$SMALL" empty-out.json || fail "the artifact under the empty config (kind in artifactType) was not read"
[ -e img-out.json ] && fail "img-out.json was written"
done_test "a foreign config media type is refused; the empty config with artifactType is read (KEP-6061)"

variant 'd["layers"][0]["size"] = 2 * 1024 * 1024' big.json
put_manifest "$P" profiles/small big big.json >/dev/null
sf artifact pull "$R:big" -o big-out.json --plain-http
expect_rc 1
expect_err "has 2097152 bytes: over the 1 MiB limit"
variant 'd["layers"].append(d["layers"][0])' two.json
put_manifest "$P" profiles/small two two.json >/dev/null
sf artifact pull "$R:two" -o two-out.json --plain-http
expect_rc 1
expect_err "2 layers: a profile artifact has exactly one"
[ -e big-out.json ] || [ -e two-out.json ] && fail "a refused pull wrote its output"
done_test "a layer declared over 1 MiB and a manifest of two layers are refused"

# --- the OCI layout ------------------------------------------------------------------

sf artifact push -q "$SMALL" "oci:$SCRATCH/layout:v1"
expect_rc 0
[ "$(cat "$OUT")" = "oci:$SCRATCH/layout@$DIGEST" ] || fail "layout push printed $(cat "$OUT"), not the registry's digest $DIGEST"
[ -f layout/oci-layout ] && [ -f layout/index.json ] && [ -f "layout/blobs/sha256/${DIGEST#sha256:}" ] || fail "no OCI layout written"
sf artifact push -q "$D/notify.json" "oci:$SCRATCH/layout:v2"
sf artifact push -q "$REAL/moby-default.json" "oci:$SCRATCH/layout:v2"
expect_rc 0
sf artifact pull "oci:$SCRATCH/layout:v1" -o l1.json
expect_rc 0
cmp -s "$SMALL" l1.json || fail "the layout round trip changed the profile"
sf artifact pull "oci:$SCRATCH/layout:v2" -o l2.json -q
cmp -s "$REAL/moby-default.json" l2.json || fail "a second tag in the layout does not hold its profile"
if command -v skopeo >/dev/null 2>&1; then
        skopeo inspect --raw "oci:$SCRATCH/layout:v1" >lraw.json 2>skopeo.err || fail "skopeo: $(head -c 300 skopeo.err)"
        [ "$(sha256 lraw.json)" = "$DIGEST" ] || fail "skopeo reads another manifest from the layout"
fi
[ -f "layout/blobs/sha256/$(sha256sum "$REAL/moby-default.json" | cut -d' ' -f1)" ] ||
        fail "moby's default is not stored under its sha256sum"
# SHA-256 is sysfence's own: lengths around the padding boundaries (55, 56, 63, 64 mod 64)
for n in 54 55 62 63; do
        { head -c -2 "$SMALL"; head -c "$n" /dev/zero | tr '\0' ' '; echo "}"; } >pad.json
        sf artifact push -q pad.json "oci:$SCRATCH/pad:t"
        [ -f "pad/blobs/sha256/$(sha256sum pad.json | cut -d' ' -f1)" ] ||
                fail "a $(wc -c <pad.json)-byte profile is not stored under its sha256sum"
done
done_test "oci:DIR layout round trip, two tags, read by skopeo; blobs named by their sha256sum"

LB="layout/blobs/sha256/${LAYER#sha256:}"
sed 's/read/rexd/' "$LB" >tampered && cat tampered >"$LB"
sf artifact pull "oci:$SCRATCH/layout:v1" -o l3.json
expect_rc 1
expect_err "blob $LAYER: the content does not match its digest"
[ -e l3.json ] && fail "l3.json was written"
done_test "a tampered blob in a layout is refused"

# skopeo copies the registry's artifact into a layout sysfence reads
if command -v skopeo >/dev/null 2>&1; then
        skopeo copy -q --src-tls-verify=false "docker://$R:1" "oci:$SCRATCH/copied:c" >/dev/null 2>skopeo.err ||
                fail "skopeo copy: $(head -c 300 skopeo.err)"
        sf artifact pull "oci:$SCRATCH/copied:c" -o c.json
        expect_rc 0
        cmp -s "$SMALL" c.json || fail "the artifact skopeo copied reads differently"
        done_test "an artifact skopeo copied into a layout is pulled"
else
        missing=skopeo why="skopeo is not installed (scripts/deps)"
        skip "skopeo copy"
fi

# --- KEP-6061's rules -------------------------------------------------------------------


sf artifact push "$D/notify.json" "$R:notify" --plain-http
expect_rc 1
expect_err "notify.json:3:19: listenerPath: error"
expect_err "not pushed: a KEP-6061 runtime would refuse it"
c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/v2/profiles/small/manifests/notify")
[ "$c" = 404 ] || fail "the registry has the refused profile (HTTP $c)"
sf artifact push huge.json "$R:huge" --plain-http
expect_rc 1
expect_err "1 MiB"
done_test "push refuses what a KEP-6061 runtime refuses, and the registry never sees it"

# a pulled profile is checked as the runtime will: a NOTIFY profile in a layout pushed by another tool
mkdir -p evil/blobs/sha256
cp "$D/notify.json" evil/layer
"$PY" -S -c 'import hashlib, json, os, sys
def blob(b):
    h = hashlib.sha256(b).hexdigest()
    open("evil/blobs/sha256/" + h, "wb").write(b)
    return "sha256:" + h, len(b)
t = "application/vnd.cncf.seccomp-profile.config.v1+json"
cd, cs = blob(b"{}")
ld, ls = blob(open("evil/layer", "rb").read())
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "artifactType": t,
    "config": {"mediaType": t, "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode()
md, ms = blob(m)
open("evil/oci-layout", "w").write("{\"imageLayoutVersion\":\"1.0.0\"}")
open("evil/index.json", "w").write(json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "x"}}]}))'
sf artifact pull "oci:$SCRATCH/evil:x" -o evil.json
expect_rc 1
expect_err "oci:$SCRATCH/evil:x:7:5: syscalls[1]: error: SCMP_ACT_NOTIFY"
expect_err "refused, nothing written"
[ -e evil.json ] && fail "evil.json was written"
done_test "pull refuses a profile a KEP-6061 runtime refuses (ORAS's tar label on its layer is read)"

# --- authentication ------------------------------------------------------------------

start_basic_registry basic || exit 1
PB=$port
sf artifact push -q "$SMALL" "127.0.0.1:$PB/p/s:1" --plain-http
expect_rc 1
expect_err "the registry asks for credentials and $HOME/.docker/config.json has none for \"127.0.0.1:$PB\""
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$PB" "$(printf user:secret | base64)" >auth.json
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$PB" "$(printf user:wrong | base64)" >wrong.json
REGISTRY_AUTH_FILE=$SCRATCH/auth.json sf artifact push -q "$SMALL" "127.0.0.1:$PB/p/s:1" --plain-http
expect_rc 0
REGISTRY_AUTH_FILE=$SCRATCH/auth.json sf artifact pull "127.0.0.1:$PB/p/s:1" -o a.json --plain-http
expect_rc 0
cmp -s "$SMALL" a.json || fail "the profile pulled with basic auth differs"
sf artifact pull "127.0.0.1:$PB/p/s:1" -o w.json --plain-http --authfile "$SCRATCH/wrong.json"
expect_rc 1
expect_err "answered 401"
[ -e w.json ] && fail "w.json was written"
done_test "htpasswd basic auth: refused without credentials, push and pull with \$REGISTRY_AUTH_FILE, wrong password refused"

mkdir -p "$HOME/.docker" && cp auth.json "$HOME/.docker/config.json"
sf artifact inspect "127.0.0.1:$PB/p/s:1" --plain-http
expect_rc 0
expect_out "digest:        $DIGEST"
done_test "credentials from ~/.docker/config.json"
rm -f "$HOME/.docker/config.json"

# the token flow: a Bearer challenge in front of the plain registry
"$PY" -S "$D/token-proxy.py" "$SCRATCH/token.port" "$P" "$SCRATCH/token.log" &
PIDS="$PIDS $!"
_i=0
while [ ! -s "$SCRATCH/token.port" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
PT=$(cat "$SCRATCH/token.port" 2>/dev/null)
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$PT" "$(printf user:secret | base64)" >tauth.json
sf artifact push -q "$SMALL" "127.0.0.1:$PT/profiles/tok:1" --plain-http --authfile "$SCRATCH/tauth.json"
expect_rc 0
sf artifact pull "127.0.0.1:$PT/profiles/tok:1" -o t.json --plain-http --authfile "$SCRATCH/tauth.json"
expect_rc 0
cmp -s "$SMALL" t.json || fail "the profile pulled through the token flow differs"
grep -q '^token .*scope=repository%3Aprofiles%2Ftok%3Apull%2Cpush.* basic$' "$SCRATCH/token.log" ||
        fail "push asked for no pull,push token with credentials: $(head -3 "$SCRATCH/token.log")"
grep -q '^token .*scope=repository%3Aprofiles%2Ftok%3Apull&.* basic$' "$SCRATCH/token.log" ||
        fail "pull asked for no pull token: $(tail -3 "$SCRATCH/token.log")"
sf artifact pull "127.0.0.1:$PT/profiles/tok:1" -o t2.json --plain-http
expect_rc 1
expect_err "asks for credentials"
done_test "the registry token flow: a Bearer token for the repository's scope, with the auth file's credentials"

# https: a registry with a self-signed certificate
if command -v openssl >/dev/null 2>&1 &&
        openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
                -keyout tls.key -out tls.crt -days 1 >/dev/null 2>&1; then
        start_registry tls "  tls:
    certificate: $SCRATCH/tls.crt
    key: $SCRATCH/tls.key" || exit 1
        sf artifact push -q "$SMALL" "127.0.0.1:$port/p/tls:1"
        expect_rc 1
        expect_err_re "certificate|SSL" "that the certificate was not trusted"
        sf artifact push -q "$SMALL" "127.0.0.1:$port/p/tls:1" --tls-verify=false
        expect_rc 0
        sf artifact pull "127.0.0.1:$port/p/tls:1" -o tls.json --tls-verify=false
        expect_rc 0
        cmp -s "$SMALL" tls.json || fail "the profile pulled over https differs"
        done_test "https: an untrusted certificate is refused; --tls-verify=false pushes and pulls"
else
        missing=openssl why="openssl cannot make a test certificate"
        skip "https"
fi

# --- usage ---------------------------------------------------------------------------

sf artifact push "$SMALL" profiles/small:1
expect_rc 2
expect_err "\"profiles\" is not a registry host"
sf artifact pull "$R@sha256:abc" -o x.json
expect_rc 2
expect_err "not sha256: and 64 lower-case hex digits"
sf artifact pull "$R:1" --plain-http
expect_rc 2
expect_err "pull needs -o FILE"
for ref in "127.0.0.1:$P/Profiles/x:1" "127.0.0.1:$P/profiles//x:1" "127.0.0.1:$P/x:-bad" "oci:" "host_x/y:1" "127.0.0.1:99999999/x:1"; do
        sf artifact inspect "$ref" --plain-http
        [ "$rc" = 2 ] || fail "\"$ref\" gave exit $rc, not a usage error"
done
done_test "bad references and a pull without -o are usage errors"

finish
