#!/usr/bin/env bats
# A user without subordinate ids (no line in /etc/subuid and /etc/subgid): rcr falls back
# to podman's single-id mapping with a warning. Only container root is mapped (to the
# user), so images owned by root alone work and others fail with a clear error.
# make check runs this directory as a second test user that has no ranges.

load ../helpers

setup_file() {
  if grep -qE "^($(id -un)|$(id -u)):" /etc/subuid /etc/subgid; then
    echo "30-single-id.bats must run as a user without subordinate ids" >&2
    return 1
  fi
  use_file_store
}

teardown_file() {
  remove_store "$RCR_TEST_STORE"
}

setup() {
  require_registry
}

teardown() {
  rcr rm -a -f
}

@test "run maps only the user, as root, with setgroups denied, and warns with the usermod hint" {
  rcr run --rm rootonly sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; id -u; touch /new && echo wrote'
  assert_equal "$(echo "${lines[0]}" | awk '{print $1, $2, $3}')" "0 $(id -u) 1"
  assert_equal "$(echo "${lines[1]}" | awk '{print $1, $2, $3}')" "0 $(id -g) 1"
  assert_equal "${lines[2]}" "deny"
  assert_equal "${lines[3]}" "0"
  assert_equal "${lines[4]}" "wrote"
  [ "${#lines[@]}" -eq 5 ]
  assert_contains "$stderr" "using a single-id mapping"
  assert_contains "$stderr" "sudo usermod --add-subuids 100000-165535 $(id -un)"
}

@test "exec, a terminal and unshare work with the single mapping" {
  rcr run -d --name one rootonly sleep 300
  rcr exec one cat /proc/self/uid_map
  assert_equal "$(echo "$output" | awk '{print $1, $2, $3}')" "0 $(id -u) 1"
  run -0 script -qec "$RCR_BIN --root $RCR_TEST_STORE/root --runroot $RCR_TEST_STORE/run exec -t one tty" /dev/null
  assert_contains "$output" "/dev/pts/"
  rcr unshare cat /proc/self/uid_map
  assert_equal "$(echo "$output" | awk '{print $1, $2, $3}')" "0 $(id -u) 1"
}

@test "an image with files of other owners fails to pull, says why, and stores nothing" {
  rcr 125 pull multilayer
  assert_contains "$stderr" "chown"
  assert_contains "$stderr" "using a single-id mapping"
  rcr images --format '{{.Repository}}'
  refute_contains "$output" "multilayer"
}

@test "--userns=keep-id needs subordinate ids and says how to add them" {
  rcr 125 run --rm --userns=keep-id rootonly true
  assert_contains "$stderr" "keep-id needs subordinate ids"
  assert_contains "$stderr" "sudo usermod --add-subuids"
  rcr ps -a -q
  assert_equal "$output" ""
}
