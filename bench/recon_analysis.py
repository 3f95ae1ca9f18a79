"""Where a trained model's reconstruction error comes from, on its own training and validation chunks.

    .venv/bin/python bench/recon_analysis.py MODEL.sda

Prints, per split: log-mel L1 of the model, of decoding the encoder output without quantization, and with
only the first 1..L levels; then, on the validation chunks, the floor set by the data itself (a k x k local
average of the mels, and holding each code column's mel constant), the error by target level and by mel band,
the tonal balance (energy of the reconstruction against the original per group of mel bins);
finally what a LINEAR codec reaches on the same files: PCA of each code column's patch (downsample frames x
M mels) with d components, unquantized and with a residual k-means quantizer of the model's codebook size
(levels 1..6), fitted on the training files and measured on the validation files.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

from engine.audio.mel import MelSpectrogram
from engine.data.chunks import make_chunks
from engine.data.dataset import load_dataset
from engine.model.losses import masked_mel_l1
from engine.model.persist import load_vqvae


def column_patches(mels: list[torch.Tensor], frames: int) -> torch.Tensor:
    """Whole-clip log-mels [M, T] -> one row per code column, [N, M * frames] (the last partial column dropped)."""
    rows = []
    for m in mels:
        t = m.shape[-1] // frames * frames
        rows.append(m[:, :t].reshape(m.shape[0], t // frames, frames).permute(1, 0, 2).reshape(t // frames, -1))
    return torch.cat(rows)


def kmeans(x: torch.Tensor, k: int, iters: int = 20) -> torch.Tensor:
    """Plain Lloyd k-means on rows of x [N, D] -> centres [k, D] (seeded: the same numbers every run)."""
    centres = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:k]].clone()
    for _ in range(iters):
        nearest = torch.cdist(x, centres).argmin(dim=1)  # [N]
        for j in range(k):
            members = x[nearest == j]
            if len(members):
                centres[j] = members.mean(dim=0)
    return centres


def linear_bounds(train: torch.Tensor, val: torch.Tensor, codebook_size: int) -> None:
    """Held-out L1 of PCA codecs on column patches train/val [N, M * frames], unquantized and residual-VQ."""
    mean = train.mean(dim=0)
    _, _, basis = torch.linalg.svd(train - mean, full_matrices=False)  # [D, M * frames]
    for dims in (32, 64, 128):
        b = basis[:dims]
        print(f"linear: PCA {dims} components, unquantized {((val - mean) @ b.T @ b + mean - val).abs().mean().item():.3f}")
    b = basis[:64]
    residual_train, residual_val = (train - mean) @ b.T, (val - mean) @ b.T  # [N, 64]
    quantized = torch.zeros_like(residual_val)
    for level in range(1, 7):
        centres = kmeans(residual_train, codebook_size)
        residual_train = residual_train - centres[torch.cdist(residual_train, centres).argmin(dim=1)]
        chosen = centres[torch.cdist(residual_val, centres).argmin(dim=1)]
        quantized, residual_val = quantized + chosen, residual_val - chosen
        print(f"linear: PCA 64 + residual k-means {level} level(s) x {codebook_size} codes {(quantized @ b + mean - val).abs().mean().item():.3f}")


def energy_ratio_db(recon: torch.Tensor, target: torch.Tensor, real: torch.Tensor, group: int) -> torch.Tensor:
    """10 log10 of reconstructed over original power, summed over real cells in groups of `group` mel bins.

    recon, target, real [N, 1, M, T] -> [M / group]. Negative: the reconstruction is quieter there (a
    blurred peak keeps its mean log-mel but loses energy, which sounds thinner or duller).
    """
    def power(log_mel: torch.Tensor) -> torch.Tensor:
        per_bin = ((2 * log_mel).exp() * real).sum(dim=(0, 1, 3))  # [M]
        return per_bin.view(-1, group).sum(dim=1)  # [M / group]

    return 10 * torch.log10(power(recon) / power(target))


def main(path: str) -> None:
    loaded = load_vqvae(path)
    model, cfg = loaded.model, loaded.model.cfg
    mel = MelSpectrogram(loaded.mel)
    dataset = load_dataset(loaded.metadata["dataset"]["folder"], mel)
    for split in ("train_files", "val_files"):
        clips = [c for c in dataset.clips if c.name in loaded.metadata["dataset"][split]]
        mels, mask, _ = make_chunks(clips, chunk_frames=128, silence_value=mel.silence_value)
        x = mels.unsqueeze(1)  # [N, 1, M, T]
        with torch.no_grad():
            recon, _, _ = model(x)
            z = model.encoder((x.squeeze(1) - cfg.mel_mean) / cfg.mel_std)  # [N, D, F]
            out = model.quantizer(z)
            per_level = model.quantizer.level_embeddings(out.indices)  # [N, L, D, F]
            partial = [masked_mel_l1(model.decode(per_level[:, :n].sum(1), 128), x, mask).item() for n in range(1, cfg.levels + 1)]
            unquantized = masked_mel_l1(model.decode(z, 128), x, mask).item()
        print(f"{split}: model {masked_mel_l1(recon, x, mask).item():.3f}  without quantization {unquantized:.3f}  "
              f"levels 1..{cfg.levels}: " + " ".join(f"{v:.3f}" for v in partial))
    for k in (2, 3, 5):  # validation chunks from the loop above
        blurred = F.avg_pool2d(F.pad(x, (k // 2, (k - 1) // 2, k // 2, (k - 1) // 2), mode="replicate"), k, stride=1)
        print(f"floor: {k}x{k} local average of the mels themselves {masked_mel_l1(blurred, x, mask).item():.3f}")
    for hold in (2, 4):
        held = F.interpolate(F.avg_pool2d(x, (1, hold), ceil_mode=True), scale_factor=(1, hold))[..., :128]
        print(f"floor: mel held constant over {hold} frames {masked_mel_l1(held, x, mask).item():.3f}")
    error = recon - x
    real = mask[:, None, None, :].expand_as(x)
    for low, high in ((-12, -11.4), (-11.4, -9), (-9, -6), (-6, -3), (-3, 5)):
        cells = real & (x >= low) & (x < high)
        print(f"target in [{low}, {high}): share {cells.float().mean().item() / real.float().mean().item():.2f}  "
              f"L1 {error[cells].abs().mean().item():.3f}  bias {error[cells].mean().item():+.3f}")
    for band in range(0, x.shape[2], 32):
        cells = real.clone()
        cells[:, :, :band] = False
        cells[:, :, band + 32:] = False
        print(f"mel bins {band}-{band + 31}: L1 {error[cells].abs().mean().item():.3f}")
    print("tonal balance, dB of reconstructed / original energy per 16 mel bins: " + " ".join(
        f"{v:+.1f}" for v in energy_ratio_db(recon, x, real, group=16).tolist()))
    by_split = {split: [c.log_mel for c in dataset.clips if c.name in loaded.metadata["dataset"][split]] for split in ("train_files", "val_files")}
    linear_bounds(column_patches(by_split["train_files"], cfg.downsample), column_patches(by_split["val_files"], cfg.downsample), cfg.codebook_size)


if __name__ == "__main__":
    main(sys.argv[1])
