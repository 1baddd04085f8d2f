#!/usr/bin/env bash
# The demo: audit each example manifest and show its report. Two examples are meant to fail the
# gate; the demo exits 0 when every example gives the verdict it is meant to give. Then it writes
# the attribution notice and the draft EU training-content summary of the example mixes.
set -uo pipefail
AUDITOR=${1:-auditor}
cd "$(dirname "$0")/.."
mkdir -p out

status=0
html=()
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
  # The JSON and HTML reports of the same audit, written side by side.
  rm -f "out/$name.json" "out/$name.html"
  "$AUDITOR" check "$manifest" "$@" --format json --output "out/$name.json" 2>/dev/null &
  "$AUDITOR" check "$manifest" "$@" --format html --output "out/$name.html" 2>/dev/null &
  wait
  html+=("$PWD/out/$name.html")
  if [ ! -s "out/$name.json" ] || [ ! -s "out/$name.html" ]; then
    echo "!! $manifest: the JSON or HTML report was not written" >&2
    status=1
  elif [ "$code" -ne "$expected" ]; then
    echo "!! $manifest: exit $code, expected $expected" >&2
    status=1
  else
    echo "-> exit $code as expected; reports in out/$name.json and out/$name.html"
  fi
}

run examples/clean-commercial.yaml 0
run examples/video-mix.yaml 1
run examples/instruct-mix.yaml 1
run examples/instruct-mix.yaml 0 --policy research
# A training config names datasets without licenses: each is looked up (offline here: the cache,
# then the bundled registry of well-known datasets).
run examples/axolotl-sft.yml 1 --offline
echo
echo "HTML reports for reviewers (open in a browser, or print):"
printf '  %s\n' "${html[@]}"

# What the reviewer signs: the attribution notice and the draft EU AI Act training-content summary
# of the example mixes (offline: the cache, then the bundled registry).
mixes=(examples/clean-commercial.yaml examples/instruct-mix.yaml examples/video-mix.yaml)
echo
echo "=================================================================================="
echo "  auditor notice / auditor summary ${mixes[*]}"
echo "=================================================================================="
if "$AUDITOR" notice "${mixes[@]}" --offline --output out/NOTICE \
  && "$AUDITOR" summary "${mixes[@]}" --offline --format md --output out/eu-training-summary.md \
  && "$AUDITOR" summary "${mixes[@]}" --offline --format html --output out/eu-training-summary.html
then
  echo "-> attribution notice in out/NOTICE"
  echo "-> draft EU training-content summary in out/eu-training-summary.md and .html"
  echo "   (a draft for the provider to complete; not legal advice)"
else
  echo "!! auditor notice or summary failed" >&2
  status=1
fi

# What the training job reads: WebDataset shards as img2dataset/video2dataset write them, scanned
# sample by sample. The keys of the samples kept out go to a file the loader skips
# (auditor.scan.loader); the allowed samples are copied into clean shards.
shards='examples/shards/{00000..00002}.tar'
echo
echo "=================================================================================="
echo "  auditor scan $shards --write-blocked-keys out/blocked-keys.tsv    (expected exit 1)"
echo "=================================================================================="
rm -rf out/clean-shards out/blocked-keys.tsv
"$AUDITOR" scan "$shards" --write-blocked-keys out/blocked-keys.tsv --write-allowed out/clean-shards
code=$?
if [ "$code" -ne 1 ] || [ ! -f out/blocked-keys.tsv ]; then
  echo "!! $shards: exit $code, expected 1 and out/blocked-keys.tsv" >&2
  status=1
else
  echo "-> blocked keys (shard<TAB>key) in out/blocked-keys.tsv:"
  sed 's/^/     /' out/blocked-keys.tsv
  echo "-> allowed samples copied into out/clean-shards/: $(ls out/clean-shards | tr '\n' ' ')"
fi
exit $status
