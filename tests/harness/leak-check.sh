#!/usr/bin/env bash
# Leak check, run as the test user after each bats file: no rcr mounts visible on the
# host, no container or rcr process left, no stale runtime dirs, no rcr cgroups.
# Prints what leaked and exits 1.
set -uo pipefail

uid=$(id -u)
root=${XDG_DATA_HOME:-$HOME/.local/share}/rcr
runroot=${XDG_RUNTIME_DIR:-/tmp/rcr-$uid}/rcr
[ -n "${XDG_RUNTIME_DIR:-}" ] || runroot=/tmp/rcr-$uid
leaks=0
report() { echo "leak: $*"; leaks=$((leaks + 1)); }

# 1. mounts under rcr's directories seen from the host (fuse-overlayfs, a stray bind)
while read -r _ _ _ _ mnt _; do
  case "$mnt" in
    "$root"/* | "$runroot"/* | "$root" | "$runroot") report "mount $mnt" ;;
  esac
done </proc/self/mountinfo

# 2. processes: ours in another user namespace (a container), or running bin/rcr
subranges=$(awk -F: -v u="$(id -un)" -v n="$uid" '($1 == u || $1 == n) { print $2 ":" $2 + $3 }' /etc/subuid)
my_userns=$(readlink /proc/self/ns/user)
rcr_bin=$(readlink -f "${RCR_BIN:-/nonexistent}")
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  [ "$pid" = $$ ] && continue
  owner=$(stat -c %u "$p" 2>/dev/null) || continue
  # ours, or one of our subordinate ids (a container process running as a non-root user)
  if [ "$owner" != "$uid" ]; then
    in_range=0
    for r in $subranges; do
      [ "$owner" -ge "${r%:*}" ] && [ "$owner" -lt "${r#*:}" ] && in_range=1
    done
    [ $in_range = 1 ] || continue
  fi
  # a zombie holds nothing; this sandbox's pid 1 may never reap orphans
  state=$(sed 's/^.*) \(.\).*/\1/' "$p/stat" 2>/dev/null) || continue
  [ "$state" = Z ] && continue
  ns=$(readlink "$p/ns/user" 2>/dev/null) || continue
  exe=$(readlink "$p/exe" 2>/dev/null || true)
  if [ "$ns" != "$my_userns" ]; then
    report "process $pid ($(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)) in a container user namespace"
  elif [ -n "$exe" ] && [ "$exe" = "$rcr_bin" ]; then
    report "rcr process $pid ($(tr '\0' ' ' <"$p/cmdline" 2>/dev/null))"
  fi
done

# 3. runtime dirs: per-container state of containers that no longer exist, probe scratch
if [ -d "$runroot" ]; then
  for d in "$runroot"/probe-* "$runroot"/containers/*; do
    [ -e "$d" ] || continue
    id=$(basename "$d")
    case "$d" in
      */probe-*) report "probe scratch dir $d" ;;
      *) [ -d "$root/containers/$id" ] || report "runtime dir $d of a removed container" ;;
    esac
  done
fi

# 4. cgroups rcr created under our own v2 cgroup
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
for base in /sys/fs/cgroup /sys/fs/cgroup/unified; do
  [ -d "$base$own" ] || continue
  for c in "$base$own"/rcr-* "$base$own"/*/rcr-*; do
    [ -d "$c" ] && report "cgroup $c"
  done
done

[ $leaks -eq 0 ]
