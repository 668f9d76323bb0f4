#!/bin/sh
# The kill-by-default rerun of every recorded workload inside a runc container:
# each workload (a coreutils pipeline, python3 serving HTTP to curl, nginx
# master and workers serving a file, a multi-threaded program, a shell that
# forks and execs, a program making an i386 call) is recorded once on the host
# with `sysfence record --base runc --default-action kill --format oci`, then
# the same script runs as the process of a runc container whose linux.seccomp
# is that profile: it must do the same work.  The container sees the host's
# programs (read-only bind mounts of /usr, /etc, ...) and the host's network.
# Then the profile loses one syscall the workload made (a few each: the
# hottest, the rarest, and two between; sysfence run's tests take every one
# away) and the container must fail.
#
# runc, python3, curl, nginx and cc are needed; a missing one is a failure.
set -u
. "$(dirname "$0")/lib.sh"

plan 7

PY3=/usr/bin/python3
limit=60

for tool in runc curl nginx cc "$PY3"; do
        command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (Debian: runc, curl, nginx-light, gcc, python3)"
done
[ "$(id -u)" = 0 ] || fail "runc containers need root"
done_test "root, runc and the programs the workloads use are here"

# Everything a workload touches lives under $W, mounted at the same path in
# the container, so the recorded script and the contained one are the same.
W=$SCRATCH/w
mkdir -p "$W/www" "$W/nginx/tmp" "$W/bundle/rootfs"
chmod 755 "$SCRATCH" "$W" "$W/www" "$W/nginx"
echo "served over http" >"$W/www/index.txt"
i=0
while [ $i -lt 40 ]; do
        echo "line $i" >"$W/f$i"
        i=$((i + 1))
done

cat >"$W/threads.py" <<'EOF'
import threading
out = [0] * 4
def work(k):
    s = 0
    for i in range(20000):
        s += i * k
    with open("/proc/self/stat") as f:
        f.read()
    out[k] = s
ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(sum(out))
EOF

# python3's HTTP server answering one request, then closing: the same calls in
# every run (killing a server that is still closing the connection is not)
cat >"$W/serve1.py" <<'EOF'
import functools, http.server, sys
h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), h)
s.handle_request()
s.server_close()
EOF

cc -O2 -o "$W/int80" "$SF_SOURCE/tests/data/programs/int80.c" || fail "cc int80.c"

port=$("$PY3" -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nport=$("$PY3" -S -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$W/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 64; }
http {
    access_log $W/nginx/access.log;
    client_body_temp_path $W/nginx/tmp/body;
    proxy_temp_path $W/nginx/tmp/proxy;
    fastcgi_temp_path $W/nginx/tmp/fastcgi;
    uwsgi_temp_path $W/nginx/tmp/uwsgi;
    scgi_temp_path $W/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$nport;
        root $W/www;
    }
}
EOF

# The workloads: shell scripts run by sh -c on the host and in the container.
# A server is given 0.3 s before the first fetch so that the recording and the
# rerun take the same path (the retry loop's sleep is in both).
fetch_loop='i=0; while [ $i -lt 100 ]; do curl -sf --max-time 2 -o '"$W"'/got.$$ "$1" && break; sleep 0.1; i=$((i + 1)); done'
set -- \
        pipeline "seq 1000 | sort -r | head -3 | wc -l" \
        http "$PY3 $W/serve1.py $port $W/www 2>/dev/null & srv=\$!; sleep 0.3; set -- http://127.0.0.1:$port/index.txt; $fetch_loop; wait \$srv; cat $W/got.\$\$; rm -f $W/got.\$\$" \
        nginx "nginx -p $W/nginx -c $W/nginx/nginx.conf & srv=\$!; sleep 0.3; set -- http://127.0.0.1:$nport/index.txt; $fetch_loop; kill -QUIT \$srv; wait \$srv; cat $W/got.\$\$; rm -f $W/got.\$\$" \
        threads "$PY3 $W/threads.py; sort --parallel=4 -S 1M $W/f1 $W/f2 $W/f3 $W/f4 | wc -l" \
        forkexec "for f in $W/f*; do cat \$f; done | wc -l; for i in 1 2 3; do (echo sub \$i) | tr a-z A-Z; done" \
        int80 "$W/int80"

# The container: runc's default spec with the host's programs, network and
# the default capabilities of docker (nginx's master sets its workers' ids).
(cd "$W/bundle" && runc spec) || fail "runc spec"
for d in usr bin sbin lib lib64 etc proc dev tmp; do
        mkdir -p "$W/bundle/rootfs/$d"
done
mkdir -p "$W/bundle/rootfs$W"

