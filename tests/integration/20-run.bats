#!/usr/bin/env bats
# rcr run as the unprivileged user: output, podman's exit codes, the process's
# environment, user and directories, stdin and terminals, the root's mounts (read-only,
# tmpfs, volumes), networks, limits, --init, and detached containers.

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

# Whatever a test left, running or not, goes with it.
teardown() {
  rcr rm -a -f
}

# rcr_cmdline ARGS...: the quoted command line of an rcr call on the file's store, for
# script(1); --foreground keeps rcr in the terminal's foreground process group
rcr_cmdline() {
  printf '%q ' timeout --foreground "$RCR_TIMEOUT" "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" "$@"
}

# the container ids in `rcr ps -a`, full length
all_ids() {
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" ps -a -q --no-trunc
}

no_containers() {
  [ -z "$(all_ids)" ]
}

@test "run --rm alpine echo hi prints hi and leaves no container" {
  rcr run --rm alpine echo hi
  assert_equal "$output" hi
  rcr ps -a -q
  assert_equal "$output" ""
}

@test "exit status: the command's own, 1 for false, 42 for exit 42" {
  rcr 1 run --rm alpine false
  rcr 42 run --rm alpine sh -c 'exit 42'
  rcr 0 run --rm alpine true
  no_containers
}

@test "exit status 127: the command does not exist" {
  rcr 127 run --rm alpine no-such-command-here
  assert_contains "$stderr" "no-such-command-here"
  assert_contains "$stderr" "not found"
  rcr 127 run --rm alpine /no/such/path
  no_containers
}

@test "exit status 126: the command is not executable" {
  rcr 126 run --rm alpine /etc/passwd
  assert_contains "$stderr" "/etc/passwd"
  rcr 126 run --rm alpine /etc
  no_containers
}

# podman's --pull=newer: the registry's manifest digest is compared with the local
# image's (no blob is fetched when they match); only a different one is pulled. A
# registry that cannot be reached leaves the local image, with a warning.
@test "--pull=newer pulls a new image pushed under the same tag; --pull=missing does not" {
  local name=pull-newer-$$-$RANDOM ref
  ref=$(push_derived_image "$name" <<<"file /version one")
  rcr run --rm --pull=newer "$ref" cat /version
  assert_equal "$output" one
  assert_contains "$stderr" "Trying to pull $ref"
  # unchanged: no pull, no blob
  rcr run --rm --pull=newer "$ref" cat /version
  assert_equal "$output" one
  assert_equal "$stderr" ""

  push_derived_image "$name" <<<"file /version two" >/dev/null
  rcr run --rm --pull=missing "$ref" cat /version
  assert_equal "$output" one
  rcr run --rm "$ref" cat /version
  assert_equal "$output" one
  rcr create --pull=newer --name newer "$ref" cat /version
  assert_contains "$stderr" "Trying to pull $ref"
  assert_contains "$stderr" "Writing manifest to image destination"
  rcr start -a newer
  assert_equal "$output" two
  rcr run --rm --pull=newer "$ref" cat /version
  assert_equal "$output" two
  assert_equal "$stderr" ""
  rcr run --rm -q --pull=never "$ref" cat /version
  assert_equal "$output" two

  # nothing answers on port 1 of the loopback: the local image, and a warning
  rcr tag "$ref" 127.0.0.1:1/test/unreachable:latest
  rcr run --rm --pull=newer 127.0.0.1:1/test/unreachable:latest cat /version
  assert_equal "$output" two
  assert_contains "$stderr" "Warning: cannot check 127.0.0.1:1/test/unreachable:latest for a newer image"
  ! grep -q "Writing manifest" <<<"$stderr"
  rcr 125 run --rm --pull=always 127.0.0.1:1/test/unreachable:latest true
  rcr rmi -f 127.0.0.1:1/test/unreachable:latest
}

@test "--pull=newer asks only for the name the local image is stored under" {
  # Regression test: a short name's other candidates were asked too, so a local
  # localhost/ image could be replaced by a registry's image of the same short name
  local name=pull-other-$$-$RANDOM
  push_derived_image "$name" <<<"file /version registry" >/dev/null
  rcr tag alpine "localhost/test/$name:latest"
  rcr run --rm --pull=newer "test/$name" sh -c 'cat /version 2>/dev/null || echo local'
  assert_equal "$output" local
  assert_contains "$stderr" "localhost/test/$name:latest"
  refute_contains "$stderr" "Writing manifest"
  rcr rmi "localhost/test/$name:latest"
}

