"""Training the waveform head (engine/model/waveform_head.py) in the same run as the VQ-VAE.

Every step of the VQ-VAE's training is followed by one step of the head on `SEGMENT_FRAMES`-frame crops of the
training files' waveforms (at a random level, -20..0 dB, since decoded and generated sounds come at any level):

- spectral phase: the head learns from the crops' own log-mels, as a vocoder for this collection;
- adversarial phase: for `DECODER_SHARE` of the crops the input is the VQ-VAE's reconstruction of the crop's
  log-mel instead (no gradient reaches the VQ-VAE), so the head learns to turn the decoder's smoother output
  into the original wave, as vocoders fine-tuned on predicted mels do (HiFi-GAN, section 4.4).

The loss compares the head's wave with the crop: log-magnitude L1 plus spectral convergence at the STFT
sizes of `RESOLUTIONS` (Parallel WaveGAN's multi-resolution STFT loss; the 256- and 512-point ones with hops
of 64 and 128 samples see attacks and phase coherence that the 2048-point analysis cannot), plus
`MEL_WEIGHT` times the log-mel L1 in the model's own mels.

A head that has had too few steps (short budgets on a busy CPU) inverts worse than Griffin-Lim, so at the
end `choose_inverter` decodes up to `CHOICE_FILES` held-out files both ways and the model file keeps the head
only when it wins at least 3 of the four listening figures (engine/audio/listening.py); the figures of both
are stored in the model's training record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from engine.audio.griffinlim import mel_to_audio
from engine.audio.listening import Listening, listening_figures
from engine.audio.mel import MelSpectrogram
from engine.data.dataset import Clip
from engine.generation.settings import InversionSettings
from engine.model.vqvae import ConvVQVAE, reconstruct
from engine.model.waveform_head import WaveformHead

RESOLUTIONS = ((256, 64), (512, 128), (1024, 256), (2048, 512))  # (n_fft, hop)
MEL_WEIGHT = 1.0
SEGMENT_FRAMES = 16  # mel frames per training crop (~0.19 s at 44.1 kHz / hop 512; Vocos trains on 16384 samples at 24 kHz)
BATCH = 8  # with SEGMENT_FRAMES, the head took 26-28 % of the training time (docs/benchmarks.md)
LEARNING_RATE = 5e-4
BETAS = (0.8, 0.9)
DECODER_SHARE = 0.5  # of the crops fed through the VQ-VAE in the adversarial phase
MIN_GAIN_DB = -20.0
SEED_OFFSET = 7919  # the crops' generator is seeded with the run's seed plus this
CHOICE_FILES = 8  # held-out files decoded both ways to choose the inverter
CHOICE_SECONDS = 10.0  # of each, at most
_FLOOR = 1e-5


@dataclass
class HeadLosses:
    """One step's losses (floats)."""

    head_stft: float = 0.0
    head_mel: float = 0.0


def stft_loss(fake: Tensor, real: Tensor) -> Tensor:
    """Multi-resolution STFT loss between waves [B, N]: log-magnitude L1 + spectral convergence, averaged."""
    total = fake.new_zeros(())
    for n_fft, hop in RESOLUTIONS:
        window = torch.hann_window(n_fft, device=fake.device)
        spec = lambda x: torch.stft(x, n_fft, hop, window=window, return_complex=True).abs()  # noqa: E731  [B, F, T]
        f, r = spec(fake), spec(real)
        convergence = torch.linalg.norm(r - f) / torch.linalg.norm(r).clamp_min(_FLOOR)
        log_l1 = (f.clamp_min(_FLOOR).log() - r.clamp_min(_FLOOR).log()).abs().mean()
        total = total + convergence + log_l1
    return total / len(RESOLUTIONS)


