#!/usr/bin/env bash
# One command from a fresh clone to a full test run: virtual environment, the project with its
# test extras, Debian's Chromium (browser tests), the local LLM (llama.cpp server + GGUF model),
# then pytest. Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow"`.
# Environment: VENV (default .venv), SKIP_LLM=1 / SKIP_BROWSER=1 / SKIP_MILVUS=1 to leave those out
# (their tests then skip with a reason).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV="${VENV:-.venv}"
log() { printf '[test.sh] %s\n' "$*" >&2; }

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
log "installing the project and its test extras into $VENV"
"$PY" -m pip install --quiet --upgrade pip
# torch first and pinned: the CPU build from this machine's disk (a plain `torch` pulls CUDA).
"$PY" -m pip install --quiet "torch==2.13.0"
"$PY" -m pip install --quiet -e ".[ui,eval,st,llm,test]"
if [ "${SKIP_MILVUS:-0}" != 1 ]; then
  "$PY" -m pip install --quiet -e ".[milvus]" "milvus==2.3.5" || log "milvus server package not installed: Milvus tests will skip"
fi
if [ "${SKIP_BROWSER:-0}" != 1 ]; then
  bash scripts/install_browser.sh || log "chromium not installed: browser tests will skip"
fi
if [ "${SKIP_LLM:-0}" != 1 ]; then
  PYTHON="$PY" bash scripts/setup_llm.sh || log "local LLM not set up: LLM tests will skip"
fi
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
log "running pytest $*"
"$PY" -m pytest "$@"