@test "exit status 125: rcr's own failures (bad flag, unknown image with --pull=never)" {
  rcr 125 run --no-such-flag alpine true
  assert_contains "$stderr" "no-such-flag"
  rcr 125 run --rm --pull=never docker.io/library/never-pulled:latest true
  assert_contains "$stderr" "image not known"
  rcr 125 run --rm
  rcr 125 run --rm -w relative/dir alpine true
  no_containers
}

@test "exit status 125: a setup failure with ENOENT is rcr's, not a missing command (127)" {
  d=$(mktemp -d "$BATS_TEST_TMPDIR/vol.XXXXXX")
  rcr create -v "$d:/x" alpine true
  id=$output
  rmdir "$d"
  rcr 125 start -a "$id"
  assert_contains "$stderr" "No such file or directory"
  rcr rm "$id"
}

@test "exit status 125: rcr's own EACCES before the container exists is not 'cannot invoke' (126)" {
  rcr create alpine true
  id=$output
  mkdir -p "$RCR_TEST_STORE/run/containers"
  rm -rf "${RCR_TEST_STORE:?}/run/containers/$id"
  chmod 0500 "$RCR_TEST_STORE/run/containers"
  rcr 125 start -a "$id"
  chmod 0700 "$RCR_TEST_STORE/run/containers"
  assert_contains "$stderr" "Permission denied"
  rcr rm "$id"
}

@test "exit status 125: options that are not implemented yet are refused, never ignored" {
  rcr 125 run --rm --memory 64m alpine true
  assert_contains "$stderr" "not implemented"
  rcr 125 run --rm --pids-limit 10 alpine true
  assert_contains "$stderr" "not implemented"
  rcr 125 run --rm -p 8080:80 alpine true
  assert_contains "$stderr" "not implemented"
  rcr 125 run --rm --network slirp4netns alpine true
  assert_contains "$stderr" "not implemented"
  rcr 125 run --rm --userns auto alpine true
  assert_contains "$stderr" "not supported"
  no_containers
}

@test "exit status 128+N: a process killed by a signal" {
  # pid 1 of a pid namespace cannot SIGKILL itself (podman exits 0 there too): a shell
  # whose child was killed reports 137
  rcr 137 run --rm alpine sh -c 'sh -c "kill -9 \$\$"; exit $?'
  # under --init the command is pid 2 and really dies of SIGKILL
  rcr 137 run --rm --init alpine sh -c 'kill -9 $$'
  rcr 143 run --rm --init alpine sh -c 'kill -TERM $$'
  no_containers
}

@test "exit status 137: pid 1 SIGKILLed from the host while rcr run is attached" {
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" run --name victim alpine sleep 1000 \
    >"$BATS_TEST_TMPDIR/out" 2>&1 &
  local runner=$!
  get_pid() {
    pid=$("$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" inspect --format '{{.State.Pid}}' victim 2>/dev/null) &&
      [ "${pid:-0}" -gt 0 ]
  }
  wait_until 100 0.1 get_pid || { kill "$runner"; return 1; }
  kill -KILL "$pid"
  local rc=0
  wait "$runner" || rc=$?
  assert_equal "$rc" 137
  rcr inspect --format '{{.State.ExitCode}} {{.State.Status}}' victim
  assert_equal "$output" "137 exited"
}

@test "-e sets variables, -e KEY copies ours, an unset KEY is left out, -e beats the image" {
  FROM_OUR_ENV=copied rcr run --rm -e A=1 -e 'B=two words' -e FROM_OUR_ENV -e UNSET_HERE_X -e FOO=override multilayer env
  grep -qx 'A=1' <<<"$output"
  grep -qx 'B=two words' <<<"$output"
  grep -qx 'FROM_OUR_ENV=copied' <<<"$output"
  ! grep -q '^UNSET_HERE_X' <<<"$output"
  grep -qx 'FOO=override' <<<"$output"
  # the image's other variables stay
  grep -qx 'MULTI=layer' <<<"$output"
  # podman's defaults
  grep -qx 'container=podman' <<<"$output"
  grep -qx 'TERM=xterm' <<<"$output"
  rcr run --rm alpine env
  grep -qx 'HOME=/root' <<<"$output"
}

