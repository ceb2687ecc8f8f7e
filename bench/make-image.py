#!/usr/bin/env python3
"""Builds an OCI image layout from directories, one gzip layer per directory.

Usage: make-image.py OUTDIR NAME DIR [DIR...]

For benchmarks: the layers hold real files (unpacked Debian packages), so their
compression ratio and file count are those of a real image. Entries are sorted
and carry their on-disk modes with owner 0:0, so a rebuild gives the same digests.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def add_tree(tar, root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            tar.add(dirpath, arcname=rel, recursive=False, filter=normalise)
        for f in sorted(filenames):
            p = os.path.join(dirpath, f)
            tar.add(p, arcname=os.path.normpath(os.path.join(rel, f)), recursive=False, filter=normalise)


def normalise(info):
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, name, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    layout = os.path.join(out, name)
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layers, diff_ids = [], []
    # a first layer with a static busybox, so the image has something to run (/bin/true)
    if os.path.exists("/bin/busybox"):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, kind in (("bin", "dir"), ("bin/busybox", "file"), ("bin/true", "link"), ("bin/sh", "link")):
                info = tarfile.TarInfo(name)
                info.mtime = 1700000000
                if kind == "dir":
                    info.type, info.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(info)
                elif kind == "link":
                    info.type, info.linkname, info.mode = tarfile.SYMTYPE, "busybox", 0o777
                    tar.addfile(info)
                else:
                    data = open("/bin/busybox", "rb").read()
                    info.size, info.mode = len(data), 0o755
                    tar.addfile(info, io.BytesIO(data))
        tar_bytes = raw.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        digest, size = write_blob(layout, gzip.compress(tar_bytes, compresslevel=6, mtime=0))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
    for d in dirs:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            add_tree(tar, d)
        tar_bytes = raw.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(tar_bytes).hexdigest())
        gz = gzip.compress(tar_bytes, compresslevel=6, mtime=0)
        digest, size = write_blob(layout, gz)
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        print(f"layer {d}: {len(tar_bytes) >> 20} MiB tar, {size >> 20} MiB gzip", file=sys.stderr)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/true"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }
    cdigest, csize = write_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize},
        "layers": layers,
    }
    mdigest, msize = write_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": mdigest,
                "size": msize,
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)


if __name__ == "__main__":
    main()
