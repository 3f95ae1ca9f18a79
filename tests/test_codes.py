"""Code grids without a model: the value, its file format, the edits (checked against cell-by-cell
references) and undo/redo (checked against a list of the states it must go through)."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest
import torch

from engine.codes import ops
from engine.codes.errors import CodeEditError, CodeFileError, ModelMismatchError
from engine.codes.grid import CodeGrid, Step, load_codes, resolve_levels, save_codes
from engine.codes.slots import EditableGrid, Slots

K = 16  # codebook size of the synthetic grids


def make_grid(columns: int, seed: int = 0, source: str = "a.wav", model_id: str = "model-1") -> CodeGrid:
    """A 3-level grid of random codes; frames and samples are the largest that give `columns` columns."""
    frames = columns * 4
    return CodeGrid(
        codes=np.random.default_rng(seed).integers(0, K, size=(3, columns)),
        labels=("Structure", "Timbre", "Detail"),
        codebook_size=K,
        model_id=model_id,
        model_name="synthetic",
        sample_rate=44100,
        hop_length=512,
        downsample=4,
        frames=frames,
        samples=(frames - 1) * 512 + 100,
        source=source,
    )


@pytest.fixture
def books() -> torch.Tensor:
    """Random codebooks [L, K, D] for the synthetic grids."""
    return torch.randn(3, K, 8, generator=torch.Generator().manual_seed(0))


# -- the grid value --------------------------------------------------------------------------------


def test_time_axis_and_shape():
    grid = make_grid(7)
    assert (grid.levels, grid.columns) == (3, 7)
    assert grid.column_seconds == pytest.approx(4 * 512 / 44100)
    assert grid.time_of(0) == 0.0
    assert grid.time_of(7) == pytest.approx(7 * grid.column_seconds)
    assert grid.column_at(grid.time_of(3) + 0.4 * grid.column_seconds) == 3
    assert grid.duration == pytest.approx(grid.samples / 44100)
    for bad in (-1, 8):
        with pytest.raises(CodeEditError, match="outside the grid"):
            grid.time_of(bad)
    for bad in (10.0, -0.5, float("nan"), float("inf")):
        with pytest.raises(CodeEditError, match="outside the grid"):
            grid.column_at(bad)


def test_grid_is_read_only_and_compared_by_value():
    grid = make_grid(5)
    with pytest.raises(ValueError):
        grid.codes[0, 0] = 1
    assert grid == make_grid(5)
    assert grid != make_grid(5, seed=1)
    assert grid != make_grid(5, source="b.wav")


def test_levels_by_index_or_label():
    grid = make_grid(3)
    assert [grid.level_index(x) for x in (0, "1", "timbre", "DETAIL", " Structure ", np.int64(2))] == [0, 1, 1, 2, 0, 2]
    assert resolve_levels(["detail", 0, "0"], grid.labels) == (0, 2)
    assert resolve_levels(None, grid.labels) == (0, 1, 2)
    for bad in (3, -1, "texture", True, 1.0):
        with pytest.raises(CodeEditError, match="use 0-2 or one of Structure, Timbre, Detail"):
            grid.level_index(bad)
    with pytest.raises(CodeEditError, match="no level given"):
        resolve_levels([], grid.labels)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"codes": np.zeros((2, 4))}, "codes must be"),
        ({"codes": np.full((3, 4), K)}, "0-15"),
        ({"frames": 20}, "make 5 columns"),
        ({"samples": 1}, "make 1 mel frames"),
        ({"blends": {(0, 9): ((1, 0.5), (2, 0.5))}}, "outside the grid"),
        ({"blends": {(0, 1): ((1, 1.0),)}}, "at least two different codes"),
        ({"blends": {(0, 1): ((2, 0.5), (1, 0.5))}}, "ascending"),
        ({"blends": {(0, 1): ((1, 0.5), (2, 0.6))}}, "sum to 1"),
    ],
)
def test_inconsistent_grids_are_refused(changes, message):
    fields = {f: getattr(make_grid(4), f) for f in ("codes", "labels", "codebook_size", "model_id", "model_name", "sample_rate", "hop_length", "downsample", "frames", "samples", "source")}
    with pytest.raises(ValueError, match=message):
        CodeGrid(**{**fields, **changes})


# -- the file format -------------------------------------------------------------------------------


def test_file_round_trip_with_blends_and_history(tmp_path, books):
    original = make_grid(9)
    edited = ops.blend(original, make_grid(9, seed=5), 0.3, books, 2, 6, ["timbre"])
    later = ops.set_cell(edited, 0, 0, 3)
    path = save_codes(tmp_path / "g.json", edited, undo=[Step(original, "blend")], redo=[Step(later, "set")])
    saved = load_codes(path)
    assert saved.grid == edited and saved.grid.blends  # weights survive JSON exactly
    assert saved.undo == (Step(original, "blend"),)
    assert saved.redo == (Step(later, "set"),)
    data = json.loads(path.read_text())
    assert (data["format"], data["version"], data["labels"], data["source"]) == ("distill-codes", 1, ["Structure", "Timbre", "Detail"], "a.wav")
    assert "history" not in json.loads(save_codes(tmp_path / "plain.json", original).read_text())


def _valid_file(tmp_path) -> dict:
    return json.loads(save_codes(tmp_path / "valid.json", make_grid(4)).read_text())


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "is not a distill code grid file \\(not JSON"),
        ("[1, 2]", "is not a distill code grid file \\(format None"),
        (lambda d: {**d, "format": "distill-model"}, "format 'distill-model', expected 'distill-codes'"),
        (lambda d: {**d, "version": 2}, "is a code grid file of version 2; this distill reads version 1"),
        (lambda d: {k: v for k, v in d.items() if k != "frames"}, "is damaged \\(field 'frames' is missing\\)"),
        (lambda d: {**d, "codes": [[1, 2, 3, 99]] * 3}, "is damaged \\(codes must lie in 0-15\\)"),
        (lambda d: {**d, "codes": "1 2 3"}, "is damaged \\(codes must be a list of lists of integers\\)"),
        (lambda d: {**d, "history": {"undo": [{"codes": d["codes"], "blends": []}]}}, "field 'description' is missing"),
        # These gave a traceback (RecursionError, OverflowError) before (issue 16 probes).
        pytest.param('{"codes": ' + "[" * 100_000 + "]" * 100_000 + "}", "is not a distill code grid file \\(its JSON nests too deeply\\)", id="nested 100000 deep"),
        pytest.param(lambda d: {**d, "codes": [[10**30] * 4] * 3}, "is damaged \\(Python int too large to convert to C long\\)", id="a code of 10^30"),
    ],
)
def test_bad_files_give_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content(_valid_file(tmp_path))))
    with pytest.raises(CodeFileError, match=message) as caught:
        load_codes(path)
    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_a_pipe_or_folder_is_refused_without_reading_it(tmp_path):
    # Reading a named pipe waits for a writer for ever: `distill decode` and `codes show` hung on one (issue 16 probes).
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "folder.json").mkdir()
    for name in ("pipe.json", "folder.json"):
        with pytest.raises(CodeFileError, match=f"'{tmp_path / name}' is not a distill code grid file \\(not a regular file\\)$"):
            load_codes(tmp_path / name)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(CodeFileError, match="does not exist"):
        load_codes(tmp_path / "none.json")
    binary = tmp_path / "sound.wav"
    binary.write_bytes(b"RIFF\x83\xff\x00")
    with pytest.raises(CodeFileError, match="is not a distill code grid file"):
        load_codes(binary)


# -- edits -----------------------------------------------------------------------------------------


def test_set_cell():
    grid = make_grid(5)
    new = ops.set_cell(grid, "timbre", 4, 15)
    expected = grid.codes.copy()
    expected[1, 4] = 15
    assert np.array_equal(new.codes, expected)
    assert np.array_equal(grid.codes, make_grid(5).codes)  # the input is untouched


def test_set_cell_drops_a_blend(books):
    blended = ops.blend(make_grid(5), make_grid(5, seed=1), 0.5, books)
    cell = next(iter(blended.blends))
    assert cell not in ops.set_cell(blended, cell[0], cell[1], 0).blends


@pytest.mark.parametrize(
    "level, column, index, message",
    [
        (3, 0, 0, "level 3 does not exist"),
        ("texture", 0, 0, "level 'texture' does not exist"),
        (0, 5, 0, "column 5 is outside the grid of a.wav \\(columns 0-4\\)"),
        (0, -1, 0, "column -1 is outside"),
        (0, 0, K, "code index 16 is outside the codebook \\(0-15\\)"),
        (0, 0, -1, "code index -1 is outside"),
        (0, 0, 2.5, "code index must be a whole number, not 2.5"),
        (0, True, 0, "column must be a whole number"),
    ],
)
def test_set_cell_refuses_out_of_range(level, column, index, message):
    grid = make_grid(5)
    with pytest.raises(CodeEditError, match=message):
        ops.set_cell(grid, level, column, index)
    assert grid == make_grid(5)


def reference_move(target: CodeGrid, source: CodeGrid, levels, start: int, at: int, length: int) -> np.ndarray:
    """Slow reference of a region move: cell by cell."""
    codes = target.codes.copy()
    for level in levels:
        for offset in range(length):
            codes[level, at + offset] = source.codes[level, start + offset]
    return codes


def test_swap_exchanges_the_region_of_the_chosen_levels():
    a, b = make_grid(8), make_grid(10, seed=1, source="b.wav")
    new_a, new_b = ops.swap(a, b, 2, 6, levels=["structure", "detail"])
    assert np.array_equal(new_a.codes, reference_move(a, b, (0, 2), 2, 2, 4))
    assert np.array_equal(new_b.codes, reference_move(b, a, (0, 2), 2, 2, 4))
    assert (new_a.columns, new_b.columns) == (8, 10)  # lengths never change
    assert ops.swap(new_a, new_b, 2, 6, levels=[0, 2]) == (a, b)  # swapping twice is the identity


def test_copy_region_to_another_position_and_within_one_grid():
    source, target = make_grid(6, seed=2), make_grid(12, seed=3)
    assert np.array_equal(ops.copy_region(source, target, 1, 4, at=8).codes, reference_move(target, source, (0, 1, 2), 1, 8, 3))
    assert np.array_equal(ops.copy_region(source, target, 1, 4, levels=[1]).codes, reference_move(target, source, (1,), 1, 1, 3))
    assert np.array_equal(ops.copy_region(target, target, 0, 3, at=9).codes, reference_move(target, target, (0, 1, 2), 0, 9, 3))


def test_regions_move_their_blends(books):
    a = ops.blend(make_grid(8), make_grid(8, seed=1), 0.5, books, 1, 3)  # blended cells at columns 1, 2
    moved = ops.copy_region(a, make_grid(8, seed=2), 1, 3, at=5)
    assert dict(moved.blends) == {(level, column + 4): mix for (level, column), mix in a.blends.items()}
    plain = ops.copy_region(make_grid(8, seed=3), a, 0, 8)
    assert not plain.blends  # plain cells moved over blended ones drop their blends


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda a, b, _: ops.swap(a, b, 3, 9), CodeEditError, "region \\[3, 9\\) does not fit: it needs 0 <= start < end <= 6 \\(a.wav has 8, b.wav has 6 columns\\)"),
        (lambda a, b, _: ops.swap(a, b, 4, 4), CodeEditError, "region \\[4, 4\\) does not fit"),
        (lambda a, b, _: ops.swap(a, b, -1, 2), CodeEditError, "does not fit"),
        (lambda a, b, _: ops.swap(a, b, 0, 2, levels=[7]), CodeEditError, "level 7 does not exist"),
        (lambda a, b, _: ops.copy_region(a, b, 0, 4, at=3), CodeEditError, "a region of 4 columns placed at column 3 does not fit b.wav \\(6 columns\\): use at = 0-2"),
        (lambda a, b, _: ops.copy_region(a, b, 0, 8), CodeEditError, "a region of 8 columns does not fit b.wav \\(6 columns\\)$"),
            (lambda a, b, _: ops.copy_region(a, b, 6, 9), CodeEditError, "region \\[6, 9\\) does not fit: it needs 0 <= start < end <= 8 \\(a.wav has 8 columns\\)"),
        (lambda a, b, books: ops.blend(a, b, 1.5, books), CodeEditError, "blend weight must be a number from 0 to 1, not 1.5"),
        (lambda a, b, books: ops.blend(a, b, float("nan"), books), CodeEditError, "blend weight"),
        (lambda a, b, books: ops.blend(a, b, 0.5, books, 0, 7), CodeEditError, "region \\[0, 7\\) does not fit"),
        (lambda a, b, books: ops.blend(a, b, 0.5, books[:2]), ModelMismatchError, "codebooks of shape \\[2, 16, 8\\] do not belong"),
        (lambda a, b, books: ops.blend(a, make_grid(6, model_id="model-2", source="c.wav"), 0.5, books), ModelMismatchError, "different models: a.wav from 'synthetic' \\(model-1\\), c.wav from 'synthetic' \\(model-2\\)"),
    ],
)
def test_invalid_edits_raise_and_change_nothing(books, call, error, message):
    a, b = make_grid(8), make_grid(6, seed=1, source="b.wav")
    with pytest.raises(error, match=message):
        call(a, b, books)
    assert (a, b) == (make_grid(8), make_grid(6, seed=1, source="b.wav"))


@pytest.mark.parametrize("a_blended", [False, True])
def test_blend_is_the_weighted_mean_of_embeddings(books, a_blended):
    """Reference: inside the region (chosen levels) the vectors are (1-w) a + w b, elsewhere a's."""
    a, b = make_grid(10), make_grid(12, seed=1, source="b.wav")
    if a_blended:  # blends compose: blending an already blended grid is exact too
        a = ops.blend(a, make_grid(10, seed=7), 0.4, books)
    result = ops.blend(a, b, 0.3, books, 2, 7, levels=["timbre", "detail"])
    got, emb_a, emb_b = ops.embeddings(result, books), ops.embeddings(a, books), ops.embeddings(b, books)[..., :10]
    expected = emb_a.clone()
    expected[1:, :, 2:7] = 0.7 * emb_a[1:, :, 2:7] + 0.3 * emb_b[1:, :, 2:7]
    assert torch.allclose(got, expected, atol=1e-6)
    # the grid shows, for every blended cell, the code nearest to its vector (brute force)
    for (level, column) in result.blends:
        distances = ((books[level] - got[level, :, column]) ** 2).sum(dim=1)
        assert result.codes[level, column] == int(distances.argmin())


