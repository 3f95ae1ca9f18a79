"""The inverter alone: each file's own log-mel through fast Griffin-Lim variants, with the four listening figures.

    .venv/bin/python bench/inverter_oracle.py /tmp/drums50 [--iterations 24,64,128]

No model is involved: this is the best any decoder can reach through each inverter setting (issue 13).
Prints one line per setting: the mean envelope L1, texture ratio, onset correlation and log-mel L1 over the
folder's files, and the seconds the inversions took.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from engine.audio.griffinlim import mel_to_audio
from engine.audio.io import load_audio
from engine.audio.listening import Listening, listening_figures
from engine.audio.mel import MelConfig, MelSpectrogram
from engine.data.dataset import audio_files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--iterations", default="24,64,128", help="comma-separated iteration counts, each from the random start")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = MelConfig()
    settings = {f"{n} from zero": dict(n_iter=n, phase="zero") for n in (24,)}
    settings.update({f"{n} from random": dict(n_iter=n, phase="random") for n in map(int, args.iterations.split(","))})
    figures: dict[str, list[Listening]] = {name: [] for name in settings}
    seconds = dict.fromkeys(settings, 0.0)
    mel = MelSpectrogram(cfg)
    for path in audio_files(args.folder):
        wave = load_audio(path, cfg.sample_rate)
        log_mel = mel(torch.from_numpy(wave)[None])[0]  # [M, T]
        for name, kwargs in settings.items():
            start = time.perf_counter()
            audio = mel_to_audio(log_mel, cfg, length=len(wave), **kwargs).numpy()
            seconds[name] += time.perf_counter() - start
            figures[name].append(listening_figures(wave, audio, cfg.sample_rate))
    for name, items in figures.items():
        m = Listening.mean(items)
        print(f"{name:16s} envelope L1 {m.envelope_l1:.3f}  texture {m.texture_ratio:.3f}  onset {m.onset_correlation:.3f}  log-mel L1 {m.log_mel_l1:.3f}  {seconds[name]:.1f} s")


if __name__ == "__main__":
    main()
