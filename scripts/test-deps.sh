#!/usr/bin/env bash
# Things the test suite needs beyond Python packages: Debian's Chromium for the
# browser tests, Tesseract OCR and PDF/image tools for the ingest tests, PostgreSQL and Redis for the shared-state serving tests, npm packages
# (axe-core, the Teams manifest schema) for checks.
# Idempotent; run by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: /usr/bin/chromium missing and not root: browser tests will be skipped" >&2
  fi
fi

if ! command -v soffice >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing LibreOffice Writer (headless) for the DOCX export test"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libreoffice-writer-nogui >/dev/null
  else
    echo "warning: soffice missing and not root: the DOCX conversion test will be skipped" >&2
  fi
fi

# Real-world documents (tests/ingest): Tesseract for OCR (the product uses it too), and the
# producers the tests make their documents with: ghostscript, poppler-utils (pdftoppm), img2pdf.
bash scripts/run-deps.sh
missing=()
command -v gs >/dev/null 2>&1 || missing+=(ghostscript)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v img2pdf >/dev/null 2>&1 || missing+=(img2pdf)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing ${missing[*]} for OCR and the document-format tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "warning: ${missing[*]} missing and not root: OCR and some format tests will be skipped" >&2
  fi
fi

# PostgreSQL and Redis for tests/serving/test_external_state.py (the tests start their own
# throwaway servers on loopback; Debian's packages only provide the binaries).
if ! command -v postgres >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing PostgreSQL for the shared-state serving tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "warning: postgres missing and not root: the PostgreSQL serving test will be skipped" >&2
  fi
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing redis-server for the shared-state serving tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "warning: redis-server missing and not root: the Redis serving test will be skipped" >&2
  fi
fi

# llama.cpp's OpenAI-compatible server for the LLM composer's real-model tests (built once from
# source, about 6 minutes on 2 cores; the wheel stays in pip's cache). The tests start it.
bash scripts/llm-server.sh install

for dir in tests/web tests/teams; do
  if [ -f "$dir/package-lock.json" ] && [ ! -d "$dir/node_modules" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --silent
  fi
done
