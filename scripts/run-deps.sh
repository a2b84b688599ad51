#!/usr/bin/env bash
# What the assistant itself needs beyond Python packages: Tesseract (English) to read scanned
# pages and image files (ingest/ocr.py). Idempotent; run by `make ingest` (so `make run`) and by
# scripts/test-deps.sh. Without it (not root, no apt), ingest still runs and reports scanned
# pages as unread, saying why.
set -euo pipefail

missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
ls /usr/share/tesseract-ocr/*/tessdata/eng.traineddata >/dev/null 2>&1 || missing+=(tesseract-ocr-eng)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} to read scanned pages (OCR)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  else
    echo "warning: ${missing[*]} missing and not root: scanned pages will be reported unread (NBHD_OCR)" >&2
  fi
fi
