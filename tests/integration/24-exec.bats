#!/usr/bin/env bats
# rcr exec: a process joins a running container with its identity and limits.

load helpers

setup_file() {
  use_file_store
  rcr run -d --name ex alpine sleep 300
}

teardown_file() {
  rcr rm -f ex || true
  remove_store "$RCR_TEST_STORE"
}

@test "exec runs in the container's namespaces with its identity" {
  rcr inspect ex --format '{{.Config.Hostname}}'
  hn=$output
  rcr exec ex sh -c 'hostname; id -u; cat /proc/1/cmdline | tr "\0" " "'
  [ "${lines[0]}" = "$hn" ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = "sleep 300 " ]
}

@test "exec has the container's capabilities and seccomp filter" {
  rcr exec ex grep -E '^(CapBnd|CapEff|Seccomp):' /proc/self/status
  assert_contains "$output" $'CapBnd:\t00000000800405fb'
  assert_contains "$output" $'CapEff:\t00000000800405fb'
  assert_contains "$output" $'Seccomp:\t2'
}

@test "exec exit codes: the command's, 127 not found, 126 not executable, 125 no container" {
  rcr 1 exec ex false
  rcr 127 exec ex no-such-command
  assert_contains "$stderr" "not found"
  rcr 126 exec ex /etc/passwd
  rcr 125 exec no-such-container true
}

@test "exec -u, -w, -e and -i" {
  rcr exec -u tester -w /tmp -e FOO=bar ex sh -c 'id -un; pwd; echo $FOO'
  [ "$output" = $'tester\n/tmp\nbar' ]
  run --separate-stderr bash -c "echo piped | '$RCR_BIN' --root '$RCR_TEST_STORE/root' --runroot '$RCR_TEST_STORE/run' exec -i ex cat"
  [ "$status" -eq 0 ]
  [ "$output" = piped ]
  # without -i the command reads nothing
  run --separate-stderr bash -c "echo piped | '$RCR_BIN' --root '$RCR_TEST_STORE/root' --runroot '$RCR_TEST_STORE/run' exec ex cat"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "exec -t gets a terminal from the container's devpts" {
  run script -qc "'$RCR_BIN' --root '$RCR_TEST_STORE/root' --runroot '$RCR_TEST_STORE/run' exec -t ex tty" /dev/null
  [ "$status" -eq 0 ]
  [[ $output == *"/dev/pts/"* ]]
}

@test "exec -d returns once the command runs; it shows in the container" {
  rcr exec -d ex sleep 30
  rcr exec ex ps
  assert_contains "$output" "sleep 30"
}

@test "exec into a stopped container is refused" {
  rcr run -d --name ex-stopped alpine sleep 300
  rcr stop -t 0 ex-stopped
  rcr 125 exec ex-stopped true
  assert_contains "$stderr" "running containers"
  rcr rm ex-stopped
}

# CVE-2019-5736: a process inside the container must not be able to overwrite the
# runtime's binary through /proc/PID/exe of the rcr process that enters the container.
@test "rcr exec runs from a sealed memfd: its /proc/PID/exe cannot be opened for writing" {
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" exec ex sleep 3 &
  pid=$!
  for _ in $(seq 1 50); do
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    [[ $exe == /memfd:* ]] && break
    sleep 0.05
  done
  [[ $exe == /memfd:rcr* ]]
  # it cannot be opened for writing
  run python3 -c "import os; os.open('/proc/$pid/exe', os.O_WRONLY)"
  [ "$status" -ne 0 ]
  [[ $output == *"Text file busy"* || $output == *"Operation not permitted"* ]]
  # and it is sealed against writes, growth, shrinking and new seals (F_GET_SEALS = 1034)
  run python3 -c "import os, fcntl; fd = os.open('/proc/$pid/exe', os.O_RDONLY); print(fcntl.fcntl(fd, 1034))"
  [ "$status" -eq 0 ]
  # F_SEAL_SEAL 1 | F_SEAL_SHRINK 2 | F_SEAL_GROW 4 | F_SEAL_WRITE 8
  [ $((output & 15)) -eq 15 ]
  wait "$pid"
}

# A container must not choose the seccomp filter of a process rcr starts in it: the
# filter (and any profile file) is read on the host before any namespace is joined.
# (Found in review: the compiled-filter cache was once looked up inside the container.)
@test "exec reads its seccomp program on the host, never in the container's files" {
  rcr exec ex true
  # the cache lives in our runtime dir ...
  ls "$RCR_TEST_STORE/run/seccomp/"*.bpf >/dev/null
  # ... and nothing of it appears anywhere in the container's filesystem
  rcr exec ex sh -c 'find / -xdev -name "*.bpf" 2>/dev/null'
  [ -z "$output" ]
  # a file planted where a careless runtime would look is ignored
  cache=$(ls "$RCR_TEST_STORE/run/seccomp/"*.bpf | head -n 1)
  rcr exec ex sh -c "mkdir -p '$(dirname "$cache")' && printf 'garbage!' > '$cache'"
  rcr exec ex grep -E '^Seccomp:' /proc/self/status
  assert_contains "$output" $'Seccomp:\t2'
}

# Signals sent to `rcr exec` reach the command (podman proxies them); before this, a
# SIGTERM killed rcr and left the command running in the container.
@test "exec passes SIGTERM on to the command and leaves nothing behind" {
  out=$BATS_TEST_TMPDIR/exec-term.out
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" exec ex \
    sh -c 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.1; done' >"$out" 2>&1 &
  pid=$!
  wait_until 100 0.05 grep -q ready "$out"
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 3 ]
  grep -q got-term "$out"
  # without a trap the command dies of it, and so does exec with 128+15
  "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" exec ex \
    sh -c 'echo ready; exec sleep 120' >"$out" 2>&1 &
  pid=$!
  wait_until 100 0.05 grep -q ready "$out"
  kill -TERM "$pid"
  rc=0
  wait "$pid" || rc=$?
  [ "$rc" -eq 143 ]
  rcr exec ex ps -o pid,args
  [[ $output != *"sleep 120"* ]]
  [[ $output != *"got-term"* ]]
}

@test "exec under nohup: an ignored SIGHUP stays ignored" {
  out=$BATS_TEST_TMPDIR/exec-hup.out
  nohup "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" exec ex \
    sh -c 'echo ready; sleep 1; echo survived' >"$out" 2>&1 &
  pid=$!
  wait_until 100 0.05 grep -q ready "$out"
  kill -HUP "$pid"
  wait "$pid"
  grep -q survived "$out"
}

@test "exec -t: the container's terminal follows a resize of rcr's (SIGWINCH)" {
  run python3 - "$RCR_BIN" "$RCR_TEST_STORE" <<'PY'
import fcntl, os, pty, struct, sys, termios, time
rcr, store = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(rcr, [rcr, "--root", store + "/root", "--runroot", store + "/run", "exec", "-t", "ex",
                   "sh", "-c", "stty size; sleep 1; stty size"])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
time.sleep(0.5)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
print(out.decode().replace("\r", "").strip().splitlines()[-1], os.waitstatus_to_exitcode(st))
PY
  [ "$status" -eq 0 ]
  [ "$output" = "50 132 0" ]
}