# in_runc PROFILE SCRIPT: runs SCRIPT in the container under PROFILE; sets
# $rc, output in $OUT
in_runc()
{
        "$PY3" -S - "$W/bundle/config.json" "$1" "$2" "$W" <<'P' || fail "cannot write config.json"
import json, os, sys
path, profile, script, w = sys.argv[1:5]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", script]
c["process"]["cwd"] = "/"
c["process"]["env"] = ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG=C"]
caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
c["process"]["capabilities"].pop("inheritable", None)
c["process"]["capabilities"].pop("ambient", None)
c["root"] = {"path": "rootfs", "readonly": True}
keep = [m for m in c["mounts"] if m["destination"] in ("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys")]
for d in ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc"):
    if os.path.islink(d):
        continue  # merged /usr: a symlink in the rootfs would be needed; the bind covers it
    keep.append({"destination": d, "type": "bind", "source": d, "options": ["rbind", "ro"]})
keep.append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]})
keep.append({"destination": w, "type": "bind", "source": w, "options": ["rbind", "rw"]})
c["mounts"] = keep
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]
c["linux"].pop("maskedPaths", None)
c["linux"]["seccomp"] = json.load(open(profile))
json.dump(c, open(path, "w"), indent=1)
P
        (cd "$W/bundle" && timeout -k 5 "$limit" runc run "sf-rr-$$") >"$OUT" 2>"$ERR"
        rc=$?
        runc delete -f "sf-rr-$$" >/dev/null 2>&1
}

# A merged /usr has /bin, /lib, ... as symlinks into /usr: the same links in the rootfs.
for d in bin sbin lib lib64; do
        if [ -L "/$d" ]; then
                rmdir "$W/bundle/rootfs/$d"
                ln -s "$(readlink "/$d")" "$W/bundle/rootfs/$d"
        fi
done


# what runc's base set adds (runc's own calls after loading the filter) and
# execve are never taken away: the rest is the workload's own
"$SYSFENCE" record -q --base none --format oci -o "$SCRATCH/none.json" -- true >/dev/null 2>&1
"$SYSFENCE" record -q --base runc --format oci -o "$SCRATCH/runc-base.json" -- true >/dev/null 2>&1
edit names "$SCRATCH/none.json" | sort -u >"$SCRATCH/none.txt"
{ edit names "$SCRATCH/runc-base.json" | sort -u | grep -vxF -f "$SCRATCH/none.txt"; echo execve; } >"$SCRATCH/keep.txt"

while [ $# -ge 2 ]; do
        name=$1 script=$2
        shift 2
        if [ "$name" = int80 ] && ! skip_unless "(int80) recorded on the host, rerun in runc under the profile" int80; then
                continue
        fi
        timeout -k 5 "$limit" "$SYSFENCE" record -q --base runc --default-action kill --format oci \
                -o "$SCRATCH/$name.json" --hot "$SCRATCH/$name.hot" -- sh -c "$script" >"$SCRATCH/$name.out" 2>"$ERR"
        [ $? -eq 0 ] || fail "recording exited non-zero: $(head -c 300 "$ERR")"
        [ -s "$SCRATCH/$name.out" ] || fail "the recorded run printed nothing"
        in_runc "$SCRATCH/$name.json" "$script"
        [ "$rc" -eq 0 ] || fail "in runc under the profile: exit $rc: $(head -c 400 "$ERR")"
        cmp -s "$OUT" "$SCRATCH/$name.out" || fail "in runc the output differs: $(head -c 200 "$OUT") / $(head -c 200 "$SCRATCH/$name.out")"
        # a few of the workload's own syscalls, each taken away in turn
        own=$(awk '{ print $1 }' "$SCRATCH/$name.hot" | grep -vxF -f "$SCRATCH/keep.txt")
        n=$(echo "$own" | wc -l)
        picks=$(echo "$own" | sed -n "1p;$((n / 3 + 1))p;$((2 * n / 3 + 1))p;${n}p" | sort -u)
        spared=
        for s in $picks; do
                edit drop "$SCRATCH/$name.json" "$s" "$SCRATCH/cut.json"
                in_runc "$SCRATCH/cut.json" "$script"
                if [ "$rc" -eq 0 ] && cmp -s "$OUT" "$SCRATCH/$name.out"; then
                        spared="$spared $s"
                fi
        done
        [ -n "$picks" ] || fail "no syscall of the workload's own to take away"
        [ -z "$spared" ] || fail "in runc the work succeeds without:$spared"
        done_test "($name) recorded on the host, rerun in runc under the profile (kill by default): same output; fails without any of: $(echo $picks)"
done

finish
