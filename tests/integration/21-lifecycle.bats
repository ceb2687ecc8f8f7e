#!/usr/bin/env bats
# A container's life: create, start, stop, kill, wait, rm, logs, ps, inspect, rename,
# addressing by id, prefix and name; and what survives a dead monitor or a wiped runtime
# directory.

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
  local pid
  # container processes a failed test may have orphaned
  for pid in $(cat "$BATS_TEST_TMPDIR/pids" 2>/dev/null); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rcr rm -a -f
}

# r ARGS...: rcr on the file's store without the status check, for polling
r() {
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" "$@"
}

# status_of CTR: .State.Status
status_of() {
  r inspect --format '{{.State.Status}}' "$1"
}

is_status() {
  [ "$(status_of "$1")" = "$2" ]
}

# logs_have CTR TEXT: the container's log holds TEXT
logs_have() {
  r logs "$1" 2>&1 | grep -q "$2"
}

@test "create shows Created in ps -a; start makes it Up; stop makes it Exited" {
  rcr create --name life alpine sleep 1000
  id=$output
  [[ $id =~ ^[0-9a-f]{64}$ ]]
  rcr ps -q
  assert_equal "$output" ""
  rcr ps -a --format '{{.Names}} {{.Status}}'
  assert_equal "$output" "life Created"
  rcr inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' life
  assert_equal "$output" "created false 0"

  rcr start life
  assert_equal "$output" life
  rcr ps --format '{{.Names}} {{.Status}}'
  [[ $output =~ ^life\ Up\  ]]
  rcr inspect --format '{{.State.Status}} {{.State.Running}}' life
  assert_equal "$output" "running true"
  # starting a running container is not an error
  rcr start life

  rcr stop -t 0 life
  assert_equal "$output" life
  rcr ps -a --format '{{.Names}} {{.Status}}'
  [[ $output =~ ^life\ Exited\ \(137\)\  ]]
  # stopping a stopped container is not an error either
  rcr stop life
  # and it can start again
  rcr start life
  is_status life running
}

@test "stop: pid 1 ignoring SIGTERM is killed after -t (137); under --init SIGTERM ends it (143)" {
  rcr run -d --name noterm alpine sleep 1000
  start=$(date +%s%N)
  rcr stop -t 1 noterm
  took=$((($(date +%s%N) - start) / 1000000))
  [ "$took" -ge 1000 ]
  rcr inspect --format '{{.State.ExitCode}}' noterm
  assert_equal "$output" 137

  rcr run -d --init --name withinit alpine sleep 1000
  start=$(date +%s%N)
  rcr stop -t 10 withinit
  took=$((($(date +%s%N) - start) / 1000000))
  [ "$took" -lt 5000 ]
  rcr inspect --format '{{.State.ExitCode}}' withinit
  assert_equal "$output" 143
}

@test "--stop-signal and --stop-timeout are what stop uses" {
  rcr run -d --init --stop-signal SIGINT --name int alpine sleep 1000
  rcr inspect --format '{{.Config.StopSignal}}' int
  assert_equal "$output" SIGINT
  rcr stop int
  rcr inspect --format '{{.State.ExitCode}}' int
  assert_equal "$output" 130

  rcr run -d --stop-timeout 1 --name quick alpine sleep 1000
  start=$(date +%s%N)
  rcr stop quick
  took=$((($(date +%s%N) - start) / 1000000))
  [ "$took" -lt 8000 ]
  rcr inspect --format '{{.State.ExitCode}}' quick
  assert_equal "$output" 137
}

@test "kill: KILL by default, -s TERM, -s USR1 reaches a trap; a stopped container cannot be killed" {
  rcr run -d --name k1 alpine sleep 1000
  rcr kill k1
  assert_equal "$output" k1
  rcr wait k1
  assert_equal "$output" 137

  rcr run -d --init --name k2 alpine sleep 1000
  rcr kill -s TERM k2
  rcr wait k2
  assert_equal "$output" 143

  rcr run -d --name k3 alpine sh -c 'trap "echo got-usr1; exit 7" USR1; echo ready; while :; do sleep 0.1; done'
  wait_until 100 0.1 logs_have k3 ready
  rcr kill -s USR1 k3
  rcr wait k3
  assert_equal "$output" 7
  rcr logs k3
  assert_equal "$output" "ready
got-usr1"

  rcr 125 kill k3
  assert_contains "$stderr" "can only kill running containers"
  rcr 125 kill -s NOSUCHSIG k3
  rcr 125 kill no-such-container
}

