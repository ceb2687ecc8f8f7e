#!/usr/bin/env bats
# The same `run` through rcr and through podman (the reference peer, with runc, vfs and
# no network, its own store) gives the same standard output and exit status.

load helpers

setup_file() {
  command -v podman >/dev/null || skip_env no-podman "podman is not installed"
  use_file_store
  export PODMAN_ROOT=$BATS_FILE_TMPDIR/podman PODMAN_RUNROOT=$BATS_FILE_TMPDIR/podman-run
  [ -n "${RCR_TEST_REGISTRY:-}" ] || return 0
  rcr pull -q alpine
  rcr pull -q multilayer
  podman_ pull -q docker.io/library/alpine:latest
  podman_ pull -q docker.io/library/multilayer:latest
}

teardown_file() {
  if [ -d "${PODMAN_ROOT:-}" ]; then
    podman_ unshare rm -rf "$PODMAN_ROOT" "$PODMAN_RUNROOT" || true
  fi
  # podman leaves a pause process holding its user namespace: stop it by its pid
  local pid
  pid=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "$pid" 2>/dev/null || true
  remove_store "$RCR_TEST_STORE"
}

setup() {
  require_registry
  command -v podman >/dev/null || skip_env no-podman "podman is not installed"
}

teardown() {
  rcr rm -a -f
}

podman_() {
  # setup_file and teardown_file have no test tmpdir for run's stderr file
  local BATS_TEST_TMPDIR=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}
  run --separate-stderr timeout 120 podman --runtime runc --cgroup-manager cgroupfs --storage-driver vfs \
    --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" "$@"
  [ "$status" -eq 0 ] || { echo "podman $*: $status: $stderr" >&2; return 1; }
}

# same [--filter CMD] RUN-ARGS...: `run --rm RUN-ARGS` through podman and rcr; fails unless
# both exit alike and print the same (after CMD, a filter of both outputs, when given)
same() {
  local filter=cat
  if [ "$1" = --filter ]; then
    filter=$2
    shift 2
  fi
  run --separate-stderr timeout 120 podman --runtime runc --cgroup-manager cgroupfs --storage-driver vfs \
    --root "$PODMAN_ROOT" --runroot "$PODMAN_RUNROOT" run --rm --network none "$@"
  local p_status=$status p_out
  p_out=$(printf '%s\n' "$output" | $filter)
  [ "$p_status" -ne 125 ] || { echo "podman failed: $stderr" >&2; return 1; }
  run --separate-stderr timeout 60 "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" \
    run --rm "$@"
  local r_status=$status r_out
  r_out=$(printf '%s\n' "$output" | $filter)
  if [ "$p_out" != "$r_out" ] || [ "$p_status" != "$r_status" ]; then
    echo "run $*" >&2
    echo "podman: exit $p_status" >&2
    echo "rcr:    exit $r_status ($stderr)" >&2
    diff -u <(echo "$p_out") <(echo "$r_out") | sed 's/^/  /' >&2
    return 1
  fi
  [ -n "$r_out" ] || [ "$r_status" -ne 0 ] || [ "${ALLOW_EMPTY:-}" = 1 ]
}

# podman's environment order is not stable between runs (seen here: container=podman
# first with -u tester, third without), so the variables are compared as a set
no_hostname() {
  grep -v '^HOSTNAME=' | LC_ALL=C sort
}

# ls -l lines without sizes, dates and block totals
ls_fields() {
  awk '!/^total / { print $1, $3, $4, $9 }'
}

@test "id, as root and as another user" {
  same alpine id
  same -u tester alpine id
  same -u 1000:1000 alpine id
  same -u nobody alpine id
  same multilayer id
}

@test "the user namespace: uid_map and gid_map" {
  same alpine cat /proc/self/uid_map
  same alpine cat /proc/self/gid_map
}

@test "env (HOSTNAME aside: it is the container id)" {
  same --filter no_hostname alpine env
  same --filter no_hostname multilayer env
  same --filter no_hostname -u tester alpine env
  same --filter no_hostname -e A=1 -e FOO=over -w /tmp multilayer env
}

@test "the image's WorkingDir and User, -w and --hostname" {
  same multilayer pwd
  same multilayer whoami
  # (a missing -w directory is where they differ on purpose: podman 4.3 refuses it with
  # 126, rcr creates it as docker does)
  same -w /etc alpine pwd
  same --hostname foo alpine hostname
  same --hostname foo alpine cat /etc/hostname
  same --entrypoint /bin/echo multilayer a b
}

