#!/usr/bin/env bash
# bench/pull.sh: pull time of rcr vs podman vs skopeo, same image, same local registry,
# fresh stores every run. Run as root (sets up the test user and a registry on 127.0.0.1,
# stopped by pid at the end); the pulls run as the unprivileged test user.
#   RUNS=5 bench/pull.sh
# The image: >= 100 MB in >= 5 gzip layers of real files (unpacked Debian packages).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRC"
. bench/lib.sh
RUNS=${RUNS:-5}

[ "$(id -u)" -eq 0 ] || die "run bench/pull.sh as root (it creates the test user and a registry)"
bench_need podman skopeo hyperfine jq docker-registry bc
make -s all
bench_build_big_image
bench_setup
IMG=$REGISTRY/bench/big:latest
size=$(du -sb "$CACHE/oci/big/blobs" | cut -f1)
layers=$(jq '.layers | length' "$CACHE/oci/big/blobs/sha256/$(jq -r '.manifests[0].digest' "$CACHE/oci/big/index.json" | cut -d: -f2)")
log "image: $((size >> 20)) MiB compressed, $layers layers; $RUNS runs each"

# Fresh stores before every run; the stores hold subordinate-id files, so each tool's
# own unshare removes them.
cat >"$WORK/prepare.sh" <<PREP
#!/bin/sh
exec 2>>$T/prepare.log
$WORK/rcr --root $T/rcr --runroot $T/rcr-run unshare rm -rf $T/rcr $T/rcr-run || exit 1
rm -rf $T/skopeo || exit 1
# podman keeps its overlay mounted in its pause process's namespace: a new root each run
n=\$(cat $T/n 2>/dev/null || echo 0)
echo \$((n + 1)) >$T/n
PREP
# After the runs: unmount and remove podman's roots inside its namespace, stop its pause
# process by the pid it records.
cat >"$WORK/cleanup-podman.sh" <<CLEAN
#!/bin/sh
for r in $T/podman-*; do
  [ -d "\$r" ] || continue
  case "\$r" in *-run) continue ;; esac
  podman --root "\$r" --runroot "\$r-run" unshare sh -c "umount -R \$r/overlay 2>/dev/null; rm -rf \$r \$r-run"
done
pid=\$(cat "\$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "\$pid" 2>/dev/null
exit 0
CLEAN
chmod 0755 "$WORK/prepare.sh" "$WORK/cleanup-podman.sh"
as_test_user bash -c "
  set -e
  cd $T
  hyperfine --style basic --runs $RUNS --export-json $T/pull.json --prepare $WORK/prepare.sh \
    -n rcr '$WORK/rcr --root $T/rcr --runroot $T/rcr-run pull -q --tls-verify=false $IMG' \
    -n podman 'podman --root $T/podman-\$(cat $T/n) --runroot $T/podman-\$(cat $T/n)-run --storage-driver overlay pull -q --tls-verify=false $IMG' \
    -n skopeo 'skopeo copy --quiet --src-tls-verify=false docker://$IMG dir:$T/skopeo'
  $WORK/prepare.sh
  $WORK/cleanup-podman.sh
" >"$WORK/hyperfine.log" 2>&1 || { cat "$WORK/hyperfine.log" "$T/prepare.log"; as_test_user "$WORK/cleanup-podman.sh"; die "benchmark failed"; }
grep -E "Time|±" "$WORK/hyperfine.log" || true
jq -r '.results[] | "\(.command)\t\(.mean)\t\(.stddev)"' "$T/pull.json" >"$WORK/means"
rcr=$(awk -F'\t' '$1=="rcr"{print $2}' "$WORK/means")
podman=$(awk -F'\t' '$1=="podman"{print $2}' "$WORK/means")
skopeo=$(awk -F'\t' '$1=="skopeo"{print $2}' "$WORK/means")
printf 'pull (mean of %d): rcr %.3f s, podman %.3f s, skopeo copy (no extraction) %.3f s\n' "$RUNS" "$rcr" "$podman" "$skopeo"
printf 'ratio rcr/podman = %.2f   rcr/skopeo = %.2f\n' "$(echo "$rcr / $podman" | bc -l)" "$(echo "$rcr / $skopeo" | bc -l)"
