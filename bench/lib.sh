#!/usr/bin/env bash
# Shared by the benchmarks (sourced, run as root): the test user, a registry on
# 127.0.0.1 (stopped by pid on exit), the benchmark images, a work dir the user can read.
. "$SRC/tests/harness/lib.sh"

BENCH_PKGS=${BENCH_PKGS:-"libllvm14 libicu72 libpython3.11-stdlib perl-modules-5.36 libgl1-mesa-dri gcc-12 libclang-cpp14 libstdc++-12-dev"}
CACHE=$SRC/bench/.cache

bench_need() {
  local need=() p
  for p in "$@"; do command -v "$p" >/dev/null || need+=("$p"); done
  [ ${#need[@]} -eq 0 ] && return 0
  local pkgs=("${need[@]/bwrap/bubblewrap}")
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

# bench/.cache/oci/big: >= 100 MB compressed (338 MB of files) in 8 layers of real files
bench_build_big_image() {
  mkdir -p "$CACHE/debs" "$CACHE/trees"
  [ -f "$CACHE/oci/big/index.json" ] && return 0
  log "building the benchmark image from: $BENCH_PKGS"
  rm -f "$CACHE"/debs/*.deb
  (cd "$CACHE/debs" && apt-get download $BENCH_PKGS >/dev/null 2>&1)
  local dirs=() deb t
  for deb in "$CACHE"/debs/*.deb; do
    t=$CACHE/trees/$(basename "$deb" .deb)
    rm -rf "$t" && mkdir -p "$t" && dpkg-deb -x "$deb" "$t"
    dirs+=("$t")
  done
  python3 "$SRC/bench/make-image.py" "$CACHE/oci" big "${dirs[@]}"
}

# WORK (0755, removed on exit), REGISTRY with bench/big and the fixtures pushed
bench_setup() {
  WORK=$(mktemp -d /var/tmp/rcr-bench.XXXXXX)
  chmod 0755 "$WORK"
  trap 'stop_registry; rm -rf --one-file-system "$WORK"' EXIT INT TERM
  setup_test_user
  mkdir -m 0700 "$WORK/registry" "$WORK/fixtures"
  start_registry "$WORK/registry"
  skopeo copy --quiet --dest-tls-verify=false "oci:$CACHE/oci/big:latest" "docker://$REGISTRY/bench/big:latest"
  push_fixtures "$SRC" "$WORK/fixtures" >/dev/null
  cp "$SRC/bin/rcr" "$SRC/bin/rcr-pull.so" "$WORK/"
  chmod 0755 "$WORK/rcr" "$WORK/rcr-pull.so"
  T=$WORK/t
  install -d -o "$RCR_TEST_USER" -m 0700 "$T"
}

# stops podman's pause process (it outlives every podman command) by its pid file
bench_stop_podman_pause() {
  as_test_user sh -c 'pid=$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" 2>/dev/null) && kill "$pid" 2>/dev/null; true'
}
