#!/usr/bin/env bash
# Runs every tests/integration/*.bats file as the current (unprivileged) user, then the
# leak check after each file; prints one TAP stream and a closing summary line.
# Under RCR_TEST_STRICT=1 a skip counts as a failure unless it names an environment
# limit ("env: NAME: why", see skip_env in helpers.bash).
set -uo pipefail

dir=${1:?usage: run-integration.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 skip=0 rc=0

[ "$(id -u)" -ne 0 ] || { echo "run-integration: refusing to run the rootless suite as root" >&2; exit 1; }

for f in "$dir"/*.bats; do
  name=$(basename "$f")
  echo "# --- $name"
  out=$(timeout --kill-after=10 "${RCR_FILE_TIMEOUT:-900}" bats --tap "$f" 2>&1)
  frc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | grep -E '^ok ' | grep -vc ' # skip' || true)
  s_all=$(printf '%s\n' "$out" | grep -E '^ok .* # skip' || true)
  s=$(printf '%s' "$s_all" | grep -c . || true)
  f_=$(printf '%s\n' "$out" | grep -cE '^not ok ' || true)
  if [ "${RCR_TEST_STRICT:-0}" = 1 ] && [ -n "$s_all" ]; then
    bad=$(printf '%s\n' "$s_all" | grep -vcE ' # skip env: [a-z0-9-]+: ' || true)
    if [ "$bad" -gt 0 ]; then
      echo "not ok - $name: $bad skip(s) without a named environment limit (RCR_TEST_STRICT=1)"
      f_=$((f_ + bad))
      s=$((s - bad))
    fi
  fi
  if [ $frc -ne 0 ] && [ "$f_" -eq 0 ]; then
    echo "not ok - $name: bats exited $frc"
    f_=1
  fi
  pass=$((pass + p)); skip=$((skip + s)); fail=$((fail + f_))

  if leak=$("$here/leak-check.sh" 2>&1); then
    echo "ok - leak check after $name"
    pass=$((pass + 1))
  else
    echo "not ok - leak check after $name"
    printf '%s\n' "$leak" | sed 's/^/#   /'
    fail=$((fail + 1))
  fi
done

echo "bats: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] || rc=1
exit $rc
