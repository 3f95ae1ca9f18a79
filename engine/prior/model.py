"""CodePrior: a small causal transformer over the VQ-VAE's code grids, one step per code frame.

Codebook pattern: per-frame heads conditioned on coarser levels. The transformer runs along time only; the
input at frame t is the sum of the L level embeddings of frame t-1's codes plus a position embedding, so
one forward step covers a whole frame. Its hidden state h_t predicts level 0; level l is predicted from h_t
plus embeddings of the codes already chosen for levels < l of the same frame, by a small per-level head.
For L = 3 (Structure / Timbre / Detail):

    position     0        1          2                 t
    input      START   frame 0    frame 1   ...   frame t-1      (each: sum of 3 code embeddings)
    predicts   frame 0 frame 1    frame 2   ...   frame t:  c0 <- head0(h_t)
                                                            c1 <- head1(h_t + e(c0))
                                                            c2 <- head2(h_t + e(c0) + e(c1))

So p(frame t) = p(c0 | past) p(c1 | c0, past) p(c2 | c0, c1, past): finer levels see the coarser codes
they refine, and sampling costs one transformer step per frame (with a KV cache) plus L small heads.
A flattened pattern would need L steps per frame; a delayed one (MusicGen) one step per frame but with
levels of a frame predicted independently of each other.

Two START vectors tell a window how it begins: BEGIN (a sound starts here: the prior learns attacks) or
CUT (earlier frames exist but fell out of the window: training windows that start mid-sound, and the
sliding window of long generations).

End head (`PriorConfig.end_head`, priors trained before it have none): a linear layer on h_t gives the
logit that frame t lies after the end of the sound, in the silence that follows it. It is trained with
binary cross-entropy next to the code losses on the training files' ends (`engine.prior.data`), and a
one-shot generation (`generate(one_shot=True)`) draws it before every new frame and stops at the first
frame it places after the end: one sound of natural length.

    stream      |kick.........____|snare ...        (____: the silent gap after each file)
    after end    0000000000000111100000 ...        target of the end head at each frame

The trunk follows nanoGPT (pre-norm blocks, GELU MLP, learned
positions, scaled init of residual projections). Training and cache prefills run the modules over whole
windows; the cached steps of sampling run `_Unrolled`, the same computation written as plain tensor
operations on [B, d] tensors, because at batch 1 a frame's time goes to calling operations, not to arithmetic.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from engine.prior.config import PriorConfig
from engine.prior.sampling import check_settings, gumbel_noise, sample

BEGIN, CUT = 0, 1  # rows of CodePrior.start_emb
SLIDE_KEEP = 0.75  # share of the context kept when a generation's window is full (see CodePrior.keep_on_slide)
NOISE_FRAMES = 64  # frames of Gumbel noise drawn at once while sampling (a draw is 5 operations, however large)


class KVCache:
    """Attention projections of every layer for the positions seen so far, allocated once for a full window.

    Stored as the rows `c_attn` makes, q | k | v for each position: `rows` [n_layers, context, B, 3 * d]. A
    cached step then writes its projection straight into the cache (`addmm(..., out=)`, no copies), and
    attention reads `keys` and `values` as strided views [n_layers, B, nh, context, hs] (which give the
    same results as contiguous ones). The queries are stored too but never read back.
    """

    def __init__(self, cfg: PriorConfig, batch: int, device: torch.device, dtype: torch.dtype):
        head_size = cfg.d_model // cfg.n_heads
        self.rows = torch.empty(cfg.n_layers, cfg.context, batch, 3 * cfg.d_model, device=device, dtype=dtype)
        by_head = self.rows.view(cfg.n_layers, cfg.context, batch, 3, cfg.n_heads, head_size)
        self.keys = by_head[:, :, :, 1].permute(0, 2, 3, 1, 4)  # [n_layers, B, nh, context, hs] view
        self.values = by_head[:, :, :, 2].permute(0, 2, 3, 1, 4)  # [n_layers, B, nh, context, hs] view
        self.length = 0  # positions stored; advanced by CodePrior after all layers have run

    def prefill(self, layer: int, qkv: Tensor) -> None:
        """Store the projections qkv [B, T, 3d] of positions 0..T-1 (the cache must be empty)."""
        assert self.length == 0, "prefill a KV cache only when it is empty"  # so the causal mask is right
        self.rows[layer, : qkv.shape[1]] = qkv.transpose(0, 1)  # [T, B, 3d]


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention that can read and extend a KV cache."""

    def __init__(self, cfg: PriorConfig, layer: int):
        super().__init__()
        self.layer = layer
        self.n_heads = cfg.n_heads
        self.dropout = cfg.dropout
        self.c_attn = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.c_proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        """x [B, T, C] -> [B, T, C], causal; with a cache (which must be empty: a prefill) it stores k and v."""
        B, T, C = x.shape
        qkv = self.c_attn(x)  # [B, T, 3C]
        if cache is not None:
            cache.prefill(self.layer, qkv)
        q, k, v = qkv.view(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4).unbind(0)  # 3 x [B, nh, T, hs]
        dropout = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)  # [B, nh, T, hs]
        y = y.transpose(1, 2).reshape(B, T, C)  # [B, T, C]
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    """Linear -> GELU -> Linear -> dropout; works on [..., width]."""

    def __init__(self, width: int, hidden: int, dropout: float):
        super().__init__()
        self.c_fc = nn.Linear(width, hidden)
        self.c_proj = nn.Linear(hidden, width)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))  # GPT-2's GELU: 3x faster on CPU


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, cfg: PriorConfig, layer: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg, layer)
        self.ln_2 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg.d_model, 4 * cfg.d_model, cfg.dropout)

    def forward(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        """x [B, T, C] -> [B, T, C]."""
        x = x + self.attn(self.ln_1(x), cache)
        return x + self.mlp(self.ln_2(x))


class LevelHead(nn.Module):
    """Logits of one level from a frame's hidden state plus the codes already chosen for coarser levels."""

    def __init__(self, cfg: PriorConfig, level: int):
        super().__init__()
        self.level = level
        # One table for all coarser levels: level j's code c is row j * K + c.
        self.coarser = nn.Embedding(level * cfg.codebook_size, cfg.d_model) if level else None
        self.register_buffer("offsets", torch.arange(level) * cfg.codebook_size, persistent=False)  # [level]
        self.ln_1 = nn.LayerNorm(cfg.d_model)
        self.mlp = MLP(cfg.d_model, cfg.head_expansion * cfg.d_model, cfg.dropout)
        self.ln_2 = nn.LayerNorm(cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.codebook_size, bias=False)

    def forward(self, h: Tensor, coarser: Tensor) -> Tensor:
        """h [..., d] and the coarser levels' codes [..., level] -> logits [..., K]."""
        x = h
        if self.coarser is not None:
            x = x + self.coarser(coarser + self.offsets).sum(dim=-2)  # [..., level, d] -> [..., d]
        x = x + self.mlp(self.ln_1(x))  # [..., d]
        return self.out(self.ln_2(x))  # [..., K]


class CodePrior(nn.Module):
    """Autoregressive prior over code grids [B, L, T]; see the module docstring for the pattern."""

    def __init__(self, cfg: PriorConfig):
        super().__init__()
        self.cfg = cfg
        self.code_emb = nn.Embedding(cfg.levels * cfg.codebook_size, cfg.d_model)  # level l's code c: row l * K + c
        self.start_emb = nn.Embedding(2, cfg.d_model)  # BEGIN, CUT
        self.pos_emb = nn.Embedding(cfg.context, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg, layer) for layer in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.heads = nn.ModuleList(LevelHead(cfg, level) for level in range(cfg.levels))
        self.end = nn.Linear(cfg.d_model, 1) if cfg.end_head else None  # logit: this frame lies after the sound's end
        self.register_buffer("level_offsets", torch.arange(cfg.levels) * cfg.codebook_size, persistent=False)  # [L]
        self.apply(self._init_weights)
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):  # GPT-2: scale residual projections by depth
                nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Number of parameters."""
        return sum(p.numel() for p in self.parameters())

    @property
    def keep_on_slide(self) -> int:
        """Frames kept when a generation's window is full: the cache is rebuilt from them.

        Keeping context - 1 frames would rebuild the whole cache at every frame once the window is full
        (a full forward pass per frame); keeping 3/4 rebuilds once every context / 4 frames, while the
        prior still always sees at least 3/4 of its context (~9 s at the default 256 frames).
        """
        return max(1, min(self.cfg.context - 1, int(self.cfg.context * SLIDE_KEEP)))

    # ------------------------------------------------------------------ shared pieces

    def _embed_frames(self, codes: Tensor) -> Tensor:
        """codes [B, L, T] -> frame inputs [B, T, d]: the sum of the L level embeddings of each frame."""
        return self.code_emb(codes + self.level_offsets[:, None]).sum(dim=1)  # [B, L, T, d] -> [B, T, d]

    def _trunk(self, x: Tensor, cache: KVCache | None = None) -> Tensor:
        """Inputs with positions [B, T, d] -> normalised hidden states [B, T, d]; fills an empty `cache`."""
        x = self.drop(x)
        for block in self.blocks:
            x = block(x, cache)
        if cache is not None:
            cache.length = x.shape[1]
        return self.ln_f(x)

    def _window_inputs(self, frames: Tensor, begins: Tensor) -> Tensor:
        """Window of known frames [B, L, P] and begins [B] -> inputs [B, P + 1, d]: START, then the frames."""
        start = self.start_emb(torch.where(begins, BEGIN, CUT))  # [B, d]
        x = torch.cat([start[:, None], self._embed_frames(frames)], dim=1)  # [B, P + 1, d]
        return x + self.pos_emb.weight[: x.shape[1]]  # [B, P + 1, d]

    # ------------------------------------------------------------------ training

    def forward(self, codes: Tensor, begins: Tensor | None = None) -> Tensor:
        """Teacher-forced logits: codes [B, L, T] -> logits [B, L, T, K].

        The logits of frame t, level l depend on frames < t and on levels < l of frame t only. `begins` [B]
        (bool, default all True) says whether each window starts at the beginning of a sound (BEGIN) or was
        cut from the middle of a longer sequence (CUT).
        """
        return self.code_logits(self.hidden(codes, begins), codes)  # [B, L, T, K]

    def hidden(self, codes: Tensor, begins: Tensor | None = None) -> Tensor:
        """Teacher-forced hidden states: codes [B, L, T] -> h [B, T, d], h_t from frames < t (see `forward`)."""
        B, L, T = codes.shape
        if L != self.cfg.levels or not 1 <= T <= self.cfg.context:
            raise ValueError(f"codes must be [B, {self.cfg.levels}, 1..{self.cfg.context}], got {list(codes.shape)}")
        if begins is None:
            begins = torch.ones(B, dtype=torch.bool, device=codes.device)
        return self._trunk(self._window_inputs(codes[:, :, :-1], begins))  # [B, T, d]

    def code_logits(self, h: Tensor, codes: Tensor) -> Tensor:
        """Hidden states h [B, T, d] and the codes [B, L, T] -> logits [B, L, T, K], level l given levels < l."""
        by_frame = codes.transpose(1, 2)  # [B, T, L]
        return torch.stack([head(h, by_frame[..., :level]) for level, head in enumerate(self.heads)], dim=1)  # [B, L, T, K]

    def end_logits(self, h: Tensor) -> Tensor:
        """Hidden states h [..., d] -> logits [...] that each frame lies after the sound's end (needs the end head)."""
        if self.end is None:
            raise ValueError("this prior has no end head (it was trained before one-shots existed)")
        return self.end(h).squeeze(-1)  # [...]

    # ------------------------------------------------------------------ sampling

    def _check_prompt(self, prompt: Tensor | None, batch: int, device: torch.device) -> Tensor:
        """The prompt as [B, L, T0] on `device` (empty when None); a batch-1 prompt is repeated `batch` times."""
        if prompt is None:
            return torch.zeros(batch, self.cfg.levels, 0, dtype=torch.long, device=device)
        if prompt.dim() != 3 or prompt.shape[1] != self.cfg.levels:
            raise ValueError(f"prompt must be [B, {self.cfg.levels}, T], got {list(prompt.shape)}")
        if prompt.numel() and not 0 <= int(prompt.min()) <= int(prompt.max()) < self.cfg.codebook_size:
            raise ValueError(f"prompt codes must lie in 0..{self.cfg.codebook_size - 1}")
        if prompt.shape[0] == 1 and batch > 1:
            prompt = prompt.expand(batch, -1, -1)
        elif batch not in (1, prompt.shape[0]):
            raise ValueError(f"batch {batch} does not match a prompt of batch {prompt.shape[0]}")
        return prompt.to(device=device, dtype=torch.long)

    def generate(
        self,
        n_frames: int,
        *,
        prompt: Tensor | None = None,
        batch: int = 1,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        generator: torch.Generator | list[torch.Generator] | None = None,
        one_shot: bool = False,
    ) -> Tensor:
        """Sample `n_frames` new code frames -> LongTensor [B, L, n_frames], continuing `prompt` [B, L, T0].

        `one_shot` (batch 1, a prior with an end head): before every new frame after the first, the end head
        decides whether the sound is over (a Bernoulli draw, or probability above 1/2 at temperature 0), and
        sampling stops there, so fewer than `n_frames` frames may come back: `n_frames` is then the cap.

        Any length: the prior sees a sliding window of at most context - 1 frames after its START vector.
        When the window is full it keeps the last `keep_on_slide` frames, starts them with CUT and rebuilds
        the KV cache from them in one pass; every other frame is one cached step. Without a prompt the first
        window starts with BEGIN (a new sound); a prompt is taken as the beginning of a sound. Sampling
        settings as in `engine.prior.sampling`; the same `generator` seed gives the same codes. A list of
        `batch` generators gives each item its own: item b draws the numbers it would draw alone from
        generator b (the batch's logits may round differently from a single item's, which changes a code
        only where two are within rounding of a tie).
        """
        check_settings(temperature, top_k, top_p)
        if isinstance(generator, list) and len(generator) != batch:
            raise ValueError(f"{len(generator)} generators for a batch of {batch}")
        if isinstance(generator, list) and batch == 1:
            generator = generator[0]  # the same draws: one item's noise is its generator's numbers in order
        if n_frames < 0 or batch < 1:
            raise ValueError(f"need n_frames >= 0 and batch >= 1, got {n_frames} and {batch}")
        known = self._check_prompt(prompt, batch, self.pos_emb.weight.device)  # [B, L, T0]
        if one_shot and (self.end is None or known.shape[0] != 1):
            raise ValueError("a one-shot needs a prior with an end head and a batch of 1")
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                frames = self._sample(known, n_frames, temperature, top_k, top_p, generator, one_shot=one_shot)  # [T0 + n, L, B]
        finally:
            self.train(was_training)
        # The copy is made outside inference mode, so callers get an ordinary tensor.
        return frames[known.shape[2] :].permute(2, 1, 0).clone(memory_format=torch.contiguous_format)  # [B, L, n_frames]

    def resample(
        self,
        codes: Tensor,
        start: int,
        end: int,
        levels: list[int] | None = None,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        top_p: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """`codes` [B, L, T] with `levels` (default all) of frames [start, end) drawn anew -> [B, L, T].

        Each new frame is sampled given every frame before it, as in `generate`; within a frame, levels not
        in `levels` keep their codes and condition the finer levels that are drawn (so keeping Structure and
        redrawing Timbre and Detail keeps rhythm and envelope). Frames from `end` on are kept as they are: the
        prior sees only the past, so what follows is not taken into account. The same generator seed gives
        the same codes.
        """
        B, L, T = codes.shape
        levels = list(range(L)) if levels is None else sorted(set(levels))
        if L != self.cfg.levels or not 0 <= start < end <= T or not levels or not 0 <= levels[0] <= levels[-1] < L:
            raise ValueError(f"need codes [B, {self.cfg.levels}, T], 0 <= start < end <= T and levels in 0..{L - 1}; got {list(codes.shape)}, [{start}, {end}), {levels}")
        check_settings(temperature, top_k, top_p)
        known = self._check_prompt(codes, B, self.pos_emb.weight.device)  # [B, L, T]
        fixed = known[:, :, start:end].permute(2, 1, 0).clone()  # [end - start, L, B]
        fixed[:, levels] = -1  # -1: draw this level
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                frames = self._sample(known[:, :, :start], end - start, temperature, top_k, top_p, generator, fixed)  # [end, L, B]
        finally:
            self.train(was_training)
        drawn = frames[start:].permute(2, 1, 0).clone(memory_format=torch.contiguous_format)  # [B, L, end - start]
        return torch.cat([codes[:, :, :start], drawn.to(codes.device), codes[:, :, end:]], dim=2)

    def _sample(
        self, known: Tensor, n_frames: int, temperature: float, top_k: int, top_p: float,
        generator: torch.Generator | list[torch.Generator] | None, fixed: Tensor | None = None, one_shot: bool = False,
    ) -> Tensor:
        """The loop of `generate` (inference mode): known frames [B, L, T0] -> all frames, frame-major [T0 + n_frames, L, B].

        `fixed` [n_frames, L, B] holds codes that new frames keep (-1 where a code is drawn). `one_shot`
        (batch 1): stop before the first new frame after the first that the end head places after the end;
        fewer frames then come back.
        """
        B, L, T0 = known.shape
        device, context = known.device, self.cfg.context
        frames = known.new_empty(T0 + n_frames, L, B)  # [T, L, B]: frames[n, level] is one contiguous [B] row
        frames[:T0] = known.permute(2, 1, 0)
        start = 0 if T0 < context else T0 - self.keep_on_slide  # first frame in the window
        cache = KVCache(self.cfg, B, device, self.pos_emb.weight.dtype)
        unrolled = _Unrolled(self, cache)
        noise = ends = None
        for n in range(T0, T0 + n_frames):
            if n - start >= context:  # window full: keep the newest frames and rebuild the cache
                start = n - self.keep_on_slide
                cache.length = 0
            if cache.length == 0:  # one pass over START and the window's frames start..n-1
                begins = torch.full((B,), start == 0, dtype=torch.bool, device=device)
                h = self._trunk(self._window_inputs(frames[start:n].permute(2, 1, 0), begins), cache)[:, -1]  # [B, d]
            else:  # one cached step: frame n-1 enters at position n - start
                h = unrolled.step()  # [B, d]
            drawn = (n - T0) % NOISE_FRAMES
            if temperature > 0 and drawn == 0:  # greedy decoding draws nothing
                size = min(NOISE_FRAMES, T0 + n_frames - n)
                if isinstance(generator, list):  # one generator per item: its draws in the order it makes them alone
                    noise = torch.stack([gumbel_noise((size, L, self.cfg.codebook_size), generator=g, device=device) for g in generator], dim=2)  # [size, L, B, K]
                else:
                    noise = gumbel_noise((size, L, B, self.cfg.codebook_size), generator=generator, device=device)  # [size, L, B, K]
                if one_shot:
                    ends = torch.rand(size, generator=generator, device=generator.device if generator is not None else device)  # [size]
            if one_shot and n > T0:
                threshold = 0.5 if temperature == 0 else float(ends[drawn])
                if float(torch.sigmoid(self.end(h)[0, 0])) > threshold:  # the sound is over: frame n is not part of it
                    return frames[:n]
            unrolled.sample_frame(h, frames[n], temperature, top_k, top_p, None if noise is None else noise[drawn], None if fixed is None else fixed[n - T0])
        return frames


class _Unrolled:
    """The cached step and the level heads of a `CodePrior`, written as plain tensor operations on its weights.

    At batch 1 a frame is about a hundred small operations (the largest a 192 x 768 matrix-vector product),
    and much of the time goes to calling them (module calls, attribute look-ups, indexing, allocations)
    rather than to arithmetic: through the modules a frame took 171 operations and ~70 module calls, here
    110 operations. This calls the kernels the modules call, on the same values in the same order, so it
    computes bit for bit what a step through the modules computes (measured against the module step path
    it replaced: identical logits over 300-frame generations); tests/test_prior_model.py compares its
    logits with `forward` and its codes with a slow reference built on `forward`. In detail:

    - a linear layer is `addmm(bias, x, weight.t())`, or `mm` without a bias: what `F.linear` calls; the
      attention projection is written straight into the KV cache (`out=`);
    - the embedding sums a frame needs live in one accumulator [B, L * d], laid out
      [head 1 | head 2 | ... | head L-1 | next input]: head j's coarser codes, and the sum of all the frame's
      code embeddings (`code_emb`) that is the next step's input. Level l's code adds to every part after
      the first l, so one look-up in a table [K, (L - l) * d] (its rows of each finer head's `coarser`
      table, then of `code_emb`) and one addition per level do what per-head gathers and sums did.

    Built at the start of every `generate` call from the current weights (views, and tables of 0.6 MB for
    a 3 x 128-code prior of width 192).
    """

    def __init__(self, prior: CodePrior, cache: KVCache):
        cfg, K = prior.cfg, prior.cfg.codebook_size
        self.d, self.n_heads, self.cache = cfg.d_model, cfg.n_heads, cache
        self.pos_emb = prior.pos_emb.weight  # [context, d]
        blocks = [
            (_norm(b.ln_1), _linear(b.attn.c_attn), _linear(b.attn.c_proj), _norm(b.ln_2), _linear(b.mlp.c_fc), _linear(b.mlp.c_proj))
            for b in prior.blocks
        ]
        self.layers = list(zip(blocks, cache.rows, cache.keys, cache.values))  # weights, [context, B, 3d], 2 x [B, nh, context, hs]
        self.ln_f = _norm(prior.ln_f)
        self.heads = [(_norm(h.ln_1), _linear(h.mlp.c_fc), _linear(h.mlp.c_proj), _norm(h.ln_2), _linear(h.out)) for h in prior.heads]
        self.tables = [
            torch.cat([head.coarser.weight[level * K : (level + 1) * K] for head in prior.heads[level + 1 :]]
                      + [prior.code_emb.weight[level * K : (level + 1) * K]], dim=1)
            for level in range(cfg.levels)
        ]  # per level [K, (L - level) * d]: level's rows of each finer head's table, then of code_emb
        d = self.d
        self.acc = self.pos_emb.new_empty(cache.keys.shape[1], cfg.levels * d)  # [B, L * d]
        self.coarser = [None] + [self.acc[:, (j - 1) * d : j * d] for j in range(1, cfg.levels)]  # head j's part [B, d]
        self.finer = [self.acc[:, level * d :] for level in range(cfg.levels)]  # parts level l adds to
        self.next_input = self.acc[:, (cfg.levels - 1) * d :]  # [B, d]

    def step(self) -> Tensor:
        """The frame `sample_frame` chose last enters at the cache's next position -> its hidden state [B, d]."""
        pos, (B, d) = self.cache.length, self.next_input.shape
        x = self.next_input + self.pos_emb[pos]  # [B, d]
        for (ln_1, c_attn, c_proj, ln_2, c_fc, fc_proj), rows, keys, values in self.layers:
            qkv = torch.addmm(c_attn[1], F.layer_norm(x, *ln_1), c_attn[0], out=rows[pos])  # [B, 3d], in the cache
            q = qkv.view(B, 3, self.n_heads, 1, d // self.n_heads)[:, 0]  # [B, nh, 1, hs]
            y = F.scaled_dot_product_attention(q, keys.narrow(2, 0, pos + 1), values.narrow(2, 0, pos + 1))  # [B, nh, 1, hs]
            x += torch.addmm(c_proj[1], y.reshape(B, d), c_proj[0])  # [B, d]
            hidden = F.gelu(torch.addmm(c_fc[1], F.layer_norm(x, *ln_2), c_fc[0]), approximate="tanh")  # [B, 4d]
            x += torch.addmm(fc_proj[1], hidden, fc_proj[0])  # [B, d]
        self.cache.length = pos + 1
        return F.layer_norm(x, *self.ln_f)  # [B, d]

    def sample_frame(
        self, h: Tensor, out: Tensor, temperature: float, top_k: int, top_p: float, noise: Tensor | None, fixed: Tensor | None = None
    ) -> None:
        """Codes of the frame with hidden state h [B, d], coarse to fine, into out [L, B]; noise [L, B, K] (None when greedy).

        `fixed` [L, B] gives codes to keep instead of drawing (-1: draw). Also leaves the frame's embedding
        sums in the accumulator, for `step`.
        """
        for level, (ln_1, c_fc, c_proj, ln_2, head_out) in enumerate(self.heads):
            x = h if level == 0 else h + self.coarser[level]  # [B, d]
            hidden = F.gelu(torch.addmm(c_fc[1], F.layer_norm(x, *ln_1), c_fc[0]), approximate="tanh")  # [B, e * d]
            x = x + torch.addmm(c_proj[1], hidden, c_proj[0])  # [B, d]
            logits = torch.mm(F.layer_norm(x, *ln_2), head_out[0])  # [B, K]
            level_noise = None if noise is None else noise[level]  # [B, K]
            code = sample(logits, temperature=temperature, top_k=top_k, top_p=top_p, noise=level_noise, out=out[level])  # [B]
            if fixed is not None:
                code = torch.where(fixed[level] >= 0, fixed[level], code, out=out[level])  # kept codes win
            if level == 0:
                torch.index_select(self.tables[0], 0, code, out=self.acc)  # [B, L * d]
            else:
                self.finer[level].add_(self.tables[level].index_select(0, code))  # [B, (L - level) * d]


def _linear(layer: nn.Linear) -> tuple[Tensor, Tensor | None]:
    """(weight.t(), bias) of a linear layer: a view, so it follows the layer's weights."""
    return layer.weight.t(), layer.bias


def _norm(layer: nn.LayerNorm) -> tuple[tuple[int, ...], Tensor, Tensor, float]:
    """The arguments `F.layer_norm` takes after its input, as the module passes them."""
    return tuple(layer.normalized_shape), layer.weight, layer.bias, layer.eps
