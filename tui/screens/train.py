"""The Train screen: pick a sound folder, adjust the training options, train a model and then its prior.

Everything goes through the engine's OSC contract, so a run started here and one started by a patch look
the same: the screen shows whatever the engine announces (options, progress with the trainer's phase and
that phase's losses, per-level codebook health, warnings, the end of a run), not only the answers to its
own requests.

    folder chosen     -> /distill/train/defaults <dir>        (the options arrive as /distill/train/option)
    a field edited    -> /distill/train/option <key> <value>
    t                 -> /distill/train/start <dir> <name>
    p                 -> /distill/prior/train/start <model> <minutes> [1 to replace its prior, once confirmed]
    ctrl+s            -> /distill/train/stop or /distill/prior/train/stop, whichever run is going
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DirectoryTree, Footer, Header, Input, Label

from engine.events import TrainDefaults, TrainJobDone, TrainJobStarted, TrainOptionChanged
from engine.osc.messages import (
    AnnouncedModel,
    Error,
    ModelFact,
    ModelInfoEnd,
    PriorEpoch,
    PriorLevel,
    PriorWarning,
    Subscribed,
    TrainEpoch,
    TrainLevel,
    TrainLoss,
    TrainStopping,
    TrainWarning,
)
from tui.screens.base import EngineScreen
from tui.widgets.confirm import ConfirmDialog
from tui.widgets.folder_tree import FolderTree
from tui.widgets.loss_plot import LossPlot
from tui.widgets.param_field import parse_number
from tui.widgets.run_progress import RunProgress
from tui.widgets.screen_bar import ScreenBar
from tui.widgets.traffic_light import light_dot
from tui.widgets.train_options import TrainOptions


# The live figures and those of F5 / `distill health` differ for the same model: say which is which.
PRIOR_IDLE = "A model generates sounds once its prior is trained: name it, then press p."
LIVE_HEALTH_CAPTION = "Codes used in this epoch's augmented training batches (F5 Health: every file, unaugmented)"


def clock(seconds: float) -> str:
    """Seconds as m:ss."""
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def absolute_folder(text: str) -> str:
    """A typed or picked folder as an absolute path (the engine may run elsewhere than this app)."""
    return str(Path(text.strip()).expanduser().resolve()) if text.strip() else ""


class TrainScreen(EngineScreen):
    """Train a model on a sound folder, watch it learn, then train its prior."""

    BINDINGS = [
        Binding("t", "start_training", "Train"),
        Binding("ctrl+s", "stop_training", "Stop"),
        Binding("p", "start_prior", "Train prior"),
        Binding("h", "show_health", "Its health"),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]
    DEFAULT_CSS = """
    TrainScreen #train-source {
        width: 40;
        padding: 0 1;
    }
    TrainScreen.-narrow #train-source {
        width: 26;
    }
    TrainScreen.-narrow TrainOptions > Grid {
        grid-size: 4;
        grid-columns: 13 10;
    }
    TrainScreen #train-source > Label {
        margin-top: 1;
        color: $text-muted;
    }
    TrainScreen #folder-tree {
        height: 1fr;
        border: round $panel-lighten-2;
    }
    TrainScreen .buttons {
        height: 1;
        margin-top: 1;
    }
    TrainScreen .buttons > Button {
        margin-right: 1;
        min-width: 10;
    }
    TrainScreen #train-run {
        padding-right: 1;
        border-left: blank;
    }
    TrainScreen #train-run:focus {
        border-left: thick $accent;
    }
    TrainScreen #train-run > * {
        border: round $panel-lighten-2;
        border-title-color: $text;
        padding: 0 1;
    }
    TrainScreen #prior-box {
        height: auto;
    }
    TrainScreen #prior-target {
        height: 1;
    }
    TrainScreen #prior-target > Label {
        margin: 0 1;
    }
    TrainScreen #prior-target > Input {
        width: 16;
    }
    TrainScreen #prior-minutes {
        width: 9;
    }
    TrainScreen #start-prior {
        margin-left: 3;
    }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield ScreenBar("train")
        with Horizontal():
            with Vertical(id="train-source"):
                yield Label("Sound folder, then Enter")
                yield Input(placeholder="a folder of sounds", id="folder")
                yield FolderTree(Path.cwd(), id="folder-tree")
                yield Label("Name of the new model")
                yield Input(placeholder="e.g. drums", id="name")
                with Horizontal(classes="buttons"):
                    yield Button("Train  t", id="start", variant="primary", compact=True)
                    yield Button("Stop  ^s", id="stop", variant="error", compact=True)
            with VerticalScroll(id="train-run"):
                yield TrainOptions(id="options")
                yield RunProgress(
                    "Not training. Choose a folder and a name, check the options, then press t.",
                    ("", "level", "codes used", "perplexity", "dead", "status"),
                    LossPlot("train loss", "val L1"),
                    LIVE_HEALTH_CAPTION,
                    id="model-run",
                )
                with Vertical(id="prior-box"):
                    with Horizontal(id="prior-target"):
                        yield Label("model")
                        yield Input(placeholder="model name", compact=True, id="prior-model")
                        yield Label("minutes")
                        yield Input(placeholder="default", type="number", compact=True, id="prior-minutes")
                        yield Button("Train prior  p", id="start-prior", variant="primary", compact=True)
                    yield RunProgress(
                        PRIOR_IDLE,
                        ("level", "train perplexity", "val perplexity"),
                        id="prior-run",
                    )
        yield Footer()

    def __init__(self):
        super().__init__()
        self.has_prior: dict[str, bool] = {}  # model name -> whether it has a prior, as last heard

    def on_mount(self) -> None:
        self.query_one("#options").border_title = "Options"
        self.query_one("#model-run").border_title = "Model training"
        self.query_one("#prior-box").border_title = "Prior training"
        model = self.app.state.model
        if model is not None:
            self.has_prior[model.name] = model.has_prior
            self.query_one("#prior-model", Input).value = model.name
        self.send("/distill/train/options")

    # -- the user's actions ---------------------------------------------------------------------------

    @on(Input.Submitted, "#folder")
    def _folder_typed(self, event: Input.Submitted) -> None:
        self.choose_folder(event.value)

    @on(DirectoryTree.DirectorySelected)
    def _folder_picked(self, event: DirectoryTree.DirectorySelected) -> None:
        self.query_one("#folder", Input).value = str(event.path)
        self.choose_folder(str(event.path))

    def choose_folder(self, text: str) -> None:
        """Ask the engine for the folder's adaptive defaults; name the model after the folder if unnamed."""
        folder = absolute_folder(text)
        name = self.query_one("#name", Input)
        if folder and not name.value.strip():
            name.value = Path(folder).name
        self.send("/distill/train/defaults", folder)

    @on(Input.Changed, "#prior-model")
    def _prior_model_named(self) -> None:
        self._show_prior_target()

    @on(TrainOptions.Edited)
    def _option_edited(self, event: TrainOptions.Edited) -> None:
        self.send("/distill/train/option", event.key, event.value)

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"start": self.action_start_training, "stop": self.action_stop_training, "start-prior": self.action_start_prior}
        actions[event.button.id]()

    def action_start_training(self) -> None:
        """Start training a model on the chosen folder with the options shown."""
        folder = absolute_folder(self.query_one("#folder", Input).value)
        self.send("/distill/train/start", folder, self.query_one("#name", Input).value.strip())

    def action_leave_field(self) -> None:
        """Esc: leave a text field (its value is offered) for the run panel, so that t, p and h work again."""
        self.query_one("#train-run").focus()

    def action_stop_training(self) -> None:
        """Stop the run that is going (its best weights are saved)."""
        if self.query_one("#prior-run", RunProgress).running:
            self.send("/distill/prior/train/stop")
        else:
            self.send("/distill/train/stop")

    def action_show_health(self) -> None:
        """Load the model named in the prior section (the one just trained) and show its codebook usage."""
        model = self.query_one("#prior-model", Input).value.strip()
        if not model:
            self.notify("train a model first, or name one in the prior section", severity="warning")
            return
        self.send("/distill/model/load", model)
        self.app.switch_mode("health")

    def action_start_prior(self) -> None:
        """Start training the prior of the model named in the prior section (asking first if it has one)."""
        self._start_prior(self.query_one("#prior-model", Input).value.strip(), self.query_one("#prior-minutes", Input).value.strip())

    @work(thread=True, exclusive=True, group="prior-start")
    def _start_prior(self, model: str, minutes: str) -> None:
        facts = self.request_list("/distill/model/info", model, item=ModelFact, end=ModelInfoEnd)
        if facts is None:  # not a library model: the engine has said why
            return
        budget = parse_number(minutes) if minutes else 0
        if not any(fact.key == "has_prior" and fact.value for fact in facts):
            self.send("/distill/prior/train/start", model, budget)
            return

        def replace(yes: bool | None) -> None:
            if yes:
                self.send("/distill/prior/train/start", model, budget, 1)

        question = f"Model '{model}' already has a prior. Train a new one in its place?"
        self.app.call_from_thread(self.app.push_screen, ConfirmDialog(question, yes="Replace"), replace)

    # -- the engine's news ----------------------------------------------------------------------------

    def engine_message(self, record, tag: str | None) -> None:
        model_run = self.query_one("#model-run", RunProgress)
        prior_run = self.query_one("#prior-run", RunProgress)
        options = self.query_one("#options", TrainOptions)
        match record:
            case Subscribed():
                self.send("/distill/train/options")
            case TrainOptionChanged(key, value):
                options.show(key, value)
            case TrainDefaults(_, files):
                options.note(f"{files} usable sound files (silent and unreadable ones not counted): these are the defaults for that many; change any.")
            case Error("/distill/train/option"):
                options.revert()
            case TrainJobStarted("train", name):
                model_run.start(f"Training {name}: the first epoch is on its way…")
            case TrainEpoch(epoch, loss, seconds, val_l1, fraction, best, phase):
                losses = f"{phase}  ·  train loss {loss:.4f}  ·  val L1 {val_l1:.4f}"
                model_run.epoch(fraction, epoch_status(epoch, seconds, losses, best), (loss, val_l1))
            case TrainLevel(_, level, label, utilisation, perplexity, dead, status, light):
                model_run.level(level, (light_dot(light), label, f"{utilisation:.0%}", f"{perplexity:.1f}", dead, status))
            case TrainLoss(_, phase, name, value):
                model_run.detail(f"{phase} losses", name.replace("_", " "), f"{value:.4f}")
            case TrainWarning(message):
                model_run.warn(message)
            case TrainStopping("train"):
                running = prior_run if prior_run.running else model_run
                running.say("Stopping: the best weights so far are being saved…")
            case TrainJobDone("train", name, stopped):
                self.has_prior[name] = False
                saved = f"{name} is saved in the library{' (stopped early)' if stopped else ''}."
                model_run.finish(f"{saved} h: load it and see its codebook usage; p: train its prior.", not stopped)
                self.query_one("#prior-model", Input).value = name
            case Error("/distill/train"):
                model_run.finish("Training failed (see the notification).", False)
            case TrainJobStarted("prior/train", model):
                prior_run.start(f"Training the prior of {model}: the first epoch is on its way…")
                self.query_one("#prior-model", Input).value = model
            case PriorEpoch(epoch, loss, val_loss, seconds, fraction, best):
                prior_run.epoch(fraction, epoch_status(epoch, seconds, f"train loss {loss:.4f}  ·  val loss {val_loss:.4f}", best))
            case PriorLevel(_, level, label, train_perplexity, val_perplexity):
                prior_run.level(level, (label, f"{train_perplexity:.1f}", f"{val_perplexity:.1f}"))
            case PriorWarning(message):
                prior_run.warn(message)
            case TrainStopping("prior/train"):
                prior_run.say("Stopping: the best prior so far is being saved…")
            case TrainJobDone("prior/train", model, stopped):
                self.has_prior[model] = True
                prior_run.finish(f"The prior of {model} is saved{' (stopped early)' if stopped else ''}: the model can generate sounds now.", not stopped)
            case Error("/distill/prior/train"):
                prior_run.finish("Prior training failed (see the notification).", False)
            case AnnouncedModel(name, has_prior=has_prior):
                self.has_prior[name] = has_prior
                prior_model = self.query_one("#prior-model", Input)
                if not prior_model.value.strip():
                    prior_model.value = name
                self._show_prior_target()

    def _show_prior_target(self) -> None:
        """While no prior trains: say whether the model named in the prior section has a prior already."""
        run = self.query_one("#prior-run", RunProgress)
        if run.running:
            return
        name = self.query_one("#prior-model", Input).value.strip()
        has_prior = self.has_prior.get(name)
        if has_prior is None:
            run.say(PRIOR_IDLE)
        elif has_prior:
            run.say(f"{name} has a prior: it can generate sounds (p trains a new one in its place, asking first).")
        else:
            run.say(f"{name} has no prior yet: press p to train one, so that it can generate sounds.")


def epoch_status(epoch: int, seconds: float, losses: str, best: int) -> Text:
    """The status line of a finished epoch."""
    return Text.assemble(f"epoch {epoch}  ·  {clock(seconds)}  ·  {losses}", ("  ★ best so far" if best else "", "bold"))
