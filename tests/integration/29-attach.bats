#!/usr/bin/env bats
# rcr attach: join a detached container's output and input through its monitor.

load helpers

setup_file() {
  use_file_store
}

teardown_file() {
  local c
  for c in at-out at-in at-cat at-tty at-stopped at-nostdin at-noi at-fds at-sig at-win; do
    rcr rm -f "$c" || true
  done
  remove_store "$RCR_TEST_STORE"
}

# attach_cmd ARGS...: the rcr attach command line for script(1) and bash -c
attach_cmd() {
  echo "'$RCR_BIN' --root '$RCR_TEST_STORE/root' --runroot '$RCR_TEST_STORE/run' attach $*"
}

@test "attach streams a detached container's output and exits with its status" {
  rcr run -d --network none --name at-out alpine sh -c 'sleep 1; echo out; echo err >&2; exit 3'
  rcr 3 attach at-out
  [ "$output" = out ]
  assert_contains "$stderr" err
  # the log has it all the same
  rcr logs at-out
  assert_contains "$output" out
  rcr wait at-out
  [ "$output" = 3 ]
}

@test "attach feeds a -i container's stdin; our EOF ends its stdin" {
  rcr run -d -i --network none --name at-in alpine sh -c 'read line; echo "got $line"'
  run --separate-stderr bash -c "printf 'hello\n' | $(attach_cmd at-in)"
  [ "$status" -eq 0 ]
  [ "$output" = "got hello" ]
  rcr run -d -i --network none --name at-cat alpine sh -c 'cat; exit 4'
  run --separate-stderr bash -c "printf 'one\ntwo\n' | $(attach_cmd at-cat)"
  [ "$status" -eq 4 ]
  [ "$output" = $'one\ntwo' ]
}

@test "attach --no-stdin sends nothing; two clients see the same output" {
  rcr run -d -i --network none --name at-nostdin alpine sh -c 'echo start; read line; echo "got $line"; exit 2'
  local out=$BATS_TEST_TMPDIR/nostdin.out
  bash -c "printf 'ignored\n' | $(attach_cmd --no-stdin at-nostdin)" >"$out" 2>&1 &
  local pid=$!
  # its EOF did not end the container's stdin: the second client's line is what it reads
  sleep 1.5
  kill -0 "$pid"
  run --separate-stderr bash -c "printf 'fed\n' | $(attach_cmd at-nostdin)"
  [ "$status" -eq 2 ]
  [ "$output" = "got fed" ]
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 2 ]
  [ "$(cat "$out")" = "got fed" ]
  rcr logs at-nostdin
  [ "$output" = $'start\ngot fed' ]
}

@test "a container without -i reads /dev/null whatever attach gets" {
  rcr run -d --network none --name at-noi alpine sh -c 'sleep 1; read line; echo "got [$line]"'
  run --separate-stderr bash -c "printf 'hello\n' | $(attach_cmd at-noi)"
  [ "$status" -eq 0 ]
  [ "$output" = "got []" ]
}

@test "attach to a tty container: the detach keys leave it running" {
  rcr run -d -t -i --network none --name at-tty alpine sh
  run bash -c "(sleep 1; printf '\x10\x11') | script -eqc \"$(attach_cmd at-tty)\" /dev/null"
  [ "$status" -eq 0 ]
  rcr inspect at-tty --format '{{.State.Status}}'
  [ "$output" = running ]
  # custom keys; the shell gets what we type and its status is attach's
  run bash -c "(sleep 1; printf 'echo hi-there\rexit 5\r'; sleep 5) | script -eqc \"$(attach_cmd --detach-keys ctrl-x at-tty)\" /dev/null"
  [ "$status" -eq 5 ]
  assert_contains "$output" hi-there
  rcr wait at-tty
  [ "$output" = 5 ]
}

@test "attach to a container that is not running is refused" {
  rcr create --network none --name at-stopped alpine true
  rcr 125 attach at-stopped
  assert_contains "$stderr" "you can only attach to running containers"
  rcr start at-stopped
  rcr wait at-stopped
  rcr 125 attach at-stopped
  assert_contains "$stderr" "you can only attach to running containers"
  rcr 125 attach --detach-keys ctrl-1 at-stopped
  assert_contains "$stderr" "invalid detach keys"
  rcr 125 attach no-such-container
}

@test "the attach socket is private and goes with the container; its stdin pipe leaks no fd" {
  rcr run -d -i --network none --name at-fds alpine sh -c 'read line; echo "got $line"; exit 6'
  local id=$output sock=$RCR_TEST_STORE/run/containers/$output/attach
  [ -S "$sock" ]
  [ "$(stat -c %a "$sock")" = 600 ]
  # the container's first process has its three standard streams and nothing else
  rcr exec at-fds ls /proc/1/fd
  [ "$output" = $'0\n1\n2' ]
  rcr exec at-fds readlink /proc/1/fd/0
  [[ $output == pipe:* ]]
  run --separate-stderr bash -c "printf 'bye\n' | $(attach_cmd "$id")"
  [ "$status" -eq 6 ]
  [ "$output" = "got bye" ]
  [ ! -e "$sock" ]
  rcr rm at-fds
}

@test "attach works where the socket's path is longer than sun_path allows" {
  local long=$BATS_TEST_TMPDIR/run-$(printf 'x%.0s' {1..120})
  local r=("$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$long")
  run --separate-stderr "${r[@]}" run -d --network none --name at-long alpine sh -c 'sleep 1; echo far; exit 2'
  [ "$status" -eq 0 ]
  local id=$output
  [ "${#long}" -gt 108 ]
  run --separate-stderr timeout 30 "${r[@]}" attach at-long
  [ "$status" -eq 2 ]
  [ "$output" = far ]
  run --separate-stderr "${r[@]}" rm at-long
  [ "$status" -eq 0 ]
  [ ! -e "$long/containers/$id" ]
}

@test "attach passes signals on without a tty, and window sizes with one" {
  rcr run -d --network none --name at-sig alpine sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done'
  local out=$BATS_TEST_TMPDIR/sig.out
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" attach at-sig >"$out" 2>&1 </dev/null &
  local pid=$!
  sleep 1
  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  [ "$status" -eq 9 ]
  [ "$(cat "$out")" = got-term ]
  rcr rm at-sig
  rcr run -d -t -i --network none --name at-win alpine sh
  run bash -c "(sleep 1; printf 'stty size; exit 0\r'; sleep 5) | script -eqc \"stty rows 33 cols 77; $(attach_cmd at-win)\" /dev/null"
  [ "$status" -eq 0 ]
  assert_contains "$output" "33 77"
  rcr rm at-win
}
