# The node agent's image, built once per build tree and kept, for the tests
# that run it (agent-image.sh with podman, k8s-agent-pod.sh on containerd).
# POSIX sh, sourced after lib.sh.
#
#   AGENT_IMAGE_CACHE  the cache ($SF_IMAGE_CACHE, tests/meson.build: the build
#                      directory's tests/agent-image): debian-12.tar (the base
#                      made by mmdebstrap), sysfence.tar (the image, a docker
#                      archive for 'ctr -n k8s.io images import' or 'podman
#                      load') and sysfence.tar.key (the hash of the inputs it
#                      was built from)
#   agent_image_lock   take the cache's lock (flock; meson runs the tests that
#                      share it at the same time); agent_image_unlock drops it
#   agent_image_fresh  0 if sysfence.tar was built from the sources as they are
#   agent_image_build PODMAN LOG
#                      deploy/build-image into the cache with podman command
#                      PODMAN (its own storage); 0 built; 1 failed (why in
#                      $why); 2 it cannot be built here ($missing, $why: a skip)

AGENT_IMAGE_CACHE=${SF_IMAGE_CACHE:-$(dirname "$SYSFENCE")/tests/agent-image}

# What the build reads: the Containerfile, its builder, and what the
# Containerfile copies.
agent_image_key()
{
        (cd "$SF_SOURCE" && {
                echo deploy/Containerfile deploy/build-image
                sed -n 's/^COPY \([^-][^ ]*\( [^ ]*\)*\) [^ ]*$/\1/p' deploy/Containerfile
        } | tr ' ' '\n' | grep . | xargs -I{} find {} -type f ! -path '*/node_modules/*' | LC_ALL=C sort |
                xargs sha256sum | sha256sum | cut -c1-64)
}

agent_image_lock()
{
        mkdir -p "$AGENT_IMAGE_CACHE" || return 1
        exec 8>"$AGENT_IMAGE_CACHE/lock" || return 1
        # a build from nothing takes minutes on a loaded machine
        flock -w 900 8
}

agent_image_unlock() { exec 8>&-; }

agent_image_fresh()
{
        [ -s "$AGENT_IMAGE_CACHE/sysfence.tar" ] &&
                [ "$(cat "$AGENT_IMAGE_CACHE/sysfence.tar.key" 2>/dev/null)" = "$(agent_image_key)" ]
}

agent_image_build()
{
        why=
        # The build's apt-get (and mmdebstrap, for the base) need the Debian mirror.
        if ! curl -sfI --max-time 20 -o /dev/null http://deb.debian.org/debian/dists/bookworm/InRelease; then
                missing=debian-mirror why="the Debian mirror (deb.debian.org) is unreachable: the image's build needs it"
                return 2
        fi
        if ! command -v mmdebstrap >/dev/null && [ ! -s "$AGENT_IMAGE_CACHE/debian-12.tar" ]; then
                why="mmdebstrap is not installed (scripts/deps installs it)"
                return 1
        fi
        _key=$(agent_image_key)
        rm -f "$AGENT_IMAGE_CACHE/sysfence.tar" "$AGENT_IMAGE_CACHE/sysfence.tar.key"
        # --base local: the test is the same wherever it runs, registry or none
        if ! PODMAN=$1 timeout -k 5 540 "$SF_SOURCE/deploy/build-image" --quiet --base local \
                --base-tar "$AGENT_IMAGE_CACHE/debian-12.tar" --save "$AGENT_IMAGE_CACHE/sysfence.tar" >"$2" 2>&1; then
                why="deploy/build-image failed: $(tail -n 12 "$2")"
                return 1
        fi
        [ -s "$AGENT_IMAGE_CACHE/sysfence.tar" ] || { why="deploy/build-image saved no archive"; return 1; }
        echo "$_key" >"$AGENT_IMAGE_CACHE/sysfence.tar.key"
}
