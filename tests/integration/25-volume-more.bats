#!/usr/bin/env bats
# Named volumes, restart, top, port, pause/unpause.

load helpers

setup_file() {
  use_file_store
}

teardown_file() {
  rcr rm -a -f || true
  remove_store "$RCR_TEST_STORE"
}

@test "volume create, ls, inspect, rm with podman's columns and exit codes" {
  rcr volume create data
  [ "$output" = data ]
  rcr 125 volume create data
  assert_contains "$stderr" "already exists"
  rcr volume create --ignore data
  rcr volume ls
  [[ ${lines[0]} =~ ^DRIVER\ +VOLUME\ NAME$ ]]
  assert_contains "$output" "local"
  rcr volume inspect data --format '{{.Mountpoint}}'
  [ "$output" = "$RCR_TEST_STORE/root/volumes/data/_data" ]
  rcr volume inspect data
  [ "$(json_get "$output" '.[0].Driver')" = local ]
  rcr 1 volume rm nosuch
  rcr volume rm data
  rcr volume ls -q
  [ -z "$output" ]
}

@test "a named volume persists across containers; data of container users is removed with it" {
  rcr run --rm -v keep:/data alpine sh -c 'echo persist > /data/f; chown 1000:1000 /data/f; mkdir /data/d; chmod 700 /data/d; chown 65534 /data/d'
  rcr run --rm -v keep:/data alpine cat /data/f
  [ "$output" = persist ]
  rcr volume ls -q
  [ "$output" = keep ]
  rcr volume rm keep
  [ ! -e "$RCR_TEST_STORE/root/volumes/keep" ]
}

@test "a volume in use is refused without --force (exit 2) and removed with its container with it" {
  rcr run -d --name vuser -v used:/v alpine sleep 300
  rcr 2 volume rm used
  assert_contains "$stderr" "being used"
  rcr volume rm -f used
  rcr 125 inspect --type container vuser
}

@test "volume prune removes only volumes no container uses" {
  rcr volume create unused
  rcr create --name holder -v held:/h alpine true
  rcr volume prune -f
  [ "$output" = unused ]
  rcr volume ls -q
  [ "$output" = held ]
  rcr rm holder
  rcr volume rm held
}

@test "restart stops and starts again" {
  rcr run -d --name rs alpine sh -c 'echo started; sleep 300'
  rcr inspect rs --format '{{.State.Pid}}'
  first=$output
  rcr restart -t 0 rs
  rcr inspect rs --format '{{.State.Status}} {{.State.Pid}}'
  [[ $output == running* ]]
  [ "${output#running }" != "$first" ]
  rcr rm -f rs
}

@test "top lists the container's processes as it sees them" {
  rcr run -d --name tp --init alpine sh -c 'sleep 300 & sleep 300'
  for _ in $(seq 1 50); do
    rcr top tp
    [ "${#lines[@]}" -ge 4 ] && break
    sleep 0.1
  done
  [[ ${lines[0]} =~ ^USER\ +PID\ +PPID\ +%CPU\ +ELAPSED\ +TTY\ +TIME\ +COMMAND$ ]]
  assert_contains "$output" "rcr-init"
  assert_contains "$output" "sleep 300"
  # pid 1 is the init, seen from inside; the host's command line never shows there
  [[ ${lines[1]} =~ ^root\ +1\ +0\  ]]
  rcr exec tp cat /proc/1/cmdline
  [ "$(tr -d '\0' <<<"$output")" = rcr-init ]
  rcr rm -f tp
}

@test "port lists nothing for a container without published ports" {
  rcr create --name pt alpine true
  rcr port pt
  [ -z "$output" ]
  rcr 125 port nosuch
  rcr rm pt
}

@test "pause and unpause explain what they need" {
  rcr run -d --name pz alpine sleep 300
  rcr 125 pause pz
  assert_contains "$stderr" "cgroup"
  rcr 125 unpause pz
  rcr rm -f pz
}
