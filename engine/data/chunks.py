"""Cut clips' log-mels into fixed-length training chunks with a mask over the real frames.

The rule, for a clip of T frames, chunk length C and hop H (default C // 2, so windows overlap by half):

- T < C: one chunk; the clip's frames come first, the rest is padding filled with `silence_value` and masked
  out (mask False). A 0.1 s clip (9 frames) with C = 16:

      frames  0 1 2 3 4 5 6 7 8 | 9 ... 15
      mel     real frames        | silence
      mask    T T T T T T T T T  | F ... F

- T == C: one chunk, fully real.
- T > C: windows start at 0, H, 2H, ... while they fit, plus one final window aligned to the clip's end
  (start T - C) when the regular ones do not already end there, so no tail is lost. T = 40, C = 16, H = 8:

      starts 0, 8, 16, 24   (24 + 16 = 40 = T; a regular window already ends at the clip's end)

  T = 37, C = 16, H = 8: starts 0, 8, 16, 21   (the last window is shifted back to end at frame 37)

Chunks never span two clips.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from engine.data.dataset import Clip


class ChunkBatch(NamedTuple):
    """Fixed-length chunks cut from a list of clips (a NamedTuple, so it also unpacks as three tensors)."""

    mels: Tensor  # [N, n_mels, chunk_frames] log-mel, padding = silence_value
    mask: Tensor  # [N, chunk_frames] bool, True over real frames
    clip_index: Tensor  # [N] long, index into the `clips` list each chunk came from


def chunk_starts(n_frames: int, chunk_frames: int, hop_frames: int) -> list[int]:
    """First frame of every window for a clip of `n_frames` frames (see the module docstring for the rule)."""
    if n_frames <= chunk_frames:
        return [0]
    last = n_frames - chunk_frames
    starts = list(range(0, last + 1, hop_frames))
    if starts[-1] != last:
        starts.append(last)  # align the final window to the clip's end
    return starts


def make_chunks(
    clips: Sequence[Clip],
    *,
    chunk_frames: int,
    hop_frames: int | None = None,
    silence_value: float,
) -> ChunkBatch:
    """Cut every clip's log-mel into `chunk_frames`-long windows, padding short clips with `silence_value`.

    `hop_frames` defaults to `chunk_frames // 2` (half overlap) and must lie in 1..chunk_frames so no frame
    is skipped. Returns mels [N, n_mels, chunk_frames], mask [N, chunk_frames] (True = real frame) and
    clip_index [N] (position in `clips`), in clip order then time order.
    """
    if chunk_frames < 1:
        raise ValueError(f"chunk_frames must be at least 1, not {chunk_frames}")
    hop = max(1, chunk_frames // 2) if hop_frames is None else hop_frames
    if not 1 <= hop <= chunk_frames:
        raise ValueError(f"hop_frames must be between 1 and chunk_frames ({chunk_frames}), not {hop}")
    if not clips:
        raise ValueError("make_chunks needs at least one clip")

    mels: list[Tensor] = []
    masks: list[Tensor] = []
    owners: list[int] = []
    for index, clip in enumerate(clips):
        log_mel = clip.log_mel  # [M, T]
        n_mels, n_frames = log_mel.shape
        if n_frames == 0:
            raise ValueError(f"clip {clip.name} has no mel frames")
        if n_frames < chunk_frames:
            padded = log_mel.new_full((n_mels, chunk_frames), silence_value)  # [M, C]
            padded[:, :n_frames] = log_mel
            mask = torch.zeros(chunk_frames, dtype=torch.bool, device=log_mel.device)
            mask[:n_frames] = True
            mels.append(padded[None])  # [1, M, C]
            masks.append(mask[None])  # [1, C]
            owners.append(index)
            continue
        starts = torch.tensor(chunk_starts(n_frames, chunk_frames, hop), device=log_mel.device)  # [W]
        frame_idx = starts[:, None] + torch.arange(chunk_frames, device=log_mel.device)  # [W, C]
        windows = log_mel[:, frame_idx].permute(1, 0, 2)  # [M, W, C] -> [W, M, C]
        mels.append(windows)
        masks.append(torch.ones(len(starts), chunk_frames, dtype=torch.bool, device=log_mel.device))  # [W, C]
        owners.extend([index] * len(starts))

    return ChunkBatch(
        mels=torch.cat(mels).contiguous(),  # [N, M, C]
        mask=torch.cat(masks),  # [N, C]
        clip_index=torch.tensor(owners, dtype=torch.long),  # [N]
    )
