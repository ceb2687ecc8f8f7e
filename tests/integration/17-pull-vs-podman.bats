#!/usr/bin/env bats
# The same image pulled by rcr and by podman (the reference peer) gives the same tree:
# every path, type, mode, owner (seen from inside each tool's user namespace), symlink
# target and file content.

load helpers

setup_file() {
  command -v podman >/dev/null || skip_env no-podman "podman is not installed"
  export CMP=$BATS_FILE_TMPDIR/cmp
  mkdir -p "$CMP"
  export PODMAN_ROOT=$CMP/podman PODMAN_RUNROOT=$CMP/podman-run
  export RCR_ROOT=$CMP/rcr RCR_RUNROOT=$CMP/rcr-run
}

teardown_file() {
  [ -n "${CMP:-}" ] || return 0
  if [ -d "$PODMAN_ROOT" ]; then
    podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" --storage-driver vfs unshare \
      rm -rf "$PODMAN_ROOT" "$PODMAN_RUNROOT" 2>/dev/null || true
  fi
  # podman leaves a pause process holding its user namespace: stop it by its pid
  local pid
  pid=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "$pid" 2>/dev/null || true
  [ -d "$RCR_ROOT" ] && "$RCR_BIN" --root "$RCR_ROOT" --runroot "$RCR_RUNROOT" unshare rm -rf "$RCR_ROOT" "$RCR_RUNROOT" || true
}

podman_() {
  run --separate-stderr timeout 120 podman --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" --storage-driver vfs "$@"
  [ "$status" -eq 0 ] || { echo "podman $*: $status: $stderr" >&2; return 1; }
}

# the tree of IMAGE as podman stores it (vfs: one fully applied directory), image ids
podman_tree() {
  podman_ unshare bash -c "$(declare -f tree_list)
    set -e
    m=\$(podman --root '$PODMAN_ROOT' --runroot '$PODMAN_RUNROOT' --storage-driver vfs image mount '$1')
    tree_list \"\$m\"
    podman --root '$PODMAN_ROOT' --runroot '$PODMAN_RUNROOT' --storage-driver vfs image umount '$1' >/dev/null"
  echo "$output"
}

# the tree of IMAGE as rcr stores it: its layers mounted as a read-only overlay inside
# rcr's user and mount namespace (never visible on the host)
rcr_tree() {
  local lower
  lower=$("$RCR_BIN" --root "$RCR_ROOT" --runroot "$RCR_RUNROOT" image inspect "$1" --format '{{.GraphDriver.Data.LowerDir}}')
  [ -n "$lower" ]
  if [[ $lower != *:* ]]; then
    # one layer: a read-only overlay needs two, and the layer is the tree
    run --separate-stderr "$RCR_BIN" --root "$RCR_ROOT" --runroot "$RCR_RUNROOT" unshare bash -c "$(declare -f tree_list); tree_list '$lower'"
    [ "$status" -eq 0 ] || { echo "rcr tree: $status: $stderr" >&2; return 1; }
    echo "$output"
    return 0
  fi
  run --separate-stderr "$RCR_BIN" --root "$RCR_ROOT" --runroot "$RCR_RUNROOT" unshare bash -c "$(declare -f tree_list)
    set -e
    m=\$(mktemp -d)
    mount -t overlay overlay -o 'lowerdir=$lower,userxattr' \"\$m\"
    tree_list \"\$m\"
    umount \"\$m\"
    rmdir \"\$m\""
  [ "$status" -eq 0 ] || { echo "rcr tree: $status: $stderr" >&2; return 1; }
  echo "$output"
}

compare_image() {
  local img=$1
  rcr --root "$RCR_ROOT" --runroot "$RCR_RUNROOT" pull -q "$img"
  podman_ pull -q "$img"
  rcr_tree "$img" >"$CMP/rcr.tree"
  podman_tree "$img" >"$CMP/podman.tree"
  [ "$(wc -l <"$CMP/rcr.tree")" -gt 10 ]
  if ! diff -u "$CMP/podman.tree" "$CMP/rcr.tree" >"$CMP/diff"; then
    head -n 40 "$CMP/diff" >&2
    return 1
  fi
}

@test "alpine: rcr and podman extract identical trees" {
  require_registry
  compare_image docker.io/library/alpine:latest
}

@test "multilayer (whiteouts, opaque dir, hardlinks, setuid, owners): identical trees" {
  require_registry
  compare_image docker.io/library/multilayer:latest
  # and both match what the fixture builder says the image contains
  grep -q $'^/usr/local/bin/suid-tool\tfile\t4755\t0\t0\t' "$CMP/rcr.tree"
  grep -q $'^/data/owned-tester\tfile\t0644\t1000\t1000\t' "$CMP/rcr.tree"
  ! grep -q '^/etc/motd' "$CMP/rcr.tree"
  ! grep -q '^/opt/old/a' "$CMP/rcr.tree"
}

@test "zstd layers: identical trees" {
  require_registry
  compare_image docker.io/library/alpine-zstd:latest
}
