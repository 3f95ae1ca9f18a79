"""Every OSC address of the engine in one table: address, argument spec, description, handler.

`/distill/help` and docs/osc.md are both written from `ROUTES` (`routes_markdown()`; a test checks the
document), so they cannot drift from what the server does. Handlers get the server, the request and the
parsed arguments; they only translate into `Engine` calls and reply. A route marked `now` is answered on
the network thread and must not touch files, SQLite or torch; the others run in order on the request worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from engine import __version__
from engine.errors import DistillError
from engine.events import PARAM_NAMES, ModelDeleted, ModelRenamed, NoteSettingsChanged, ParamChanged, PresetDeleted, PresetSaved, TrainJobStarted, TrainOptionChanged
from engine.generation.settings import MAX_DURATION_S
from engine.limits import MAX_DESCRIPTION_CHARS, MAX_HISTORY_LIST, MAX_OSC_SEED, MAX_TAG_CHARS, MAX_TAGS
from engine.osc import messages as m
from engine.osc.args import Arg, Item, Optional, Rest, int_or_text, spec_text
from engine.osc.messages import BLEND_PAGE, GRID_PAGE, USAGE_PAGE
from engine.training.runs import train_options_help


@dataclass(frozen=True)
class Route:
    """One address: its arguments, a one-line description, the function that serves it, and whether it is
    answered at once on the network thread (`now`) or queued for the request worker."""

    address: str
    args: tuple[Item, ...]
    description: str
    handler: Callable
    now: bool = False

    def __post_init__(self) -> None:
        if any(isinstance(a, Rest) for a in self.args[:-1]):
            raise ValueError(f"{self.address}: a rest must be the last item of a spec")

    @property
    def spec(self) -> str:
        """The argument spec as help text."""
        return spec_text(self.args)


# -- handlers ---------------------------------------------------------------------------------------------


def _ping(server, request) -> None:
    request.reply(m.Pong(__version__, str(server.engine.library.home.resolve())))


def _help(server, request) -> None:
    request.reply(*(m.HelpEntry(route.address, route.spec, route.description) for route in server.routes.values()))


def _subscribe(server, request, port) -> None:
    listener = server.subscribe(request.client, port)
    request.reply(m.Subscribed(listener[1]))
    engine = server.engine
    for name in PARAM_NAMES:
        server.send_to(listener, ParamChanged(name, getattr(engine.params, name)))
    if engine.model is not None:
        server.send_to(listener, m.AnnouncedModel.of(engine.model))


def _unsubscribe(server, request, port) -> None:
    listener = server.unsubscribe(request.client, port)
    request.reply(m.Unsubscribed(listener[1]))


def _model_load(server, request, name) -> None:
    future = request.start_job(server.engine.load_model_async, name)
    request.when_done(future, lambda loaded: request.answer(m.AnnouncedModel.of(loaded.info)))


def _reply_names(request, kind: str, names: list[str]) -> None:
    """Pages of `/distill/model/<kind> <name> ...`, then `/distill/model/<kind>/end <count>`."""
    request.reply(*m.name_pages(lambda page: m.ModelNames(kind, page), names), m.ModelNamesEnd(kind, len(names)))


def _model_list(server, request) -> None:
    _reply_names(request, "list", server.engine.list_models())


def _model_search(server, request, query) -> None:
    _reply_names(request, "search", server.engine.search_models(query))


def _model_info(server, request, name) -> None:
    facts = server.engine.model_info(name).items()
    request.reply(*(m.ModelFact(name, key, m.fit_text(value) if isinstance(value, str) else value) for key, value in facts), m.ModelInfoEnd(name))


def _model_rename(server, request, old, new) -> None:
    server.engine.rename_model(old, new)
    request.answer(ModelRenamed(old, new))


def _model_delete(server, request, name) -> None:
    server.engine.delete_model(name)
    request.answer(ModelDeleted(name))


def _model_describe(server, request, name, text) -> None:
    name, description = server.engine.describe_model(name, text)
    request.reply(m.ModelDescribed(name, m.fit_text(description)))


def _model_tags(remove: bool) -> Callable:
    def handler(server, request, name, tags) -> None:
        name, now = server.engine.tag_model(name, remove=tags or []) if remove else server.engine.tag_model(name, add=tags or [])
        request.reply(m.ModelTags(name, m.fit_text(",".join(now))))

    return handler


def _param(name: str) -> Callable:
    def handler(server, request, value) -> None:
        if value is None:
            request.reply(ParamChanged(name, getattr(server.engine.params, name)))
        else:
            request.answer(ParamChanged(name, server.engine.set_param(name, value)))

    return handler


def _preset_save(server, request, name) -> None:
    request.answer(PresetSaved(server.engine.save_preset(name).name))


def _preset_load(server, request, name) -> None:
    preset = server.engine.load_preset(name)
    for param in ("temperature", "top_k", "top_p", "duration"):
        request.answer(ParamChanged(param, getattr(server.engine.params, param)))
    request.reply(m.PresetLoaded(preset.name))


def _preset_list(server, request) -> None:
    presets = server.engine.presets()
    for preset in presets:
        settings = preset.settings
        request.reply(m.PresetEntry(preset.name, settings.temperature, settings.top_k, settings.top_p, settings.duration_s))
    request.reply(m.PresetListEnd(len(presets)))


def _preset_delete(server, request, name) -> None:
    server.engine.delete_preset(name)
    request.answer(PresetDeleted(name))


def _generate(server, request, duration, seed) -> None:
    request.when_done(request.start_job(server.engine.generate, duration, seed), request.answer)


def _history_list(server, request, count) -> None:
    records = server.engine.generations(50 if count is None else count)
    for record in records:
        settings = record.settings
        request.reply(
            m.HistoryEntry(
                record.id, record.created, record.model_name, int_or_text(record.seed), settings.duration_s,
                settings.temperature, settings.top_k, settings.top_p, record.path,
            )
        )
    request.reply(m.HistoryListEnd(len(records)))


def _history_replay(server, request, record_id) -> None:
    request.when_done(request.start_job(server.engine.replay, record_id), request.answer)


def _encode(server, request, slot, path) -> None:
    request.when_done(request.start_job(server.engine.encode, slot, path), request.answer)


def _grid_get(server, request, slot) -> None:
    grid = server.engine.grid(slot)
    cells = [(level, column, int(code)) for level in range(grid.levels) for column, code in enumerate(grid.codes[level])]
    request.reply(m.GridSize(slot, grid.levels, grid.columns), *m.grid_pages(slot, cells), *m.blended_pages(slot, grid.blended_runs()))


def _answer_edits(request, *edits) -> None:
    for edit in edits:
        request.answer(m.Edited(edit.slot, edit.undo_depth, edit.redo_depth))


def _cell_set(server, request, slot, level, frame, index) -> None:
    _answer_edits(request, server.engine.set_cell(slot, level, frame, index))


def _swap(server, request, slot_a, slot_b, start, end, levels) -> None:
    _answer_edits(request, *server.engine.swap(slot_a, slot_b, start, end, levels))


def _blend(server, request, slot_a, slot_b, weight, start, end, levels) -> None:
    _answer_edits(request, server.engine.blend(slot_a, slot_b, weight, start, end, levels))


def _reimagine(server, request, slot, start, end, levels) -> None:
    def done(reimagined) -> None:
        _answer_edits(request, reimagined.edit)
        request.reply(m.ReimaginedSeed(slot, reimagined.seed))
        _check_copy(server, request, slot)

    request.when_done(request.start_job(server.engine.reimagine, slot, start, end, levels), done)


def _continue(server, request, slot, seconds, from_frame, seed) -> None:
    def done(continued) -> None:
        request.reply(continued)
        _check_copy(server, request, continued.slot)

    from_frame = None if from_frame == 0 else from_frame
    request.when_done(request.start_job(server.engine.continue_slot, slot, seconds, from_frame, seed), done)


def _check_copy(server, request, slot: str) -> None:
    """After a variation's reply: `/distill/copy` (or once per model `/distill/copy/unavailable`) for `slot`, when
    the engine's check ends; a check is not a client's job, so it is not counted against its jobs."""
    try:
        future = server.engine.check_copy(slot)
    except DistillError:  # another model was loaded since the variation: its training files say nothing of this grid
        return

    def answer(found) -> None:
        if found is not None:  # None: the reason was said once already
            for record in m.event_records(found):
                request.answer(record)

    request.when_done(future, answer)


def _vary(server, request, slot, kind) -> None:
    slot = None if slot == VARY_OFF else slot
    kind = kind or "timbre"
    server.engine.vary(slot, kind)
    request.reply(m.Varying(VARY_OFF, "") if slot is None else m.Varying(slot, kind))


def _undo(server, request, slot) -> None:
    _answer_edits(request, server.engine.undo(slot))


def _redo(server, request, slot) -> None:
    _answer_edits(request, server.engine.redo(slot))


def _slots(server, request) -> None:
    request.reply(*(m.name_pages(m.SlotNames, server.engine.slots()) or [m.SlotNames(())]))


def _decode(server, request, slot) -> None:
    request.when_done(request.start_job(server.engine.decode, slot), request.answer)


def _preview(server, request, level, index) -> None:
    request.when_done(request.start_job(server.engine.preview, level, index), request.answer)


def _play(server, request, what) -> None:
    request.when_done(request.start_job(server.engine.play, what), request.reply)


def _stop(server, request) -> None:
    server.engine.stop()
    request.reply(m.Stopped())


def _health(server, request) -> None:
    request.reply(*(m.HealthLevel(**asdict(level)) for level in server.engine.health()))


def _health_usage(server, request, level) -> None:
    level, counts = server.engine.usage(level)
    request.reply(*m.usage_pages(level, counts), m.UsageEnd(level, len(counts)))


def _train_option(server, request, key, value) -> None:
    if value is None:
        request.reply(TrainOptionChanged(key, server.engine.train_option(key)))
    else:
        request.answer(TrainOptionChanged(key, server.engine.train_option(key, value)))


def _train_option_records(server) -> list[TrainOptionChanged]:
    return [TrainOptionChanged(key, value) for key, value in asdict(server.engine.train_options).items()]


def _train_options(server, request) -> None:
    request.reply(*_train_option_records(server))


def _train_defaults(server, request, dataset) -> None:
    def done(defaults) -> None:
        for record in _train_option_records(server):
            request.answer(record)
        request.reply(defaults)

    request.when_done(request.start_job(server.engine.train_defaults, dataset), done)


def _train_start(server, request, dataset, name, minutes) -> None:
    server.engine.train_start(dataset, name, minutes)
    request.answer(TrainJobStarted("train", name))


def _prior_train_start(server, request, model, minutes, restart) -> None:
    server.engine.prior_train_start(model, minutes, bool(restart))
    request.answer(TrainJobStarted("prior/train", model))


def _note(server, request, key, velocity) -> None:
    request.reply(m.Noted(key, velocity, server.engine.note(key, velocity)))


def _note_mode(server, request, mode, release) -> None:
    settings = server.engine.note_settings(mode, release)
    record = NoteSettingsChanged(settings.mode, settings.release)
    if mode is None:
        request.reply(record)
    else:
        request.answer(record)


def _midi_learn(server, request, parameter) -> None:
    if server.midi is None:
        raise DistillError("MIDI is off in this engine: start it with `distill serve --midi-in NAME`")
    server.midi.learn(parameter)
    request.reply(m.MidiLearning(parameter))


def _stop_training(job: str) -> Callable:
    def handler(server, request) -> None:
        server.engine.train_stop()
        request.reply(m.TrainStopping(job))

    return handler


# -- the table ----------------------------------------------------------------------------------------------

SLOT = Arg("slot", "slot")
COPY_CHECK = (  # what a variation is answered with after its result (docs/osc.md, "Memorisation")
    "once checked in the background, /distill/copy <slot> <columns> <distinct> <seconds> <file>: the longest run of frames "
    "copied verbatim from a training file (0 and no file: none), or once per model /distill/copy/unavailable <reason>"
)
VARY_OFF = "off"  # /distill/vary's slot that turns variations off
PARAM_KINDS = {"temperature": "f", "top_k": "i", "top_p": "f", "seed": "i", "duration": "f", "one_shot": "i"}
PARAM_HELP = {
    "temperature": "Sampling temperature, 0 (greedy) or more.",
    "top_k": "Keep only the k likeliest codes, 0 (off) up to the codebook size.",
    "top_p": "Keep the likeliest codes up to this probability mass, above 0 up to 1 (off).",
    "seed": f"Seed of the next generation, 0 to {MAX_OSC_SEED}; advances by one after each generation without a seed.",
    "duration": f"Length of generated sounds in seconds, above 0 up to {MAX_DURATION_S:g}.",
    "one_shot": "1: generated sounds end by themselves where the prior learnt its training sounds end (duration is then the "
    "longest they last; the prior needs an end head), 0: they last duration.",
}

ROUTES: tuple[Route, ...] = (
    Route("/distill/ping", (), "Answers /distill/pong <version> <data folder> (the DISTILL_HOME whose library it serves).", _ping, now=True),
    Route("/distill/help", (), "Answers one /distill/help <address> <argument spec> <description> per address.", _help, now=True),
    Route(
        "/distill/subscribe", (Optional((Arg("port", "i"),)),),
        "Send events to this port (default: the sender's) at the sender's IP, and replies to the sender there too; "
        "answers /distill/subscribed <port>, then the current parameters and model. Sending it again renews the "
        "subscription; when the subscriber limit is reached, the subscriber heard from longest ago is dropped "
        "and sent /distill/unsubscribed <port>.",
        _subscribe,
        now=True,
    ),
    Route("/distill/unsubscribe", (Optional((Arg("port", "i"),)),), "Stop sending events to that port; answers /distill/unsubscribed <port>.", _unsubscribe, now=True),
    Route(
        "/distill/model/load", (Arg("name_or_path", "s"),),
        "Load a library model or model file; answers /distill/model/loaded <name> <levels> <codebook_size> <sample_rate> <has_prior> <samples_per_column>.",
        _model_load,
    ),
    Route(
        "/distill/model/list", (),
        "Answers /distill/model/list <name> ... (pages of names), then /distill/model/list/end <count>.",
        _model_list,
    ),
    Route(
        "/distill/model/search", (Arg("query", "s"),),
        "Find library models by words of their name, description, tags or dataset (an empty query lists all); answers "
        "/distill/model/search <name> ... (pages of names, best match first), then /distill/model/search/end <count>.",
        _model_search,
    ),
    Route(
        "/distill/model/info", (Arg("name", "s"),),
        "Answers /distill/model/info <name> <key> <value> per recorded fact of a library model (created, description, tags, "
        "levels, codebook_size, codebook_dim, hidden, sample_rate, files, duration_s, size_bytes, has_prior, health, dataset, "
        "epochs, best_val_l1, prior_val_perplexity), then /distill/model/info/end <name>.",
        _model_info,
    ),
    Route(
        "/distill/model/rename", (Arg("old", "s"), Arg("new", "s")),
        "Rename a library model (a loaded one takes the new name); answers /distill/model/renamed <old> <new>.",
        _model_rename,
    ),
    Route(
        "/distill/model/delete", (Arg("name", "s"),),
        "Delete a library model's file (a loaded copy stays loaded); answers /distill/model/deleted <name>.",
        _model_delete,
    ),
    Route(
        "/distill/model/describe", (Arg("name", "s"), Arg("text", "s")),
        f"Set a library model's description (at most {MAX_DESCRIPTION_CHARS} characters; empty clears it); "
        "answers /distill/model/described <name> <description> (cut to fit, as in /distill/model/info).",
        _model_describe,
    ),
    Route(
        "/distill/model/tag", (Arg("name", "s"), Rest(Arg("tag", "s"))),
        f"Add tags to a library model (at most {MAX_TAGS}, each up to {MAX_TAG_CHARS} characters without commas); "
        "answers /distill/model/tags <name> <tags> with all its tags, comma-joined.",
        _model_tags(remove=False),
    ),
    Route(
        "/distill/model/untag", (Arg("name", "s"), Rest(Arg("tag", "s"))),
        "Remove tags from a library model (one it does not have is an error); answers /distill/model/tags <name> <tags> with the tags left, comma-joined.",
        _model_tags(remove=True),
    ),
    *(
        Route(f"/distill/param/{name}", (Optional((Arg("value", kind),)),), f"{PARAM_HELP[name]} Answers /distill/param/{name} <value>; without a value, reports it.", _param(name))
        for name, kind in PARAM_KINDS.items()
    ),
    Route("/distill/preset/save", (Arg("name", "s"),), "Save temperature, top_k, top_p and duration as a preset (replacing one); answers /distill/preset/saved <name>.", _preset_save),
    Route(
        "/distill/preset/load", (Arg("name", "s"),),
        "Set the parameters from a preset (each answered as /distill/param/<name> <value>); answers /distill/preset/loaded <name>.",
        _preset_load,
    ),
    Route(
        "/distill/preset/list", (),
        "Answers /distill/preset <name> <temperature> <top_k> <top_p> <duration> per preset, then /distill/preset/list/end <count>.",
        _preset_list,
    ),
    Route("/distill/preset/delete", (Arg("name", "s"),), "Delete a preset; answers /distill/preset/deleted <name>.", _preset_delete),
    Route(
        "/distill/generate", (Optional((Arg("duration", "f"),)), Optional((Arg("seed", "i"),))),
        "Generate a sound (default: the duration and seed parameters); answers /distill/generated <path> <duration> <seed>.",
        _generate,
    ),
    Route(
        "/distill/history/list", (Optional((Arg("count", "i"),)),),
        f"Answers /distill/history <id> <created> <model> <seed> <duration> <temperature> <top_k> <top_p> <path> for the newest "
        f"generations (default 50, at most {MAX_HISTORY_LIST}), newest first, then /distill/history/list/end <count>; "
        "a seed beyond 32 bits (from the CLI) comes as text.",
        _history_list,
    ),
    Route(
        "/distill/history/replay", (Arg("id", "i"),),
        "Make a generation of the history again (its model must still hold the same weights); answers /distill/generated <path> <duration> <seed>.",
        _history_replay,
    ),
    Route(
        "/distill/encode", (SLOT, Arg("audio_path", "s")),
        "Encode a sound file into a slot (replacing it); answers /distill/encoded <slot> <levels> <frames>.",
        _encode,
    ),
    Route(
        "/distill/grid/get", (SLOT,),
        f"Answers /distill/grid/size <slot> <levels> <frames>, then /distill/grid <slot> <level> <first_frame> <codes...> per level and page of {GRID_PAGE}, "
        f"then /distill/grid/blended <slot> <first_index> <level> <start_frame> <end_frame> ...: the runs of blended cells, "
        f"{BLEND_PAGE} values a message, index 0 starting the list afresh.",
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
        "/distill/blend",
        (Arg("slot_a", "slot"), Arg("slot_b", "slot"), Arg("weight", "f"), Optional((Arg("start_frame", "i"), Arg("end_frame", "i"))), Rest(Arg("level", "level"))),
        "Blend slot_a towards slot_b by weight 0..1 in embedding space over frames [start, end) of the levels (default: all "
        "frames, every level; levels need the frames); answers /distill/edited.",
        _blend,
    ),
    Route(
        "/distill/reimagine", (SLOT, Arg("start_frame", "i"), Arg("end_frame", "i"), Rest(Arg("level", "level"))),
        "Redraw frames [start, end) of the levels (default all) with the prior, given the frames before, with the current "
        "temperature, top_k and top_p; the seed is the seed parameter, which then advances (set /distill/param/seed first "
        "to draw a chosen one: the same seed on the same grid redraws the same cells). The frames after end are kept as they "
        "were. One undoable edit: answers /distill/edited <slot> <undo_depth> <redo_depth>, then /distill/reimagined <slot> <seed>, "
        f"then, {COPY_CHECK}.",
        _reimagine,
    ),
    Route(
        "/distill/continue", (SLOT, Arg("seconds", "f"), Optional((Arg("from_frame", "i"),)), Optional((Arg("seed", "i"),))),
        "The prior goes on from a slot's grid (or its first from_frame frames; 0: all of it) for seconds more (at most 600), "
        "into a new slot: the first free of A-Z, else <slot>-1, <slot>-2, ...; the seed defaults to the seed parameter, which "
        "then advances. Subscribers hear /distill/encoded <new_slot> <levels> <frames>; answers /distill/continued <slot> "
        f"<new_slot> <frames> <seed>, then, {COPY_CHECK}.",
        _continue,
    ),
    Route(
        "/distill/vary", (SLOT, Optional((Arg("kind", "s"),))),
        "From the next note on, every note (/distill/note, MIDI) plays a new variation of the slot: kind timbre (default: "
        "same rhythm and envelope, new colour) or continue (the first quarter kept, the rest drawn anew), with the current "
        "parameters; slot off: notes play generations again. Answers /distill/vary <slot> <kind> (off with an empty kind).",
        _vary,
    ),
    Route("/distill/undo", (SLOT,), "Undo a slot's last edit; answers /distill/edited <slot> <undo_depth> <redo_depth>.", _undo),
    Route("/distill/redo", (SLOT,), "Redo a slot's last undone edit; answers /distill/edited <slot> <undo_depth> <redo_depth>.", _redo),
    Route("/distill/slots", (), "Answers /distill/slots <slot> ... with the names of the filled slots (no names when none).", _slots),
    Route("/distill/decode", (SLOT,), "Decode a slot to a sound file; answers /distill/decoded <slot> <path>.", _decode),
    Route(
        "/distill/preview", (Arg("level", "level"), Arg("index", "i")),
        "Write a short clip of one codebook entry; answers /distill/previewed <level> <index> <path>.",
        _preview,
    ),
    Route("/distill/play", (Arg("path_or_slot", "s"),), "Play a sound file or a slot (decoded first); answers /distill/playing <path>.", _play),
    Route("/distill/stop", (), "Stop all playback; answers /distill/stopped.", _stop, now=True),
    Route(
        "/distill/note", (Arg("key", "i"), Arg("velocity", "i")),
        "Play a key as a MIDI note-on does (key 0-127 plays the sound /distill/generate makes with seed = key, from memory, "
        "writing no file; velocity 1-127 sets the gain; velocity 0 is a note-off, which releases the key in gate mode); "
        "answers /distill/noted <key> <velocity> <sounded> (sounded 0: it sounds once its key is rendered). With no "
        "working audio output, /distill/error says why.",
        _note,
    ),
    Route(
        "/distill/note/mode", (Optional((Arg("mode", "s"),)), Optional((Arg("release_s", "f"),))),
        "Set how notes behave: one-shot (a note plays to its end) or gate (a note-off fades the key's voices out over "
        "release_s seconds, 0-10, default 0.05); answers /distill/note/mode <mode> <release_s>; without arguments, reports them.",
        _note_mode,
    ),
    Route(
        "/distill/health", (),
        "Answers /distill/health <level> <label> <utilisation> <perplexity> <dead> <status> <light> per level of the loaded model "
        "(light: green, yellow or red).",
        _health,
    ),
    Route(
        "/distill/health/usage", (Arg("level", "level"),),
        f"Answers /distill/health/usage <level> <first_index> <counts...> (pages of {USAGE_PAGE}) with how often each code of a "
        "level of the loaded model was used in training, then /distill/health/usage/end <level> <codebook_size>.",
        _health_usage,
    ),
    Route(
        "/distill/train/option", (Arg("key", "s"), Optional((Arg("value", "f"),))),
        f"Set a training option: {train_options_help()}; answers /distill/train/option <key> <value>; without a value, reports it.",
        _train_option,
    ),
    Route("/distill/train/options", (), "Answers /distill/train/option <key> <value> for every training option.", _train_options),
    Route(
        "/distill/train/defaults", (Arg("dataset_dir", "s"),),
        "Count a folder's usable sound files (those training would use: not silent, too short or unreadable) and set "
        "every training option but the seed to its default for them (each answered as /distill/train/option); answers /distill/train/defaults <dataset_dir> <files>.",
        _train_defaults,
    ),
    Route(
        "/distill/train/start", (Arg("dataset_dir", "s"), Arg("name", "s"), Optional((Arg("minutes", "f"),))),
        "Train a new model on a sound folder with the training options (minutes above 0 overrides that option); answers "
        "/distill/train/started <name>. Subscribers get per epoch /distill/train/progress <epoch> <loss> <seconds> <val_l1> "
        "<fraction> <best> <phase> (phase: spectral, then adversarial), /distill/train/level <epoch> <level> <label> <utilisation> "
        "<perplexity> <dead> <status> <light> per level, /distill/train/loss <epoch> <phase> <name> <value> per loss of the phase "
        "(the adversarial phase's reconstruction, adversarial, feature_matching, discriminator) and /distill/train/warning "
        "<message> per warning, then /distill/train/done <name> <stopped>.",
        _train_start,
    ),
    Route(
        "/distill/train/stop", (),
        "Stop the training run, VQ-VAE or prior (the best weights so far are saved); answers /distill/train/stopping.",
        _stop_training("train"),
        now=True,
    ),
    Route(
        "/distill/prior/train/start", (Arg("model", "s"), Optional((Arg("minutes", "f"),)), Optional((Arg("restart", "i"),))),
        "Train the prior of a model (minutes 0: the default budget; restart 1 replaces its prior or an unfinished run); "
        "answers /distill/prior/train/started <model>. Subscribers get per epoch /distill/prior/train/progress <epoch> "
        "<train_loss> <val_loss> <seconds> <fraction> <best>, /distill/prior/train/level <epoch> <level> <label> "
        "<train_perplexity> <val_perplexity> per level and /distill/prior/train/warning <message> per warning, then "
        "/distill/prior/train/done <model> <stopped>; a loaded model is loaded again with its new prior.",
        _prior_train_start,
    ),
    Route(
        "/distill/prior/train/stop", (),
        "Stop the training run, as /distill/train/stop does; answers /distill/prior/train/stopping.",
        _stop_training("prior/train"),
        now=True,
    ),
    Route(
        "/distill/midi/learn", (Arg("param", "s"),),
        "Bind the next MIDI controller (CC) that moves to this parameter; answers /distill/midi/learning <param>.",
        _midi_learn,
    ),
)


def routes_markdown(routes: tuple[Route, ...] = ROUTES) -> str:
    """The address table of docs/osc.md."""
    lines = ["| Address | Arguments | What it does | Runs |", "|---|---|---|---|"]
    for route in routes:
        spec = f"`{route.spec}`" if route.spec else "-"
        description = route.description.replace("<", "&lt;").replace(">", "&gt;")
        lines.append(f"| `{route.address}` | {spec} | {description} | {'at once' if route.now else 'in order'} |")
    return "\n".join(lines) + "\n"