@test "wait prints the exit code, also for a container that already exited" {
  rcr run -d --name w1 alpine sh -c 'sleep 0.5; exit 3'
  rcr wait w1
  assert_equal "$output" 3
  rcr wait w1
  assert_equal "$output" 3
  rcr run -d --name w2 alpine true
  rcr wait w1 w2
  assert_equal "$output" "3
0"
  rcr 125 wait no-such-container
}

@test "wait on a --rm container that removed itself prints its code, kept five minutes" {
  rcr run -d --rm alpine sh -c 'sleep 0.3; exit 4'
  id=$output
  rcr wait "$id"
  assert_equal "$output" 4
  wait_until 50 0.1 test ! -e "$RCR_TEST_STORE/root/containers/$id"
  rcr wait "$id"
  assert_equal "$output" 4
  # an exit code older than five minutes goes at a start (rcr looks once a minute at
  # most: the stamp of the last look is made older too); a newer one stays
  old=$(printf '%064d' 7)
  ln -s 9 "$RCR_TEST_STORE/run/exits/$old"
  touch -h -d '6 minutes ago' "$RCR_TEST_STORE/run/exits/$old"
  touch "$RCR_TEST_STORE/run/exits/.pruned"
  rcr run --rm alpine true
  [ -L "$RCR_TEST_STORE/run/exits/$old" ]
  touch -d '2 minutes ago' "$RCR_TEST_STORE/run/exits/.pruned"
  rcr run --rm alpine true
  [ ! -e "$RCR_TEST_STORE/run/exits/$old" ] && [ ! -L "$RCR_TEST_STORE/run/exits/$old" ]
  rcr wait "$id"
  assert_equal "$output" 4
}

@test "start -a attaches and returns the container's status" {
  rcr create --name att alpine sh -c 'echo attached; exit 5'
  rcr 5 start -a att
  assert_equal "$output" attached
  rcr inspect --format '{{.State.Status}} {{.State.ExitCode}}' att
  assert_equal "$output" "exited 5"
  # a second start -a runs it again
  rcr 5 start -a att
  assert_equal "$output" attached
  rcr 125 start no-such-container
}

@test "rm: a running container needs -f (125 without); -f kills and removes it" {
  rcr run -d --name busy alpine sleep 1000
  id=$output
  pid=$(r inspect --format '{{.State.Pid}}' busy)
  [ "$pid" -gt 0 ]
  rcr 125 rm busy
  assert_contains "$stderr" "cannot remove container"
  is_status busy running
  rcr rm -f busy
  rcr ps -a -q
  assert_equal "$output" ""
  wait_until 50 0.1 pid_gone "$pid"
  [ ! -e "$RCR_TEST_STORE/root/containers/$id" ]
}

@test "rm -a removes every stopped container; running ones need -f" {
  rcr run --name e1 alpine true
  rcr create --name c1 alpine true
  rcr run -d --name up1 alpine sleep 1000
  rcr 125 rm -a
  rcr ps -a --format '{{.Names}}'
  assert_equal "$output" up1
  rcr rm -a -f
  rcr ps -a -q
  assert_equal "$output" ""
  [ -z "$(ls -A "$RCR_TEST_STORE/run/containers" 2>/dev/null)" ]
}

@test "rm of an unknown container: exit 1 and no such container; -i ignores it" {
  rcr 1 rm no-such-container
  assert_contains "$stderr" "no such container"
  rcr rm -i no-such-container
  # Regression test (the bug is fixed): podman rm -f treats a missing container as removed (exit 0); rcr exits 1
  rcr rm -f no-such-container
}

@test "logs: stdout and stderr after exit, --tail, -t timestamps" {
  rcr run -d --name talk alpine sh -c 'echo one; echo two; echo oops >&2; sleep 0.2; echo three'
  rcr wait talk
  rcr logs talk
  assert_equal "$output" "one
two
three"
  assert_equal "$stderr" oops
  rcr logs --tail 1 talk
  assert_equal "$output" three
  [ -z "$stderr" ]
  rcr logs --tail 0 talk
  assert_equal "$output" ""
  rcr logs -t talk
  [ "${#lines[@]}" -eq 3 ]
  for l in "${lines[@]}"; do
    [[ $l =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})\ (one|two|three)$ ]]
  done
  # an attached run (without --rm) is logged too
  rcr run --name attached alpine echo seen
  rcr logs attached
  assert_equal "$output" seen
  rcr 125 logs no-such-container
}

@test "logs -f follows until the container exits" {
  rcr run -d --name follow alpine sh -c 'echo first; sleep 1; echo second'
  rcr logs -f follow
  assert_equal "$output" "first
second"
  is_status follow exited
}