@test "ls -ln / of the image: names, modes and owners" {
  # dates differ; /proc /sys /dev are the runtime's
  same --filter ls_fields alpine ls -ln /
  same --filter ls_fields multilayer 'ls -ln / /data /work'
  same alpine sh -c 'stat -c "%n %a %u %g" /tmp /dev /dev/shm /dev/pts /dev/null /dev/mqueue /proc /sys'
}

@test "exit statuses: false 1, exit 42, missing command 127, not executable 126" {
  ALLOW_EMPTY=1
  same alpine false
  same alpine sh -c 'exit 42'
  same alpine no-such-command
  same alpine /etc/passwd
  same --init alpine sh -c 'kill -9 $$'
}

@test "capabilities, seccomp and no_new_privs in /proc/self/status" {
  status_lines() { grep -E '^(Cap|Seccomp|NoNewPrivs)'; }
  same --filter status_lines alpine cat /proc/self/status
  same --filter status_lines -u tester alpine cat /proc/self/status
  same --filter status_lines --cap-drop ALL alpine cat /proc/self/status
  same --filter status_lines --cap-add NET_ADMIN --cap-drop CHOWN alpine cat /proc/self/status
  same --filter status_lines --security-opt no-new-privileges alpine cat /proc/self/status
  same --filter status_lines --security-opt seccomp=unconfined alpine cat /proc/self/status
  same --filter status_lines -u 1000 --cap-add net_raw,sys_admin alpine cat /proc/self/status
  same --filter status_lines -u tester --cap-add net_raw --cap-drop chown alpine cat /proc/self/status
  same --filter status_lines -u 1000 --cap-drop all --cap-add net_raw alpine cat /proc/self/status
  same --filter status_lines -u 1000 --cap-add all alpine cat /proc/self/status
  same --filter status_lines -u 0:0 --cap-add net_raw alpine cat /proc/self/status
  same --filter status_lines --privileged alpine cat /proc/self/status
  same --filter status_lines --privileged -u 1000 alpine cat /proc/self/status
  same --filter status_lines --privileged -u 1000 --cap-add net_raw alpine cat /proc/self/status
}

@test "--read-only and --tmpfs" {
  same --read-only alpine sh -c 'touch /x 2>/dev/null; echo $?; touch /tmp/x /var/tmp/x /run/x; echo $?'
  same --tmpfs /scratch alpine sh -c 'touch /scratch/a; echo $?; stat -c "%a %u %g" /scratch'
}

@test "the contents of /dev" {
  # Regression test (the bug is fixed): rcr always adds the symlink /dev/core -> /proc/kcore; runc (and so podman) adds
  # it only when /proc/kcore exists, which it does not on this kernel
  same alpine ls /dev
}

@test "--privileged: the mounts, the devices" {
  # the top mount of each mount point, with its options and type; the root (vfs against
  # overlay) and /sys/fs/cgroup (podman mounts the v1 hierarchies of this hybrid host,
  # rcr a cgroup2) differ on purpose
  top_mounts() {
    awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { m[$5] = $6 " " $(i + 1); break } }
         END { for (p in m) if (p != "/" && p !~ /^\/sys\/fs\/cgroup/) print p, m[p] }' | LC_ALL=C sort
  }
  same --filter top_mounts alpine cat /proc/self/mountinfo
  same --filter top_mounts --privileged alpine cat /proc/self/mountinfo
  # the modes, owners and device numbers under /dev (times of the tmpfs entries aside)
  dev_nodes() { LC_ALL=C sort; }
  same --filter dev_nodes --privileged alpine find /dev -path /dev/pts -prune -o -exec stat -c '%n %F %a %u:%g %t:%T' {} +
}

@test "the open-files limit" {
  # Regression test (the bug is fixed): podman raises the soft RLIMIT_NOFILE to the hard limit it may set (here the
  # user's hard limit); rcr leaves the soft limit it inherited (1024)
  same alpine sh -c 'ulimit -n; ulimit -Hn'
}

@test "--userns=keep-id: ids, owners, passwd and group as podman" {
  # (not uid_map: podman's container sits in a user namespace nested in its pause
  # process's, so its lines are relative to that one; 28-userns checks rcr's against the host)
  same --userns=keep-id alpine sh -c 'id; echo HOME=$HOME; pwd'
  same --userns=keep-id alpine sh -c 'tail -n 1 /etc/passwd; tail -n 1 /etc/group; ls -ln /etc/passwd /etc/group'
  same --userns=keep-id alpine sh -c 'stat -c "%A %u %g %n" /* /etc/* /home/*'
  # the image's User wins over the caller's ids, and the caller's gid is added (podman 4.3)
  same --userns=keep-id multilayer 'id; stat -c "%A %u %g %n" /home/* /work /work/* /data'
  same --userns=keep-id -u 0 alpine id
}
