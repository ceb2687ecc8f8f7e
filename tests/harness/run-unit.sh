#!/usr/bin/env bash
# Runs the C unit test binaries (TAP); exit 77 from a binary is a skip.
set -uo pipefail
pass=0 fail=0 skip=0 bad=0
for t in "$@"; do
  out=$("$t" 2>&1)
  rc=$?
  printf '%s\n' "$out" | sed "s|^|$(basename "$t"): |"
  if [ $rc -eq 77 ]; then
    skip=$((skip + 1))
    continue
  fi
  p=$(printf '%s\n' "$out" | grep -c '^ok ')
  f=$(printf '%s\n' "$out" | grep -c '^not ok ')
  pass=$((pass + p))
  fail=$((fail + f))
  # A crash or a missing plan is a failure even when every printed case passed.
  if [ $rc -ne 0 ] || ! printf '%s\n' "$out" | grep -q '^1\.\.[0-9]'; then
    [ "$f" -eq 0 ] && bad=$((bad + 1))
  fi
done
fail=$((fail + bad))
echo "unit: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
