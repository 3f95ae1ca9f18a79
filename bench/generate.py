"""Generation benchmark: time of each stage of `generate_audio`, and a memorisation check.

    .venv/bin/python bench/generate.py --home DIR [--model demo] [--threads 2] [--durations 4 30]
                                       [--repeats 5] [--sounds 20] [--device cpu] [--batch 4]

On a GPU (the figures for `generate --count N` and ready sounds in batches):

    .venv/bin/python bench/generate.py --home DIR --model demo --device cuda --durations 4 30 --batch 16

Needs a model with a prior in DISTILL_HOME=DIR, for instance the demo:

    DISTILL_HOME=DIR .venv/bin/distill demo
    DISTILL_HOME=DIR .venv/bin/distill train-prior demo --minutes 8 --device cpu

Reports (best of --repeats runs after one warm-up, median in brackets, on --threads CPU threads; the load
average before and after is printed too, since a shared machine slows runs down unevenly):
- per duration: prior sampling, decoding (VQ-VAE decoder), mel inversion (chunked Griffin-Lim, the default
  `InversionSettings`), writing a 16-bit WAV, and `generate_audio` end to end; real-time factor = audio / time;
- prior sampling of the first duration with the sampling filters on (temperature, top-k, top-p);
- mel inversion against its iteration count on the first duration: time, and the log-mel L1 of the audio
  analysed again against the decoded mel (what the inversion is trying to reproduce);
- prior sampling of --batch sounds batched in one call (one generator per seed, as `generate --count` does
  on a GPU) against one call per sound (as on the CPU);
- memorisation: for --sounds sounds of the first duration (seeds 0, 1, ...), the longest run of code frames
  (whole columns, all levels) copied verbatim from one training file (`engine.codes.copies`), next to the
  training set's own self-similarity: the longest run each training file shares with another training file.
Prints a Markdown summary and the JSON report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="DISTILL_HOME holding the model")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--durations", type=float, nargs="+", default=[4.0, 30.0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sounds", type=int, default=20, help="sounds generated for the memorisation check")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch", type=int, default=4, help="sounds in the batched prior sampling")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    os.environ["DISTILL_HOME"] = str(args.home)
    from engine.generation.files import load_generator

    loaded, prior = load_generator(args.model)
    loaded.model.to(args.device)
    prior.to(args.device)
    report = {
        "machine": machine(args.threads, args.device),
        "model": {"name": loaded.name, "config": loaded.model.cfg.to_dict(), "prior": prior.cfg.to_dict(), "prior_params": prior.num_params()},
        "stages": [stage_times(loaded, prior, duration, args.repeats) for duration in args.durations],
        "filters": filters(prior, loaded, args.durations[0], args.repeats),
        "griffin_lim": iteration_sweep(loaded, prior, args.durations[0]),
        "batching": batching(loaded, prior, args.durations[0], args.repeats, args.batch),
        "memorisation": memorisation(loaded, prior, args.durations[0], args.sounds),
        "medians_s": MEDIANS,
    }
    report["machine"]["load_average_after"] = os.getloadavg()
    print_summary(report)
    print(json.dumps(report, indent=2))


def machine(threads: int, device: str) -> dict:
    """What the numbers were measured on."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    return {
        "cpu": cpu, "nproc": os.cpu_count(), "threads": threads, "device": device, "torch": torch.__version__,
        "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d"),
    }


MEDIANS: dict[str, float] = {}  # label -> median seconds, for the JSON report


def timed(label: str, function, repeats: int) -> tuple[float, object]:
    """Best seconds of `repeats` calls after one warm-up call (the median goes to MEDIANS), and the last result."""
    result = function()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    MEDIANS[label] = statistics.median(seconds)
    return min(seconds), result


