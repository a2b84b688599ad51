"""OCR with Tesseract (Debian's ``tesseract-ocr`` + ``tesseract-ocr-eng``) through pytesseract.

``ocr_image`` reads one page image into lines (Tesseract's own layout analysis orders blocks,
so columns of a scan read one after the other) and the page's mean word confidence (0-100).
pytesseract's TSV output gives every word with its confidence and box; the boxes give the
lines' heights, so larger type can still be told apart for headings.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from ingest.clean import clean_line
from ingest.loaders._pdf_layout import Line

__all__ = ["LOW_CONFIDENCE", "OcrPage", "ocr_image", "tesseract_missing"]

LOW_CONFIDENCE = 80.0  # mean word confidence below this: the page is flagged in the report and citations
INSTALL_HINT = "install Debian's tesseract-ocr and tesseract-ocr-eng (scripts/test-deps.sh does)"
PAGE_TIMEOUT_S = 180


@dataclass(frozen=True)
class OcrPage:
    lines: list[Line]
    confidence: float  # mean word confidence, 0-100 (0 when no words)
    words: int


@functools.lru_cache(maxsize=1)
def tesseract_missing() -> str | None:
    """Why OCR cannot run here, or None when Tesseract with English is installed."""
    exe = shutil.which("tesseract")
    if exe is None:
        return f"Tesseract is not installed: {INSTALL_HINT}"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Tesseract does not run ({type(exc).__name__}): {INSTALL_HINT}"
    if "eng" not in (out.stdout + out.stderr).split():
        return f"Tesseract has no English data: {INSTALL_HINT}"
    return None


def ocr_image(image: Any) -> OcrPage:
    """One page image (PIL) to lines and confidence. Raises RuntimeError when Tesseract fails.

    Automatic page segmentation first; a page read with low confidence is read again with
    orientation detection (a scan fed in sideways or upside down), and the better read kept."""
    first = _read(image.convert("L"), "--psm 3")
    if first.confidence >= LOW_CONFIDENCE or not first.words:
        return first
    second = _read(image.convert("L"), "--psm 1")
    return second if second.confidence > first.confidence else first


def _read(image: Any, config: str) -> OcrPage:
    import pytesseract
    import pytesseract.pytesseract as runner

    # pytesseract starts tesseract with its module's ``environ``: one OpenMP thread per page is
    # 2-3 times faster on a shared 2-core machine than letting threads compete, and the limit
    # must not leak into this process (torch reads the same variable).
    runner.environ = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        data = pytesseract.image_to_data(
            image, lang="eng", config=config, output_type=pytesseract.Output.DICT, timeout=PAGE_TIMEOUT_S
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise RuntimeError(f"OCR took over {PAGE_TIMEOUT_S}s on one page") from exc
    except pytesseract.TesseractError as exc:
        raise RuntimeError(f"Tesseract failed: {str(exc)[:80]}") from exc
    except OSError as exc:
        raise RuntimeError(f"Tesseract did not start ({exc.strerror or exc})") from exc
    lines: list[Line] = []
    confidences: list[float] = []
    current: tuple[int, int, int] | None = None
    words: list[str] = []
    para: tuple[int, int] | None = None
    starts = False

    def close() -> None:
        if words:
            text = clean_line(" ".join(words))
            if text:  # no font size: box heights are too noisy; headings come from the wording
                lines.append(Line(text, None, False, (), starts))

    for i, word in enumerate(data["text"]):
        word = word.strip()
        conf = float(data["conf"][i])
        if not word or conf < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        if key != current:
            close()
            words = []
            starts = key[:2] != para
            current, para = key, key[:2]
        words.append(word)
        confidences.append(conf)
    close()
    mean = sum(confidences) / len(confidences) if confidences else 0.0
    return OcrPage(lines, round(mean, 1), len(confidences))
