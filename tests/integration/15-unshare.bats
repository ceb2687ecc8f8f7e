#!/usr/bin/env bats
# rcr unshare: a command as root of the rootless user namespace (0 → the user, 1.. → the
# user's subordinate ranges) with a private mount namespace, as podman unshare.

load helpers

setup() {
  UID0=$(subid_start /etc/subuid)
  GID0=$(subid_start /etc/subgid)
  UCOUNT=$(grep -E "^($(id -un)|$(id -u)):$UID0:" /etc/subuid | head -n 1 | cut -d: -f3)
  GCOUNT=$(grep -E "^($(id -un)|$(id -u)):$GID0:" /etc/subgid | head -n 1 | cut -d: -f3)
}

teardown() {
  if [ -e "$BATS_TEST_TMPDIR/owned" ]; then
    rcr unshare rm -rf "$BATS_TEST_TMPDIR/owned"
  fi
}

@test "unshare runs the command as uid and gid 0" {
  rcr unshare id -u
  assert_equal "$output" 0
  rcr unshare id -g
  assert_equal "$output" 0
}

@test "unshare maps 0 to the user and 1.. to the subordinate ranges" {
  rcr unshare cat /proc/self/uid_map
  [ "${#lines[@]}" -eq 2 ]
  assert_equal "$(echo ${lines[0]})" "0 $(id -u) 1"
  assert_equal "$(echo ${lines[1]})" "1 $UID0 $UCOUNT"
  rcr unshare cat /proc/self/gid_map
  [ "${#lines[@]}" -eq 2 ]
  assert_equal "$(echo ${lines[0]})" "0 $(id -g) 1"
  assert_equal "$(echo ${lines[1]})" "1 $GID0 $GCOUNT"
}

@test "ownership maps both ways: the user's files are root's, id 1000 is a subordinate id" {
  rcr unshare stat -c %u:%g "$BATS_TEST_TMPDIR"
  assert_equal "$output" 0:0
  mkdir "$BATS_TEST_TMPDIR/owned"
  rcr unshare sh -c 'touch "$1/f" && chown 1000:1000 "$1/f" && stat -c %u:%g "$1/f"' _ "$BATS_TEST_TMPDIR/owned"
  assert_equal "$output" 1000:1000
  assert_equal "$(stat -c %u:%g "$BATS_TEST_TMPDIR/owned/f")" "$((UID0 + 999)):$((GID0 + 999))"
}

@test "the exit status of the command passes through" {
  rcr unshare true
  rcr 1 unshare false
  rcr 7 unshare sh -c 'exit 7'
  rcr 42 unshare sh -c 'exit 42'
  # killed by a signal: 128 + N
  rcr 137 unshare sh -c 'kill -KILL $$'
}

# BUG (rcr): a command that does not exist exits 125 ("exec ...: No such file or
# directory"); podman unshare exits 127, and rcr's own convention (STYLE.md) is 127 for
# "not found".
@test "a command that does not exist exits 127" {
  rcr 127 unshare /nonexistent/command
  assert_contains "$stderr" "/nonexistent/command"
}

@test "unshare has a private mount namespace: its mounts are not seen on the host" {
  mnt=$BATS_TEST_TMPDIR/mnt
  mkdir "$mnt"
  rcr unshare sh -c 'mount -t tmpfs tmpfs "$1" && echo inside >"$1/f" && cat "$1/f" && grep -c " $1 " /proc/self/mountinfo' _ "$mnt"
  assert_equal "${lines[0]}" inside
  assert_equal "${lines[1]}" 1
  [ ! -e "$mnt/f" ]
  run ! grep -q " $mnt " /proc/self/mountinfo
}

@test "unshare runs in other user and mount namespaces than the caller" {
  rcr unshare readlink /proc/self/ns/user /proc/self/ns/mnt
  [ "${lines[0]}" != "$(readlink /proc/self/ns/user)" ]
  [ "${lines[1]}" != "$(readlink /proc/self/ns/mnt)" ]
  # but the same network namespace
  rcr unshare readlink /proc/self/ns/net
  assert_equal "$output" "$(readlink /proc/self/ns/net)"
}

@test "unshare names rcr's directories in RCR_GRAPHROOT and RCR_RUNROOT" {
  rcr unshare sh -c 'echo "$RCR_GRAPHROOT"; echo "$RCR_RUNROOT"'
  assert_equal "${lines[0]}" "${XDG_DATA_HOME:-$HOME/.local/share}/rcr"
  assert_equal "${lines[1]}" "$XDG_RUNTIME_DIR/rcr"
  rcr --root "$BATS_TEST_TMPDIR/r" --runroot "$BATS_TEST_TMPDIR/rr" unshare sh -c 'echo "$RCR_GRAPHROOT $RCR_RUNROOT"'
  assert_equal "$output" "$BATS_TEST_TMPDIR/r $BATS_TEST_TMPDIR/rr"
}

@test "unshare keeps stdin, stdout, the environment and the working directory" {
  rcr_stdin "through stdin" unshare cat
  assert_equal "$output" "through stdin"
  RCR_TEST_MARK=marked rcr unshare sh -c 'echo "$RCR_TEST_MARK"'
  assert_equal "$output" marked
  cd "$BATS_TEST_TMPDIR"
  rcr unshare pwd
  assert_equal "$output" "$BATS_TEST_TMPDIR"
}

@test "unshare without a command runs \$SHELL" {
  SHELL=/bin/sh rcr_stdin 'id -u; exit 3' 3 unshare
  assert_equal "$output" 0
}

@test "unshare passes options after the command to the command" {
  rcr unshare ls -d --color=never /
  assert_equal "$output" /
  rcr unshare --help
  assert_contains "$output" "rcr unshare"
}
