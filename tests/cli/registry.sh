# A local registry for the tests that push and pull (artifact.sh, k8s-oci.sh, spo-oci.sh): Debian's
# docker-registry (distribution 2.8) on a free port of 127.0.0.1, storing
# under $SCRATCH, and what a test puts in it by hand.  POSIX sh, sourced after
# lib.sh.  What a test starts (registries, agents) goes in $PIDS: killed
# when the script ends, whatever way, and $SCRATCH removed.

PIDS=
_registry_cleanup()
{
        for _p in $PIDS; do
                kill "$_p" 2>/dev/null
                wait "$_p" 2>/dev/null
        done
        rm -rf "$SCRATCH"
}
trap _registry_cleanup EXIT

# forget_pid PID: one of $PIDS the test has reaped itself (its number may be reused)
forget_pid()
{
        _left=
        for _p in $PIDS; do
                [ "$_p" = "$1" ] || _left="$_left $_p"
        done
        PIDS=$_left
}

# registry_needed: the rest is skipped, saying why, where Debian's docker-registry is missing
registry_needed()
{
        if ! command -v docker-registry >/dev/null 2>&1 || _listed SF_TEST_MISSING docker-registry; then
                missing=docker-registry why="docker-registry (Debian's distribution 2.8) is not installed"
                skip_rest "needs a local registry"
        fi
}

free_port()
{
        "$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_registry NAME [AUTH-YAML]: a docker-registry storing under $SCRATCH/NAME
# on a free port of 127.0.0.1 (in $port, its pid in $reg_pid), up when /v2/ answers.
start_registry()
{
        port=$(free_port)
        mkdir -p "$SCRATCH/$1"
        cat >"$SCRATCH/$1/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $SCRATCH/$1/data
http:
  addr: 127.0.0.1:$port
${2:-}
EOF
        docker-registry serve "$SCRATCH/$1/config.yml" >"$SCRATCH/$1/log" 2>&1 &
        reg_pid=$!
        PIDS="$PIDS $reg_pid"
        _i=0
        while [ $_i -lt 100 ]; do
                _c=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/" 2>/dev/null)
                [ -n "$_c" ] && [ "$_c" != 000 ] && return 0
                sleep 0.1
                _i=$((_i + 1))
        done
        echo "# docker-registry $1 did not come up: $(head -c 300 "$SCRATCH/$1/log")"
        return 1
}

# start_basic_registry NAME: start_registry NAME with htpasswd basic auth, user
# "user", password "secret"
start_basic_registry()
{
        htpasswd -Bbn user secret >"$SCRATCH/htpasswd" 2>/dev/null || { echo "# htpasswd -B (apache2-utils) failed"; return 1; }
        start_registry "$1" "auth:
  htpasswd:
    realm: sysfence-test
    path: $SCRATCH/htpasswd"
}

sha256() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# blob_file NAME DIGEST: where registry NAME keeps a blob
blob_file()
{
        _h=${2#sha256:}
        echo "$SCRATCH/$1/data/docker/registry/v2/blobs/sha256/$(echo "$_h" | cut -c1-2)/$_h/data"
}

# put_blob PORT REPO FILE: a blob uploaded by hand (curl), as another tool might
put_blob()
{
        _loc=$(curl -s -o /dev/null -D - -X POST "http://127.0.0.1:$1/v2/$2/blobs/uploads/" |
                tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
        case $_loc in http*) ;; *) _loc=http://127.0.0.1:$1$_loc ;; esac
        case $_loc in *\?*) _sep='&' ;; *) _sep='?' ;; esac
        curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: application/octet-stream" \
                --data-binary @"$3" "$_loc${_sep}digest=$(sha256 "$3")"
}

# put_manifest PORT REPO TAG FILE: a manifest put in by hand (curl), as another tool might have
put_manifest()
{
        curl -s -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: application/vnd.oci.image.manifest.v1+json" \
                --data-binary @"$4" "http://127.0.0.1:$1/v2/$2/manifests/$3"
}