@test "ps: podman's columns, -q, --no-trunc, -l, -n" {
  rcr run -d --name psx alpine sleep 1000
  id=$output
  rcr ps
  [[ ${lines[0]} =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +PORTS\ +NAMES$ ]]
  [ "${#lines[@]}" -eq 2 ]
  [[ ${lines[1]} =~ ^${id:0:12}\ +docker.io/library/alpine:latest\ +sleep\ 1000\ +.*\ +Up\ .*psx$ ]]
  rcr ps -q
  assert_equal "$output" "${id:0:12}"
  rcr ps -q --no-trunc
  assert_equal "$output" "$id"
  rcr ps --noheading
  [ "${#lines[@]}" -eq 1 ]

  rcr run --name later alpine true
  rcr ps -a -l --format '{{.Names}}'
  assert_equal "$output" later
  rcr ps -a -n 2 --format '{{.Names}}'
  assert_equal "$output" "later
psx"
}

@test "ps --format json: Id, Names, State, Status, ExitCode" {
  rcr 4 run --name j-exited alpine sh -c 'exit 4'
  rcr run -d --name j-running alpine sleep 1000
  rcr ps -a --format json
  jq -e . <<<"$output" >/dev/null
  [ "$(json_get "$output" 'length')" -eq 2 ]
  e=$(jq -c '.[] | select(.Names[0] == "j-exited")' <<<"$output")
  [[ $(json_get "$e" .Id) =~ ^[0-9a-f]{64}$ ]]
  assert_equal "$(json_get "$e" .State)" exited
  assert_equal "$(json_get "$e" .ExitCode)" 4
  [[ $(json_get "$e" .Status) =~ ^Exited\ \(4\) ]]
  u=$(jq -c '.[] | select(.Names[0] == "j-running")' <<<"$output")
  assert_equal "$(json_get "$u" .State)" running
  [[ $(json_get "$u" .Status) =~ ^Up\  ]]
  # no helper key of the template code in the JSON (the build of 16:27 leaked "Names_")
  assert_equal "$(json_get "$e" 'has("Names_")')" false
}

@test "ps --filter status=, name=, id=, label=, ancestor=" {
  rcr run --name f-exited --label team=a alpine true
  rcr run -d --name f-running --label team=b multilayer 'sleep 1000'
  rcr create --name f-created alpine true
  rcr ps -a --filter status=exited --format '{{.Names}}'
  assert_equal "$output" f-exited
  rcr ps --filter status=created --format '{{.Names}}'
  assert_equal "$output" f-created
  rcr ps -a --filter status=running --format '{{.Names}}'
  assert_equal "$output" f-running
  rcr ps -a --filter name=f-run --format '{{.Names}}'
  assert_equal "$output" f-running
  id=$(r inspect --format '{{.Id}}' f-exited)
  rcr ps -a --filter "id=${id:0:8}" --format '{{.Names}}'
  assert_equal "$output" f-exited
  rcr ps -a --filter label=team=b --format '{{.Names}}'
  assert_equal "$output" f-running
  rcr ps -a --filter ancestor=multilayer --format '{{.Names}}'
  assert_equal "$output" f-running
  rcr 125 ps --filter bogus=1
}

