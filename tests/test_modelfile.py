"""The model file format: exact round trips, atomic writes, one clear ModelFileError for every bad file."""

from __future__ import annotations

import json
import random

import pytest
import safetensors.torch
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from engine.errors import ModelFileError
from engine.modelfile import (
    FORMAT_NAME,
    FORMAT_VERSION,
    read_model_file,
    read_model_metadata,
    save_model_file,
    update_model_metadata,
)


def sample_tensors() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "vqvae.encoder.weight": torch.randn(8, 4, 3, generator=generator),
        "vqvae.codebooks": torch.randn(3, 16, 8, generator=generator),
        "vqvae.steps": torch.arange(5, dtype=torch.int64),
        "vqvae.half": torch.randn(6, generator=generator).to(torch.float16),
        "vqvae.brain": torch.randn(6, generator=generator).to(torch.bfloat16),
    }


def sample_metadata(name: str = "drums") -> dict:
    return {
        "name": name,
        "created": "2026-11-21T10:00:00+00:00",
        "description": "punchy kit",
        "tags": ["drums", "acoustic"],
        "config": {"levels": 3, "codebook_size": 64, "codebook_dim": 128},
        "mel": {"sample_rate": 44100, "n_mels": 80},
        "dataset": {"folder": "/kit", "file_count": 2, "duration_s": 3.5, "files": ["kick1.wav", "snare.wav"]},
        "training": {"epochs": 40, "seconds": 120.0, "history": [{"epoch": 1, "val_loss": 1.1}]},
        "health": {"levels": [{"level": 0, "status": "Healthy", "light": "green", "utilisation": 0.8}]},
        "prior": None,
    }


