#!/usr/bin/env bats
# A 60-layer image: the overlay gets one lower directory per layer without overflowing
# the mount option page (rcr adds them one at a time with fsconfig lowerdir+).

load helpers

setup_file() {
  require_registry
  use_file_store
  export MANY=$BATS_FILE_TMPDIR/many
  python3 - "$MANY" "$BATS_TEST_DIRNAME/../fixtures" <<'PY'
import hashlib, io, json, os, sys, tarfile, gzip
out = sys.argv[1]
os.makedirs(f"{out}/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(data)
    return "sha256:" + d, len(data)
def layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o755 if name.endswith("busybox") else 0o644
                t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    return tar, gzip.compress(tar, mtime=0)
busybox = open("/bin/busybox", "rb").read()
layers = [layer([("bin", None), ("bin/busybox", busybox), ("layers", None)])]
for i in range(1, 60):
    layers.append(layer([("layers", None), (f"layers/{i:02d}", f"layer {i}\n".encode())]))
descs, diffs = [], []
for tar, gz in layers:
    d, n = blob(gz)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
    diffs.append("sha256:" + hashlib.sha256(tar).hexdigest())
cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/busybox", "ls", "/layers"]},
       "rootfs": {"type": "layers", "diff_ids": diffs}}
cd, cn = blob(json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn}, "layers": descs}
md, mn = blob(json.dumps(man).encode())
json.dump({"imageLayoutVersion": "1.0.0"}, open(f"{out}/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
           "size": mn, "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, open(f"{out}/index.json", "w"))
PY
  skopeo copy --quiet --dest-tls-verify=false "oci:$MANY:latest" "docker://$RCR_TEST_REGISTRY/test/many:latest"
}

teardown_file() {
  remove_store "$RCR_TEST_STORE"
}

@test "a 60-layer image runs and every layer is visible" {
  rcr pull -q --tls-verify=false "$RCR_TEST_REGISTRY/test/many:latest"
  rcr image inspect "$RCR_TEST_REGISTRY/test/many:latest" --format '{{json .RootFS.Layers}}'
  [ "$(jq length <<<"$output")" -eq 60 ]
  rcr run --rm "$RCR_TEST_REGISTRY/test/many:latest"
  [ "${#lines[@]}" -eq 59 ]
  [ "${lines[0]}" = 01 ]
  [ "${lines[58]}" = 59 ]
  rcr run --rm "$RCR_TEST_REGISTRY/test/many:latest" /bin/busybox cat /layers/42
  [ "$output" = "layer 42" ]
}

@test "a 60-layer image runs on fuse-overlayfs too" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  rcr pull -q --tls-verify=false "$RCR_TEST_REGISTRY/test/many:latest"
  rcr --storage-driver fuse-overlayfs run --rm "$RCR_TEST_REGISTRY/test/many:latest"
  [ "${#lines[@]}" -eq 59 ]
  [ "${lines[0]}" = 01 ]
  [ "${lines[58]}" = 59 ]
  rcr --storage-driver fuse-overlayfs run --rm "$RCR_TEST_REGISTRY/test/many:latest" /bin/busybox cat /layers/42
  [ "$output" = "layer 42" ]
}
