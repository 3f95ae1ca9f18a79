"""The distill terminal app: five screens over one OSC link to the engine.

The app owns the `EngineLink` and the mirrored `EngineState`; every engine message is applied to the
state, shown as a notification when it is an error, and handed to every mounted screen. F1-F5 switch
screens (each is a Textual mode, so a screen keeps its state while another is shown); every screen names
them in its `ScreenBar`. Below 100 columns the screens get the class `-narrow`, below 30 rows `-short`, so
that their CSS can fit an 80x24 terminal.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.binding import Binding

from engine.osc.messages import Error
from tui.link import EngineError, EngineLink
from tui.screens.base import EngineMessage
from tui.screens.codes import CodesScreen
from tui.screens.generate import GenerateScreen
from tui.screens.health import HealthScreen
from tui.screens.library import LibraryScreen
from tui.screens.train import TrainScreen
from tui.widgets.screen_bar import SCREENS


class DistillApp(App):
    """A client of the engine at `server` (host, port); `load_model` is loaded once connected.

    `connect_timeout` is how long to wait for the engine to answer the subscription.
    """

    TITLE = "distill"
    ENABLE_COMMAND_PALETTE = False  # its footer entry would crowd out the screens' keys at 80 columns
    CSS_PATH = "distill.tcss"
    MODES = {"library": LibraryScreen, "train": TrainScreen, "codes": CodesScreen, "generate": GenerateScreen, "health": HealthScreen}
    DEFAULT_MODE = "library"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        *(Binding(key, f"switch_mode('{mode}')", name, show=False) for mode, key, name in SCREENS),  # shown in the ScreenBar
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(self, server: tuple[str, int], load_model: str | None = None, connect_timeout: float = 5.0):
        super().__init__()
        from tui.state import EngineState

        self.server = server
        self.state = EngineState()
        self.listeners: set = set()  # mounted screens (see EngineScreen)
        self.link = EngineLink(server, on_message=self._from_engine)
        self._load_model = load_model
        self._connect_timeout = connect_timeout

    def on_mount(self) -> None:
        self._show_status()
        self.connect()

    @work(thread=True, exclusive=True, group="connect")
    def connect(self) -> None:
        """Subscribe to the engine (then load the requested model); say so when it does not answer."""
        host, port = self.server
        try:
            self.link.start(timeout=self._connect_timeout)
        except (TimeoutError, EngineError) as error:
            self.call_from_thread(self.notify, f"no engine answers at {host}:{port}: {error}", severity="error", timeout=30)
            return
        self.state.connected = True
        self.call_from_thread(self._show_status)
        if self._load_model:
            self.link.send("/distill/model/load", self._load_model)

    def send(self, address: str, *values, tag: str | None = None) -> None:
        """Send one request to the engine (ending with `tag` when given); its answer or error arrives as a message."""
        self.link.send(address, *values, tag=tag)

    def _from_engine(self, record, tag: str | None) -> None:  # on the link's receiving thread
        self.post_message(EngineMessage(record, tag))

    def on_engine_message(self, message: EngineMessage) -> None:
        record = message.record
        if isinstance(record, Error):
            self.notify(record.message, title=record.address or "engine", severity="error", timeout=8)
        if self.state.apply(record):
            self._show_status()
        for screen in list(self.listeners):
            screen.post_message(EngineMessage(record, message.tag))

    def _show_status(self) -> None:
        host, port = self.server
        model = self.state.model
        where = f"engine {host}:{port}" if self.state.connected else f"connecting to {host}:{port}"
        what = "no model loaded" if model is None else f"{model.name} ({'with prior' if model.has_prior else 'no prior'})"
        self.sub_title = f"{where} · {what}"

    def on_unmount(self) -> None:
        self.link.close()
