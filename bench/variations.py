"""Variations benchmark: one-shot lengths, the seams of continuations and re-imagined regions, and copies.

    .venv/bin/python bench/variations.py --home DIR [--model d] [--one-shots 50] [--cap 10] [--sounds 10]
                                         [--seeds 3] [--threads 2]

Needs a model with a prior (one trained with the end head for the one-shot part) in DISTILL_HOME=DIR, e.g.
the drum set of docs/benchmarks.md:

    .venv/bin/python bench/drumset.py /tmp/drums50
    DISTILL_HOME=DIR .venv/bin/distill train /tmp/drums50 --minutes 3 --name d
    DISTILL_HOME=DIR .venv/bin/distill train-prior d --context 64 --d-model 96 --layers 2 --minutes 10

Reports:
- one-shots: --one-shots generations (seeds 0, 1, ...) with `--cap` seconds as the cap, at the default
  sampling settings: how many end before the cap, and their length distribution (columns and seconds)
  against the training files' (encoded) lengths; the longest verbatim copy of a training file in each; how
  far each has decayed at its end (last 1024 samples against its loudest 1024, in dB), against the files'.
- seams: for --sounds files of the model's dataset (validation files first) and --seeds seeds each,
  the boundary step (`engine.codes.measure.boundary_step`: how far the decoded log-mel's spectrum moves
  across a column edge) at the join of a continuation from the middle column, and at the start and end
  edges of the middle third re-imagined (all levels, and Timbre + Detail only), next to the untouched
  sound's own step at the same edges, and the steps inside drawn material (every inner edge of the
  continuation after the join), which is what the prior's own frame-to-frame changes look like.
- copies: the longest verbatim copy of a training file in every continuation and re-imagined grid,
  next to how many columns were kept from the prompt.
Prints a Markdown summary and the JSON report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="DISTILL_HOME holding the model")
    parser.add_argument("--model", default="d")
    parser.add_argument("--one-shots", type=int, default=50)
    parser.add_argument("--cap", type=float, default=10.0, help="one-shot cap in seconds")
    parser.add_argument("--sounds", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    os.environ["DISTILL_HOME"] = str(args.home)
    from engine.codes.copies import TrainingCodes
    from engine.generation.files import load_generator

    loaded, prior = load_generator(args.model)
    training = TrainingCodes.of(loaded)
    started = time.time()
    report = {
        "machine": {"nproc": os.cpu_count(), "threads": args.threads, "torch": torch.__version__, "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d")},
        "model": {"name": loaded.name, "prior": prior.cfg.to_dict(), "prior_epochs": (loaded.metadata.get("prior") or {}).get("epochs")},
        "one_shots": one_shots(loaded, prior, training, args.one_shots, args.cap) if prior.end is not None else None,
        "seams": seams(loaded, prior, training, args.sounds, args.seeds),
    }
    report["seconds"] = round(time.time() - started, 1)
    print_summary(report)
    print(json.dumps(report, indent=2))


def one_shots(loaded, prior, training, count: int, cap: float) -> dict:
    """Lengths of `count` one-shots (cap `cap` s) against the training files', their copies and how far they decay."""
    from engine.audio.io import load_audio
    from engine.codes import codec
    from engine.generation.pipeline import num_samples, sample_codes
    from engine.generation.settings import GenerationSettings

    template = codec.encode_file(loaded, Path(loaded.metadata["dataset"]["folder"]) / next(iter(training.files)))  # grid metadata

    settings = GenerationSettings(duration_s=cap, one_shot=True)
    cap_columns = loaded.model.num_columns(num_samples(cap, loaded.mel.sample_rate) // loaded.mel.hop_length + 1)
    grids = [sample_codes(prior, cap_columns, settings, seed)[0].numpy() for seed in range(count)]  # [L, F] each
    column_s = loaded.model.cfg.downsample * loaded.mel.hop_length / loaded.mel.sample_rate
    lengths = [g.shape[1] for g in grids]
    copies = [training.longest_copy(g) for g in grids]
    waves = [codec.decode_wave(loaded, dataclasses.replace(template, codes=g, frames=g.shape[1] * template.downsample,
                                                           samples=(g.shape[1] * template.downsample - 1) * template.hop_length)) for g in grids]
    folder = Path(loaded.metadata["dataset"]["folder"])
    files = [load_audio(folder / name, loaded.mel.sample_rate) for name in training.files]
    return {
        "count": count, "cap_s": cap, "cap_columns": cap_columns, "column_s": column_s,
        "ended_before_cap": sum(length < cap_columns for length in lengths),
        "lengths": lengths, "training_lengths": [len(t) for t in training.files.values()],
        "copied_columns": [c.columns for c in copies], "copied_whole": sum(c.columns == g.shape[1] for c, g in zip(copies, grids)),
        "tail_db": [tail_db(w) for w in waves], "training_tail_db": [tail_db(w) for w in files],
    }


def tail_db(wave: np.ndarray, window: int = 1024) -> float:
    """Level of the last `window` samples against the loudest window of the sound, in dB (how far it has decayed)."""
    frames = np.lib.stride_tricks.sliding_window_view(wave, min(window, len(wave)))[:: window // 4]  # [W, window]
    rms = np.sqrt((frames**2).mean(axis=1)) + 1e-9  # [W]
    return float(20 * np.log10(np.sqrt((wave[-window:] ** 2).mean()) + 1e-9) - 20 * np.log10(rms.max()))


def seams(loaded, prior, training, sounds: int, seeds: int) -> dict:
    """Boundary steps at the joins of continuations and re-imagined regions, against the untouched sounds'."""
    from engine.codes import codec
    from engine.codes.measure import boundary_step
    from engine.codes.variations import continue_codes, reimagine
    from engine.generation.settings import GenerationSettings

    dataset = loaded.metadata["dataset"]
    folder = Path(dataset["folder"])
    names = (dataset["val_files"] + dataset["train_files"])[:sounds]
    settings = GenerationSettings()
    rows = {key: [] for key in ("continue_join", "original_at_join", "continue_inside", "region_start", "region_end",
                                "timbre_start", "timbre_end", "original_at_start", "original_at_end")}
    copies = {"continue": [], "region": [], "timbre": []}  # (copied columns, kept columns)
    for name in names:
        grid = codec.encode_file(loaded, folder / name)
        if grid.columns < 6:
            continue
        middle, (a, b) = grid.columns // 2, (grid.columns // 3, 2 * grid.columns // 3)
        original = codec.decode_mel(loaded, grid)  # [M, T]
        rows["original_at_join"].append(boundary_step(original, grid, middle, grid.columns))
        rows["original_at_start"].append(boundary_step(original, grid, a, grid.columns))
        rows["original_at_end"].append(boundary_step(original, grid, 0, b))
        for seed in range(seeds):
            grown = continue_codes(grid, prior, grid.duration - middle * grid.column_seconds, middle, settings, seed)
            mel = codec.decode_mel(loaded, grown)
            rows["continue_join"].append(boundary_step(mel, grown, middle, grown.columns))
            rows["continue_inside"].extend(boundary_step(mel, grown, c, grown.columns) for c in range(middle + 1, grown.columns - 1))
            copies["continue"].append((training.longest_copy(grown.codes).columns, middle))
            for kind, levels in (("region", None), ("timbre", ["timbre", "detail"])):
                new = reimagine(grid, prior, a, b, levels, settings, seed)
                mel = codec.decode_mel(loaded, new)
                rows[f"{kind}_start"].append(boundary_step(mel, new, a, new.columns))
                rows[f"{kind}_end"].append(boundary_step(mel, new, 0, b))
                copies[kind].append((training.longest_copy(new.codes).columns, max(a, grid.columns - b)))  # longest kept run
    return {"sounds": names, "seeds": seeds, "steps": rows, "copies": copies}


def print_summary(report: dict) -> None:
    """Markdown tables of the report."""
    m = report["machine"]
    print(f"nproc {m['nproc']}, {m['threads']} threads, torch {m['torch']}, load average {m['load_average'][0]:.2f}, {m['date']}, {report['seconds']} s\n")
    shots = report["one_shots"]
    if shots:
        col = shots["column_s"]
        gen, train = np.array(shots["lengths"]), np.array(shots["training_lengths"])
        print(f"one-shots: {shots['ended_before_cap']} of {shots['count']} ended before the cap of {shots['cap_s']:g} s ({shots['cap_columns']} columns)\n")
        print("| lengths (s) | min | 10 % | median | 90 % | max |\n|---|---|---|---|---|---|")
        for label, values in (("generated one-shots", gen), ("training files (encoded)", train)):
            q = np.percentile(values * col, [0, 10, 50, 90, 100])
            print(f"| {label} | " + " | ".join(f"{v:.2f}" for v in q) + " |")
        copied = np.array(shots["copied_columns"])
        for label, key in (("generated one-shots", "tail_db"), ("training files", "training_tail_db")):
            print(f"last 23 ms against the loudest 23 ms, {label}: median {np.median(shots[key]):.1f} dB, 90th percentile {np.percentile(shots[key], 90):.1f} dB")
        print(f"\nlongest verbatim copy of a training file per one-shot: median {np.median(copied):g} columns, max {copied.max()}; "
              f"{shots['copied_whole']} of {shots['count']} are a copy from start to end\n")
    steps = report["seams"]["steps"]
    print("| boundary step (log-mel, mean over bins) | mean | median | n |\n|---|---|---|---|")
    for key, values in steps.items():
        if values:
            print(f"| {key.replace('_', ' ')} | {statistics.mean(values):.3f} | {statistics.median(values):.3f} | {len(values)} |")
    print("\n| longest verbatim copy | median copied columns | median kept columns | copies longer than the kept part |\n|---|---|---|---|")
    for kind, pairs in report["seams"]["copies"].items():
        if pairs:
            longer = sum(copied > kept for copied, kept in pairs)
            print(f"| {kind} | {statistics.median(p[0] for p in pairs):g} | {statistics.median(p[1] for p in pairs):g} | {longer} of {len(pairs)} |")


if __name__ == "__main__":
    main()
