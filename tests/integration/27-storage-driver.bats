#!/usr/bin/env bats
# --storage-driver: kernel overlay (default) and vfs (a copy of the layers) give the
# container the same tree; fuse-overlayfs is refused with a clear error until it exists.

load helpers

setup_file() {
  use_file_store
}

teardown_file() {
  remove_store "$RCR_TEST_STORE"
}

# the tree as the container sees it (no link counts: vfs copies hardlinks apart)
listing() {
  rcr "$@" run --rm -u 0 --entrypoint /bin/sh multilayer -c \
    'cd / && find bin/busybox data etc/issue opt scratch usr/local work | sort | while read -r p; do stat -c "%n %A %u %g %s" "$p"; done'
}

@test "vfs and overlay show the same tree, whiteouts and opaque directories applied" {
  listing
  overlay=$output
  listing --storage-driver vfs
  vfs=$output
  [ -n "$overlay" ]
  [ "$overlay" = "$vfs" ]
  assert_contains "$vfs" "usr/local/bin/suid-tool -rwsr-xr-x 0 0"
  assert_contains "$vfs" "data/owned-tester -rw-r--r-- 1000 1000"
  rcr --storage-driver vfs run --rm -u 0 multilayer 'ls /etc/motd /opt/gone 2>&1; ls /opt/old'
  assert_contains "$output" "/etc/motd: No such file"
  assert_contains "$output" "/opt/gone: No such file"
  [ "${lines[-1]}" = new.txt ]
}

@test "a vfs container writes to its own copy and inspect names the driver" {
  rcr --storage-driver vfs run --name vfs1 multilayer 'echo hi > /work/new'
  rcr inspect vfs1 --format '{{.Driver}}'
  [ "$output" = vfs ]
  rcr 1 run --rm multilayer 'ls /work/new 2>&1'
  assert_contains "$output" "No such file"
  rcr rm vfs1
}

@test "fuse-overlayfs is refused with a clear error" {
  rcr 125 --storage-driver fuse-overlayfs run --rm multilayer true
  assert_contains "$stderr" "not implemented"
  rcr ps -a -q
  [ -z "$output" ]
}
