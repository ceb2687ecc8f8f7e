#!/usr/bin/env bats
# User namespace modes: --userns=keep-id (the caller's uid and gid are the same inside,
# the image's files keep their owners through a shifted copy of the image), the errors
# for modes rcr does not have, and the single-id fallback's counterpart errors.

load helpers

setup_file() {
  use_file_store
  [ -n "${RCR_TEST_REGISTRY:-}" ] || return 0
  rcr pull -q alpine
  rcr pull -q multilayer
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

@test "keep-id: the caller's ids inside, podman's map around them" {
  local u g su sg n
  u=$(id -u) g=$(id -g)
  su=$(subid_start /etc/subuid) sg=$(subid_start /etc/subgid)
  n=$(grep -E "^($(id -un)|$u):$su:" /etc/subuid | head -n 1 | cut -d: -f3)
  rcr run --rm --userns=keep-id alpine sh -c 'id -u; id -g; id -G; cat /proc/self/uid_map'
  mapfile -t lines <<<"$output"
  assert_equal "${lines[0]}" "$u"
  assert_equal "${lines[1]}" "$g"
  assert_equal "${lines[2]}" "$g"
  # 0..u-1 → the first subordinate ids, u → u, the rest above it
  assert_equal "$(echo "${lines[3]}" | awk '{print $1, $2, $3}')" "0 $su $u"
  assert_equal "$(echo "${lines[4]}" | awk '{print $1, $2, $3}')" "$u $u 1"
  assert_equal "$(echo "${lines[5]}" | awk '{print $1, $2, $3}')" "$((u + 1)) $((su + u)) $((n - u))"
}

@test "keep-id: the image's files keep their owners; the caller's files are the caller's on the host" {
  rcr run --userns=keep-id --name kid multilayer 'stat -c "%u:%g %n" / /etc /etc/passwd /bin/busybox /home/tester; touch /tmp/mine'
  assert_contains "$output" "0:0 /"$'\n'
  assert_contains "$output" "0:0 /etc/passwd"
  assert_contains "$output" "0:0 /bin/busybox"
  assert_contains "$output" "1000:1000 /home/tester"
  # what the caller's own id writes is the caller's on the host
  rcr run --rm --userns=keep-id -u "$(id -u)" -v "$BATS_TEST_TMPDIR:/out" alpine touch /out/from-keep-id
  [ "$(stat -c %u:%g "$BATS_TEST_TMPDIR/from-keep-id")" = "$(id -u):$(id -g)" ]
  rcr run --rm --userns=keep-id -v "$BATS_TEST_TMPDIR:/out" alpine sh -c 'stat -c %u:%g /out; ls -ln /out/from-keep-id'
  assert_contains "$output" "$(id -u):$(id -g)"
}

@test "keep-id: /etc/passwd and /etc/group gain the caller's entries; HOME is /" {
  rcr run --rm --userns=keep-id alpine sh -c 'grep "^$(id -un):" /etc/passwd; grep "^$(id -gn):" /etc/group; echo HOME=$HOME; whoami'
  assert_contains "$output" "$(id -un):*:$(id -u):$(id -g)::/:/bin/sh"
  assert_contains "$output" "$(id -gn):x:$(id -g):$(id -un)"
  assert_contains "$output" "HOME=/"
  assert_contains "$output" "$(id -un)"
}

@test "keep-id: exec, stop and start, inspect" {
  rcr run -d --userns=keep-id --name kid alpine sleep 300
  rcr exec kid id -u
  assert_equal "$output" "$(id -u)"
  rcr exec -u 0 kid id -u
  assert_equal "$output" "0"
  rcr inspect --format '{{.HostConfig.UsernsMode}} {{.Config.User}}' kid
  assert_equal "$output" "keep-id $(id -u):$(id -g)"
  rcr stop -t 0 kid
  rcr start kid
  rcr exec kid sh -c 'id -u; cat /proc/self/uid_map | wc -l'
  assert_equal "$output" "$(id -u)"$'\n'"3"
  rcr create --name plain alpine true
  rcr inspect --format '[{{.HostConfig.UsernsMode}}]' plain
  assert_equal "$output" "[]"
}

@test "keep-id --rm: after its monitor is SIGKILLed the container starts again (overlay's work dir is the container root's)" {
  # the first run waits to be killed, the second ends at once (the upper layer stays)
  rcr run -d --rm --userns=keep-id --name kid-orphan alpine sh -c 'test -e /tmp/ran && exit 7; touch /tmp/ran; sleep 1000'
  id=$output
  rcr inspect --format '{{.State.ConmonPid}} {{.State.Pid}}' "$id"
  read -r monitor pid <<<"$output"
  kill -KILL "$monitor"
  wait_until 50 0.1 pid_gone "$monitor"
  # the next rcr command sees the monitor dead and ends the container process
  rcr ps -a
  wait_until 50 0.1 pid_gone "$pid"
  # work/work (and the volatile marker the kernel left in it) belong to the container's
  # root, a subordinate id under keep-id: a start removes them from inside
  rcr 7 start -a "$id"
  [ ! -e "$RCR_TEST_STORE/root/containers/$id" ]
}

@test "keep-id: one shifted copy per image, reused, and removed with the image" {
  local store top_a top_m
  store=$(store_dir)
  rcr image inspect --format '{{json .RootFS.Layers}}' alpine
  top_a=$(echo "$output" | jq -r '.[-1]')
  top_a=${top_a#sha256:}
  rcr image inspect --format '{{json .RootFS.Layers}}' multilayer
  top_m=$(echo "$output" | jq -r '.[-1]')
  top_m=${top_m#sha256:}
  rcr run --rm --userns=keep-id alpine true
  rcr run --rm --userns=keep-id alpine true
  [ "$(ls "$store/layers/$top_a/mapped" | wc -l)" -eq 1 ]
  rcr run --rm --userns=keep-id multilayer true
  [ "$(ls "$store/layers/$top_m/mapped" | wc -l)" -eq 1 ]
  rcr rmi multilayer
  [ ! -e "$store/layers/$top_m" ]
  [ "$(ls "$store/layers/$top_a/mapped" | wc -l)" -eq 1 ]
  rcr pull -q multilayer
}

@test "keep-id with the vfs and fuse-overlayfs drivers" {
  local driver
  for driver in vfs fuse-overlayfs; do
    rcr --storage-driver "$driver" run --rm --userns=keep-id multilayer 'id -u; stat -c "%u:%g" / /etc/passwd /home/tester'
    assert_equal "$output" "1000"$'\n'"0:0"$'\n'"0:0"$'\n'"1000:1000"
  done
}

@test "userns modes rcr does not have fail with a clear error" {
  rcr 125 run --rm --userns=auto alpine true
  assert_contains "$stderr" "--userns=auto is not supported"
  assert_contains "$stderr" "keep-id"
  rcr 125 run --rm --userns=keep-id:uid=200 alpine true
  rcr 125 run --rm --userns=ns:/proc/1/ns/user alpine true
  # --userns=host rootless is the default mapping
  rcr run --rm --userns=host alpine cat /proc/self/uid_map
  assert_equal "$(echo "${lines[0]}" | awk '{print $1, $2}')" "0 $(id -u)"
}
