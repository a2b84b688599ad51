"""Grow the bundled corpus to a target chunk count (for the scale benchmark).

    .venv/bin/python bench/gen_corpus.py --chunks 10000 --out /tmp/nbhd-scale-10k

Each replica of the five documents is re-published under another council's name: place
names swapped, paragraphs shuffled inside each section-free run, and numbers changed
(so replicas are near-duplicates, not exact ones, and retrieval has to work for it).
A manifest.yaml with titles, places and years is written beside the files. The number
of replicas is computed from the real chunker's count on the original corpus.
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from assistant.config import ROOT, Settings

CORPUS = ROOT / "corpus"
# Place names in the originals (longest first so "Nottinghamshire" wins over "Nottingham").
PLACES = ["Nottinghamshire", "Nottingham", "Derbyshire", "Derby"]
PREFIXES = [
    "North",
    "South",
    "East",
    "West",
    "Upper",
    "Lower",
    "Great",
    "Little",
    "New",
    "Old",
    "Kings",
    "Queens",
    "Market",
    "Bishops",
    "Castle",
    "Chipping",
    "Long",
    "High",
    "Nether",
    "Saint",
]
ROOTS = [
    "Ashford",
    "Barnham",
    "Calder",
    "Dunmore",
    "Elmbridge",
    "Fairfield",
    "Glenholme",
    "Harrowby",
    "Ingleton",
    "Jarrow",
    "Kelbrook",
    "Langdale",
    "Marsden",
    "Northam",
    "Oakley",
    "Penrith",
    "Quarndon",
    "Redmire",
    "Stanwick",
    "Thornbury",
    "Ulverley",
    "Vaynor",
    "Whitmore",
    "Yarwell",
    "Brackley",
    "Carnforth",
    "Denholme",
    "Eskdale",
    "Fenwick",
    "Grassington",
    "Hebden",
    "Ilkley",
    "Kirkham",
    "Loxley",
    "Milnthorpe",
    "Norbury",
    "Ormskirk",
    "Pickering",
    "Rothwell",
    "Selby",
]


def council_names(n: int) -> list[str]:
    names = [r for r in ROOTS] + [f"{p} {r}" for p in PREFIXES for r in ROOTS]
    if n > len(names):
        names += [f"{names[i % len(names)]} {i // len(names) + 1}" for i in range(len(names), n)]
    return names[:n]


def base_chunk_count(settings: Settings) -> int:
    """Chunks the real pipeline makes of the original corpus (loaded + chunked, not embedded)."""
    from ingest.chunk import chunk_document
    from ingest.loaders import load
    from ingest.manifest import load_manifest

    manifest = load_manifest(CORPUS)
    total = 0
    for path in sorted(CORPUS.glob("*.txt")):
        doc = load(path, settings.max_file_bytes)
        total += len(chunk_document(doc, manifest[path.stem], "x" * 32))
    return total


_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?![\w])")


def perturb_numbers(text: str, rng: random.Random) -> str:
    def change(m: re.Match[str]) -> str:
        raw = m.group(1)
        value = int(raw.replace(",", ""))
        if 1990 <= value <= 2035:  # years stay years (a little shifted)
            return str(value + rng.choice([-2, -1, 0, 1, 2]))
        new = max(1, round(value * rng.uniform(0.6, 1.6)))
        return f"{new:,}" if "," in raw else str(new)

    return _NUMBER.sub(change, text)


def shuffle_paragraphs(text: str, rng: random.Random) -> str:
    """Shuffle runs of plain paragraphs; headings (short lines without a full stop) stay put."""
    paras = text.split("\n\n")
    out: list[str] = []
    run: list[str] = []
    for para in paras:
        heading = len(para.split()) <= 12 and not para.rstrip().endswith((".", ":", ";"))
        if heading:
            rng.shuffle(run)
            out.extend(run)
            run = []
            out.append(para)
        else:
            run.append(para)
    rng.shuffle(run)
    out.extend(run)
    return "\n\n".join(out)


def perturb(text: str, council: str, rng: random.Random) -> str:
    for place in PLACES:
        suffix = "shire" if place.endswith("shire") else ""
        text = re.sub(rf"\b{place}\b", f"{council}{suffix}", text)
    return perturb_numbers(shuffle_paragraphs(text, rng), rng)


def generate(target_chunks: int, out: Path, seed: int = 7) -> dict[str, int]:
    settings = Settings()
    per_copy = base_chunk_count(settings)
    copies = max(1, math.ceil(target_chunks / per_copy))
    out.mkdir(parents=True, exist_ok=True)
    base = yaml.safe_load((CORPUS / "manifest.yaml").read_text())["documents"]
    rng = random.Random(seed)
    entries = []
    for i, council in enumerate(council_names(copies)):
        slug = re.sub(r"[^a-z0-9]+", "-", council.lower()).strip("-")
        for entry in base:
            src = CORPUS / entry["file"]
            name = f"{slug}-{i:04d}-{src.stem}.txt"
            (out / name).write_text(perturb(src.read_text(), council, rng))
            meta = dict(entry)
            meta["file"] = name
            for field in ("title", "publisher", "place"):
                value = str(meta.get(field) or "")
                for place in PLACES:
                    value = re.sub(rf"\b{place}\b", council, value)
                meta[field] = value
            if meta.get("place") in ("", "England"):
                meta["place"] = council
            if meta.get("year"):
                meta["year"] = int(meta["year"]) + rng.choice([-1, 0, 1])
            meta.pop("url", None)
            entries.append(meta)
    (out / "manifest.yaml").write_text(yaml.safe_dump({"documents": entries}, sort_keys=False))
    return {
        "copies": copies,
        "files": len(entries),
        "chunks_per_copy": per_copy,
        "expected_chunks": copies * per_copy,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", type=int, default=10_000, help="target chunk count")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(generate(args.chunks, args.out, args.seed))


if __name__ == "__main__":
    main()
