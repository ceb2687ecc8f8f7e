#!/usr/bin/env bash
# Installs the Debian packages rcr's build and test tiers need, only those missing.
# Runs as root; `apt-get update` happens at most once, and only when something is missing.
set -euo pipefail

BUILD_DEPS=(gcc make pkg-config libcurl4-openssl-dev libarchive-dev libjson-c-dev libslirp-dev
  libglib2.0-dev libssl-dev libseccomp-dev libcap-dev libsystemd-dev libnftables-dev libmnl-dev)
RUNTIME_DEPS=(uidmap fuse-overlayfs)
TEST_DEPS=(bats docker-registry skopeo busybox-static iperf3 jq python3 zstd curl go-md2man procps podman
  util-linux passwd iproute2)

want=("${BUILD_DEPS[@]}" "${RUNTIME_DEPS[@]}")
case "${1:-all}" in
  build) ;;
  all) want+=("${TEST_DEPS[@]}") ;;
  *) echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#want[@]} packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
