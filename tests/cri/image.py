#!/usr/bin/python3
"""Write a one-layer OCI image of busybox-static as an OCI image layout
archive, the form `ctr images import` reads; no registry, nothing fetched.

    image.py BUSYBOX NAME OUT.tar
    image.py --rootfs BUSYBOX DIR

The layer holds bin/busybox, a symlink bin/APPLET -> busybox for each applet
it lists, and empty etc/, tmp/ (mode 1777) and root/.  The image's entrypoint
is a sleep that does not end: the same image serves as the CRI plugin's
sandbox_image (its pause container) and, with a command given, as every test
container.  NAME becomes the io.containerd.image.name annotation (the name ctr
gives the image).  Timestamps are fixed, so the same busybox gives the same
archive byte for byte.  With --rootfs, the layer's tree is written to DIR
(which must not exist) instead: the image's files, to record a container's
command outside the container.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MTIME = 1700000000


def layer_tar(busybox, applets):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add_dir(name, mode=0o755):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, mode, MTIME
            tar.addfile(ti)
        for d in ("bin", "etc", "root"):
            add_dir(d)
        add_dir("tmp", 0o1777)
        with open(busybox, "rb") as f:
            data = f.read()
        ti = tarfile.TarInfo("bin/busybox")
        ti.size, ti.mode, ti.mtime = len(data), 0o755, MTIME
        tar.addfile(ti, io.BytesIO(data))
        for a in applets:
            ti = tarfile.TarInfo("bin/" + a)
            ti.type, ti.linkname, ti.mode, ti.mtime = tarfile.SYMTYPE, "busybox", 0o777, MTIME
            tar.addfile(ti)
    return buf.getvalue()


def applets(busybox):
    listed = subprocess.run([busybox, "--list"], check=True, capture_output=True, text=True).stdout.split()
    return sorted(a for a in listed if a and "/" not in a and a != "busybox")


def blob(tar, data):
    digest = hashlib.sha256(data).hexdigest()
    ti = tarfile.TarInfo("blobs/sha256/" + digest)
    ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
    tar.addfile(ti, io.BytesIO(data))
    return "sha256:" + digest


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: image.py BUSYBOX NAME OUT.tar | image.py --rootfs BUSYBOX DIR")
    if sys.argv[1] == "--rootfs":
        raw = layer_tar(sys.argv[2], applets(sys.argv[2]))
        os.mkdir(sys.argv[3])
        with tarfile.open(fileobj=io.BytesIO(raw)) as t:
            t.extractall(sys.argv[3])
        return
    busybox, name, out = sys.argv[1:4]
    raw = layer_tar(busybox, applets(busybox))
    # gzip without a name or time in its header: the same input, the same bytes
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="") as g:
        g.write(raw)
    layer = gz.getvalue()
    diff_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    config = json.dumps({
        "architecture": "amd64" if os.uname().machine == "x86_64" else os.uname().machine,
        "os": "linux",
        "config": {"Entrypoint": ["/bin/sleep", "2147483647"], "Env": ["PATH=/bin"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }, sort_keys=True).encode()

    tmp = out + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        layer_digest = blob(tar, layer)
        config_digest = blob(tar, config)
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                        "digest": layer_digest, "size": len(layer)}],
        }, sort_keys=True).encode()
        manifest_digest = blob(tar, manifest)
        platform = json.loads(config)
        index = json.dumps({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest, "size": len(manifest),
                "platform": {"architecture": platform["architecture"], "os": "linux"},
                "annotations": {"io.containerd.image.name": name,
                                "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]},
            }],
        }, sort_keys=True).encode()
        for fname, data in (("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)):
            ti = tarfile.TarInfo(fname)
            ti.size, ti.mode, ti.mtime = len(data), 0o644, MTIME
            tar.addfile(ti, io.BytesIO(data))
    os.rename(tmp, out)


if __name__ == "__main__":
    main()
