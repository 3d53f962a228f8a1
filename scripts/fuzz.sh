#!/usr/bin/env bash
# Runs the libFuzzer targets of the sanitizer build (cmake --preset sanitize; ninja -C
# build-sanitize fuzz) on seed corpora made at run time, one target after another:
#   scripts/fuzz.sh [--time SECONDS | --runs N] [--build DIR] [TARGET...]
# TARGET is a fuzz target without its fuzz_ prefix (gguf, safetensors, hf_config, hf_tokenizer,
# vocab_merges, llama2c_checkpoint, llama2c_tokenizer, sentencepiece_model, event_files,
# kv_sim_workload, breakpoint_spec, debug_session); default: all of them.
# --time limits each target's run (default 20 s), --runs its executions. Seeds: files written
# by make_fuzz_seeds (the test writers), the files of ../shared/models, tests/data, and a trace
# of kvscope-cli. New inputs that found coverage go to BUILD/fuzz-corpus/TARGET, crashes to
# BUILD/fuzz-artifacts. Prints the executions of each target; exits 1 when any target crashed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$here/build-sanitize"
shared="${KVSCOPE_SHARED_DIR:-$here/../shared}/models"  # as the CMake option of the same name
limit=(-max_total_time=20)
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    --build) build="$(cd "$2" && pwd)"; shift 2 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -eq 0 ] && targets=(gguf safetensors hf_config hf_tokenizer vocab_merges llama2c_checkpoint
                                     llama2c_tokenizer sentencepiece_model event_files kv_sim_workload
                                     breakpoint_spec debug_session)
[ -x "$build/fuzz/make_fuzz_seeds" ] || { echo "fuzz.sh: build the fuzz targets first: ninja -C $build fuzz" >&2; exit 2; }

seeds="$build/fuzz-seeds"
rm -rf "$seeds"
"$build/fuzz/make_fuzz_seeds" "$seeds" "$here/tests/data" >/dev/null
add() {  # add TARGET FILE...: copies files that exist into the target's seeds
  local t="$1"; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$seeds/$t/$(basename "$(dirname "$f")")-$(basename "$f")"; done
  return 0
}
data="$here/tests/data"
add gguf "$shared"/gguf-vocab/*.gguf "$shared"/ggml-quants/*.gguf "$data"/hostile/*.gguf
add safetensors "$shared"/makemore-names/model.safetensors "$data"/hostile/*/model.safetensors
add hf_config "$shared"/makemore-names/config.json "$data"/hostile/*/config.json
add hf_tokenizer "$data"/hostile/*/tokenizer.json "$data"/hostile/tokenizer-wrong-type/*.json
add llama2c_checkpoint "$shared"/stories260K/stories260K.bin
add llama2c_tokenizer "$shared"/stories260K/tok512.bin "$shared"/llama2-tokenizer/tokenizer.bin
add sentencepiece_model "$shared"/stories260K/tok512.model
if [ -f "$shared/makemore-names/vocab.json" ]; then
  { cat "$shared/makemore-names/vocab.json"; printf '\0'; cat "$shared/makemore-names/merges.txt"; } \
    > "$seeds/vocab_merges/makemore-names"
fi
if "$build/app/kvscope-cli" trace --model "$data/hostile/tiny-llama.gguf" --prompt "a b" -n 3 \
     --out "$seeds/event_files/trace.jsonl" --csv "$seeds/event_files/csv" >/dev/null 2>&1; then
  for f in "$seeds"/event_files/csv/*.csv; do mv "$f" "$seeds/event_files/$(basename "$f")"; done
  rmdir "$seeds/event_files/csv"
fi
mkdir -p "$seeds/debug_session"
"$build/app/kvscope-cli" debug --model "$data/hostile/tiny-llama.gguf" --prompt "a b" -n 4 --temperature 0.8 \
  --exec "break entropy>1; run; rewind 1; force 2; run" --save "$seeds/debug_session/session.json" >/dev/null 2>&1 || true
# Inputs that once crashed a target stay in its seeds.
for t in "${targets[@]}"; do
  [ -d "$data/fuzz/$t" ] && cp "$data/fuzz/$t"/* "$seeds/$t/"
done

# Sizes are checked against this budget before any allocation; libFuzzer's own limit is 2 GiB.
export KVSCOPE_MEMORY_LIMIT=1G
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:intercept_tls_get_addr=0}"  # as tests/CMakeLists.txt says why
failed=0
summary=()
for t in "${targets[@]}"; do
  exe="$build/fuzz/fuzz_$t"
  [ -x "$exe" ] || { echo "fuzz.sh: no target $exe" >&2; exit 2; }
  corpus="$build/fuzz-corpus/$t"
  artifacts="$build/fuzz-artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  log="$build/fuzz-$t.log"
  status=0
  "$exe" "${limit[@]}" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" "$seeds/$t" >"$log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  seconds="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
  if [ "$status" -ne 0 ]; then
    failed=1
    summary+=("$(printf '%-20s CRASH (exit %d): see %s and %s' "$t" "$status" "$log" "$artifacts")")
  else
    summary+=("$(printf '%-20s %10s executions in %s s, corpus %s files' "$t" "${runs:-?}" "${seconds:-?}" \
      "$(ls "$corpus" | wc -l)")")
  fi
done
printf '%s\n' "${summary[@]}"
exit $failed