def test_blend_defaults_to_the_common_columns(books):
    a, b = make_grid(10), make_grid(6, seed=1, source="b.wav")
    result = ops.blend(a, b, 1.0, books)
    assert result.columns == 10
    assert np.array_equal(result.codes, reference_move(a, b, (0, 1, 2), 0, 0, 6))


def test_blend_at_weight_0_and_1_equals_the_inputs(books):
    a = ops.blend(make_grid(9), make_grid(9, seed=4), 0.5, books, 0, 4)  # inputs with blends of their own
    b = ops.blend(make_grid(9, seed=1), make_grid(9, seed=5), 0.5, books, 3, 9)
    assert ops.blend(a, b, 0.0, books) == a
    assert ops.blend(a, b, 1.0, books) == ops.copy_region(b, a, 0, 9)
    assert ops.blend(a, b, 1.0, books) == b  # same length and metadata: b's cells are b
    assert ops.blend(a, b, 1.0, books, 2, 5) == ops.copy_region(b, a, 2, 5)


def test_embeddings_of_a_plain_grid_are_codebook_rows(books):
    grid = make_grid(4)
    vectors = ops.embeddings(grid, books)  # [L, D, F]
    for level in range(3):
        for column in range(4):
            assert torch.equal(vectors[level, :, column], books[level, grid.codes[level, column]])