def stage_times(loaded, prior, duration: float, repeats: int) -> dict:
    """Seconds per stage for one sound of `duration` seconds, and the real-time factors."""
    from engine.audio.io import write_audio
    from engine.generation.pipeline import (
        decode_codes,
        generate_audio,
        invert_mel,
        num_samples,
        sample_codes,
    )
    from engine.generation.settings import GenerationSettings

    settings = GenerationSettings(duration_s=duration)
    n_samples = num_samples(duration, loaded.mel.sample_rate)
    frames = n_samples // loaded.mel.hop_length + 1
    columns = loaded.model.num_columns(frames)
    prior_s, codes = timed(f"prior {duration:g} s", lambda: sample_codes(prior, columns, settings, seed=0), repeats)
    decode_s, log_mel = timed(f"decode {duration:g} s", lambda: decode_codes(loaded, codes, frames), repeats)
    invert_s, wave = timed(f"invert {duration:g} s", lambda: invert_mel(log_mel, loaded, n_samples), repeats)
    with tempfile.TemporaryDirectory() as folder:
        write_s, _ = timed(f"write {duration:g} s", lambda: write_audio(Path(folder) / "x.wav", wave, loaded.mel.sample_rate), repeats)
    total_s, _ = timed(f"generate_audio {duration:g} s", lambda: generate_audio(loaded, prior, duration_s=duration, seed=0), repeats)
    return {
        "duration_s": duration, "code_frames": columns, "mel_frames": frames,
        "prior_s": prior_s, "decode_s": decode_s, "invert_s": invert_s, "write_s": write_s, "generate_audio_s": total_s,
        "prior_ms_per_frame": 1000 * prior_s / columns,
        "rtf_end_to_end": duration / (total_s + write_s), "rtf_prior": duration / prior_s, "rtf_invert": duration / invert_s,
    }


FILTER_SETTINGS = [(1.0, 0, 1.0), (0.9, 0, 1.0), (1.0, 20, 1.0), (1.0, 0, 0.9), (0.9, 20, 0.9)]  # temperature, top_k, top_p


