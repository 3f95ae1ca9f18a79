"""Variations with the tiny trained prior: re-imagined regions and levels, continuations (engine/codes/variations.py)."""

from __future__ import annotations

import numpy as np
import pytest

from engine.codes import codec
from engine.codes.errors import CodeEditError
from engine.codes.variations import continue_codes, reimagine
from engine.generation.settings import GenerationSettings
from engine.model.persist import load_vqvae
from engine.prior.bundle import load_prior

SETTINGS = GenerationSettings(temperature=1.0)


@pytest.fixture(scope="module")
def tiny(tiny_prior_file, sound_folder):
    loaded = load_vqvae(tiny_prior_file)
    return loaded, load_prior(loaded), codec.encode_file(loaded, sound_folder / "pad_1.wav")


def test_reimagining_timbre_and_detail_keeps_structure_and_everything_outside(tiny):
    _, prior, grid = tiny
    new = reimagine(grid, prior, 5, 25, ["timbre", "detail"], SETTINGS, seed=3)
    assert np.array_equal(new.codes[:, :5], grid.codes[:, :5]) and np.array_equal(new.codes[:, 25:], grid.codes[:, 25:])
    assert np.array_equal(new.codes[0], grid.codes[0])  # Structure, inside the region too
    assert (new.codes[1:, 5:25] != grid.codes[1:, 5:25]).any()
    assert new == reimagine(grid, prior, 5, 25, ["timbre", "detail"], SETTINGS, seed=3)  # same seed, same grid
    assert new != reimagine(grid, prior, 5, 25, ["timbre", "detail"], SETTINGS, seed=4)
    assert (new.columns, new.source, new.model_id) == (grid.columns, grid.source, grid.model_id)


def test_reimagining_everything_in_a_region_and_bad_regions(tiny):
    _, prior, grid = tiny
    new = reimagine(grid, prior, 10, 20, None, SETTINGS, seed=1)
    assert np.array_equal(np.delete(new.codes, range(10, 20), axis=1), np.delete(grid.codes, range(10, 20), axis=1))
    assert (new.codes[:, 10:20] != grid.codes[:, 10:20]).any()
    with pytest.raises(CodeEditError, match="does not fit"):
        reimagine(grid, prior, 10, grid.columns + 1, None, SETTINGS, seed=1)
    with pytest.raises(CodeEditError):
        reimagine(grid, prior, 0, 5, ["loudness"], SETTINGS, seed=1)


def test_continuing_keeps_the_prompt_and_adds_the_asked_length(tiny):
    loaded, prior, grid = tiny
    new = continue_codes(grid, prior, 1.0, 12, SETTINGS, seed=2)
    added = round(1.0 / grid.column_seconds)
    assert new.columns == 12 + added and np.array_equal(new.codes[:, :12], grid.codes[:, :12])
    assert new == continue_codes(grid, prior, 1.0, 12, SETTINGS, seed=2)
    wave = codec.decode_wave(loaded, new)
    assert len(wave) == new.samples and np.isfinite(wave).all()
    assert continue_codes(grid, prior, 0.5, None, SETTINGS, seed=2).columns > grid.columns
    for seconds, column in ((0, 5), (1.0, 0), (1.0, grid.columns + 1), (601, 5)):
        with pytest.raises(CodeEditError):
            continue_codes(grid, prior, seconds, column, SETTINGS, seed=2)
