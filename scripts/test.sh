#!/usr/bin/env bash
# One command from a fresh clone to a full test run: virtual environment, the project with its
# test extras, Milvus, Debian's Chromium (browser tests), the local LLM (llama.cpp server + GGUF
# model), a Python 3.10 check of the core, then pytest. Extra arguments go to pytest.
#
# Each step prints what it does and how long it usually takes (2 cores), a heartbeat every
# minute while it runs, and its time when done.
#
# Environment (1 = leave that step out; its tests then skip with a reason):
#   VENV            virtual environment (default .venv)
#   SKIP_LLM=1      no local LLM (the slowest step the first time: compiles llama-cpp-python)
#   SKIP_BROWSER=1  no Chromium (apt-get)
#   SKIP_MILVUS=1   no Milvus server package
#   SKIP_PY310=1    no Python 3.10 run of the core tests (runs when a python3.10 is found)
# With `-m "not slow"` among the pytest arguments the four default to 1: the fast subset needs
# none of them. Set one to 0 to keep it anyway.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-.venv}"
log() { printf '[test.sh] %s\n' "$*" >&2; }

FAST=0
for arg in "$@"; do
  case "$arg" in *"not slow"*) FAST=1 ;; esac
done
SKIP_LLM="${SKIP_LLM:-$FAST}"
SKIP_BROWSER="${SKIP_BROWSER:-$FAST}"
SKIP_MILVUS="${SKIP_MILVUS:-$FAST}"
SKIP_PY310="${SKIP_PY310:-$FAST}"

STEPS=()  # "name|expected duration|function"
add_step() { STEPS+=("$1|$2|$3"); }

# run_step N TOTAL NAME EXPECTED FUNCTION: runs FUNCTION with a heartbeat, prints its time.
run_step() {
  local n="$1" total="$2" name="$3" expected="$4" fn="$5" started beat status
  log "step $n/$total: $name (usually $expected)"
  started=$SECONDS
  ( while sleep 60; do log "  ... still $name ($(( (SECONDS - started) / 60 )) min so far)"; done ) &
  beat=$!
  set +e
  ( set -e; "$fn" )  # a subshell, so that `set -e` holds inside the step
  status=$?
  set -e
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  if [ "$status" = 0 ]; then
    log "step $n/$total done in $(( SECONDS - started )) s"
  else
    log "step $n/$total FAILED after $(( SECONDS - started )) s (exit $status): $name"
  fi
  return "$status"
}

PY="$VENV/bin/python"
step_venv() {
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip
}
step_project() {
  # torch first and pinned: the CPU build from this machine's disk (a plain `torch` pulls CUDA).
  "$PY" -m pip install --quiet "torch==2.13.0"
  "$PY" -m pip install --quiet -e ".[ui,eval,st,llm,test]"
}
step_milvus() {
  "$PY" -m pip install --quiet -e ".[milvus]" "milvus==2.3.5" || log "milvus server package not installed: Milvus tests will skip"
}
step_browser() {
  bash scripts/install_browser.sh || log "chromium not installed: browser tests will skip"
}
step_llm() {
  PYTHON="$PY" bash scripts/setup_llm.sh || log "local LLM not set up: LLM tests will skip"
}

# The core (no UI, eval, torch or browser) on Python 3.10, the oldest version pyproject allows.
CORE_TESTS=(tests/test_settings.py tests/test_cli.py tests/test_chunking.py tests/test_cleaning.py
  tests/test_segmentation.py tests/test_loading.py tests/test_numbers.py tests/test_crosslingual.py
  tests/test_glossary.py tests/test_store.py tests/test_vectors.py tests/test_pipeline.py
  tests/test_llm.py tests/test_langchain.py)
find_py310() {
  local candidate
  for candidate in "${PY310:-}" "$(command -v python3.10 || true)" \
      "$(pyenv prefix 3.10 2>/dev/null | head -n1)/bin/python3.10" \
      "$HOME/.pyenv/versions/"3.10*/bin/python3.10; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
step_py310() {
  local py310 venv310="${VENV}-py310"
  if ! py310="$(find_py310)"; then
    log "no python3.10 found (set PY310=/path/to/python3.10): the Python 3.10 check is skipped"
    return 0
  fi
  [ -x "$venv310/bin/python" ] || "$py310" -m venv "$venv310"
  "$venv310/bin/python" -m pip install --quiet --upgrade pip
  "$venv310/bin/python" -m pip install --quiet -e ".[llm,milvus]" "pytest>=8" "hypothesis>=6" "langchain-tests>=1.1.9"
  log "  pytest on $("$venv310/bin/python" --version) (fast core tests)"
  "$venv310/bin/python" -m pytest -p no:cacheprovider -q -m "not slow" "${CORE_TESTS[@]}"
}

add_step "creating $VENV" "under 1 min" step_venv
add_step "installing the project and its test extras" "2-5 min; seconds when installed" step_project
[ "$SKIP_MILVUS" = 1 ] || add_step "installing the Milvus server package" "1-3 min; seconds when installed" step_milvus
[ "$SKIP_BROWSER" = 1 ] || add_step "installing Chromium (apt-get)" "1-5 min; seconds when installed" step_browser
[ "$SKIP_LLM" = 1 ] || add_step "setting up the local LLM" \
  "first run 10-20 min: compiles llama-cpp-python (over an hour on a busy 2-core machine; SKIP_LLM=1 leaves it out); later runs under 1 min, the build is cached in ~/.cache/rag-wheels" step_llm
[ "$SKIP_PY310" = 1 ] || add_step "checking the core on Python 3.10" "3-6 min the first time, 1-2 min later" step_py310

log "plan: ${#STEPS[@]} install step(s), then pytest; skipped: $(
  s=""; [ "$SKIP_MILVUS" = 1 ] && s+="milvus "; [ "$SKIP_BROWSER" = 1 ] && s+="browser "
  [ "$SKIP_LLM" = 1 ] && s+="llm "; [ "$SKIP_PY310" = 1 ] && s+="py3.10 "; echo "${s:-none}")"
TOTAL=$(( ${#STEPS[@]} + 1 ))
i=0
for entry in "${STEPS[@]}"; do
  i=$((i + 1))
  IFS='|' read -r name expected fn <<<"$entry"
  run_step "$i" "$TOTAL" "$name" "$expected" "$fn"
done

export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
if [ "$FAST" = 1 ]; then
  expected="2-5 min"
else
  expected="~30-60 min on 2 cores: real model, LLM, Milvus and browser tests; -m \"not slow\" for a fast run"
fi
log "step $TOTAL/$TOTAL: pytest $* (usually $expected)"
started=$SECONDS
status=0
"$PY" -m pytest "$@" || status=$?
log "step $TOTAL/$TOTAL done in $(( SECONDS - started )) s (pytest exit $status)"
exit "$status"
