#!/usr/bin/env bash
# `make check`: the whole rootless tier, as root on a fresh Debian 12 machine.
#   1. install missing packages, build   2. C unit tests
#   3. test user, registry, fixture images   4. bats as the unprivileged test user
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC"
. tests/harness/lib.sh

[ "$(id -u)" -eq 0 ] || die "make check sets up a test user and a registry: run it as root (sudo make check)"
if [ "${CI:-}" = true ] && [ -z "${RCR_TEST_STRICT:-}" ]; then
  RCR_TEST_STRICT=1
fi
export RCR_TEST_STRICT=${RCR_TEST_STRICT:-0}

WORK=
cleanup() {
  local rc=$?
  stop_registry
  stop_auth_registry
  [ -n "$WORK" ] && rm -rf --one-file-system "$WORK"
  exit $rc
}
trap cleanup EXIT INT TERM

log "1/4 dependencies and build"
tests/harness/install-deps.sh all
make -j"$(nproc)" all unit man

log "2/4 C unit tests"
unit_out=$(mktemp)
make -s check-unit | tee "$unit_out"
unit_line=$(tail -n 1 "$unit_out")
rm -f "$unit_out"

log "3/4 test user, registry, fixtures"
setup_test_user
reset_test_user_state
# A world-traversable copy of what the test user runs: the clone may live under /root.
WORK=$(mktemp -d /var/tmp/rcr-check.XXXXXX)
chmod 0755 "$WORK"
mkdir -m 0700 "$WORK/registry" "$WORK/auth-registry" "$WORK/fixtures"
cp -a bin "$WORK/bin"
mkdir "$WORK/tests"
# tests/fixtures: the scripted registries some bats files start themselves
cp -a tests/integration tests/harness tests/fixtures "$WORK/tests/"
chmod -R a+rX "$WORK/bin" "$WORK/tests"
start_registry "$WORK/registry"
push_fixtures "$SRC" "$WORK/fixtures"
# A second registry behind htpasswd basic auth for the login tests (RCR_TEST_AUTH_REGISTRY).
start_auth_registry "$WORK/auth-registry"
push_auth_fixture "$WORK/fixtures"
# The expected-tree files of the fixtures are read by the tests.
install -d -m 0755 "$WORK/expect"
cp "$WORK"/fixtures/oci/*.expect "$WORK/expect/" 2>/dev/null || true
chmod -R a+rX "$WORK/expect"
write_registries_conf

log "4/4 integration tests as $RCR_TEST_USER (strict=$RCR_TEST_STRICT)"
export RCR_BIN=$WORK/bin/rcr RCR_TESTS=$WORK/tests RCR_FIXTURES=$WORK/expect
set +e
as_test_user "$WORK/tests/harness/run-integration.sh" "$WORK/tests/integration" | tee "$WORK/bats.out"
bats_rc=${PIPESTATUS[0]}
set -e

# A second user without subordinate ids runs tests/integration/nosubid (the single-id fallback).
MAIN_USER=$RCR_TEST_USER MAIN_UID=$RCR_TEST_UID MAIN_HOME=$RCR_TEST_HOME
RCR_TEST_USER=${RCR_TEST_NOSUB_USER:-rcr-test-nosub}
log "4/4 single-id tests as $RCR_TEST_USER (no subordinate ids)"
setup_nosubid_user
reset_test_user_state
write_registries_conf
set +e
as_test_user "$WORK/tests/harness/run-integration.sh" "$WORK/tests/integration/nosubid" | tee "$WORK/bats-nosub.out"
nosub_rc=${PIPESTATUS[0]}
set -e
[ "$nosub_rc" -eq 0 ] || bats_rc=1
NOSUB_UID=$RCR_TEST_UID
RCR_TEST_USER=$MAIN_USER RCR_TEST_UID=$MAIN_UID RCR_TEST_HOME=$MAIN_HOME

# Anything of the test users' still running now was leaked by a test: report and stop it by pid.
# (zombies excepted: they hold nothing, and this sandbox's pid 1 may not reap orphans)
# (ps exits 1 when the user has no process at all: the good case)
leftover=$( (ps -u "$RCR_TEST_UID,$NOSUB_UID" -o pid=,stat= || true) | awk '$2 !~ /^Z/ {print $1}')
if [ -n "$leftover" ]; then
  echo "leak: processes of $RCR_TEST_USER still running after the suite:" >&2
  ps -o pid,ppid,cmd -p "$(echo $leftover | tr ' ' ,)" >&2 || true
  for pid in $leftover; do kill -KILL "$pid" 2>/dev/null || true; done
  bats_rc=1
fi
# One closing line for the whole run: unit cases + bats cases (leak checks included).
bats_line=$(grep -E '^bats: [0-9]+ passed' "$WORK/bats.out" | tail -n 1)
[ -n "$bats_line" ] || { bats_line="bats: 0 passed, 1 failed, 0 skipped"; bats_rc=1; }
nosub_line=$(grep -E '^bats: [0-9]+ passed' "$WORK/bats-nosub.out" | tail -n 1)
[ -n "$nosub_line" ] || { nosub_line="bats: 0 passed, 1 failed, 0 skipped"; bats_rc=1; }
read -r np nf ns < <(echo "$nosub_line" | sed -E 's/[^0-9]+/ /g')
read -r mp mf ms < <(echo "$bats_line" | sed -E 's/[^0-9]+/ /g')
bats_line="bats: $((mp + np)) passed, $((mf + nf)) failed, $((ms + ns)) skipped"
read -r up uf us < <(echo "$unit_line" | sed -E 's/[^0-9]+/ /g')
read -r bp bf bs < <(echo "$bats_line" | sed -E 's/[^0-9]+/ /g')
[ "$bats_rc" -eq 0 ] || [ "$bf" -gt 0 ] || bf=$((bf + 1))
echo "$unit_line"
echo "$bats_line"
echo "check: $((up + bp)) passed, $((uf + bf)) failed, $((us + bs)) skipped"
exit $bats_rc
