#!/usr/bin/env bash
# Start/stop a local, genuine Milvus 2.3.5 standalone server (PyPI `milvus`) for RAG_VECTOR_STORE=milvus.
#   scripts/milvus_server.sh start [DATA_DIR] [PORT]   -> prints RAG_MILVUS_URI=http://127.0.0.1:PORT
#   scripts/milvus_server.sh stop  [DATA_DIR]
#   scripts/milvus_server.sh status [DATA_DIR]
# Needs: pip install milvus==2.3.5 pymilvus   (the server's process group is stopped as a whole).
set -euo pipefail
cmd=${1:-}
data=${2:-${RAG_MILVUS_DATA:-$HOME/.local/share/bilingual-news-rag/milvus}}
port=${3:-19530}
pidfile="$data/milvus-server.pid"
py=${PYTHON:-python}
launcher=$(command -v milvus-server || true)
[ -z "$launcher" ] && [ -x "$(dirname "$(command -v "$py")")/milvus-server" ] && launcher="$(dirname "$(command -v "$py")")/milvus-server"

running() { [ -f "$pidfile" ] && kill -0 -- "-$(cat "$pidfile")" 2>/dev/null; }

case "$cmd" in
  start)
    [ -n "$launcher" ] || { echo "milvus-server not found: pip install milvus==2.3.5" >&2; exit 1; }
    if running; then echo "already running (process group $(cat "$pidfile"))"; echo "RAG_MILVUS_URI=http://127.0.0.1:$port"; exit 0; fi
    mkdir -p "$data"
    args=(--data "$data/data" --proxy-port "$port")
    for c in rootCoord proxy queryCoord queryNode indexNode dataCoord dataNode; do
      args+=(--extra-config "$c.ip=127.0.0.1")
    done
    setsid "$launcher" "${args[@]}" >>"$data/milvus-server.log" 2>&1 < /dev/null &
    echo $! > "$pidfile"
    for _ in $(seq 1 120); do
      if "$py" -c "from pymilvus import MilvusClient; MilvusClient(uri='http://127.0.0.1:$port', timeout=3).list_collections()" 2>/dev/null; then
        echo "RAG_MILVUS_URI=http://127.0.0.1:$port"; exit 0
      fi
      running || { echo "milvus-server exited; see $data/milvus-server.log" >&2; exit 1; }
      sleep 1
    done
    echo "milvus not healthy after 120 s; see $data/milvus-server.log" >&2; exit 1 ;;
  stop)
    running || { echo "not running"; rm -f "$pidfile"; exit 0; }
    pgid=$(cat "$pidfile")
    kill -TERM -- "-$pgid" 2>/dev/null || true   # launcher and its `milvus run standalone` child
    for _ in $(seq 1 30); do kill -0 -- "-$pgid" 2>/dev/null || { rm -f "$pidfile"; echo stopped; exit 0; }; sleep 1; done
    kill -KILL -- "-$pgid" 2>/dev/null || true; rm -f "$pidfile"; echo killed ;;
  status)
    if running; then echo "running (process group $(cat "$pidfile"))"; else echo "not running"; fi ;;
  *) echo "usage: $0 start|stop|status [DATA_DIR] [PORT]" >&2; exit 2 ;;
esac