@test "inspect: podman's State, Config, Mounts and HostConfig fields" {
  dir=$BATS_TEST_TMPDIR/vol
  mkdir "$dir"
  rcr create --name insp --hostname insp-host -e X=1 -w /etc -u tester -v "$dir:/data:ro" \
    --cap-add NET_ADMIN --cap-drop CHOWN --read-only alpine sh -c 'exit 2'
  id=$output
  rcr inspect insp
  o=$(jq -c '.[0]' <<<"$output")
  assert_equal "$(json_get "$o" .Id)" "$id"
  assert_equal "$(json_get "$o" .Name)" insp
  assert_equal "$(json_get "$o" .State.Status)" created
  assert_equal "$(json_get "$o" .State.Running)" false
  assert_equal "$(json_get "$o" .State.Pid)" 0
  assert_equal "$(json_get "$o" .State.ExitCode)" 0
  assert_equal "$(json_get "$o" .State.OOMKilled)" false
  assert_equal "$(json_get "$o" .State.StartedAt)" 0001-01-01T00:00:00Z
  assert_equal "$(json_get "$o" .State.FinishedAt)" 0001-01-01T00:00:00Z
  json_get "$o" '.Config.Env[]' | grep -qx X=1
  json_get "$o" '.Config.Env[]' | grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  assert_equal "$(json_get "$o" '.Config.Cmd | join(" ")')" "sh -c exit 2"
  assert_equal "$(json_get "$o" .Config.WorkingDir)" /etc
  assert_equal "$(json_get "$o" .Config.User)" tester
  assert_equal "$(json_get "$o" .Config.Hostname)" insp-host
  assert_equal "$(json_get "$o" '.Mounts | length')" 1
  assert_equal "$(json_get "$o" .Mounts[0].Type)" bind
  assert_equal "$(json_get "$o" .Mounts[0].Source)" "$dir"
  assert_equal "$(json_get "$o" .Mounts[0].Destination)" /data
  assert_equal "$(json_get "$o" .Mounts[0].RW)" false
  assert_equal "$(json_get "$o" .HostConfig.ReadonlyRootfs)" true
  assert_equal "$(json_get "$o" .HostConfig.NetworkMode)" none
  json_get "$o" '.HostConfig.CapAdd[]' | grep -q NET_ADMIN
  json_get "$o" '.HostConfig.CapDrop[]' | grep -q CHOWN

  rcr 2 start -a insp
  rcr inspect insp
  o=$(jq -c '.[0]' <<<"$output")
  assert_equal "$(json_get "$o" .State.Status)" exited
  assert_equal "$(json_get "$o" .State.ExitCode)" 2
  started=$(json_get "$o" .State.StartedAt)
  finished=$(json_get "$o" .State.FinishedAt)
  [[ $started =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9:]+)$ ]]
  [ "$(date -d "$finished" +%s%N)" -ge "$(date -d "$started" +%s%N)" ]
  rcr inspect --format '{{.State.Status}}' insp
  assert_equal "$output" exited
  rcr inspect --type container --format '{{.Name}}' insp
  assert_equal "$output" insp
  rcr 125 inspect --type container no-such-container
}

@test "inspect: podman's spelling of capabilities, Entrypoint and Cmd" {
  rcr create --name spell --cap-add net_admin --cap-drop CHOWN multilayer
  rcr inspect spell
  o=$(jq -c '.[0]' <<<"$output")
  # podman runs the image's entrypoint with its Cmd: Path and Args show both
  assert_equal "$(json_get "$o" .Path)" /bin/sh
  assert_equal "$(json_get "$o" '.Args | join(" ")')" "-c echo multilayer"
  # podman keeps the entrypoint apart: Config.Cmd ["echo multilayer"] and
  # Config.Entrypoint "/bin/sh -c" (a string in podman 4.3, an array in later versions)
  assert_equal "$(json_get "$o" '.Config.Cmd | join(" ")')" "echo multilayer"
  assert_equal "$(json_get "$o" '.Config.Entrypoint | if type == "array" then join(" ") else . end')" "/bin/sh -c"
  assert_equal "$(json_get "$o" '.EffectiveCaps | type')" array
  json_get "$o" '.EffectiveCaps[]' | grep -qx CAP_NET_ADMIN
  # Regression test (the bug is fixed): podman normalises the names in HostConfig (--cap-add net_admin shows as
  # CAP_NET_ADMIN); rcr echoes the flag's spelling
  assert_equal "$(json_get "$o" '.HostConfig.CapAdd | join(",")')" CAP_NET_ADMIN
}

@test "a container is addressed by full id, unique prefix and name" {
  rcr run -d --name addr alpine sleep 1000
  id=$output
  for ref in "$id" "${id:0:12}" "${id:0:6}" addr; do
    rcr inspect --format '{{.Id}}' "$ref"
    assert_equal "$output" "$id"
  done
  rcr logs "${id:0:12}"
  rcr stop -t 0 "${id:0:12}"
  is_status addr exited
  rcr start "$id"
  rcr kill addr
  rcr wait "${id:0:8}"
  assert_equal "$output" 137
  rcr rm "${id:0:10}"
  rcr ps -a -q
  assert_equal "$output" ""
}

@test "rename: the new name addresses it, the old one no longer does, names stay unique" {
  rcr create --name before alpine true
  id=$output
  rcr create --name taken alpine true
  rcr rename before after
  rcr inspect --format '{{.Id}} {{.Name}}' after
  assert_equal "$output" "$id after"
  rcr 125 inspect --type container before
  rcr 125 rename after taken
  assert_contains "$stderr" "already in use"
  rcr 125 rename after 'bad/name'
  # the old name is free again
  rcr create --name before alpine true
}