def filters(prior, loaded, duration: float, repeats: int) -> list[dict]:
    """Prior sampling time of one sound with each of FILTER_SETTINGS."""
    from engine.generation.pipeline import num_samples, sample_codes
    from engine.generation.settings import GenerationSettings

    columns = loaded.model.num_columns(num_samples(duration, loaded.mel.sample_rate) // loaded.mel.hop_length + 1)
    rows = []
    for temperature, top_k, top_p in FILTER_SETTINGS:
        settings = GenerationSettings(duration_s=duration, temperature=temperature, top_k=top_k, top_p=top_p)
        label = f"prior {duration:g} s, temperature {temperature:g}, top-k {top_k}, top-p {top_p:g}"
        seconds, _ = timed(label, lambda chosen=settings: sample_codes(prior, columns, chosen, seed=0), repeats)
        rows.append({"temperature": temperature, "top_k": top_k, "top_p": top_p, "seconds": seconds, "median_s": MEDIANS[label]})
    return rows


def iteration_sweep(loaded, prior, duration: float) -> list[dict]:
    """Time and log-mel L1 of the chunked inversion at several Griffin-Lim iteration counts."""
    from engine.audio.mel import MelSpectrogram
    from engine.generation.pipeline import (
        decode_codes,
        invert_mel,
        num_samples,
        sample_codes,
    )
    from engine.generation.settings import INVERSION_PHASES, GenerationSettings, InversionSettings

    n_samples = num_samples(duration, loaded.mel.sample_rate)
    frames = n_samples // loaded.mel.hop_length + 1
    codes = sample_codes(prior, loaded.model.num_columns(frames), GenerationSettings(duration_s=duration), seed=0)
    log_mel = decode_codes(loaded, codes, frames)  # [M, T]
    analyse = MelSpectrogram(loaded.mel).to(log_mel.device)
    rows = []
    for phase in INVERSION_PHASES:
        for n_iter in (0, 8, 16, 24, 32, 64):
            inversion = InversionSettings(n_iter, phase)
            seconds, wave = timed(f"invert {n_iter} iterations from {phase} phase", lambda i=inversion: invert_mel(log_mel, loaded, n_samples, i), 3)
            again = analyse(torch.from_numpy(wave).to(log_mel.device))  # [M, T]
            rows.append({"phase": phase, "n_iter": n_iter, "seconds": seconds, "log_mel_l1": float((again - log_mel).abs().mean())})
    return rows


def batching(loaded, prior, duration: float, repeats: int, sounds: int) -> dict:
    """Prior sampling of `sounds` sounds: one batched call (a generator per seed) against one call per sound."""
    from engine.generation.pipeline import sample_codes
    from engine.generation.settings import GenerationSettings

    settings = GenerationSettings(duration_s=duration)
    frames = loaded.model.num_columns(round(duration * loaded.mel.sample_rate) // loaded.mel.hop_length + 1)
    batched, _ = timed(f"prior batch of {sounds}", lambda: sample_codes(prior, frames, settings, list(range(sounds))), repeats)
    single, _ = timed(f"prior {sounds} one by one", lambda: [sample_codes(prior, frames, settings, s) for s in range(sounds)], repeats)
    return {"sounds": sounds, "code_frames": frames, "batched_s": batched, "one_by_one_s": single}


def memorisation(loaded, prior, duration: float, sounds: int) -> dict:
    """Longest verbatim runs of whole code columns: generated vs training, and training vs training."""
    from engine.codes.copies import TrainingCodes, longest_common_run
    from engine.generation.pipeline import sample_codes
    from engine.generation.settings import GenerationSettings

    training = TrainingCodes.of(loaded)
    files = list(training.files.values())  # [F] tokens per training file
    frames = loaded.model.num_columns(round(duration * loaded.mel.sample_rate) // loaded.mel.hop_length + 1)
    settings = GenerationSettings(duration_s=duration)
    copies = [training.longest_copy(sample_codes(prior, frames, settings, seed)[0].numpy()) for seed in range(sounds)]
    copied = [(c.columns, c.distinct) for c in copies]  # (length, distinct) per sound
    shared = [max(longest_common_run(t, u) for j, u in enumerate(files) if j != i) for i, t in enumerate(files)]
    per_second = loaded.mel.sample_rate / loaded.mel.hop_length / loaded.model.cfg.downsample
    return {
        "sounds": sounds, "frames_per_sound": frames, "training_files": len(files),
        "training_frames": [len(t) for t in files],
        "generated_longest_copied_run": copied, "training_longest_shared_run": shared,
        "code_frames_per_second": per_second,
    }


def print_summary(report: dict) -> None:
    """Markdown tables of the report."""
    m = report["machine"]
    load = f"load average {m['load_average'][0]:.2f} before, {m['load_average_after'][0]:.2f} after"
    print(f"{m['cpu']}, nproc {m['nproc']}, {m['threads']} threads, torch {m['torch']}, {load}, {m['date']}")
    print("times: best (median) of the runs\n")
    print("| audio | code frames | prior sampling | decoding | mel inversion | write WAV | end to end | real-time factor |")
    print("|---|---|---|---|---|---|---|---|")
    for s in report["stages"]:
        median = {stage: report["medians_s"][f"{stage} {s['duration_s']:g} s"] for stage in ("prior", "decode", "invert", "write", "generate_audio")}
        print(
            f"| {s['duration_s']:g} s | {s['code_frames']} | {ms(s['prior_s'])} ({ms(median['prior'])}) ms "
            f"| {ms(s['decode_s'])} ({ms(median['decode'])}) ms | {ms(s['invert_s'])} ({ms(median['invert'])}) ms "
            f"| {ms(s['write_s'])} ({ms(median['write'])}) ms "
            f"| {ms(s['generate_audio_s'] + s['write_s'])} ({ms(median['generate_audio'] + median['write'])}) ms "
            f"| {s['rtf_end_to_end']:.1f}x |"
        )
    print(f"\n| {report['stages'][0]['duration_s']:g} s: temperature | top-k | top-p | prior sampling |\n|---|---|---|---|")
    for row in report["filters"]:
        print(f"| {row['temperature']:g} | {row['top_k']} | {row['top_p']:g} | {ms(row['seconds'])} ({ms(row['median_s'])}) ms |")
    print("\n| phase start | Griffin-Lim iterations | time | log-mel L1 |\n|---|---|---|---|")
    for row in report["griffin_lim"]:
        print(f"| {row['phase']} | {row['n_iter']} | {1000 * row['seconds']:.0f} ms | {row['log_mel_l1']:.3f} |")
    b = report["batching"]
    print(f"\nprior, {b['sounds']} sounds of {b['code_frames']} frames: batched {1000 * b['batched_s']:.0f} ms, one by one {1000 * b['one_by_one_s']:.0f} ms")
    mem = report["memorisation"]
    print(f"\nmemorisation: {mem['sounds']} sounds x {mem['frames_per_sound']} frames against {mem['training_files']} training files")
    print("| longest verbatim run | max (distinct columns in it) | median |\n|---|---|---|")
    for label, key in (("generated, from any training file", "generated_longest_copied_run"), ("training file, with another training file", "training_longest_shared_run")):
        runs = mem[key]
        longest = max(runs)
        print(f"| {label} | {longest[0]} frames ({longest[1]}) | {statistics.median(r[0] for r in runs)} frames |")


def ms(seconds: float) -> str:
    """Seconds as whole milliseconds."""
    return f"{1000 * seconds:.0f}"


if __name__ == "__main__":
    main()
