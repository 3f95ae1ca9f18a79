"""Code sequences for prior training: encode a split once, pack the sequences end to end, cut windows.

Every training file is encoded as it is and as `variants` augmented copies (augmentation on the log-mel,
before encoding), each followed by `gap_columns` frames of encoded silence. An epoch packs the sequences end
to end into one stream, the way nanoGPT packs documents, so the prior also learns what follows the end of a
sound: a short silence, then a new sound. That is what lets it go on for any duration on a collection of
one-shots, where padding every clip on its own would leave everything after the longest clip untrained.

The stream is made of rounds: each round holds every file once, in a new random order, as one of its
copies, each copy coming round once per `1 + variants` rounds. So two copies of one sound never sit side by
side in a window (the prior would learn to repeat what it just played instead of inventing). Windows of
`context` frames start at random: half at the first frame of a random sequence (START is BEGIN: the prior
learns how sounds begin, which is how an unprompted generation starts) and half at a random frame (START is
CUT: earlier frames fell out of the window, as in the sliding window of a long generation). With one-shots
of about a second (21 frames + 4 of silence) and a 256-frame context:

    stream    |kick........____|snare.....____|hat..____|pad................____|kick'.....  (round 2)
    BEGIN       [kick ... snare ... hat ... pad ...                      (256 frames)  ]
    CUT                      [.....____|hat ... pad ... kick' ...                          ]

Every frame also carries whether it lies after the end of its file's sound, in the silent gap
(`CodeSet.after_end`): the target of the prior's end head, which is how one-shots learn to stop.

Validation windows are fixed: BEGIN at every validation sequence and CUT from its middle frame, over one
round in dataset order; windows that run past its end are padded and the padding masked out of the loss.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.data.augment import augment
from engine.data.dataset import Clip
from engine.model.vqvae import ConvVQVAE

ENCODE_CHUNK_FRAMES = 1024  # mel frames encoded at once (a multiple of every downsample factor used)


@dataclass
class CodeSet:
    """The code sequences of one split, end to end, on the CPU."""

    codes: Tensor  # [L, N] long: every sequence, one after the other
    lengths: Tensor  # [S] long: frames per sequence
    copies: int  # sequences per file: the file itself, then its augmented copies (file f: f * copies + c)
    gap: int = 0  # silent frames closing every sequence: each file's sound ends `gap` frames before its sequence does

    def stream(self, order: Tensor) -> Tensor:
        """The sequences in `order` [S'] (indices, repeats allowed) end to end -> codes [L, sum of lengths]."""
        lengths = self.lengths[order]  # [S']
        shift = sequence_starts(self.lengths)[order] - sequence_starts(lengths)  # [S'] source minus stream position
        frames = torch.repeat_interleave(shift, lengths) + torch.arange(int(lengths.sum()))  # [N']
        return self.codes[:, frames]  # [L, N']

    def after_end(self, order: Tensor) -> Tensor:
        """Whether each frame of `stream(order)` lies in the silent gap after its sound -> bool [sum of lengths]."""
        lengths = self.lengths[order]  # [S']
        within = torch.arange(int(lengths.sum())) - torch.repeat_interleave(sequence_starts(lengths), lengths)  # [N'] frame in its sequence
        return within >= torch.repeat_interleave(lengths - self.gap, lengths)  # [N']


@dataclass
class WindowPlan:
    """The windows of one epoch, in training order."""

    order: Tensor  # [S'] sequences in the stream, in order
    starts: Tensor  # [W] first stream frame of each window, in training order
    begins: Tensor  # [W] bool: the window starts at a sequence's first frame (BEGIN) rather than inside one (CUT)


@torch.no_grad()
def encode_clips(
    model: ConvVQVAE,
    clips: Sequence[Clip],
    *,
    variants: int,
    strength: float,
    gap_columns: int,
    silence_value: float,
    generator: torch.Generator,
) -> CodeSet:
    """Encode each clip, and `variants` augmented copies of it, followed by `gap_columns` silent frames.

    The sequences come in clip order, each clip's original first. Augmentation treats the silent tail as
    padding, so a time shift only delays a sound and never cuts its attack.
    """
    device = next(model.parameters()).device
    downsample = model.cfg.downsample
    sequences: list[Tensor] = []
    for clip in clips:
        mel = clip.log_mel.to(device)  # [M, T]
        frames = mel.shape[-1]
        tail = gap_columns * downsample + (-frames % downsample)  # silence, and whole code columns
        mel = F.pad(mel, (0, tail), value=silence_value)  # [M, T + tail]
        mask = torch.arange(mel.shape[-1], device=device) < frames  # [T + tail]
        mels = mel.expand(1 + variants, -1, -1)  # [V, M, T + tail]
        if variants:
            copies, _ = augment(mels[1:], mask.expand(variants, -1), strength=strength, generator=generator, silence_value=silence_value)
            mels = torch.cat([mels[:1], copies])  # [V, M, T + tail]
        grids = [
            model.encode(mels[:, None, :, start : start + ENCODE_CHUNK_FRAMES]).indices  # [V, L, f]
            for start in range(0, mels.shape[-1], ENCODE_CHUNK_FRAMES)
        ]
        sequences.extend(torch.cat(grids, dim=-1).cpu())  # V x [L, F]
    return CodeSet(torch.cat(sequences, dim=1), torch.tensor([s.shape[1] for s in sequences]), 1 + variants, gap_columns)


def sequence_starts(lengths: Tensor) -> Tensor:
    """First stream frame of each of sequences packed end to end with `lengths` [S] -> [S]."""
    return torch.cumsum(lengths, 0) - lengths


def epoch_plan(codeset: CodeSet, context: int, min_windows: int, generator: torch.Generator) -> WindowPlan:
    """One epoch: rounds of shuffled files until every copy was used once, and random windows over them.

    The epoch holds max(min_windows, 2 x frames / context) windows (about two views of every frame),
    half BEGIN and half CUT, in random order. Rounds are appended past the epoch's data until every window
    fits, so training windows are never padded.
    """
    files = len(codeset.lengths) // codeset.copies
    round_frames = int(codeset.lengths.sum()) // codeset.copies  # copies of a file have its length
    rounds = codeset.copies + math.ceil(context / round_frames)
    shift = torch.randint(0, codeset.copies, (files,), generator=generator)  # [F] which copy each file starts with
    order = []
    for r in range(rounds):
        perm = torch.randperm(files, generator=generator)  # [F]
        order.append(perm * codeset.copies + (shift[perm] + r) % codeset.copies)  # [F] file f, copy (shift_f + r) mod copies
    order = torch.cat(order)  # [S']
    data_frames = round_frames * codeset.copies
    windows = max(min_windows, 2 * math.ceil(data_frames / context))
    firsts = sequence_starts(codeset.lengths[order])[: files * codeset.copies]  # [S] BEGIN positions in the data
    begin_starts = firsts[torch.randint(0, len(firsts), (windows // 2,), generator=generator)]  # [W/2]
    cut_starts = torch.randint(0, data_frames, (windows - windows // 2,), generator=generator)  # [W/2]
    starts = torch.cat([begin_starts, cut_starts])  # [W]
    begins = torch.isin(starts, firsts)  # [W] a random frame may be a first frame too
    shuffle = torch.randperm(windows, generator=generator)
    return WindowPlan(order, starts[shuffle], begins[shuffle])


def validation_plan(codeset: CodeSet) -> WindowPlan:
    """Fixed windows over the validation sequences in dataset order: one BEGIN at each, one CUT from its middle."""
    firsts = sequence_starts(codeset.lengths)  # [S]
    middles = firsts + codeset.lengths // 2  # [S]
    starts = torch.cat([firsts, middles[codeset.lengths > 1]])  # [W]
    return WindowPlan(torch.arange(len(codeset.lengths)), starts, torch.isin(starts, firsts))


def take_windows(stream: Tensor, starts: Tensor, context: int) -> tuple[Tensor, Tensor]:
    """Windows of `stream` [L, N] at `starts` [B] -> codes [B, L, context] and mask [B, context] (False: past the end)."""
    frames = starts.to(stream.device)[:, None] + torch.arange(context, device=stream.device)  # [B, C]
    mask = frames < stream.shape[1]  # [B, C]
    codes = stream[:, frames.clamp(max=stream.shape[1] - 1)]  # [L, B, C]
    return codes.transpose(0, 1).masked_fill(~mask[:, None], 0), mask  # [B, L, C], [B, C]