# -- undo / redo -----------------------------------------------------------------------------------


def test_undo_redo_follow_the_reference_states():
    g = [make_grid(6, seed=s) for s in range(6)]  # distinct states
    editable = EditableGrid(g[0])
    states = [g[0]]  # the reference: the states an editor with undo must go through
    for i in (1, 2, 3):
        assert editable.apply(g[i], f"edit {i}") == g[i]
        states.append(g[i])
    assert editable.undo() == states[2]
    assert editable.undo() == states[1]
    assert editable.redo() == states[2]
    assert [s.description for s in editable.undo_steps] == ["edit 1", "edit 2"]
    assert [s.description for s in editable.redo_steps] == ["edit 3"]
    assert editable.apply(g[4], "edit 4") == g[4]  # a new edit clears redo
    assert editable.redo_steps == ()
    with pytest.raises(CodeEditError, match="nothing to redo"):
        editable.redo()
    assert [editable.undo() for _ in range(3)] == [g[2], g[1], g[0]]
    with pytest.raises(CodeEditError, match="nothing to undo in the grid of a.wav"):
        editable.undo()
    assert editable.grid == g[0]
    assert [editable.redo() for _ in range(3)] == [g[1], g[2], g[4]]


def test_an_edit_that_changes_nothing_is_not_recorded():
    editable = EditableGrid(make_grid(4))
    editable.apply(make_grid(4, seed=1), "real")
    editable.undo()
    editable.apply(make_grid(4), "no-op")
    assert len(editable.undo_steps) == 0 and len(editable.redo_steps) == 1