@test "--env-file: comments, blank lines, KEY=VALUE verbatim, bare KEY from our env; -e wins" {
  cat >"$BATS_TEST_TMPDIR/env" <<'EOF'
# a comment
FILE_A=alpha

  FILE_B=with spaces and "quotes"
FILE_FROM_HOST
FILE_UNSET_XYZ
FILE_C=from-file
EOF
  FILE_FROM_HOST=hostvalue rcr run --rm --env-file "$BATS_TEST_TMPDIR/env" -e FILE_C=from-flag alpine env
  grep -qx 'FILE_A=alpha' <<<"$output"
  grep -qx 'FILE_B=with spaces and "quotes"' <<<"$output"
  grep -qx 'FILE_FROM_HOST=hostvalue' <<<"$output"
  grep -qx 'FILE_C=from-flag' <<<"$output"
  ! grep -q 'FILE_UNSET_XYZ' <<<"$output"
  ! grep -q 'comment' <<<"$output"
  rcr 125 run --rm --env-file "$BATS_TEST_TMPDIR/no-such-file" alpine true
  no_containers
}

@test "-w sets the working directory and creates it when missing" {
  rcr run --rm -w /new/deep/dir alpine pwd
  assert_equal "$output" /new/deep/dir
  rcr run --rm -w /etc alpine pwd
  assert_equal "$output" /etc
  rcr run --rm alpine pwd
  assert_equal "$output" /
}

@test "-u by name, by uid:gid and nobody" {
  rcr run --rm -u tester alpine id
  assert_equal "$output" "uid=1000(tester) gid=1000(tester) groups=1000(tester)"
  rcr run --rm -u 1000:1000 alpine id
  assert_equal "$output" "uid=1000(tester) gid=1000(tester) groups=1000(tester)"
  rcr run --rm -u nobody alpine id -u
  assert_equal "$output" 65534
  rcr run --rm -u 0 alpine id -u
  assert_equal "$output" 0
  # HOME follows the user
  rcr run --rm -u tester alpine sh -c 'echo $HOME'
  assert_equal "$output" /home/tester
  rcr 125 run --rm -u no-such-user alpine true
  no_containers
}

@test "--entrypoint replaces the image's and drops its Cmd" {
  rcr run --rm --entrypoint /bin/echo alpine hello world
  assert_equal "$output" "hello world"
  rcr run --rm --entrypoint /bin/pwd multilayer
  assert_equal "$output" /work
  rcr run --rm --entrypoint "" multilayer whoami
  assert_equal "$output" tester
  # Regression test (the bug is fixed): podman takes a JSON array as the whole entrypoint (--entrypoint '["/bin/echo",
  # "a"]' runs /bin/echo a); rcr looks for a command named '["/bin/echo","a"]' (127)
  rcr run --rm --entrypoint '["/bin/echo","a"]' alpine b
  assert_equal "$output" "a b"
}

@test "the multilayer image's Entrypoint, Cmd, WorkingDir, User and Env apply" {
  rcr run --rm multilayer
  assert_equal "$output" multilayer
  rcr run --rm multilayer pwd
  assert_equal "$output" /work
  rcr run --rm multilayer whoami
  assert_equal "$output" tester
  rcr run --rm multilayer env
  grep -qx 'FOO=bar' <<<"$output"
  grep -qx 'HOME=/home/tester' <<<"$output"
  # the user owns the working directory the image gave it
  rcr run --rm multilayer 'touch /work/mine && stat -c %U /work/mine'
  assert_equal "$output" tester
}

@test "--hostname sets the host name, /etc/hostname and HOSTNAME; the default is the short id" {
  rcr run --rm --hostname foo.example alpine sh -c 'hostname; cat /etc/hostname; echo $HOSTNAME'
  assert_equal "$output" "foo.example
foo.example
foo.example"
  rcr run -d alpine sleep 1000
  id=$output
  rcr inspect --format '{{.Config.Hostname}}' "$id"
  assert_equal "$output" "${id:0:12}"
  rcr rm -f "$id"
}

@test "--name: a name is unique; a second create with it fails with 125" {
  rcr create --name dup alpine true
  first=$output
  [[ $first =~ ^[0-9a-f]{64}$ ]]
  rcr 125 create --name dup alpine true
  assert_contains "$stderr" 'already in use'
  rcr 125 run --rm --name dup alpine true
  assert_contains "$stderr" 'already in use'
  rcr ps -a -q --no-trunc
  assert_equal "$output" "$first"
  rcr 125 create --name 'bad/name' alpine true
  rcr rm dup
  # and free again once removed
  rcr run --rm --name dup alpine true
}

