"""Every OSC address of the engine in one table: address, argument spec, description, handler.

`/distill/help` and docs/osc.md are both written from `ROUTES` (`routes_markdown()`; a test checks the
document), so they cannot drift from what the server does. Handlers get the server, the request and the
parsed arguments; they only translate into `Engine` calls and reply.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine import __version__
from engine.codes.grid import resolve_level
from engine.core import PARAM_NAMES
from engine.errors import DistillError
from engine.osc import args as osc_args
from engine.osc.args import Arg, Item, Optional, Rest, spec_text
from engine.osc.server import (
    GRID_PAGE,
    MAX_REPLY_BYTES,
    grid_messages,
    model_loaded_values,
)


@dataclass(frozen=True)
class Route:
    """One address: its arguments, a one-line description, and the function that serves it."""

    address: str
    args: tuple[Item, ...]
    description: str
    handler: Callable

    def __post_init__(self) -> None:
        if any(isinstance(a, Optional) for a in self.args) and any(isinstance(a, Rest) for a in self.args):
            raise ValueError(f"{self.address}: a spec holds optional groups or a rest, not both")

    @property
    def spec(self) -> str:
        """The argument spec as help text."""
        return spec_text(self.args)


# -- handlers ---------------------------------------------------------------------------------------------


def _ping(server, request) -> None:
    request.reply("/distill/pong", __version__)


def _help(server, request) -> None:
    for route in server.routes.values():
        request.reply("/distill/help", route.address, route.spec, route.description)


def _subscribe(server, request, port) -> None:
    listener = server.subscribe(request.client, port)
    request.reply("/distill/subscribed", listener[1])
    engine = server.engine
    for name in PARAM_NAMES:
        server.send_to(listener, f"/distill/param/{name}", getattr(engine.params, name))
    if engine.model is not None:
        server.send_to(listener, "/distill/model/loaded", *model_loaded_values(engine.model))


def _unsubscribe(server, request, port) -> None:
    listener = server.unsubscribe(request.client, port)
    request.reply("/distill/unsubscribed", listener[1])


def _model_load(server, request, name) -> None:
    future = server.engine.load_model_async(name)
    request.when_done(future, lambda info: request.answer("/distill/model/loaded", *model_loaded_values(info)))


def _model_list(server, request) -> None:
    names = server.engine.list_models()
    page: list[str] = []
    for name in names:
        if page and len(osc_args.build("/distill/model/list", [*page, name])) > MAX_REPLY_BYTES:
            request.reply("/distill/model/list", *page)
            page = []
        page.append(name)
    if page:
        request.reply("/distill/model/list", *page)
    request.reply("/distill/model/list/end", len(names))


def _param(name: str) -> Callable:
    def handler(server, request, value) -> None:
        if value is None:
            request.reply(f"/distill/param/{name}", getattr(server.engine.params, name))
        else:
            request.answer(f"/distill/param/{name}", server.engine.set_param(name, value))

    return handler


def _generate(server, request, duration, seed) -> None:
    future = server.engine.generate(duration, seed)
    request.when_done(future, lambda done: request.answer("/distill/generated", str(done.path), float(done.duration), done.seed))


def _encode(server, request, slot, path) -> None:
    future = server.engine.encode(slot, path)
    request.when_done(future, lambda shape: request.answer("/distill/encoded", slot, *shape))


def _grid_get(server, request, slot) -> None:
    grid = server.engine.grid(slot)
    request.reply("/distill/grid/size", slot, grid.levels, grid.columns)
    cells = [(level, column, int(code)) for level in range(grid.levels) for column, code in enumerate(grid.codes[level])]
    for address, values in grid_messages(slot, cells):
        request.reply(address, *values)


def _answer_edits(request, *edits) -> None:
    for edit in edits:
        request.answer("/distill/edited", edit.slot, edit.undo_depth, edit.redo_depth)


def _cell_set(server, request, slot, level, frame, index) -> None:
    _answer_edits(request, server.engine.set_cell(slot, level, frame, index))


def _swap(server, request, slot_a, slot_b, start, end, levels) -> None:
    _answer_edits(request, *server.engine.swap(slot_a, slot_b, start, end, levels))


def _blend(server, request, slot_a, slot_b, weight, start, end) -> None:
    _answer_edits(request, server.engine.blend(slot_a, slot_b, weight, start, end))


def _undo(server, request, slot) -> None:
    _answer_edits(request, server.engine.undo(slot))


def _redo(server, request, slot) -> None:
    _answer_edits(request, server.engine.redo(slot))


def _decode(server, request, slot) -> None:
    future = server.engine.decode(slot)
    request.when_done(future, lambda path: request.answer("/distill/decoded", slot, str(path)))


def _preview(server, request, level, index) -> None:
    future = server.engine.preview(level, index)
    level = resolve_level(level, server.engine.model.labels)  # the engine accepted it: echo it as an index
    request.when_done(future, lambda path: request.answer("/distill/previewed", level, index, str(path)))


def _play(server, request, what) -> None:
    future = server.engine.play(what)
    request.when_done(future, lambda path: request.reply("/distill/playing", str(path)))


def _stop(server, request) -> None:
    server.engine.stop()
    request.reply("/distill/stopped")


def _health(server, request) -> None:
    for level in server.engine.health():
        request.reply("/distill/health", level.level, level.label, float(level.utilisation), float(level.perplexity), level.dead, level.status)


def _train_start(server, request, dataset, name, minutes) -> None:
    server.engine.train_start(dataset, name, minutes)
    request.reply("/distill/train/started", name)


def _midi_learn(server, request, parameter) -> None:
    if server.midi is None:
        raise DistillError("MIDI is off in this engine: start it with `distill serve --midi-in NAME`")
    server.midi.learn(parameter)
    request.reply("/distill/midi/learning", parameter)


def _train_stop(server, request) -> None:
    server.engine.train_stop()
    request.reply("/distill/train/stopping")


# -- the table ----------------------------------------------------------------------------------------------

SLOT = Arg("slot", "slot")
PARAM_KINDS = {"temperature": "f", "top_k": "i", "top_p": "f", "seed": "i", "duration": "f"}
PARAM_HELP = {
    "temperature": "Sampling temperature, 0 (greedy) or more.",
    "top_k": "Keep only the k likeliest codes, 0 (off) up to the codebook size.",
    "top_p": "Keep the likeliest codes up to this probability mass, above 0 up to 1 (off).",
    "seed": "Seed of the next generation, 0 to 2147483647; advances by one after each generation without a seed.",
    "duration": "Length of generated sounds in seconds, above 0 up to 600.",
}

ROUTES: tuple[Route, ...] = (
    Route("/distill/ping", (), "Answers /distill/pong <version>.", _ping),
    Route("/distill/help", (), "Answers one /distill/help <address> <argument spec> <description> per address.", _help),
    Route(
        "/distill/subscribe", (Optional((Arg("port", "i"),)),),
        "Send events to this port (default: the sender's) at the sender's IP, and replies to the sender there too; "
        "answers /distill/subscribed <port>, then the current parameters and model.",
        _subscribe,
    ),
    Route("/distill/unsubscribe", (Optional((Arg("port", "i"),)),), "Stop sending events to that port; answers /distill/unsubscribed <port>.", _unsubscribe),
    Route(
        "/distill/model/load", (Arg("name_or_path", "s"),),
        "Load a library model or model file; answers /distill/model/loaded <name> <levels> <codebook_size> <sample_rate> <has_prior>.",
        _model_load,
    ),
    Route(
        "/distill/model/list", (),
        "Answers /distill/model/list <name> ... (pages of names), then /distill/model/list/end <count>.",
        _model_list,
    ),
    *(
        Route(f"/distill/param/{name}", (Optional((Arg("value", kind),)),), f"{PARAM_HELP[name]} Answers /distill/param/{name} <value>; without a value, reports it.", _param(name))
        for name, kind in PARAM_KINDS.items()
    ),
    Route(
        "/distill/generate", (Optional((Arg("duration", "f"),)), Optional((Arg("seed", "i"),))),
        "Generate a sound (default: the duration and seed parameters); answers /distill/generated <path> <duration> <seed>.",
        _generate,
    ),
    Route(
        "/distill/encode", (SLOT, Arg("audio_path", "s")),
        "Encode a sound file into a slot (replacing it); answers /distill/encoded <slot> <levels> <frames>.",
        _encode,
    ),
    Route(
        "/distill/grid/get", (SLOT,),
        f"Answers /distill/grid/size <slot> <levels> <frames>, then /distill/grid <slot> <level> <first_frame> <codes...> per level and page of {GRID_PAGE}.",
        _grid_get,
    ),
    Route(
        "/distill/cell/set", (SLOT, Arg("level", "level"), Arg("frame", "i"), Arg("index", "i")),
        "Set one cell (level by index or label); answers /distill/edited <slot> <undo_depth> <redo_depth>.",
        _cell_set,
    ),
    Route(
        "/distill/swap", (Arg("slot_a", "slot"), Arg("slot_b", "slot"), Arg("start_frame", "i"), Arg("end_frame", "i"), Rest(Arg("level", "level"))),
        "Exchange frames [start, end) of the levels (default all) between two slots; answers /distill/edited per slot.",
        _swap,
    ),
    Route(
        "/distill/blend", (Arg("slot_a", "slot"), Arg("slot_b", "slot"), Arg("weight", "f"), Optional((Arg("start_frame", "i"), Arg("end_frame", "i")))),
        "Blend slot_a towards slot_b by weight 0..1 in embedding space (default: all frames); answers /distill/edited.",
        _blend,
    ),
    Route("/distill/undo", (SLOT,), "Undo a slot's last edit; answers /distill/edited <slot> <undo_depth> <redo_depth>.", _undo),
    Route("/distill/redo", (SLOT,), "Redo a slot's last undone edit; answers /distill/edited <slot> <undo_depth> <redo_depth>.", _redo),
    Route("/distill/decode", (SLOT,), "Decode a slot to a sound file; answers /distill/decoded <slot> <path>.", _decode),
    Route(
        "/distill/preview", (Arg("level", "level"), Arg("index", "i")),
        "Write a short clip of one codebook entry; answers /distill/previewed <level> <index> <path>.",
        _preview,
    ),
    Route("/distill/play", (Arg("path_or_slot", "s"),), "Play a sound file or a slot (decoded first); answers /distill/playing <path>.", _play),
    Route("/distill/stop", (), "Stop all playback; answers /distill/stopped.", _stop),
    Route(
        "/distill/health", (),
        "Answers /distill/health <level> <label> <utilisation> <perplexity> <dead> <status> per level of the loaded model.",
        _health,
    ),
    Route(
        "/distill/train/start", (Arg("dataset_dir", "s"), Arg("name", "s"), Optional((Arg("minutes", "f"),))),
        "Train a new model on a sound folder; answers /distill/train/started <name>; subscribers get "
        "/distill/train/progress <epoch> <loss> <seconds> and /distill/train/done <name>.",
        _train_start,
    ),
    Route("/distill/train/stop", (), "Stop training (the best weights so far are saved); answers /distill/train/stopping.", _train_stop),
    Route(
        "/distill/midi/learn", (Arg("param", "s"),),
        "Bind the next MIDI controller (CC) that moves to this parameter; answers /distill/midi/learning <param>.",
        _midi_learn,
    ),
)


def routes_markdown(routes: tuple[Route, ...] = ROUTES) -> str:
    """The address table of docs/osc.md."""
    lines = ["| Address | Arguments | What it does |", "|---|---|---|"]
    for route in routes:
        spec = f"`{route.spec}`" if route.spec else "-"
        description = route.description.replace("<", "&lt;").replace(">", "&gt;")
        lines.append(f"| `{route.address}` | {spec} | {description} |")
    return "\n".join(lines) + "\n"