def test_history_survives_save_and_load(tmp_path, books):
    slots = Slots()
    slots.put("A", make_grid(8))
    slots.put("B", make_grid(8, seed=1, source="b.wav"))
    states = [slots.grid("A")]
    was = int(states[0].codes[1, 3])
    states.append(slots.set_cell("A", "timbre", 3, (was + 1) % K))
    states.append(slots.swap("A", "B", 0, 4, ["detail"])[0])
    states.append(slots.blend("A", "B", 0.5, books, 4, 8))
    slots.undo("A")
    slots.save("A", tmp_path / "a.json")
    again = Slots()
    again.load("A", tmp_path / "a.json")
    assert again.grid("A") == states[2]
    assert again.edit_history("A") == slots.edit_history("A")
    assert again.edit_history("A")[0] == [f"set Timbre column 3 to {(was + 1) % K} (was {was})", "swap columns 0-3 (Detail) with B"]
    assert again.redo("A") == states[3]
    assert [again.undo("A") for _ in range(3)] == states[2::-1]


def test_slots_refuse_unknown_names_and_self_swaps():
    slots = Slots()
    slots.put("A", make_grid(4))
    with pytest.raises(CodeEditError, match="slot 'B' holds no grid \\(filled slots: A\\)"):
        slots.set_cell("B", 0, 0, 0)
    with pytest.raises(CodeEditError, match="two different slots"):
        slots.swap("A", "A", 0, 2)
    with pytest.raises(CodeEditError, match="outside the codebook"):
        slots.set_cell("A", 0, 0, 99)
    assert slots.edit_history("A") == ([], [])  # a refused edit leaves no trace