@test "-i passes our stdin; without -i the container's stdin is empty" {
  run --separate-stderr bash -c 'printf "x\ny\n" | timeout 60 "$@"' _ "$RCR_BIN" --root "$RCR_TEST_STORE/root" \
    --runroot "$RCR_TEST_STORE/run" run -i --rm alpine cat
  [ "$status" -eq 0 ]
  assert_equal "$output" "x
y"
  run --separate-stderr bash -c 'echo x | timeout 60 "$@"' _ "$RCR_BIN" --root "$RCR_TEST_STORE/root" \
    --runroot "$RCR_TEST_STORE/run" run --rm alpine cat
  [ "$status" -eq 0 ]
  assert_equal "$output" ""
  rcr_stdin "hello" run -i --rm alpine wc -l
  assert_equal "$output" 1
}

@test "-t gives the container a terminal: tty prints /dev/pts/0" {
  command -v script >/dev/null
  run timeout 90 script -qec "$(rcr_cmdline run --rm -t alpine tty)" /dev/null
  [ "$status" -eq 0 ]
  assert_equal "${output//$'\r'/}" /dev/pts/0
  # the exit status comes through the terminal too
  run timeout 90 script -qec "$(rcr_cmdline run --rm -t alpine sh -c 'exit 3')" /dev/null
  [ "$status" -eq 3 ]
  # without -t, no terminal
  rcr 1 run --rm alpine tty
  assert_contains "$output" "not a tty"
}

@test "--read-only: / is not writable; /tmp, /var/tmp and /run are" {
  rcr run --rm --read-only alpine sh -c 'touch /x 2>&1; echo rc=$?'
  assert_contains "$output" "Read-only file system"
  assert_contains "$output" "rc=1"
  rcr run --rm --read-only alpine sh -c 'touch /tmp/a /var/tmp/b /run/c && echo ok'
  assert_equal "$output" ok
  rcr create --read-only alpine true
  rcr inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$output"
  assert_equal "$output" true
}

@test "--tmpfs mounts a fresh writable tmpfs; options are passed on" {
  rcr run --rm --tmpfs /scratch alpine sh -c 'grep " /scratch " /proc/mounts; touch /scratch/f && echo ok'
  assert_contains "$output" "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec"
  assert_contains "$output" ok
  rcr run --rm --tmpfs /scratch:size=1m,mode=0700 alpine sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
  assert_contains "$output" "size=1024k"
  [ "${lines[1]}" = 700 ]
  # the tmpfs hides what the image has there (rcr's own /etc/hosts and hostname go on top)
  rcr run --rm --tmpfs /etc alpine ls -A /etc
  ! grep -qx passwd <<<"$output"
  ! grep -qx group <<<"$output"
}

@test "-v HOST:CTR binds a host directory read-write; :ro read-only" {
  dir=$BATS_TEST_TMPDIR/vol
  mkdir "$dir"
  echo from-host >"$dir/in"
  rcr run --rm -v "$dir:/data" alpine sh -c 'cat /data/in; echo from-container >/data/out; stat -c "%u %g" /data/out'
  assert_equal "$output" "from-host
0 0"
  # root in the container is us on the host
  assert_equal "$(cat "$dir/out")" from-container
  assert_equal "$(stat -c %u "$dir/out")" "$(id -u)"

  rcr run --rm -v "$dir:/data:ro" alpine sh -c 'cat /data/in; { echo x >/data/ro; } 2>&1; echo rc=$?'
  assert_contains "$output" from-host
  assert_contains "$output" "Read-only file system"
  assert_contains "$output" "rc=1"
  [ ! -e "$dir/ro" ]

  # a file works as well as a directory
  rcr run --rm -v "$dir/in:/etc/passwd:ro" alpine cat /etc/passwd
  assert_equal "$output" from-host
  # onto a path the image lacks, the mount point is a new empty file, as in podman
  # (the build of 16:27 made a directory there and failed with EINVAL)
  rcr run --rm -v "$dir/in:/etc/motd:ro" alpine cat /etc/motd
  assert_equal "$output" from-host
  rcr 125 run --rm -v "$BATS_TEST_TMPDIR/no-such-dir:/data" alpine true
  rcr 125 run --rm -v "$dir:relative" alpine true
  no_containers
}