def assert_same_tensors(actual: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert actual.keys() == expected.keys()
    for key, tensor in expected.items():
        assert actual[key].dtype == tensor.dtype, key
        assert torch.equal(actual[key], tensor), key


def test_round_trip_is_exact(tmp_path):
    path = tmp_path / "drums.sda"
    tensors, metadata = sample_tensors(), sample_metadata()

    assert save_model_file(path, tensors, metadata) == path
    loaded, loaded_metadata = read_model_file(path, device=torch.device("cpu"))

    assert_same_tensors(loaded, tensors)
    assert loaded_metadata == metadata
    assert read_model_metadata(path) == metadata


def test_file_is_plain_safetensors_with_format_header(tmp_path):
    path = save_model_file(tmp_path / "drums.sda", sample_tensors(), sample_metadata())

    with safe_open(str(path), framework="pt") as handle:
        header = handle.metadata()
    assert header["format"] == FORMAT_NAME == "distill-model"
    assert header["version"] == str(FORMAT_VERSION) == "2"
    assert json.loads(header["metadata"]) == sample_metadata()


def test_views_and_shared_storage_are_saved_by_value(tmp_path):
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    tensors = {"transposed": base.t(), "same": base, "tied": base, "row": base[1]}

    save_model_file(tmp_path / "views.sda", tensors, {})
    loaded, _ = read_model_file(tmp_path / "views.sda")

    assert_same_tensors(loaded, {key: tensor.contiguous() for key, tensor in tensors.items()})


@pytest.mark.parametrize(
    ("tensors", "metadata"),
    [
        (sample_tensors(), {"bad": object()}),
        (sample_tensors(), {"tensor": torch.zeros(1)}),
        (sample_tensors(), ["not", "a", "dict"]),
        ({"w": [1.0, 2.0]}, sample_metadata()),
    ],
    ids=["object", "tensor in metadata", "list", "list as tensor"],
)
def test_bad_arguments_raise_type_error_before_writing(tmp_path, tensors, metadata):
    with pytest.raises(TypeError):
        save_model_file(tmp_path / "model.sda", tensors, metadata)
    assert list(tmp_path.iterdir()) == []


def test_circular_metadata_is_refused_before_writing(tmp_path):
    metadata: dict = {"name": "loop"}
    metadata["self"] = metadata
    with pytest.raises(ValueError):
        save_model_file(tmp_path / "model.sda", sample_tensors(), metadata)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_previous_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = save_model_file(tmp_path / "drums.sda", sample_tensors(), sample_metadata())
    before = path.read_bytes()

    def write_half_then_fail(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:
            handle.write(b"partial")
        raise OSError("No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", write_half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        save_model_file(path, {"other": torch.zeros(2)}, sample_metadata("other"))

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["drums.sda"]


def test_update_metadata_keeps_tensors(tmp_path):
    path = save_model_file(tmp_path / "drums.sda", sample_tensors(), sample_metadata())
    new_metadata = {**sample_metadata(), "description": "renamed and described"}

    assert update_model_metadata(path, new_metadata) == path

    tensors, metadata = read_model_file(path)
    assert_same_tensors(tensors, sample_tensors())
    assert metadata == new_metadata
    assert [p.name for p in tmp_path.iterdir()] == ["drums.sda"]


def _write_header(path, header: dict[str, str] | None):
    save_file({"w": torch.zeros(3)}, str(path), metadata=header)


def _ours(**changes) -> dict[str, str]:
    return {"format": FORMAT_NAME, "version": "2", "metadata": json.dumps(sample_metadata()), **changes}


def _truncated(path):
    save_model_file(path, sample_tensors(), sample_metadata())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


BAD_FILES = {
    "missing": (lambda path: None, "does not exist"),
    "folder": (lambda path: path.mkdir(), "is a folder"),
    "empty": (lambda path: path.write_bytes(b""), "is empty"),
    "truncated": (_truncated, "is damaged"),
    "random bytes": (lambda path: path.write_bytes(random.Random(1).randbytes(4096)), "is damaged"),
    "text file": (lambda path: path.write_text("hello, I am a WAV file\n"), "is damaged"),
    "plain safetensors": (lambda path: _write_header(path, None), "is not a distill model file"),
    "other format": (lambda path: _write_header(path, {"format": "pt"}), "is not a distill model file"),
    "version 1": (lambda path: _write_header(path, _ours(version="1")), "by format version 1; this distill reads version 2"),
    "version 3": (lambda path: _write_header(path, _ours(version="3")), "by format version 3; this distill reads version 2"),
    "version garbage": (lambda path: _write_header(path, _ours(version="two")), "unreadable format version"),
    "no version": (lambda path: _write_header(path, {"format": FORMAT_NAME}), "unreadable format version"),
    "metadata not JSON": (lambda path: _write_header(path, _ours(metadata="{not json")), "not valid JSON"),
    "metadata empty": (lambda path: _write_header(path, _ours(metadata="")), "not valid JSON"),
    "metadata missing": (lambda path: _write_header(path, {"format": FORMAT_NAME, "version": "2"}), "not valid JSON"),
    "metadata a list": (lambda path: _write_header(path, _ours(metadata="[1, 2]")), "not a JSON object"),
}


@pytest.mark.parametrize("case", BAD_FILES)
@pytest.mark.parametrize("reader", [read_model_file, read_model_metadata])
def test_bad_file_gives_one_sentence_naming_the_file(tmp_path, case, reader):
    make, expected = BAD_FILES[case]
    path = tmp_path / "model.sda"
    make(path)

    with pytest.raises(ModelFileError) as caught:
        reader(path)

    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert "\n" not in message


def test_every_prefix_of_a_model_file_is_refused(tmp_path):
    whole = save_model_file(tmp_path / "whole.sda", sample_tensors(), sample_metadata()).read_bytes()
    cut = tmp_path / "cut.sda"
    for length in sorted({1, 7, 8, 9, 100, len(whole) // 2, len(whole) - 1}):
        cut.write_bytes(whole[:length])
        with pytest.raises(ModelFileError, match="cut.sda"):
            read_model_file(cut)


def test_update_of_a_bad_file_is_refused_and_leaves_it_alone(tmp_path):
    path = tmp_path / "model.sda"
    _write_header(path, _ours(version="3"))
    before = path.read_bytes()

    with pytest.raises(ModelFileError, match="version 3"):
        update_model_metadata(path, sample_metadata())
    assert path.read_bytes() == before


def file_with_header_metadata(path, metadata_json: str):
    """A safetensors file carrying our format header around arbitrary metadata JSON text."""
    save_file(sample_tensors(), str(path), metadata={"format": FORMAT_NAME, "version": str(FORMAT_VERSION), "metadata": metadata_json})
    return path


@pytest.mark.parametrize(
    "section, changes, words",
    [
        ("config", {"hidden": 300000}, "config hidden = 300000, outside the 1 to 1024"),
        ("config", {"codebook_size": 2**40}, "config codebook_size = 1099511627776, outside the 2 to 4096"),
        ("mel", {"n_fft": 2**40}, "mel n_fft = 1099511627776, outside the 2 to 16384"),
        ("prior", {"config": {"context": 10**9}}, "prior.config context = 1000000000, outside the 2 to 8192"),
    ],
)
def test_hostile_sizes_are_refused_before_anything_is_built(tmp_path, section, changes, words):
    metadata = sample_metadata()
    metadata[section] = {**(metadata.get(section) or {}), **changes}
    path = save_model_file(tmp_path / "hostile.sda", sample_tensors(), metadata)
    with pytest.raises(ModelFileError, match=f"hostile.sda declares {words} distill accepts$"):
        read_model_metadata(path)


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"config": {"codebook_size": 16.5}}, "declares config codebook_size = 16.5, which is not a whole number"),
        ({"config": {"hidden": True}}, "declares config hidden = True, which is not a whole number"),
        ({"config": {"levels": "3"}}, "declares config levels = '3', which is not a whole number"),
        ({"mel": {"sample_rate": 44100.0}}, "declares mel sample_rate = 44100.0, which is not a whole number"),
        ({"config": [1, 2]}, "has corrupt metadata \\(config is not a JSON object\\)"),
        ({"prior": "yes"}, "has corrupt metadata \\(prior is not a JSON object\\)"),
        ({"prior": {"config": 7}}, "has corrupt metadata \\(prior.config is not a JSON object\\)"),
    ],
)
def test_mistyped_sizes_and_sections_are_refused_before_anything_is_built(tmp_path, changes, words):
    # They passed the range check and crashed the loader with a TypeError or AttributeError (issue 16 probes).
    metadata = sample_metadata()
    for section, values in changes.items():
        both = isinstance(values, dict) and isinstance(metadata[section], dict)
        metadata[section] = {**metadata[section], **values} if both else values
    path = save_model_file(tmp_path / "hostile.sda", sample_tensors(), metadata)
    with pytest.raises(ModelFileError, match=f"hostile.sda {words}$"):
        read_model_metadata(path)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_metadata_is_one_sentence(tmp_path, depth):
    nested = '{"name": "deep", "x": ' + "[" * depth + "]" * depth + "}"
    path = file_with_header_metadata(tmp_path / "deep.sda", nested)
    with pytest.raises(ModelFileError, match="deep.sda has corrupt metadata \\(nested more than 32 levels deep\\)"):
        read_model_metadata(path)
