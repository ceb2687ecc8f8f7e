#!/usr/bin/env bats
# --storage-driver: kernel overlay (default), fuse-overlayfs and vfs (a copy of the layers)
# give the container the same tree; the driver is recorded with the container.

load helpers

setup_file() {
  use_file_store
}

# a failed test must not leave a running container to the next
teardown() {
  local id
  rcr ps -a -q
  for id in $output; do
    rcr rm -f "$id"
  done
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

# our fuse-overlayfs processes, zombies excepted (this sandbox's pid 1 may not reap)
fuse_daemons() {
  local p
  for p in $(pgrep -u "$(id -u)" -x fuse-overlayfs); do
    [ "$(sed 's/^.*) \(.\).*/\1/' "/proc/$p/stat" 2>/dev/null)" = Z ] || echo "$p"
  done
}

@test "fuse-overlayfs shows the same tree as overlay, whiteouts and opaque directories applied" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  listing
  overlay=$output
  listing --storage-driver fuse-overlayfs
  [ -n "$output" ]
  [ "$overlay" = "$output" ]
  rcr --storage-driver fuse-overlayfs run --rm -u 0 multilayer 'ls /etc/motd /opt/gone 2>&1; ls /opt/old'
  assert_contains "$output" "/etc/motd: No such file"
  assert_contains "$output" "/opt/gone: No such file"
  [ "${lines[-1]}" = new.txt ]
}

@test "the stored layers served by fuse-overlayfs give exactly the image's tree" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  # fuse-overlayfs reads the store's whiteouts (0/0 character devices) and opaque
  # directories (user.overlay.opaque) as they are
  rcr pull -q multilayer
  rcr image inspect --format '{{.GraphDriver.Data.LowerDir}}' multilayer
  lower=$output
  mnt=$BATS_TEST_TMPDIR/merged
  mkdir "$mnt"
  rcr unshare bash -c "$(declare -f tree_list)"'
    set -e
    fuse-overlayfs -f -o "lowerdir=$1" "$2" 2>/dev/null &
    for i in $(seq 100); do mountpoint -q "$2" && break; sleep 0.1; done
    tree_list "$2"
    umount "$2"
    wait $!' _ "$lower" "$mnt"
  got=$output
  want=$(sorted_expect multilayer)
  if [ "$got" != "$want" ]; then
    diff <(echo "$want") <(echo "$got") >&2
    return 1
  fi
  run ! grep -q " $mnt " /proc/self/mountinfo
}

@test "a fuse-overlayfs container: its root is a mount of its own, the daemon no process of it" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  rcr --storage-driver fuse-overlayfs run -d --name fuse1 multilayer 'sleep 600'
  rcr inspect fuse1 --format '{{.Driver}}'
  [ "$output" = fuse-overlayfs ]
  rcr exec fuse1 sh -c 'grep " / " /proc/mounts; ps -o pid,comm'
  assert_contains "$output" "fuse-overlayfs / fuse.fuse-overlayfs rw,"
  refute_contains "$output" "fuse-overlayfs -"
  # top reads the container's /etc/passwd, which only its user namespace may reach
  rcr top fuse1
  [[ ${lines[1]} =~ ^tester\ +1\  ]]
  # nothing of it on the host
  run ! grep -q fuse /proc/self/mountinfo
  # the daemon: one process in the container's user namespace, outside its pid namespace,
  # holding only its stdio, the device and what it opened itself
  daemon=$(fuse_daemons)
  [ "$(wc -w <<<"$daemon")" -eq 1 ]
  rcr inspect fuse1 --format '{{.State.Pid}}'
  [ "$(readlink "/proc/$daemon/ns/user")" = "$(readlink "/proc/$output/ns/user")" ]
  [ "$(readlink "/proc/$daemon/ns/pid")" = "$(readlink /proc/self/ns/pid)" ]
  [ "$(readlink "/proc/$daemon/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]
  [ "$(stat -L -c %t:%T "/proc/$daemon/fd/3")" = a:e5 ] # /dev/fuse, 10:229
  run ! bash -c "ls -l /proc/$daemon/fd | grep -E 'socket|ctr.log|/dev/pts|anon_inode'"
  # writes land in the container's upper layer and survive a restart
  rcr exec -u 0 fuse1 sh -c 'echo kept > /work/new && rm /etc/issue'
  rcr restart -t 1 fuse1
  rcr 1 exec fuse1 sh -c 'cat /work/new; ls /etc/issue 2>&1'
  assert_contains "$output" kept
  assert_contains "$output" "No such file"
  rcr stop -t 1 fuse1
  # the daemon ended with the container's mount namespace
  [ -z "$(container_procs)" ]
  [ -z "$(fuse_daemons)" ]
  rcr start fuse1
  rcr exec fuse1 cat /work/new
  [ "$output" = kept ]
  rcr rm -f fuse1
  [ -z "$(container_procs)" ]
}

@test "a --rm fuse-overlayfs run leaves no daemon, and its exit status is the command's" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  rcr 3 --storage-driver fuse-overlayfs run --rm multilayer 'exit 3'
  [ -z "$(container_procs)" ]
  rcr 127 --storage-driver fuse-overlayfs run --rm multilayer no-such-command
  [ -z "$(container_procs)" ]
  rcr ps -a -q
  [ -z "$output" ]
}

# a PATH of everything in the usual one but fuse-overlayfs
path_without_fuse() {
  local dir=$BATS_TEST_TMPDIR/bin d f
  mkdir -p "$dir"
  for d in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
    for f in "$d"/*; do
      [ "${f##*/}" = fuse-overlayfs ] || [ -e "$dir/${f##*/}" ] || ln -s "$f" "$dir/${f##*/}"
    done
  done
  echo "$dir"
}

@test "fuse-overlayfs forced but not installed: a clear error, and nothing is created" {
  nofuse=$(path_without_fuse)
  PATH=$nofuse rcr 125 --storage-driver fuse-overlayfs run --rm multilayer true
  assert_contains "$stderr" "needs the fuse-overlayfs program"
  assert_contains "$stderr" "apt-get install fuse-overlayfs"
  rcr ps -a -q
  [ -z "$output" ]
}

@test "a fuse-overlayfs container whose program went away says so on start" {
  command -v fuse-overlayfs >/dev/null || skip "fuse-overlayfs is not installed"
  rcr --storage-driver fuse-overlayfs create --name fuse2 multilayer true
  nofuse=$(path_without_fuse)
  PATH=$nofuse rcr 125 start fuse2
  assert_contains "$stderr" "fuse-overlayfs storage driver"
  assert_contains "$stderr" "apt-get install fuse-overlayfs"
  rcr start -a fuse2
  rcr rm fuse2
}

@test "without a forced driver, a new container gets the one rcr info names" {
  rcr info --format json
  want=$(json_get "$output" .store.graphDriverName)
  rcr run --name auto1 multilayer true
  rcr inspect auto1 --format '{{.Driver}}'
  [ "$output" = "$want" ]
  rcr rm auto1
}