@test "-v NAME:CTR: a named volume persists across containers and shows in inspect" {
  rcr run --rm -v keepme:/v alpine sh -c 'echo persisted >/v/file'
  rcr run --rm -v keepme:/v alpine cat /v/file
  assert_equal "$output" persisted
  rcr create -v keepme:/v alpine true
  id=$output
  rcr inspect "$id"
  assert_equal "$(json_get "$output" '.[0].Mounts[0].Type')" volume
  assert_equal "$(json_get "$output" '.[0].Mounts[0].Name')" keepme
  assert_equal "$(json_get "$output" '.[0].Mounts[0].Destination')" /v
  src=$(json_get "$output" '.[0].Mounts[0].Source')
  assert_equal "$(cat "$src/file")" persisted
}

# CVE-2021-30465 class (runc mount destinations swapped for symlinks): a mount target
# that is a symlink in the image resolves inside the container's root, never on the host.
@test "-v onto a symlinked container path stays inside the container (CVE-2021-30465 class)" {
  ref=$(push_derived_image symlinked-etc <<'EOF'
dir /mnt
symlink /mnt/link /etc
symlink /mnt/rel-link ../../../../../../../etc
EOF
  )
  dir=$BATS_TEST_TMPDIR/src
  mkdir "$dir"
  echo bound >"$dir/marker"
  # /mnt/link -> /etc: the bind lands on the container's /etc, which it now hides
  for l in link rel-link; do
    rcr run --rm -v "$dir:/mnt/$l" "$ref" sh -c 'cat /etc/marker; ls /etc'
    assert_equal "${lines[0]}" bound
    ! grep -qx passwd <<<"$output"
  done
  # the host's /etc is what it was
  [ ! -e /etc/marker ]
  grep -q '^root:' /etc/passwd
  no_containers
}

# CVE-2021-30465 class, the missing-target variant: podman (runc's securejoin) creates
# the symlink's target inside the root and binds there.
@test "-v onto a symlink to a missing path creates the target inside the container, never on the host" {
  host=$BATS_TEST_TMPDIR/host-target
  ref=$(push_derived_image "symlinked-missing" <<EOF
dir /mnt
symlink /mnt/abs-out $host
symlink /mnt/rel-out ../../../../../../..$host-rel
symlink /mnt/link /etc
EOF
  )
  mkdir -p "$host" "$host-rel"
  echo host-sentinel >"$host/sentinel"
  echo host-sentinel >"$host-rel/sentinel"
  dir=$BATS_TEST_TMPDIR/src
  mkdir "$dir"
  echo bound >"$dir/marker"

  local rc
  for l in abs-out rel-out; do
    t=$host
    [ "$l" = rel-out ] && t=$host-rel
    # podman creates $t inside the root and binds onto it (rcr once failed here: its
    # create loop could not follow a symlink to a missing target)
    rc=0
    "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" run --rm -q -v "$dir:/mnt/$l" "$ref" \
      sh -c "cat $t/marker; ls $t" >"$BATS_TEST_TMPDIR/out" 2>&1 || rc=$?
    # whatever happened, the host's directory of that name is neither seen nor touched
    assert_equal "$(ls "$t")" sentinel
    assert_equal "$(cat "$t/sentinel")" host-sentinel
    [ "$rc" -eq 0 ] || { echo "rcr run -v $dir:/mnt/$l: exit $rc" >&2; cat "$BATS_TEST_TMPDIR/out" >&2; return 1; }
    assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "bound
marker"
  done
  # Regression test (the bug is fixed): the same create loop resolves an absolute link in the middle of the path
  # relative to the directory holding it: podman binds onto the container's /etc/newsub
  rcr run --rm -v "$dir:/mnt/link/newsub" "$ref" cat /etc/newsub/marker
  assert_equal "$output" bound
  no_containers
}

@test "--network host shares the host's interfaces" {
  host_ifs=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort)
  rcr run --rm --network host alpine cat /proc/net/dev
  ctr_ifs=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$output" | sort)
  assert_equal "$ctr_ifs" "$host_ifs"
  rcr create --network host alpine true
  rcr inspect --format '{{.HostConfig.NetworkMode}}' "$output"
  assert_equal "$output" host
}

@test "--network none (the default): only lo, and lo is up" {
  for net in "--network=none" ""; do
    rcr run --rm $net alpine sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags'
    assert_equal "${lines[0]}" lo
    [ "${#lines[@]}" -eq 2 ]
    # IFF_UP
    [ $((${lines[1]} & 1)) -eq 1 ]
    rcr run --rm $net alpine cat /proc/net/dev
    ifs=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' <<<"$output")
    assert_equal "$ifs" lo
  done
}