def test_concurrent_edits_end_consistent():
    """Eight threads set their own cells while four swap A and B 100 times in all: every edit lands once."""
    a0, b0 = make_grid(40), make_grid(40, seed=1, source="b.wav")
    targets = 1 + np.arange(40) % 8  # thread w writes w + 1 into row 0 of columns w, w + 8, ...
    slots = Slots()
    slots.put("A", a0)
    slots.put("B", b0)

    def setter(worker: int) -> None:
        for column in range(worker, 40, 8):
            slots.set_cell("A", "structure", column, 1 + worker)

    def swapper() -> None:
        for _ in range(25):
            slots.swap("A", "B", 0, 40, levels=["timbre", "detail"])

    threads = [threading.Thread(target=setter, args=(w,)) for w in range(8)] + [threading.Thread(target=swapper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a, b = slots.grid("A"), slots.grid("B")
    assert np.array_equal(a.codes[0], targets)
    assert np.array_equal(a.codes[1:], a0.codes[1:]) and b == b0  # an even number of whole swaps
    undo_a, _ = slots.edit_history("A")
    assert sum(d.startswith("swap") for d in undo_a) == 100
    assert sum(d.startswith("set") for d in undo_a) == int(np.sum(a0.codes[0] != targets))  # no-op sets leave no step
