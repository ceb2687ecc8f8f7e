#!/usr/bin/env bats
# What a rootless container cannot see or do, and hostile images: each test names the
# CVE class it guards against. Hostile images are alpine plus one layer, pushed to the
# test registry with skopeo (push_derived_image in helpers.bash).
#
# Not here: /proc/self/exe of a process entered with `rcr exec` (CVE-2019-5736) — exec is
# not implemented yet.

load helpers

setup_file() {
  use_file_store
  [ -n "${RCR_TEST_REGISTRY:-}" ] || return 0
  rcr pull -q alpine
  # symlink targets of the hostile images: a host directory that must stay empty
  export EVIL=$BATS_FILE_TMPDIR/evil
  mkdir -p "$EVIL"
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

no_containers() {
  rcr ps -a -q
  [ -z "$output" ]
}

# host_untouched: nothing was created where the hostile images point
host_untouched() {
  local left
  left=$(ls -A "$EVIL")
  [ -z "$left" ] || { echo "created on the host: $left" >&2; return 1; }
}

# status_field NAME TEXT: the value of NAME: in a /proc/PID/status text
status_field() {
  awk -v k="$1:" '$1 == k { print $2 }' <<<"$2"
}

# Isolation baseline; a visible host /proc/PID is what CVE-2019-5736-style attacks reach
# the host through.
@test "the container sees only its own processes" {
  rcr run --rm alpine sh -c 'echo /proc/[0-9]*'
  assert_equal "$output" /proc/1
  rcr run --rm alpine ps -o pid,comm
  assert_equal "$(awk 'NR > 1 { print $1 }' <<<"$output")" 1
  # pid 1 is the container's command, not the host's init
  rcr run --rm alpine sh -c 'cat /proc/1/comm; true'
  assert_equal "$output" sh
  # and the pid namespace is not ours
  rcr run --rm alpine readlink /proc/self/ns/pid
  [ "$output" != "$(readlink /proc/self/ns/pid)" ]
}

# The core_pattern / sysrq escape class: host kernel knobs under /proc must be read-only
# (cf. CVE-2016-8867-era Docker hardening; podman's ReadonlyPaths).
@test "/proc/sys and the other read-only paths cannot be written" {
  rcr run --rm alpine sh -c '{ echo x >/proc/sys/kernel/core_pattern; } 2>&1; echo rc=$?'
  assert_contains "$output" "Read-only file system"
  assert_contains "$output" "rc=1"
  rcr run --rm alpine sh -c '{ echo 1 >/proc/sys/kernel/domainname; } 2>&1; echo rc=$?'
  assert_contains "$output" "Read-only file system"
  # each read-only path the kernel has is a read-only mount in the container
  rcr run --rm alpine cat /proc/self/mountinfo
  mi=$output
  for p in /proc/asound /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger; do
    [ -e "$p" ] || continue
    line=$(awk -v p="$p" '$5 == p' <<<"$mi" | tail -n 1)
    [ -n "$line" ] || { echo "$p is not a mount" >&2; return 1; }
    [[ $(awk '{ print $6 }' <<<"$line") == ro,* ]] || { echo "$p: $line" >&2; return 1; }
  done
  if [ -e /proc/sysrq-trigger ]; then
    rcr run --rm alpine sh -c '{ echo h >/proc/sysrq-trigger; } 2>&1; echo rc=$?'
    assert_contains "$output" "rc=1"
  fi
  # /sys is read-only too
  rcr run --rm alpine sh -c '{ echo x >/sys/kernel/uevent_helper; } 2>&1; echo rc=$?'
  assert_contains "$output" "rc=1"
}

# CVE-2018-10892 (/proc/acpi not masked) and the kernel-information leaks behind podman's
# MaskedPaths: each masked path the kernel has reads empty in the container.
@test "masked paths read empty: /proc/keys, /proc/timer_list, /sys/firmware, /sys/dev/block, ..." {
  local masked="/proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list /proc/timer_stats
    /proc/sched_debug /proc/scsi /sys/firmware /sys/dev/block"
  # something to hide: this host has /proc/keys content and block devices
  [ -s /proc/keys ] || [ -n "$(ls -A /sys/dev/block 2>/dev/null)" ]
  rcr run --rm alpine sh -c 'for p in '"$(echo $masked)"'; do
      if [ -d "$p" ]; then echo "$p dir $(ls -A "$p" | wc -l)"
      elif [ -e "$p" ]; then echo "$p file $(cat "$p" 2>/dev/null | wc -c)"
      else echo "$p none"; fi
    done'
  for p in $masked; do
    got=$(awk -v p="$p" '$1 == p { print $2, $3 }' <<<"$output")
    if [ -d "$p" ]; then
      assert_equal "$got" "dir 0"
    elif [ -e "$p" ]; then
      assert_equal "$got" "file 0"
    fi
  done
  # and they are really covered, not simply absent
  rcr run --rm alpine cat /proc/self/mountinfo
  for p in /proc/keys /sys/firmware; do
    [ -e "$p" ] || continue
    awk -v p="$p" '$5 == p { found = 1 } END { exit !found }' <<<"$output"
  done
}

# CVE-2024-21626 (a leaked host fd becomes the cwd) and CVE-2016-9962 (runc init's fds
# reachable from the container): only 0, 1 and 2 cross into the container.
@test "only fds 0-2 are open in the container's process" {
  # 3 is the directory ls itself reads
  rcr run --rm alpine ls /proc/self/fd
  assert_equal "$(echo $output)" "0 1 2 3"
  rcr run --rm --init alpine ls /proc/self/fd
  assert_equal "$(echo $output)" "0 1 2 3"
  rcr run -d --name fds alpine ls /proc/self/fd
  rcr wait fds
  rcr logs fds
  assert_equal "$(echo $output)" "0 1 2 3"
  run timeout 90 script -qec "$(printf '%q ' timeout --foreground "$RCR_TIMEOUT" "$RCR_BIN" --root "$RCR_TEST_STORE/root" \
    --runroot "$RCR_TEST_STORE/run" run --rm -t alpine ls /proc/self/fd)" /dev/null
  [ "$status" -eq 0 ]
  assert_equal "$(echo ${output//$'\r'/})" "0 1 2 3"
}

# CVE-2024-21626 class: under --init, pid 1 is a forked rcr that never execs, so the
# close-on-exec marking does not close anything there; the command, same user, can open
# /proc/1/fd/N. A directory fd of the caller then leads out to the host.
@test "--init: pid 1 holds no fd of the caller (no way out through /proc/1/fd)" {
  mkdir "$BATS_TEST_TMPDIR/outside"
  exec 7<"$BATS_TEST_TMPDIR/outside"
  # Regression test (the bug is fixed): rcr's init keeps every fd rcr run inherited (here 7, a host directory) plus its
  # signalfd and the root's O_PATH fd: the command writes to the host through /proc/1/fd/7.
  # Reproduce: exec 7<$HOME; rcr run --rm --init alpine sh -c 'echo x >/proc/1/fd/7/PROOF'
  rcr run --rm --init alpine sh -c 'ls /proc/1/fd | tr "\n" " "; echo escaped >/proc/1/fd/7/PROOF 2>/dev/null; true'
  exec 7<&-
  [ ! -e "$BATS_TEST_TMPDIR/outside/PROOF" ]
  assert_equal "$output" "0 1 2 "
}

# CVE-2022-24769 (non-empty inheritable capabilities): podman's 11 capabilities as
# bounding, permitted and effective set; inheritable and ambient empty.
@test "capabilities: podman's default set, nothing inheritable or ambient" {
  rcr run --rm alpine cat /proc/self/status
  assert_equal "$(status_field CapInh "$output")" 0000000000000000
  assert_equal "$(status_field CapAmb "$output")" 0000000000000000
  assert_equal "$(status_field CapBnd "$output")" 00000000800405fb
  assert_equal "$(status_field CapPrm "$output")" 00000000800405fb
  assert_equal "$(status_field CapEff "$output")" 00000000800405fb
  # a non-root user keeps the bounding set and has no effective capability
  rcr run --rm -u tester alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000000000
  assert_equal "$(status_field CapPrm "$output")" 0000000000000000
  assert_equal "$(status_field CapInh "$output")" 0000000000000000
  assert_equal "$(status_field CapAmb "$output")" 0000000000000000
  assert_equal "$(status_field CapBnd "$output")" 00000000800405fb
}

@test "--cap-drop ALL leaves no capability; --cap-drop and --cap-add change one" {
  rcr run --rm --cap-drop ALL alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000000000
  assert_equal "$(status_field CapBnd "$output")" 0000000000000000
  rcr run --rm --cap-drop ALL alpine sh -c 'touch /tmp/f; chown 1000 /tmp/f 2>&1; echo rc=$?'
  assert_contains "$output" "rc=1"
  rcr run --rm --cap-drop CHOWN alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 00000000800405fa
  rcr run --rm --cap-add NET_ADMIN alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 00000000800415fb
  rcr 125 run --rm --cap-add NO_SUCH_CAP alpine true
}

# As podman 4.3: a user other than root gets the --cap-add list alone in its inheritable,
# permitted, effective and ambient sets (ambient is what carries them across execve);
# the defaults, --cap-drop and --privileged change only the bounding set.
@test "a non-root --user gets its --cap-add capabilities, and only those" {
  rcr run --rm -u 1000 --cap-add net_raw,sys_admin alpine cat /proc/self/status
  for f in CapInh CapPrm CapEff CapAmb; do
    assert_equal "$(status_field $f "$output")" 0000000000202000
  done
  assert_equal "$(status_field CapBnd "$output")" 00000000802425fb
  rcr run --rm -u 1000 --cap-add net_raw --cap-drop chown alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000002000
  assert_equal "$(status_field CapBnd "$output")" 00000000800425fa
  rcr run --rm -u 1000 --cap-drop all --cap-add net_raw alpine cat /proc/self/status
  assert_equal "$(status_field CapAmb "$output")" 0000000000002000
  assert_equal "$(status_field CapBnd "$output")" 0000000000002000
  # --privileged widens the bounding set only
  rcr run --rm -u 1000 --privileged alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000000000
  assert_equal "$(status_field CapAmb "$output")" 0000000000000000
  rcr run --rm -u 1000 --privileged --cap-add net_raw alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000002000
  # uid 0, however written, is root: no inheritable or ambient capability
  rcr run --rm -u 0:0 --cap-add net_raw alpine cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 00000000800425fb
  assert_equal "$(status_field CapAmb "$output")" 0000000000000000
  # the capability works for the user: CAP_CHOWN lets uid 1000 give a file away
  rcr run --rm -u 1000 --cap-add chown alpine sh -c 'touch /tmp/f && chown 0 /tmp/f && stat -c %u /tmp/f'
  assert_equal "$output" 0
  # a capability dropped from the bounding set cannot be given (podman's runtime fails too)
  rcr 125 run --rm -u 1000 --cap-add all --cap-drop net_raw alpine true
  assert_contains "$stderr" "CAP_NET_RAW"
  # inspect, as podman: EffectiveCaps is the user's set, BoundingCaps the container's
  rcr create --name capuser -u 1000 --cap-add net_raw alpine true
  rcr inspect --format '{{json .EffectiveCaps}}' capuser
  assert_equal "$output" '["CAP_NET_RAW"]'
  rcr inspect --format '{{json .BoundingCaps}}' capuser
  assert_contains "$output" '"CAP_NET_RAW"'
  assert_contains "$output" '"CAP_CHOWN"'
}

@test "exec: the container's own user keeps its --cap-add capabilities, another user gets none" {
  rcr run -d --name capexec -u 1000 --cap-add net_raw alpine sleep 60
  rcr exec capexec cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000002000
  assert_equal "$(status_field CapAmb "$output")" 0000000000002000
  rcr exec -u 2000 capexec cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 0000000000000000
  rcr exec -u 0 capexec cat /proc/self/status
  assert_equal "$(status_field CapEff "$output")" 00000000800425fb
  assert_equal "$(status_field CapAmb "$output")" 0000000000000000
  rcr rm -f -t 0 capexec
}

@test "--privileged: every capability of the kernel, inside the user namespace only" {
  last=$(cat /proc/sys/kernel/cap_last_cap)
  full=$(printf '%016x' $(((1 << (last + 1)) - 1)))
  rcr run --rm --privileged alpine cat /proc/self/status /proc/self/uid_map
  assert_equal "$(status_field CapBnd "$output")" "$full"
  assert_equal "$(status_field CapEff "$output")" "$full"
  assert_equal "$(status_field Seccomp "$output")" 0
  # root in there is still us out here
  grep -qE "^ +0 +$(id -u) +1$" <<<"$output"
  # without --privileged no host device appears
  rcr run --rm alpine ls /dev
  ! grep -qE '^(sd|vd|nvme|loop|mem|kmsg|fuse|net)' <<<"$output"
}

# podman's rootless --privileged: every host device under /dev bound in (but the console,
# ptmx and tty*), a writable sysfs of the container's network namespace, no masked or
# read-only paths. The devices open only as far as the host lets the user open them.
@test "--privileged: the host's devices, a writable /sys, no masked paths" {
  local want=() d
  while IFS= read -r d; do
    case $d in /dev/console | /dev/ptmx | /dev/tty* | /dev/pts/* | /dev/shm/* | /dev/mqueue/* | /dev/fd/*) continue ;; esac
    want+=("$d")
  done < <(find /dev \( -type c -o -type b \) 2>/dev/null | sort)
  [ "${#want[@]}" -gt 6 ] || skip_env few-devices "the host's /dev has only ${#want[@]} devices"
  rcr run --rm --privileged alpine sh -c 'for d in "$@"; do stat -c "%n %t:%T" "$d" || echo "missing $d"; done' sh \
    "${want[@]}"
  for d in "${want[@]}"; do
    assert_contains "$output" "$d $(stat -c %t:%T "$d")"
  done
  ! grep -q missing <<<"$output"
  rcr run --rm --privileged alpine sh -c 'ls /dev; ls /dev/tty0 /dev/console 2>&1; grep -E " /(sys|dev/[a-z]+) " /proc/self/mountinfo'
  assert_contains "$output" "ls: /dev/tty0: No such file or directory"
  assert_contains "$output" "ls: /dev/console: No such file or directory"
  grep -qE ' /sys rw,nosuid,nodev,noexec,relatime - sysfs ' <<<"$output"
  # a bound device is nosuid,noexec, as podman's
  if [ -e /dev/fuse ]; then
    grep -qE ' /dev/fuse rw,nosuid,noexec,relatime ' <<<"$output"
  fi
  # a device the user cannot open on the host stays closed
  if [ -e /dev/loop-control ] && ! [ -r /dev/loop-control ]; then
    rcr run --rm --privileged alpine sh -c 'head -c1 /dev/loop-control 2>&1; echo rc=$?'
    assert_contains "$output" "Permission denied"
  fi
  # sysfs files of the host stay the host's: root in here is not root out there
  rcr run --rm --privileged alpine sh -c 'echo x > /sys/kernel/uevent_helper; echo rc=$?'
  assert_contains "$output" "rc=1"
  # no masked or read-only paths
  rcr run --rm --privileged alpine sh -c 'grep -cE " /proc/(keys|sys|kcore) " /proc/self/mountinfo; true'
  assert_equal "$output" 0
  # without --privileged, /sys stays read-only
  rcr run --rm alpine grep -E ' /sys ' /proc/self/mountinfo
  grep -qE ' /sys ro,' <<<"$output"
}

# The seccomp filter is installed (the default profile blocks keyctl, add_key, bpf,
# kexec_load, ... which busybox cannot call: its presence is checked through
# /proc/self/status, its effect with a profile of our own below).
@test "the default seccomp filter is on; seccomp=unconfined turns it off" {
  rcr run --rm alpine cat /proc/self/status
  assert_equal "$(status_field Seccomp "$output")" 2
  assert_equal "$(status_field Seccomp_filters "$output")" 1
  assert_equal "$(status_field NoNewPrivs "$output")" 0
  rcr run --rm --security-opt seccomp=unconfined alpine cat /proc/self/status
  assert_equal "$(status_field Seccomp "$output")" 0
  rcr run --rm --security-opt no-new-privileges alpine cat /proc/self/status
  assert_equal "$(status_field NoNewPrivs "$output")" 1
  assert_equal "$(status_field Seccomp "$output")" 2
  # personality(PER_LINUX32) is one of the few personalities the profile allows
  rcr run --rm alpine linux32 uname -m
  assert_equal "$output" i686
}

# A seccomp profile file is the user's policy: it must be read from the host, where the
# user named it, and enforced.
@test "--security-opt seccomp=FILE: the host file's policy is enforced" {
  profile=$BATS_TEST_TMPDIR/no-mkdir.json
  cat >"$profile" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
  # (the build of 16:27 read it after pivot_root, inside the container's root, and failed
  # with "read seccomp profile: open ...: No such file or directory", 127)
  rcr run --rm --security-opt "seccomp=$profile" alpine sh -c 'mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touched'
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "rc=1"
  assert_contains "$output" touched
  rcr 125 run --rm --security-opt "seccomp=$BATS_TEST_TMPDIR/no-such.json" alpine true
  no_containers
}

# The image must not choose its own seccomp policy: a file the image ships at the path of
# the user's profile is never what gets loaded.
@test "--security-opt seccomp=FILE: an image shipping a file at that path does not replace the profile" {
  profile=$BATS_TEST_TMPDIR/no-mkdir.json
  cat >"$profile" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
  spec="file $profile {\"defaultAction\": \"SCMP_ACT_ALLOW\"}"
  d=$(dirname "$profile")
  while [ "$d" != / ]; do
    spec="dir $d"$'\n'"$spec"
    d=$(dirname "$d")
  done
  ref=$(push_derived_image seccomp-swap <<<"$spec")
  # (the build of 16:27 loaded the image's allow-everything file instead, so mkdir worked)
  rcr run --rm --security-opt "seccomp=$profile" "$ref" sh -c 'mkdir /tmp/d 2>&1; echo rc=$?'
  assert_contains "$output" "Operation not permitted"
  assert_contains "$output" "rc=1"
}

# Rootless baseline: a user namespace maps root to us and 1.. to our subordinate ids, and
# device nodes cannot be made.
@test "root in the container is the user outside; no device nodes" {
  rcr run --rm alpine cat /proc/self/uid_map
  range=$(grep -E "^($(id -un)|$(id -u)):[0-9]+:[0-9]+$" /etc/subuid | head -n 1)
  first=$(cut -d: -f2 <<<"$range")
  count=$(cut -d: -f3 <<<"$range")
  assert_equal "$(echo $output)" "0 $(id -u) 1 1 $first $count"
  rcr run --rm alpine sh -c 'mknod /tmp/mem c 1 1 2>&1; echo rc=$?'
  assert_contains "$output" "rc=1"
  rcr run --rm alpine sh -c 'ls /dev | grep -vx core | tr "\n" " "'
  assert_equal "$output" "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero "
}

# CVE-2015-3629 / CVE-2019-16884 / CVE-2019-19921 class: an image whose /proc is a
# symlink must not get procfs mounted wherever the link points.
@test "an image whose /proc is a symlink fails safely (125), nothing created on the host" {
  for form in abs rel; do
    target=$EVIL/proc-$form
    [ "$form" = rel ] && link=../../../../../../../..$target || link=$target
    ref=$(push_derived_image "evil-proc-$form" <<<"symlink /proc $link")
    rcr 125 run --rm "$ref" true
    assert_contains "$stderr" "/proc"
    assert_contains "$stderr" "symlink"
    host_untouched
  done
  no_containers
}

@test "an image whose /dev or /sys is a symlink fails safely (125), nothing created on the host" {
  for dir in dev sys; do
    ref=$(push_derived_image "evil-$dir" <<<"symlink /$dir $EVIL/$dir")
    rcr 125 run --rm "$ref" true
    assert_contains "$stderr" "/$dir"
    host_untouched
  done
  no_containers
}

# CVE-2025-31133 class (the /dev/null used for masking replaced by a symlink): /dev is a
# fresh tmpfs, so the image's /dev/null never matters, and masking still works.
@test "an image whose /dev/null is a symlink: /dev/null is the real device, masks hold, host untouched" {
  echo keep >"$EVIL/../null-target"
  ref=$(push_derived_image evil-devnull <<EOF
symlink /dev/null $EVIL/../null-target
symlink /dev/zero ../../../../../../etc/passwd
EOF
  )
  rcr run --rm "$ref" sh -c 'stat -c %F /dev/null; echo x >/dev/null; wc -c </proc/keys; head -c 4 /dev/zero | od -An -tx1'
  assert_equal "${lines[0]}" "character special file"
  assert_equal "${lines[1]}" 0
  assert_equal "$(echo ${lines[2]})" "00 00 00 00"
  assert_equal "$(cat "$EVIL/../null-target")" keep
  host_untouched
}

# CVE-2024-21626 class (a working directory leading out of the root): an image
# WorkingDir that is a symlink out of the rootfs, or a /proc/self/fd path, never gives
# the process a cwd outside the container and creates nothing on the host.
@test "a WorkingDir leading out of the root: no cwd outside the container, nothing on the host" {
  ref=$(push_derived_image evil-workdir <<EOF
symlink /w ../../../../../../../..$EVIL/wd
config WorkingDir "/w"
EOF
  )
  run --separate-stderr timeout 60 "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" \
    run --rm "$ref" sh -c 'pwd; ls -A .'
  # podman refuses this image too; if rcr runs it, the cwd must be inside
  if [ "$status" -eq 0 ]; then
    assert_equal "${lines[0]}" "$EVIL/wd"
  else
    [ "$status" -ge 125 ]
  fi
  host_untouched

  for fd in 3 4 5 6 7 8 9; do
    ref=$(push_derived_image "evil-fdcwd" <<<"config WorkingDir \"/proc/self/fd/$fd\"")
    run --separate-stderr timeout 60 "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" \
      run --rm "$ref" sh -c 'pwd; ls -A .; cat ../../../etc/hostname'
    if [ "$status" -eq 0 ]; then
      # a cwd under the container's own /proc at most
      [[ ${lines[0]} == /proc/* ]]
    else
      [ "$status" -ge 125 ]
    fi
  done
  no_containers
}

# Symlink traversal (CVE-2018-15664 class): the image's /etc/passwd is read inside the
# root even when it is a symlink to a host file.
@test "-u with an image whose /etc/passwd is a symlink to a host file: the host file is not used" {
  printf 'evil:x:4242:4242::/:/bin/sh\n' >"$EVIL/../passwd"
  ref=$(push_derived_image evil-passwd <<EOF
symlink /etc/passwd $EVIL/../passwd
EOF
  )
  run --separate-stderr timeout 60 "$RCR_BIN" --root "$RCR_TEST_STORE/root" --runroot "$RCR_TEST_STORE/run" \
    run --rm -u evil "$ref" id -u
  [ "$output" != 4242 ]
  [ "$status" -ne 0 ]
  host_untouched
  no_containers
}
