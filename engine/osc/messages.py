"""Every message the engine sends over OSC, as a typed record: encoded here for the server and decoded here
for clients (the TUI, scripts, tests), so that each message has one definition.

A record is a frozen dataclass: one of the engine's events (`engine.events`) when the event is one message
(`Generated` is `/distill/generated <path> <duration> <seed>`), otherwise one defined below. `WIRES` names the
address and the arguments of each; an address may take one field of the record (`/distill/param/{name}`).

    data = encode(Edited("A", 1, 0), tag="tag:7")      # /distill/edited "A" 1 0 "tag:7"
    decode("/distill/edited", ["A", 1, 0, "tag:7"])    # (Edited(slot='A', undo_depth=1, redo_depth=0), 'tag:7')
    event_records(GridEdited(...))                     # [GridCodes(...), ..., Edited(...)]: what subscribers get

Tags. A request may end with one text argument `tag:<id>` (at most MAX_TAG_BYTES bytes): every reply to it,
`/distill/error` included, ends with the same argument, so a client can tell its own replies from the
events other clients' requests cause. It is only a tag when the arguments before it fit the address's spec,
so a search for the text "tag:x" still searches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

from engine.events import (
    Continued,
    CopyChecked,
    CopyUnavailable,
    Decoded,
    Encoded,
    EngineEvent,
    Generated,
    GridEdited,
    JobFailed,
    JobProgress,
    ModelDeleted,
    ModelInfo,
    ModelLoaded,
    ModelRenamed,
    NoteSettingsChanged,
    PARAM_NAMES,
    ParamChanged,
    Playing,
    PresetDeleted,
    PresetSaved,
    Previewed,
    PriorTrainProgress,
    TrainDefaults,
    TrainJobDone,
    TrainJobStarted,
    TrainOptionChanged,
    TrainProgress,
)
from engine.model.config import level_labels
from engine.osc.args import Arg, ArgumentError, Item, Rest, accepts, build, parse, spec_text

MAX_REPLY_BYTES = 1024  # list replies are paged to stay under this (paths may make a message longer)
MAX_TEXT_BYTES = 768  # a text value of a reply is cut to this (UTF-8), so that its message fits MAX_REPLY_BYTES
MAX_TAG_BYTES = 64  # a request's tag, `tag:` included
TAG_PREFIX = "tag:"
GRID_PAGE = 64  # codes per /distill/grid message
BLEND_PAGE = 60  # values (20 runs of level, start, end) per /distill/grid/blended message
USAGE_PAGE = 64  # counts per /distill/health/usage message
TRAIN_JOBS = ("train", "prior/train")

# -- records that are not engine events ----------------------------------------------------------------------


@dataclass(frozen=True)
class Error:
    """A request to `address` failed (or a training run did: `/distill/train`, `/distill/prior/train`).

    Both texts may echo what a client sent (an unknown address of 60 KB, a name), so both are cut to
    MAX_TEXT_BYTES: the reply always fits a datagram.
    """

    address: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "address", fit_text(self.address))
        object.__setattr__(self, "message", fit_text(self.message))


@dataclass(frozen=True)
class Pong:
    version: str
    home: str  # the data folder (DISTILL_HOME) whose library the engine serves


@dataclass(frozen=True)
class HelpEntry:
    address: str
    spec: str
    description: str


@dataclass(frozen=True)
class Subscribed:
    port: int


@dataclass(frozen=True)
class Unsubscribed:
    port: int


@dataclass(frozen=True)
class AnnouncedModel:
    """The loaded model as `/distill/model/loaded` announces it to clients (the wire form of the event `ModelLoaded`;
    the engine's own loaded weights are `engine.model.persist.LoadedModel`)."""

    name: str
    levels: int
    codebook_size: int
    sample_rate: int
    has_prior: bool
    samples_per_column: int  # audio samples per code column (grid times: column x samples_per_column / sample_rate)

    @classmethod
    def of(cls, info: ModelInfo) -> AnnouncedModel:
        """The record of an engine's `ModelInfo`."""
        return cls(info.name, info.levels, info.codebook_size, info.sample_rate, info.has_prior, info.samples_per_column)

    @property
    def columns_per_second(self) -> float:
        """Code columns per second of audio."""
        return self.sample_rate / self.samples_per_column

    @property
    def labels(self) -> tuple[str, ...]:
        """Level names, coarse to fine (Structure, Timbre, ...)."""
        return level_labels(self.levels)


@dataclass(frozen=True)
class ModelNames:
    """A page of model names, answering `/distill/model/list` (kind "list") or `/distill/model/search`."""

    kind: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class ModelNamesEnd:
    kind: str
    count: int


@dataclass(frozen=True)
class ModelFact:
    """One recorded fact of a library model (see `engine.library.model_facts`)."""

    name: str
    key: str
    value: int | float | str


@dataclass(frozen=True)
class ModelInfoEnd:
    name: str


@dataclass(frozen=True)
class ModelDescribed:
    name: str
    description: str


@dataclass(frozen=True)
class ModelTags:
    """A model's tags, comma-separated (a tag holds no comma)."""

    name: str
    tags: str


@dataclass(frozen=True)
class PresetEntry:
    name: str
    temperature: float
    top_k: int
    top_p: float
    duration: float


@dataclass(frozen=True)
class PresetLoaded:
    name: str


@dataclass(frozen=True)
class PresetListEnd:
    count: int


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    created: str
    model: str
    seed: int | str  # text when beyond 32 bits (a seed from the CLI)
    duration: float
    temperature: float
    top_k: int
    top_p: float
    path: Path


@dataclass(frozen=True)
class HistoryListEnd:
    count: int


@dataclass(frozen=True)
class GridSize:
    slot: str
    levels: int
    frames: int


@dataclass(frozen=True)
class GridCodes:
    """Codes of frames first_frame, first_frame + 1, ... of one level of a slot."""

    slot: str
    level: int
    first_frame: int
    codes: tuple[int, ...]


@dataclass(frozen=True)
class BlendedRuns:
    """A page of a slot's blended cells as runs: `values` are (level, start_frame, end_frame) flattened, the
    first being value number `first_index` of the list; index 0 starts the list afresh (alone: none blended)."""

    slot: str
    first_index: int
    values: tuple[int, ...]


@dataclass(frozen=True)
class Edited:
    """A slot was edited; its undo and redo depths now (the changed cells came just before as `GridCodes`)."""

    slot: str
    undo_depth: int
    redo_depth: int


@dataclass(frozen=True)
class ReimaginedSeed:
    """A region of a slot was redrawn with `seed` (its cells came just before, as for any edit)."""

    slot: str
    seed: int


@dataclass(frozen=True)
class Varying:
    """Notes play variations of `kind` of `slot` ("off", with no kind: notes play generations)."""

    slot: str
    kind: str


@dataclass(frozen=True)
class SlotNames:
    slots: tuple[str, ...]


@dataclass(frozen=True)
class Stopped:
    pass


@dataclass(frozen=True)
class HealthLevel:
    """One level's codebook health (the fields of `engine.training.health.LevelHealth`)."""

    level: int
    label: str
    utilisation: float
    perplexity: float
    dead: int
    status: str
    light: str


@dataclass(frozen=True)
class UsagePage:
    """How often codes first_index, first_index + 1, ... of a level were used in training."""

    level: int
    first_index: int
    counts: tuple[int, ...]


@dataclass(frozen=True)
class UsageEnd:
    level: int
    codebook_size: int


@dataclass(frozen=True)
class TrainEpoch:
    """A VQ-VAE training epoch ended (`TrainProgress`'s figures; its levels, losses and warnings follow)."""

    epoch: int
    loss: float
    seconds: float
    val_l1: float
    fraction: float
    best: bool
    phase: str  # "spectral" or "adversarial"


@dataclass(frozen=True)
class TrainLevel:
    epoch: int
    level: int
    label: str
    utilisation: float
    perplexity: float
    dead: int
    status: str
    light: str


@dataclass(frozen=True)
class TrainLoss:
    """One of the epoch's phase losses (the adversarial phase: reconstruction, adversarial, ...)."""

    epoch: int
    phase: str
    name: str
    value: float


@dataclass(frozen=True)
class TrainWarning:
    message: str


@dataclass(frozen=True)
class PriorEpoch:
    epoch: int
    train_loss: float
    val_loss: float
    seconds: float
    fraction: float
    best: bool


@dataclass(frozen=True)
class PriorLevel:
    epoch: int
    level: int
    label: str
    train_perplexity: float
    val_perplexity: float


@dataclass(frozen=True)
class PriorWarning:
    message: str


@dataclass(frozen=True)
class TrainStopping:
    job: str  # "train" or "prior/train": the address the stop was asked on


@dataclass(frozen=True)
class MidiLearning:
    param: str


@dataclass(frozen=True)
class Noted:
    """A note was taken: `sounded` when it sounded at once from memory (a note-off: always), else it sounds
    once its key is rendered."""

    key: int
    velocity: int
    sounded: bool


# -- the table ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wire:
    """How a record travels: its address (with `{field}` for a field carried in the address, one of
    `choices`) and its arguments, each named after a field (a Rest fills a tuple field)."""

    record: type
    address: str
    args: tuple[Item, ...] = ()
    choices: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        """The arguments as help text."""
        return spec_text(self.args)

    def addresses(self) -> dict[str, dict]:
        """Every concrete address -> the field it sets ({} for a fixed address)."""
        head, brace, tail = self.address.partition("{")
        if not brace:
            return {self.address: {}}
        field, _, tail = tail.partition("}")
        return {f"{head}{choice}{tail}": {field: choice} for choice in self.choices}


def _a(name: str, kind: str) -> Arg:
    return Arg(name, kind)


_HEALTH = (_a("level", "i"), _a("label", "s"), _a("utilisation", "f"), _a("perplexity", "f"), _a("dead", "i"), _a("status", "s"), _a("light", "s"))

WIRES: tuple[Wire, ...] = (
    Wire(Error, "/distill/error", (_a("address", "s"), _a("message", "s"))),
    Wire(Pong, "/distill/pong", (_a("version", "s"), _a("home", "s"))),
    Wire(HelpEntry, "/distill/help", (_a("address", "s"), _a("spec", "s"), _a("description", "s"))),
    Wire(Subscribed, "/distill/subscribed", (_a("port", "i"),)),
    Wire(Unsubscribed, "/distill/unsubscribed", (_a("port", "i"),)),
    Wire(AnnouncedModel, "/distill/model/loaded", (_a("name", "s"), _a("levels", "i"), _a("codebook_size", "i"), _a("sample_rate", "i"), _a("has_prior", "bool"), _a("samples_per_column", "i"))),
    Wire(ModelNames, "/distill/model/{kind}", (Rest(_a("names", "s")),), ("list", "search")),
    Wire(ModelNamesEnd, "/distill/model/{kind}/end", (_a("count", "i"),), ("list", "search")),
    Wire(ModelFact, "/distill/model/info", (_a("name", "s"), _a("key", "s"), _a("value", "v"))),
    Wire(ModelInfoEnd, "/distill/model/info/end", (_a("name", "s"),)),
    Wire(ModelDescribed, "/distill/model/described", (_a("name", "s"), _a("description", "s"))),
    Wire(ModelTags, "/distill/model/tags", (_a("name", "s"), _a("tags", "s"))),
    Wire(ModelRenamed, "/distill/model/renamed", (_a("old", "s"), _a("new", "s"))),
    Wire(ModelDeleted, "/distill/model/deleted", (_a("name", "s"),)),
    Wire(ParamChanged, "/distill/param/{name}", (_a("value", "n"),), PARAM_NAMES),
    Wire(PresetSaved, "/distill/preset/saved", (_a("name", "s"),)),
    Wire(PresetLoaded, "/distill/preset/loaded", (_a("name", "s"),)),
    Wire(PresetDeleted, "/distill/preset/deleted", (_a("name", "s"),)),
    Wire(PresetEntry, "/distill/preset", (_a("name", "s"), _a("temperature", "f"), _a("top_k", "i"), _a("top_p", "f"), _a("duration", "f"))),
    Wire(PresetListEnd, "/distill/preset/list/end", (_a("count", "i"),)),
    Wire(Generated, "/distill/generated", (_a("path", "path"), _a("duration", "f"), _a("seed", "i"))),
    Wire(
        HistoryEntry, "/distill/history",
        (_a("id", "i"), _a("created", "s"), _a("model", "s"), _a("seed", "v"), _a("duration", "f"), _a("temperature", "f"), _a("top_k", "i"), _a("top_p", "f"), _a("path", "path")),
    ),
    Wire(HistoryListEnd, "/distill/history/list/end", (_a("count", "i"),)),
    Wire(Encoded, "/distill/encoded", (_a("slot", "s"), _a("levels", "i"), _a("frames", "i"))),
    Wire(GridSize, "/distill/grid/size", (_a("slot", "s"), _a("levels", "i"), _a("frames", "i"))),
    Wire(GridCodes, "/distill/grid", (_a("slot", "s"), _a("level", "i"), _a("first_frame", "i"), Rest(_a("codes", "i")))),
    Wire(BlendedRuns, "/distill/grid/blended", (_a("slot", "s"), _a("first_index", "i"), Rest(_a("values", "i")))),
    Wire(Edited, "/distill/edited", (_a("slot", "s"), _a("undo_depth", "i"), _a("redo_depth", "i"))),
    Wire(ReimaginedSeed, "/distill/reimagined", (_a("slot", "s"), _a("seed", "i"))),
    Wire(Continued, "/distill/continued", (_a("source", "s"), _a("slot", "s"), _a("frames", "i"), _a("seed", "i"))),
    Wire(CopyChecked, "/distill/copy", (_a("slot", "s"), _a("columns", "i"), _a("distinct", "i"), _a("seconds", "f"), _a("file", "s"))),
    Wire(CopyUnavailable, "/distill/copy/unavailable", (_a("reason", "s"),)),
    Wire(Varying, "/distill/vary", (_a("slot", "s"), _a("kind", "s"))),
    Wire(SlotNames, "/distill/slots", (Rest(_a("slots", "s")),)),
    Wire(Decoded, "/distill/decoded", (_a("slot", "s"), _a("path", "path"))),
    Wire(Previewed, "/distill/previewed", (_a("level", "i"), _a("index", "i"), _a("path", "path"))),
    Wire(Playing, "/distill/playing", (_a("path", "path"),)),
    Wire(Stopped, "/distill/stopped"),
    Wire(HealthLevel, "/distill/health", _HEALTH),
    Wire(UsagePage, "/distill/health/usage", (_a("level", "i"), _a("first_index", "i"), Rest(_a("counts", "i")))),
    Wire(UsageEnd, "/distill/health/usage/end", (_a("level", "i"), _a("codebook_size", "i"))),
    Wire(JobProgress, "/distill/job/progress", (_a("job", "s"), _a("fraction", "f"), _a("message", "s"))),
    Wire(TrainOptionChanged, "/distill/train/option", (_a("key", "s"), _a("value", "n"))),
    Wire(TrainDefaults, "/distill/train/defaults", (_a("dataset", "s"), _a("files", "i"))),
    Wire(TrainJobStarted, "/distill/{job}/started", (_a("name", "s"),), TRAIN_JOBS),
    Wire(
        TrainEpoch, "/distill/train/progress",
        (_a("epoch", "i"), _a("loss", "f"), _a("seconds", "f"), _a("val_l1", "f"), _a("fraction", "f"), _a("best", "bool"), _a("phase", "s")),
    ),
    Wire(TrainLevel, "/distill/train/level", (_a("epoch", "i"), *_HEALTH)),
    Wire(TrainLoss, "/distill/train/loss", (_a("epoch", "i"), _a("phase", "s"), _a("name", "s"), _a("value", "f"))),
    Wire(TrainWarning, "/distill/train/warning", (_a("message", "s"),)),
    Wire(
        PriorEpoch, "/distill/prior/train/progress",
        (_a("epoch", "i"), _a("train_loss", "f"), _a("val_loss", "f"), _a("seconds", "f"), _a("fraction", "f"), _a("best", "bool")),
    ),
    Wire(PriorLevel, "/distill/prior/train/level", (_a("epoch", "i"), _a("level", "i"), _a("label", "s"), _a("train_perplexity", "f"), _a("val_perplexity", "f"))),
    Wire(PriorWarning, "/distill/prior/train/warning", (_a("message", "s"),)),
    Wire(TrainJobDone, "/distill/{job}/done", (_a("name", "s"), _a("stopped", "bool")), TRAIN_JOBS),
    Wire(TrainStopping, "/distill/{job}/stopping", (), TRAIN_JOBS),
    Wire(MidiLearning, "/distill/midi/learning", (_a("param", "s"),)),
    Wire(Noted, "/distill/noted", (_a("key", "i"), _a("velocity", "i"), _a("sounded", "bool"))),
    Wire(NoteSettingsChanged, "/distill/note/mode", (_a("mode", "s"), _a("release", "f"))),
)

_BY_RECORD = {wire.record: wire for wire in WIRES}
_BY_ADDRESS = {address: (wire, fixed) for wire in WIRES for address, fixed in wire.addresses().items()}


# -- encoding and decoding ------------------------------------------------------------------------------------


def to_osc(record, tag: str | None = None) -> tuple[str, list]:
    """The address and argument values of `record` (TypeError for a type that is not in `WIRES`)."""
    wire = _BY_RECORD.get(type(record))
    if wire is None:
        raise TypeError(f"no OSC message for {record!r}")
    address = wire.address.format(**{f.name: getattr(record, f.name) for f in fields(record)}) if wire.choices else wire.address
    values: list = []
    for item in wire.args:
        if isinstance(item, Rest):
            values += [_outgoing(item.arg.kind, value) for value in getattr(record, item.arg.name)]
        else:
            values.append(_outgoing(item.kind, getattr(record, item.name)))
    if tag is not None:
        values.append(tag)
    return address, values


def encode(record, tag: str | None = None) -> bytes:
    """The datagram of `record`, ending with `tag` when given."""
    return build(*to_osc(record, tag))


def decode(address: str, values: list) -> tuple[object, str | None] | None:
    """(record, tag or None) for a message the engine sends; None for an unknown address or arguments that do
    not fit it (not from an engine of this version)."""
    known = _BY_ADDRESS.get(address)
    if known is None:
        return None
    wire, fixed = known
    values, tag = split_tag(wire.args, list(values))
    try:
        parsed = parse(wire.args, values)
    except ArgumentError:
        return None
    names = [item.arg.name if isinstance(item, Rest) else item.name for item in wire.args]
    found = {name: tuple(value or ()) if isinstance(item, Rest) else value for name, value, item in zip(names, parsed, wire.args)}
    return wire.record(**fixed, **found), tag


def sent_by_engines(address: str) -> bool:
    """Whether the engine sends messages to `address` (a reply or an event, /distill/error among them)."""
    return address in _BY_ADDRESS


def split_tag(spec: tuple[Item, ...], values: list) -> tuple[list, str | None]:
    """(values without a trailing tag, the tag or None); a last `tag:...` text is a tag only when the values
    before it fit `spec`."""
    if values and isinstance(values[-1], str) and values[-1].startswith(TAG_PREFIX) and accepts(spec, len(values) - 1):
        return values[:-1], values[-1]
    return values, None


def last_tag(values) -> str | None:
    """The last of `values` when it is a tag of at most MAX_TAG_BYTES bytes (for refusing a request whose
    address has no spec, so none can say whether it fits)."""
    last = values[-1] if values else None
    return last if isinstance(last, str) and last.startswith(TAG_PREFIX) and len(last.encode()) <= MAX_TAG_BYTES else None


def _outgoing(kind: str, value):
    """`value` as the OSC type its kind is sent as (numbers converted explicitly, never guessed)."""
    if kind in ("i", "level", "bool"):
        return int(value)
    if kind == "f":
        return float(value)
    if kind in ("s", "slot", "path"):
        return str(value)
    if isinstance(value, (int, float, str)) and not isinstance(value, bool):  # 'n', 'v': as they are
        return value
    raise TypeError(f"cannot send {value!r} over OSC (only i, f and s)")


# -- what events say, and lists in pages ---------------------------------------------------------------------


def event_records(event: EngineEvent) -> list:
    """The records that tell subscribers about `event`, in the order they are sent."""
    match event:
        case GridEdited(slot, cells, undo_depth, redo_depth, blended):
            return [*grid_pages(slot, cells), *blended_pages(slot, blended), Edited(slot, undo_depth, redo_depth)]
        case ModelLoaded(info):
            return [AnnouncedModel.of(info)]
        case JobFailed(job, message):
            return [Error(f"/distill/{job}", message)]
        case CopyUnavailable(reason):
            return [CopyUnavailable(fit_text(reason))]  # it names the training folder, which may be long
        case TrainProgress():
            return [
                TrainEpoch(event.epoch, event.loss, event.seconds, event.val_l1, event.fraction, event.best, event.phase),
                *(TrainLevel(event.epoch, **asdict(h)) for h in event.health),
                *(TrainLoss(event.epoch, event.phase, name, value) for name, value in event.losses),
                *(TrainWarning(fit_text(warning)) for warning in event.warnings),
            ]
        case PriorTrainProgress():
            return [
                PriorEpoch(event.epoch, event.train_loss, event.val_loss, event.seconds, event.fraction, event.best),
                *(PriorLevel(event.epoch, level.level, level.label, level.train_perplexity, level.val_perplexity) for level in event.levels),
                *(PriorWarning(fit_text(warning)) for warning in event.warnings),
            ]
    if type(event) in _BY_RECORD:
        return [event]
    raise TypeError(f"no OSC message for {event!r}")


def fit_text(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """`text`, cut to at most `limit` UTF-8 bytes (ending in '…') when longer."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def grid_pages(slot: str, cells) -> list[GridCodes]:
    """`GridCodes` for runs of consecutive cells (level, column, code), at most GRID_PAGE codes each; `cells`
    in level then column order."""
    pages: list[GridCodes] = []
    run: list[int] = []
    run_level = run_start = -1
    for level, column, code in cells:
        if run and (level != run_level or column != run_start + len(run)):
            pages += _numbered(lambda first, part: GridCodes(slot, run_level, first, part), run, run_start, GRID_PAGE)
            run = []
        if not run:
            run_level, run_start = level, column
        run.append(int(code))
    pages += _numbered(lambda first, part: GridCodes(slot, run_level, first, part), run, run_start, GRID_PAGE)
    return pages


def blended_pages(slot: str, runs) -> list[BlendedRuns]:
    """`BlendedRuns` pages of at most BLEND_PAGE values for runs (level, start, end); one empty page when none."""
    values = [int(value) for run in runs for value in run]
    return _numbered(lambda first, part: BlendedRuns(slot, first, part), values, 0, BLEND_PAGE) or [BlendedRuns(slot, 0, ())]


def usage_pages(level: int, counts) -> list[UsagePage]:
    """`UsagePage`s of at most USAGE_PAGE counts."""
    return _numbered(lambda first, part: UsagePage(level, first, part), [int(count) for count in counts], 0, USAGE_PAGE)


def _numbered(make, values: list, first: int, page: int) -> list:
    """`make(index of the page's first value, its values)` per page of at most `page` values."""
    return [make(first + start, tuple(values[start : start + page])) for start in range(0, len(values), page)]


def name_pages(make, names) -> list:
    """`make(names)` records (`ModelNames`, `SlotNames`), each with as many names as fit under MAX_REPLY_BYTES
    with a tag (no names: no page)."""
    limit = MAX_REPLY_BYTES - MAX_TAG_BYTES - 4
    pages: list = []
    page: list[str] = []
    for name in names:
        if page and len(encode(make((*page, name)))) > limit:
            pages.append(make(tuple(page)))
            page = []
        page.append(name)
    if page:
        pages.append(make(tuple(page)))
    return pages


def messages_markdown() -> str:
    """The table of docs/osc.md of every message the engine sends."""
    lines = ["| Address | Arguments | Record |", "|---|---|---|"]
    for wire in WIRES:
        spec = f"`{wire.spec}`".replace("|", "\\|") if wire.spec else "-"  # a bare | would end the table cell
        lines.append(f"| `{wire.address}` | {spec} | `{wire.record.__name__}` |")
    return "\n".join(lines) + "\n"
