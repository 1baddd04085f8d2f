#!/usr/bin/env bash
# The demo: audit each example manifest and show its report. Two examples are meant to fail the
# gate; the demo exits 0 when every example gives the verdict it is meant to give.
set -uo pipefail
AUDITOR=${1:-auditor}
cd "$(dirname "$0")/.."
mkdir -p out

status=0
run() {
  local manifest=$1 expected=$2; shift 2
  echo
  echo "=================================================================================="
  echo "  auditor check $manifest $*    (expected exit $expected)"
  echo "=================================================================================="
  "$AUDITOR" check "$manifest" "$@"
  local code=$?
  local name
  name=$(basename "$manifest"); name=${name%.*}
  local suffix="$*"
  [ $# -gt 0 ] && name="$name.${suffix//[^a-z0-9]/}"
  "$AUDITOR" check "$manifest" "$@" --format json --output "out/$name.json" 2>/dev/null
  if [ "$code" -ne "$expected" ]; then
    echo "!! $manifest: exit $code, expected $expected" >&2
    status=1
  else
    echo "-> exit $code as expected; JSON report in out/$name.json"
  fi
}

run examples/clean-commercial.yaml 0
run examples/video-mix.yaml 1
run examples/instruct-mix.yaml 1
run examples/instruct-mix.yaml 0 --policy research
# A training config names datasets without licenses: each is looked up (offline here: the cache,
# then the bundled registry of well-known datasets).
run examples/axolotl-sft.yml 1 --offline
exit $status