@test "--ulimit nofile=100:200 sets the soft and hard limits" {
  rcr run --rm --ulimit nofile=100:200 alpine sh -c 'ulimit -n; ulimit -Hn'
  assert_equal "$output" "100
200"
  rcr 125 run --rm --ulimit nofile=300:200 alpine true
  rcr 125 run --rm --ulimit bogus=1 alpine true
  no_containers
}

@test "--init: pid 1 is the init, the command is pid 2, orphans are reaped" {
  rcr run --rm --init alpine sh -c 'echo $$'
  assert_equal "$output" 2
  rcr run --rm alpine sh -c 'echo $$'
  assert_equal "$output" 1
  # three orphans exit while the command sleeps: the init (their new parent) reaps them
  rcr run --rm --init alpine sh -c 'for i in 1 2 3; do sh -c "sleep 0.1 &"; done; sleep 1
    for s in /proc/[0-9]*/stat; do read -r pid comm state rest <"$s"; echo "$pid $state"; done'
  ! grep -q ' Z$' <<<"$output"
  grep -q '^1 ' <<<"$output"
  rcr create --init alpine true
  rcr inspect --format '{{.HostConfig.Init}}' "$output"
  assert_equal "$output" true
}

@test "-d prints the 64-hex id and the container runs in ps" {
  rcr run -d alpine sleep 1000
  id=$output
  [[ $id =~ ^[0-9a-f]{64}$ ]]
  rcr ps -q --no-trunc
  assert_equal "$output" "$id"
  rcr ps --format json
  assert_equal "$(json_get "$output" '.[0].State')" running
  assert_equal "$(json_get "$output" '.[0].Id')" "$id"
  rcr inspect --format '{{.State.Running}}' "$id"
  assert_equal "$output" true
  rcr rm -f "$id"
  no_containers
}

@test "-d: the detached monitor keeps none of our file descriptors" {
  mkdir "$BATS_TEST_TMPDIR/held"
  exec 7<"$BATS_TEST_TMPDIR/held"
  rcr run -d --name held alpine sleep 1000
  exec 7<&-
  rcr inspect --format '{{.State.ConmonPid}}' held
  monitor=$output
  [ "$monitor" -gt 0 ]
  # Regression test (the bug is fixed): the monitor forks from rcr run without closing what rcr inherited; it keeps
  # our fd 7 (and any pipe, so a reader of `rcr run -d ... 3>&1 | cat` never sees EOF)
  for fd in "/proc/$monitor/fd"/*; do
    [ "$(readlink "$fd")" != "$BATS_TEST_TMPDIR/held" ] || { echo "monitor holds our fd ${fd##*/}" >&2; return 1; }
  done
  run timeout 10 bash -c '"$@" 3>&1 >/dev/null | cat' _ "$RCR_BIN" --root "$RCR_TEST_STORE/root" \
    --runroot "$RCR_TEST_STORE/run" run -d alpine sleep 1000
  [ "$status" -eq 0 ]
}

@test "--rm -d: the container removes itself after it exits" {
  rcr run --rm -d alpine sh -c 'sleep 0.3'
  id=$output
  [[ $id =~ ^[0-9a-f]{64}$ ]]
  wait_until 100 0.1 no_containers
  [ ! -e "$RCR_TEST_STORE/root/containers/$id" ]
  [ ! -e "$RCR_TEST_STORE/run/containers/$id" ]
}

@test "one image, five containers at once: all run, all stop" {
  ids=()
  for i in 1 2 3 4 5; do
    rcr run -d --init --name "many-$i" alpine sleep 1000
    ids+=("$output")
  done
  rcr ps -q --no-trunc
  [ "${#lines[@]}" -eq 5 ]
  for id in "${ids[@]}"; do
    grep -qx "$id" <<<"$output"
  done
  # each has its own pid namespace: its command is pid 2 under the init
  rcr ps --format '{{.Names}}'
  [ "${#lines[@]}" -eq 5 ]
  rcr stop -t 5 "${ids[@]}"
  rcr ps -q
  assert_equal "$output" ""
  rcr ps -a --format '{{.Names}} {{.Status}}'
  [ "${#lines[@]}" -eq 5 ]
  for line in "${lines[@]}"; do
    [[ $line =~ ^many-[1-5]\ Exited\ \(143\) ]]
  done
}
