# Loaded by every bats file: `load helpers`.
# The suite runs as the unprivileged test user; tests/harness/check.sh sets RCR_BIN,
# RCR_TEST_REGISTRY and RCR_TEST_STRICT. Run by hand: RCR_BIN=bin/rcr bats tests/integration

bats_require_minimum_version 1.5.0

RCR_BIN=${RCR_BIN:-$BATS_TEST_DIRNAME/../../bin/rcr}
RCR_TIMEOUT=${RCR_TIMEOUT:-60}

# Environment limits a skip may name under RCR_TEST_STRICT=1 (see run-integration.sh).
RCR_ENV_LIMITS="no-cgroup-v2-delegation no-registry no-podman"

# rcr [EXPECTED_STATUS] ARGS...: runs bin/rcr under a timeout with stdout in $output and
# stderr in $stderr; fails the test unless it exits with EXPECTED_STATUS (default 0).
rcr() {
  local expect=0
  if [[ ${1:-} =~ ^[0-9]+$ ]]; then
    expect=$1
    shift
  fi
  run --separate-stderr timeout --kill-after=5 "$RCR_TIMEOUT" "$RCR_BIN" "$@"
  if [ "$status" -ne "$expect" ]; then
    echo "rcr $*: exit status $status, expected $expect" >&2
    echo "stdout: $output" >&2
    echo "stderr: $stderr" >&2
    return 1
  fi
}

# skip_env NAME WHY: skips for a named environment limit; anything else is a failure.
skip_env() {
  local name=$1
  shift
  case " $RCR_ENV_LIMITS " in
    *" $name "*) skip "env: $name: $*" ;;
    *) echo "skip_env: unknown environment limit '$name'" >&2; return 1 ;;
  esac
}

require_registry() {
  [ -n "${RCR_TEST_REGISTRY:-}" ] || skip_env no-registry "RCR_TEST_REGISTRY is not set (run through make check)"
}

# assert_contains HAYSTACK NEEDLE
assert_contains() {
  if [[ "$1" != *"$2"* ]]; then
    echo "expected to find: $2" >&2
    echo "in: $1" >&2
    return 1
  fi
}

# json_get JSON FILTER: jq -r on a string
json_get() {
  jq -r "$2" <<<"$1"
}
