"""Reconstruction benchmark: train on a folder for a time budget, then measure on the held-out files.

    .venv/bin/python bench/recon.py FOLDER --minutes 10 [--hidden 256] [--levels 3] [--threads 2]
        [--set FIELD=VALUE | --set train.FIELD=VALUE] [--aug FIELD=VALUE] [--unquantized]
        [--adversarial-share S] [--adv NAME=VALUE] [--device cpu|cuda] [--spectrograms DIR] [--model FILE]
        [--waveform-head]

Reports, on the validation split (whole files, never seen in training):
- the four listening figures (engine/audio/listening.py) of the model's audio against the original, and of
  the inverter alone (the original mel inverted: the oracle), averaged over files;
- log-mel L1 of the model output (natural log, floor 1e-5, 128 mels), of its Griffin-Lim audio, and the
  Griffin-Lim-only ceiling (the original mel inverted and analysed again);
- the same figures with the model's log-mels inverted by Griffin-Lim (24 iterations, random phase start)
  when the model holds a waveform head: both inverters on the same trained model;
- decode seconds for 4 s of audio: the head against 24 Griffin-Lim iterations (median of 5, this device);
- codebook utilisation per level, training steps per second.
`--model FILE` measures a model file already trained on FOLDER instead of training one. `--waveform-head`
trains the (opt-in) waveform head too; the file then keeps it even where training would have chosen
Griffin-Lim (the JSON says what it chose).
Training runs in a throw-away DISTILL_HOME unless --home is given. Prints a Markdown row and JSON.
`--set` and `--aug` change a ModelConfig / TrainConfig / AugmentRanges default for one run (probes);
`--unquantized` trains the same network as a plain autoencoder, to separate the quantizer's share of the error.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--epochs", type=int, default=None, help="train this many epochs instead of --minutes (the same steps whatever the machine's load)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--levels", type=int, default=3)
    parser.add_argument("--codebook-size", type=int, default=None)
    parser.add_argument("--downsample", type=int, default=None, help="mel frames per code column (model default 4)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a ModelConfig field, or a TrainConfig field as train.FIELD (repeatable)")
    parser.add_argument("--aug", action="append", default=[], metavar="FIELD=VALUE", help="override an AugmentRanges field (repeatable)")
    parser.add_argument("--unquantized", action="store_true", help="diagnostic: replace the quantizer by identity (a plain autoencoder)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--adversarial-share", type=float, default=None, help="share of the budget for the adversarial phase (0: none)")
    parser.add_argument("--adv", action="append", default=[], metavar="NAME=VALUE", help="override a constant of engine/training/adversarial.py or engine/model/discriminator.py, e.g. FEATURE_MATCHING=4 (repeatable)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--waveform-head", action="store_true", help="also train the waveform head, and measure both inverters")
    parser.add_argument("--spectrograms", type=Path, default=None, help="write original / reconstruction wavs of the held-out files here")
    parser.add_argument("--model", type=Path, default=None, help="measure this model file (trained on FOLDER) instead of training")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    os.environ["DISTILL_HOME"] = str(args.home or tempfile.mkdtemp(prefix="distill-bench-"))
    from engine.audio.io import write_audio
    from engine.audio.listening import Listening
    from engine.model.persist import load_vqvae
    from engine.reconstruct import reconstruct_file
    from engine.training import trainer
    from engine.training import adversarial
    from engine.training.trainer import TrainRequest, train

    from engine.training import vocoder

    choose = vocoder.choose_inverter

    def keep_head(*a):  # the file keeps the head whatever training chose, to measure both inverters
        chosen = choose(*a)
        return {**chosen, "chosen_in_training": chosen["inverter"], "inverter": "waveform-head"}

    vocoder.choose_inverter = keep_head
    if args.adversarial_share is not None:
        adversarial.SHARE = args.adversarial_share
    discriminator = importlib.import_module("engine.model.discriminator")
    for name, value in (item.split("=", 1) for item in args.adv):
        module = adversarial if hasattr(adversarial, name) else discriminator
        setattr(module, name, type(getattr(module, name))(value))

    overrides = dict(item.split("=", 1) for item in args.set)
    if args.downsample:  # temporal resolution is fixed in the product; the benchmark may vary it
        overrides["downsample"] = args.downsample
    if overrides:
        def adaptive_with_overrides(*a, **k):
            model_cfg, train_cfg = adaptive_config(*a, **k)
            for key, value in overrides.items():
                cfg = train_cfg if key.startswith("train.") else model_cfg
                key = key.removeprefix("train.")
                setattr(cfg, key, type(getattr(cfg, key))(value))
            return model_cfg, train_cfg

        adaptive_config = trainer.adaptive_config
        trainer.adaptive_config = adaptive_with_overrides
    aug_overrides = {key: float(value) for key, value in (item.split("=", 1) for item in args.aug)}
    if aug_overrides:
        augment = importlib.import_module("engine.data.augment")
        augment.augment.__kwdefaults__["ranges"] = dataclasses.replace(augment.AugmentRanges(), **aug_overrides)

    if args.unquantized:
        quantizer = importlib.import_module("engine.model.quantizer")

        def identity(self, z, mask=None):  # z [B, D, F] passes through; indices all 0, no commitment loss
            return quantizer.Quantized(z, torch.zeros(z.shape[0], self.levels, z.shape[-1], dtype=torch.long), z.new_zeros(()))

        quantizer.Quantizer.forward = identity

    name = f"bench-{int(time.time())}"
    def report_epoch(event) -> None:
        if isinstance(event, trainer.EpochReport):
            losses = " ".join(f"{k} {v:.3f}" for k, v in (event.losses or {}).items())
            print(f"epoch {event.epoch} {event.phase} {event.seconds:.0f}s loss {event.train_loss:.3f} val {event.val_l1:.3f} {losses}", file=sys.stderr, flush=True)

    if args.model:
        loaded = load_vqvae(args.model, device=args.device)
    else:
        result = train(TrainRequest(dataset=args.folder, name=name, levels=args.levels, hidden=args.hidden, codebook_size=args.codebook_size, minutes=None if args.epochs else args.minutes, epochs=args.epochs, seed=args.seed, device=args.device, waveform_head=args.waveform_head), on_event=report_epoch)
        loaded = load_vqvae(result.path, device=args.device)
        print(f"model file: {result.path}", file=sys.stderr)
    meta = loaded.metadata
    rows, heard, oracle, gl_heard, gl_oracle = [], [], [], [], []
    griffin_lim = dataclasses.replace(loaded, head=None)
    for file in meta["dataset"]["val_files"]:
        rec = reconstruct_file(loaded, args.folder / file)
        rows.append((rec.model_l1, rec.audio_l1, rec.ceiling_l1, len(rec.original)))
        heard.append(rec.heard)
        oracle.append(rec.oracle)
        if loaded.head is not None:
            gl = reconstruct_file(griffin_lim, args.folder / file)
            gl_heard.append(gl.heard)
            gl_oracle.append(gl.oracle)
        if args.spectrograms:
            stem = Path(file).stem
            write_audio(args.spectrograms / f"{stem}.original.wav", rec.original, loaded.mel.sample_rate)
            write_audio(args.spectrograms / f"{stem}.{rec.inverter}.wav", rec.audio, loaded.mel.sample_rate)
            if loaded.head is not None:
                write_audio(args.spectrograms / f"{stem}.griffin-lim.wav", gl.audio, loaded.mel.sample_rate)
    weights = torch.tensor([r[3] for r in rows], dtype=torch.float64)
    mean = lambda i: float((torch.tensor([r[i] for r in rows], dtype=torch.float64) * weights).sum() / weights.sum())  # noqa: E731
    heard_mean, oracle_mean = Listening.mean(heard), Listening.mean(oracle)
    report = {
        "folder": str(args.folder),
        "files": meta["dataset"]["file_count"],
        "val_files": len(meta["dataset"]["val_files"]),
        "minutes": args.minutes,
        "hidden": args.hidden,
        "levels": args.levels,
        "downsample": loaded.model.cfg.downsample,
        "overrides": overrides,
        "augmentation": aug_overrides,
        "unquantized": args.unquantized,
        "codebook_size": loaded.model.cfg.codebook_size,
        "epochs": meta["training"]["epochs"],
        "inverter": loaded.inverter,
        "inverter_chosen_in_training": meta["training"].get("inverters", {}).get("chosen_in_training"),
        "head_seconds_share": meta["training"].get("phases", {}).get("head_seconds", 0.0) / meta["training"]["seconds"],
        "decode_4s_seconds": decode_seconds(loaded, griffin_lim),
        "steps_per_s": meta["training"]["steps"] / meta["training"]["seconds"],
        "heldout_model_l1": mean(0),
        "heldout_audio_l1": mean(1),
        "gl_ceiling_l1": mean(2),
        "utilisation": [round(h["utilisation"], 3) for h in meta["health"]["levels"]],
        "threads": args.threads,
        "device": args.device,
        "adversarial_share": adversarial.SHARE,
        "adversarial_overrides": args.adv,
        "heard": vars(heard_mean),
        "oracle": vars(oracle_mean),
        "griffin_lim_heard": vars(Listening.mean(gl_heard)) if gl_heard else None,
        "griffin_lim_oracle": vars(Listening.mean(gl_oracle)) if gl_oracle else None,
    }
    figures = lambda f: f"{f.envelope_l1:.2f} | {f.texture_ratio:.2f} | {f.onset_correlation:.2f} | {f.log_mel_l1:.2f}"  # noqa: E731
    print(
        f"| {report['files']} files | {args.minutes} min | share {adversarial.SHARE} | h{args.hidden} L{args.levels} K{report['codebook_size']} "
        f"| {report['steps_per_s']:.2f} steps/s | {figures(heard_mean)} | oracle {figures(oracle_mean)} | {report['heldout_model_l1']:.3f} |"
    )
    if gl_heard:
        print(f"| same model, Griffin-Lim 24 it. | {figures(Listening.mean(gl_heard))} | oracle {figures(Listening.mean(gl_oracle))} |")
    print(json.dumps(report, indent=2))


def decode_seconds(loaded, griffin_lim, seconds: float = 4.0) -> dict:
    """Median wall seconds (of 5) to turn a model log-mel of `seconds` into audio, with each inverter."""
    from engine.model.inverter import invert

    frames = round(seconds * loaded.mel.frames_per_second) + 1
    device = next(loaded.model.parameters()).device
    log_mel = loaded.model.decode(loaded.model.quantizer.from_indices(torch.zeros(1, loaded.model.cfg.levels, frames // 4 + 1, dtype=torch.long, device=device)), frames)[0, 0]
    timings = {}
    for label, which in (("waveform_head", loaded), ("griffin_lim_24", griffin_lim)):
        if label == "waveform_head" and loaded.head is None:
            continue
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            invert(which, log_mel)
            if device.type == "cuda":
                torch.cuda.synchronize()
            runs.append(time.perf_counter() - start)
        timings[label] = sorted(runs)[2]
    return timings


if __name__ == "__main__":
    main()
