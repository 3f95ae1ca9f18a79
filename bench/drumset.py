"""Copy a fixed selection of ~50 real one-shot drum recordings (Debian's hydrogen-drumkits) into a folder.

    apt-get install hydrogen-drumkits
    .venv/bin/python bench/drumset.py /tmp/drums50 [--count 50]

Files of at most 3 s are taken from every kit, sorted by path, and picked at even spacing, so the set is
the same on every machine with the same package version.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import soundfile

KITS = Path("/usr/share/hydrogen/data/drumkits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=3.0)
    args = parser.parse_args()
    if not KITS.exists():
        raise SystemExit(f"{KITS} not found: apt-get install hydrogen-drumkits")
    candidates = []
    for path in sorted(KITS.rglob("*")):
        if path.suffix.lower() in (".wav", ".flac"):
            info = soundfile.info(path)
            if info.frames / info.samplerate <= args.max_seconds:
                candidates.append(path)
    step = len(candidates) / args.count
    chosen = [candidates[int(i * step)] for i in range(args.count)]
    args.out.mkdir(parents=True, exist_ok=True)
    for path in chosen:
        shutil.copy(path, args.out / f"{path.parent.name.replace(' ', '_')}__{path.name}")
    print(f"{len(chosen)} of {len(candidates)} one-shots (<= {args.max_seconds} s) copied to {args.out}")


if __name__ == "__main__":
    main()