class HeadTraining:
    """The head's optimizer and crop sampler; `step` trains one batch."""

    def __init__(self, head: WaveformHead, mel: MelSpectrogram, waves: list[Tensor], seed: int):
        self.head, self.mel = head, mel
        self.generator = torch.Generator().manual_seed(seed + SEED_OFFSET)  # its own: the VQ-VAE's draws stay as they were
        self.waves = waves  # each [N_i] float32, on the CPU
        self.segment = SEGMENT_FRAMES * mel.cfg.hop_length  # samples; its mel has SEGMENT_FRAMES + 1 frames
        self.optimizer = torch.optim.AdamW(head.parameters(), lr=LEARNING_RATE, betas=BETAS)

    def _crops(self) -> Tensor:
        """BATCH random crops [BATCH, segment] of the training waves at random levels, zero-padded when short."""
        picks = torch.randint(len(self.waves), (BATCH,), generator=self.generator)
        crops = torch.zeros(BATCH, self.segment)
        for row, pick in enumerate(picks.tolist()):
            wave = self.waves[pick]
            start = int(torch.randint(max(1, len(wave) - self.segment + 1), (1,), generator=self.generator))
            piece = wave[start : start + self.segment]
            crops[row, : len(piece)] = piece
        gains = 10 ** (MIN_GAIN_DB * torch.rand(BATCH, 1, generator=self.generator) / 20)  # [BATCH, 1]
        return crops * gains

    def step(self, learning_rate: float, grad_clip: float, vqvae: ConvVQVAE | None = None) -> HeadLosses:
        """One optimisation step; with `vqvae`, DECODER_SHARE of the crops go in as its reconstruction."""
        device = self.head.window.device
        real = self._crops().to(device)  # [B, N]
        with torch.no_grad():
            log_mel = self.mel(real)  # [B, M, T]
            if vqvae is not None:
                log_mel = torch.where(self._decoder_rows(len(real)).to(device), _reconstruction(vqvae, log_mel), log_mel)
        fake = self.head(log_mel, length=real.shape[-1])  # [B, N]
        spectral = stft_loss(fake, real)
        mel_l1 = F.l1_loss(self.mel(fake), self.mel(real))
        loss = spectral + MEL_WEIGHT * mel_l1
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.head.parameters(), grad_clip)
        self.optimizer.step()
        return HeadLosses(float(spectral.detach()), float(mel_l1.detach()))

    def _decoder_rows(self, batch: int) -> Tensor:
        """[B, 1, 1] bool: which crops go in as the VQ-VAE's reconstruction."""
        return (torch.rand(batch, generator=self.generator) < DECODER_SHARE)[:, None, None]

    def state_dict(self) -> dict:
        """What a checkpoint needs to continue: the optimizer's and the crop generator's states (the head's
        weights travel separately)."""
        return {"optimizer": self.optimizer.state_dict(), "generator": self.generator.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])


def _reconstruction(vqvae: ConvVQVAE, log_mel: Tensor) -> Tensor:
    """The VQ-VAE's output for log-mels [B, M, T], in eval mode for the decoder (the encoder and codes are
    already frozen in the adversarial phase), without touching its training state otherwise."""
    was_training = vqvae.decoder.training
    vqvae.decoder.eval()
    recon, _, _ = vqvae(log_mel.unsqueeze(1))  # [B, 1, M, T]
    vqvae.decoder.train(was_training)
    return recon[:, 0]


@torch.no_grad()
def choose_inverter(vqvae: ConvVQVAE, head: WaveformHead, clips: Sequence[Clip]) -> dict:
    """Decode up to CHOICE_FILES held-out `clips` with the head and with Griffin-Lim (the generation
    defaults) -> {"inverter": "waveform-head" or "griffin-lim", "waveform-head": figures, "griffin-lim": figures},
    the figures being the means over the files and the choice `head_wins`'.
    """
    rate, hop = head.mel.sample_rate, head.mel.hop_length
    inversion = InversionSettings()
    heard: dict[str, list[Listening]] = {"waveform-head": [], "griffin-lim": []}
    head.eval()
    for clip in list(clips)[:CHOICE_FILES]:
        original = clip.wave[: int(CHOICE_SECONDS * rate)].float()  # [N]
        target = clip.log_mel[:, : original.numel() // hop + 1].to(head.window.device)  # [M, T]
        recon, _ = reconstruct(vqvae, target)  # [M, T]
        waves = {
            "waveform-head": head(recon, length=original.numel()),
            "griffin-lim": mel_to_audio(recon, head.mel, n_iter=inversion.iterations, phase=inversion.phase, length=original.numel()),
        }
        for name, wave in waves.items():
            heard[name].append(listening_figures(original.numpy(), wave.cpu().numpy(), rate))
    head.train()
    means = {name: Listening.mean(items) for name, items in heard.items()}
    chosen = "waveform-head" if head_wins(means["waveform-head"], means["griffin-lim"]) else "griffin-lim"
    return {"inverter": chosen, **{name: vars(m) for name, m in means.items()}}


def head_wins(head: Listening, griffin_lim: Listening) -> bool:
    """Whether the head is better on at least 3 of the 4 figures: lower envelope and log-mel L1, texture
    ratio nearer 1, higher onset correlation."""
    return sum((
        head.envelope_l1 < griffin_lim.envelope_l1, head.log_mel_l1 < griffin_lim.log_mel_l1,
        abs(head.texture_ratio - 1) < abs(griffin_lim.texture_ratio - 1), head.onset_correlation > griffin_lim.onset_correlation,
    )) >= 3
