"""Log-mel pictures of originals next to their reconstructions, one PNG per sound, for docs/.

    .venv/bin/python bench/spectrograms.py OUT.png ORIGINAL.wav LABEL=RECON.wav [LABEL=RECON.wav ...]

Each row is one sound's analysis log-mel (engine/audio/listening.py: 22.05 kHz, 128 HTK bands), low
frequencies at the bottom, on one shared colour scale (the original's loudest cell to 12 nats below it), so
smeared detail and blurred attacks show as soft, even areas. The label of each row is written into its
first pixels as a 3x5 bitmap font; nothing beyond numpy, soundfile and zlib is needed.
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile

from engine.audio.listening import analysis_mel

RANGE = 12.0
SCALE = (2, 4)  # pixels per mel band, per frame
GLYPHS = {  # 3 x 5 bitmaps, rows top to bottom
    "a": "010101111101101", "b": "110101110101110", "c": "011100100100011", "d": "110101101101110",
    "e": "111100110100111", "f": "111100110100100", "g": "011100101101011", "h": "101101111101101",
    "i": "111010010010111", "l": "100100100100111", "m": "101111111101101", "n": "110101101101101",
    "o": "010101101101010", "p": "110101110100100", "r": "110101110101101", "s": "011100010001110",
    "t": "111010010010010", "u": "101101101101111", "v": "101101101101010", "w": "101101111111101",
    "y": "101101010010010", "0": "111101101101111", "1": "010110010010111", "2": "110001010100111",
    "3": "110001010001110", "4": "101101111001001", "5": "111100110001110", "6": "011100111101111",
    "7": "111001010010010", "8": "111101111101111", "9": "111101111001110", ".": "000000000000010",
    " ": "000000000000000", "-": "000000111000000", "/": "001001010100100",
}


def colour(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> RGB uint8 [..., 3] on a dark-blue to yellow ramp."""
    stops = np.array([[10, 10, 40], [60, 20, 120], [200, 60, 80], [250, 170, 40], [250, 250, 160]], dtype=np.float64)
    position = np.clip(values, 0, 1) * (len(stops) - 1)
    low = np.floor(position).astype(int).clip(0, len(stops) - 2)
    weight = (position - low)[..., None]
    return (stops[low] * (1 - weight) + stops[low + 1] * weight).astype(np.uint8)


def label(image: np.ndarray, text: str) -> None:
    """Write `text` in white into the top-left corner of `image` [H, W, 3], 2 pixels per font pixel."""
    x = 4
    for char in text.lower()[: (image.shape[1] - 8) // 8]:
        bits = np.array([int(b) for b in GLYPHS.get(char, GLYPHS[" "])]).reshape(5, 3)
        block = np.kron(bits, np.ones((2, 2), dtype=int)).astype(bool)
        image[4 : 4 + 10, x : x + 6][block] = 255
        x += 8


def write_png(path: Path, image: np.ndarray) -> None:
    """RGB uint8 [H, W, 3] -> a PNG file."""
    height, width, _ = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("original", type=Path)
    parser.add_argument("others", nargs="+", metavar="LABEL=FILE")
    args = parser.parse_args()
    rows = [("original", args.original)] + [(text, Path(file)) for text, file in (o.split("=", 1) for o in args.others)]
    mels = []
    for _, path in rows:
        wave, rate = soundfile.read(path, dtype="float32", always_2d=True)
        mels.append(analysis_mel(wave.mean(axis=1), rate))  # [M, T]
    top = mels[0].max()
    frames = min(m.shape[1] for m in mels)
    images = []
    for (text, _), mel in zip(rows, mels):
        values = (mel[::-1, :frames] - (top - RANGE)) / RANGE  # low bands at the bottom
        image = colour(np.kron(values, np.ones(SCALE)))
        label(image, text)
        images.append(image)
        images.append(np.full((4, image.shape[1], 3), 255, dtype=np.uint8))
    write_png(args.out, np.concatenate(images[:-1]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
