#!/usr/bin/env bash
# The fuzz smoke test run by ctest (`make test`): builds the policy parser fuzz target with
# clang (fuzz/build.sh) and runs it for a short while from the seed corpus. Fails if clang is
# missing (scripts/bootstrap --test installs it), if the build fails, or if libFuzzer finds a
# crash, leak, timeout or sanitizer report; the offending input is then saved in OUT_DIR.
#   fuzz/smoke.sh OUT_DIR [SECONDS]      (default 20 s of fuzzing)
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 OUT_DIR [SECONDS]" >&2
  exit 2
fi
out=$1
seconds=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)

"$here/build.sh" "$out"

# libFuzzer writes the inputs it finds interesting to the first corpus directory: a scratch
# one, so the committed seeds stay as they are. -timeout: a single input taking more than 10 s
# counts as a failure (a hang).
work="$out/smoke-corpus"
rm -rf "$work"
mkdir -p "$work"
status=0
"$out/policy_parser_fuzz" "$work" "$here/corpus/policy_parser" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$here/policy_parser.dict" -artifact_prefix="$out/" -print_final_stats=1 || status=$?
if [ "$status" != 0 ]; then
  echo "policy_parser_fuzz failed (exit $status); the input is the crash-*/leak-*/timeout-*" \
       "file named above. Reproduce with: $out/policy_parser_fuzz FILE" >&2
  exit 1
fi