@test "/etc/hosts and /etc/hostname are written at each start in the run directory, with the name of that start" {
  rcr create --name first alpine cat /etc/hosts /etc/hostname
  id=$output
  rcr inspect --format '{{.HostsPath}} {{.HostnamePath}}' first
  assert_equal "$output" "$RCR_TEST_STORE/run/containers/$id/hosts $RCR_TEST_STORE/run/containers/$id/hostname"
  rcr start -a first
  assert_contains "$output" "${id:0:12} first"
  rcr rename first second
  rcr start -a second
  assert_contains "$output" "${id:0:12} second"
  refute_contains "$output" "first"
  # nothing derived is kept with the container on disk
  [ -e "$RCR_TEST_STORE/root/containers/$id/config.json" ]
  [ ! -e "$RCR_TEST_STORE/root/containers/$id/hosts" ]
  [ ! -e "$RCR_TEST_STORE/root/containers/$id/.containerenv" ]
  rcr rm second
  [ ! -e "$RCR_TEST_STORE/run/containers/$id" ]
}

@test "the monitor SIGKILLed: the container shows exited and no container process remains" {
  # as root in the container the process dies with its monitor (parent-death signal);
  # as another user that signal is gone and rcr must kill it once it sees the monitor dead
  for user in root tester; do
    rcr run -d --name "orphan-$user" -u "$user" alpine sleep 1000
    id=$output
    rcr inspect --format '{{.State.ConmonPid}} {{.State.Pid}}' "$id"
    read -r monitor pid <<<"$output"
    [ "$monitor" -gt 0 ]
    [ "$pid" -gt 0 ]
    echo "$pid" >>"$BATS_TEST_TMPDIR/pids"
    # the monitor is ours, the container process is in another user namespace
    [ "$(readlink "/proc/$monitor/ns/user")" = "$(readlink /proc/self/ns/user)" ]
    [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]
    kill -KILL "$monitor"
    wait_until 50 0.1 pid_gone "$monitor"
    # The monitor is double-forked, so its parent is the machine's pid 1; where that does
    # not reap orphans (this CI sandbox) the dead monitor stays a zombie, which must count
    # as dead, or the container shows Up forever and with -u its process runs on.
    rcr ps -a --format '{{.Names}} {{.Status}}' --filter "name=orphan-$user"
    [[ $output =~ ^orphan-$user\ Exited ]]
    rcr inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' "$id"
    assert_equal "$output" "exited false 0"
    wait_until 50 0.1 pid_gone "$pid"
    ! container_procs | grep -qx "$pid"
    # it can be started again and removed
    rcr start "$id"
    is_status "$id" running
    rcr rm -f "$id"
  done
}

@test "--rm: the overlay is volatile, as podman mounts it; after its monitor is SIGKILLed the container starts again" {
  rcr run --rm alpine sh -c 'head -n 1 /proc/self/mountinfo'
  assert_contains "$output" "volatile"
  rcr run alpine sh -c 'head -n 1 /proc/self/mountinfo'
  refute_contains "$output" "volatile"
  # the first run waits to be killed, the second ends at once (the upper layer stays)
  rcr run -d --rm --name volatile-orphan alpine sh -c 'test -e /ran && exit 7; touch /ran; sleep 1000'
  id=$output
  rcr inspect --format '{{.State.ConmonPid}} {{.State.Pid}}' "$id"
  read -r monitor pid <<<"$output"
  echo "$pid" >>"$BATS_TEST_TMPDIR/pids"
  kill -KILL "$monitor"
  wait_until 50 0.1 pid_gone "$monitor"
  wait_until 50 0.1 pid_gone "$pid"
  # the kernel left work/work/incompat/volatile (work/work is mode 0: not for us to look
  # at), which refuses a second volatile mount until it is removed
  rcr 7 start -a "$id"
  [ ! -e "$RCR_TEST_STORE/root/containers/$id" ]
}

@test "a wiped runtime directory (a reboot): the container is still listed as exited and starts again" {
  rcr run --name survivor alpine sh -c 'echo run-$$'
  id=$(r inspect --format '{{.Id}}' survivor)
  rcr create --name never-started alpine true
  rm -rf "${RCR_TEST_STORE:?}/run"
  rcr ps -a --format '{{.Names}} {{.Status}}'
  grep -q '^survivor Exited' <<<"$output"
  grep -qx 'never-started Created' <<<"$output"
  rcr inspect --format '{{.State.Status}}' survivor
  assert_equal "$output" exited
  # the persistent half is intact: the log, the config, a new start
  rcr logs survivor
  assert_equal "$output" run-1
  rcr start -a survivor
  assert_equal "$output" run-1
  rcr start -a never-started
  rcr inspect --format '{{.State.Status}} {{.State.ExitCode}}' survivor
  assert_equal "$output" "exited 0"
  [ -d "$RCR_TEST_STORE/run/containers/$id" ]
}
