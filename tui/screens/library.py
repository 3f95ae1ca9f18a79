"""The Library screen: the engine's models, searchable, with details; load, rename, tag, describe and delete them.

Everything is event-driven: the screen sends `/distill/model/list` (or `/distill/model/search` while a
search is typed) and `/distill/model/info`, and fills itself from the answers as they arrive; renames,
deletions, loads and finished training runs from any client refresh it.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Input, Static

from engine.events import ModelDeleted, ModelRenamed, TrainJobDone
from engine.osc.messages import AnnouncedModel, Error, ModelDescribed, ModelFact, ModelInfoEnd, ModelNames, ModelNamesEnd, ModelTags, Subscribed
from tui.screens.base import EngineScreen
from tui.widgets.confirm import ConfirmDialog
from tui.widgets.model_details import ModelDetails
from tui.widgets.name_prompt import NamePrompt
from tui.widgets.screen_bar import ScreenBar
from tui.widgets.table_rows import highlight_key, highlighted_key

SEARCH_DELAY_S = 0.25  # wait for a pause in typing before searching
INFO_DELAY_S = 0.1  # wait for the cursor to rest on a model before asking for its details
LOADED_MARK = "●"


class LibraryScreen(EngineScreen):
    """Models on the left (search above them), the highlighted model's details on the right."""

    DEFAULT_CSS = """
    LibraryScreen #library { height: 1fr; }
    LibraryScreen #models-pane { width: 42; }
    LibraryScreen #models { height: 1fr; border: round $primary; }
    LibraryScreen #models:focus { border: round $accent; }
    LibraryScreen ModelDetails { width: 1fr; height: 1fr; border: round $primary; }
    LibraryScreen #library-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("l", "load", "Load"),
        Binding("r", "rename", "Rename"),
        Binding("t", "tags", "Tags"),
        Binding("e", "describe", "Describe"),
        Binding("x,delete", "delete", "Delete"),
        Binding("slash", "focus_search", "Search"),
        Binding("escape", "focus_models", "Models", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._pages: dict[str, list[str]] = {}  # list or search address -> names received so far
        self._incoming_facts: dict[str, dict[str, object]] = {}  # model -> facts received so far
        self._facts: dict[str, dict[str, object]] = {}  # model -> its complete facts
        self._follow: str | None = None  # select this model when the list next arrives (after a rename)
        self._search_timer: Timer | None = None
        self._info_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield ScreenBar("library")
        with Horizontal(id="library"):
            with Vertical(id="models-pane"):
                yield Input(placeholder="search models ( / )", id="search")
                table = DataTable(id="models", cursor_type="row", zebra_stripes=True)
                table.add_column(" ", key="mark", width=1)
                table.add_column("model", key="name")
                table.border_title = "Models"
                yield table
            details = ModelDetails(id="details")
            details.border_title = "Details"
            yield details
        yield Static("", id="library-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#models").focus()
        self.query_one(ModelDetails).clear("waiting for the engine")
        if self.app.state.connected:
            self.refresh_models()

    # -- asking ---------------------------------------------------------------------------------------------

    @property
    def query_text(self) -> str:
        """The search typed, stripped ('' lists every model)."""
        return self.query_one("#search", Input).value.strip()

    def refresh_models(self) -> None:
        """Ask for the models again: all of them, or those matching the search."""
        if self.query_text:
            self.send("/distill/model/search", self.query_text)
        else:
            self.send("/distill/model/list")

    @property
    def selected(self) -> str | None:
        """The highlighted model's name, or None when the list is empty."""
        return highlighted_key(self.query_one("#models", DataTable))

    def _ask_details(self, name: str) -> None:
        if self.selected == name:
            self.send("/distill/model/info", name)

    # -- hearing ----------------------------------------------------------------------------------------------

    def engine_message(self, record, tag: str | None) -> None:
        """Fill the list and the details from the answers; refresh after changes from any client."""
        match record:
            case Subscribed():
                self.refresh_models()
            case ModelNames(kind, names):
                self._pages.setdefault(kind, []).extend(names)
            case ModelNamesEnd(kind):
                names = self._pages.pop(kind, [])
                if (kind == "search") == bool(self.query_text):  # else: an answer to an old question
                    self._fill(names)
            case ModelFact(name, key, value):
                self._incoming_facts.setdefault(name, {})[key] = value
            case ModelInfoEnd(name):
                self._facts[name] = self._incoming_facts.pop(name, {})
                if name == self.selected:
                    self._show_details(name)
            case AnnouncedModel(name):
                self._mark_loaded()
                self._status(f"loaded {name}")
            case Error("/distill/model/load"):
                self._status("")
            case Error("/distill/model/info", message) if self.selected is not None:
                self.query_one(ModelDetails).clear(f"no details: {message}")
            case ModelRenamed(old, new):
                self._facts.pop(old, None)
                if self.selected == old:
                    self._follow = new
                self.refresh_models()
            case ModelTags(name, tags):
                self._update_fact(name, "tags", tags)
            case ModelDescribed(name, description):
                self._update_fact(name, "description", description)
            case ModelDeleted(name) | TrainJobDone(_, name):
                self._facts.pop(name, None)
                self.refresh_models()

    # -- showing ---------------------------------------------------------------------------------------------

    def _fill(self, names: list[str]) -> None:
        """Show `names`, keeping the highlighted model highlighted (or the one just renamed to)."""
        table = self.query_one("#models", DataTable)
        keep = self._follow or self.selected
        self._follow = None
        loaded = self._loaded_name()
        table.clear()
        for name in names:
            table.add_row(LOADED_MARK if name == loaded else "", name, key=name)
        highlight_key(table, keep)
        count = f"{len(names)} model{'' if len(names) == 1 else 's'}"
        self._status(f"{count} matching '{self.query_text}'" if self.query_text else count)
        if self.selected is None:
            self.query_one(ModelDetails).clear(f"no model matches '{self.query_text}'" if self.query_text else "the library is empty: train a model (F2)")
        else:
            self._show_details(self.selected)

    def _show_details(self, name: str) -> None:
        details = self.query_one(ModelDetails)
        if name not in self._facts:
            details.clear(f"{name}: asking the engine…")
            if self._info_timer is not None:
                self._info_timer.stop()
            self._info_timer = self.set_timer(INFO_DELAY_S, lambda: self._ask_details(name))
            return
        details.show(name, self._facts[name], loaded=name == self._loaded_name())

    def _update_fact(self, name: str, key: str, value: str) -> None:
        """One fact of `name` changed (from any client): show it, or forget the facts to ask again."""
        if name in self._facts:
            self._facts[name][key] = value
        if name == self.selected:
            self._show_details(name)

    def _mark_loaded(self) -> None:
        table = self.query_one("#models", DataTable)
        loaded = self._loaded_name()
        for row_key in table.rows:
            table.update_cell(row_key, "mark", LOADED_MARK if row_key.value == loaded else "")
        if self.selected is not None:
            self._show_details(self.selected)

    def _loaded_name(self) -> str | None:
        model = self.app.state.model
        return model.name if model is not None else None

    def _status(self, text: str) -> None:
        self.query_one("#library-status", Static).update(text)

    # -- the user ---------------------------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#models")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor moved to another model: show its details."""
        self._show_details(event.row_key.value)

    @on(DataTable.RowSelected, "#models")
    def _selected(self) -> None:
        """Enter on a model loads it."""
        self.action_load()

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        """Search once typing pauses."""
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY_S, self.refresh_models)

    @on(Input.Submitted, "#search")
    def action_focus_models(self) -> None:
        """Back to the list (Enter in the search field, or Escape)."""
        self.query_one("#models").focus()

    def action_focus_search(self) -> None:
        """Type a search."""
        self.query_one("#search").focus()

    def action_load(self) -> None:
        """Load the highlighted model into the engine."""
        name = self._require_selection()
        if name is not None:
            self.send("/distill/model/load", name)
            self._status(f"loading {name}…")

    def action_rename(self) -> None:
        """Ask for a new name for the highlighted model, then rename it."""
        name = self._require_selection()
        if name is None:
            return

        def rename(new: str | None) -> None:
            if new and new != name:
                self.send("/distill/model/rename", name, new)

        self.app.push_screen(NamePrompt(f"Rename model '{name}' to:", name), rename)

    def action_tags(self) -> None:
        """Edit the highlighted model's tags as one comma-separated line; the engine gets what was added and removed."""
        name = self._require_known_selection()
        if name is None:
            return
        old = split_tags(str(self._facts.get(name, {}).get("tags", "")))

        def retag(text: str | None) -> None:
            if text is None:
                return
            new = split_tags(text)
            removed = [tag for tag in old if tag.lower() not in {t.lower() for t in new}]
            added = [tag for tag in new if tag.lower() not in {t.lower() for t in old}]
            if removed:
                self.send("/distill/model/untag", name, *removed)
            if added:
                self.send("/distill/model/tag", name, *added)

        self.app.push_screen(NamePrompt(f"Tags of '{name}', separated by commas:", ", ".join(old), blank_ok=True), retag)

    def action_describe(self) -> None:
        """Edit the highlighted model's description (blank clears it)."""
        name = self._require_known_selection()
        if name is None:
            return
        old = str(self._facts.get(name, {}).get("description", ""))

        def describe(text: str | None) -> None:
            if text is not None and text != old:
                self.send("/distill/model/describe", name, text)

        self.app.push_screen(NamePrompt(f"Description of '{name}':", old, blank_ok=True), describe)

    def action_delete(self) -> None:
        """Delete the highlighted model, once confirmed."""
        name = self._require_selection()
        if name is None:
            return

        def delete(yes: bool | None) -> None:
            if yes:
                self.send("/distill/model/delete", name)

        self.app.push_screen(ConfirmDialog(f"Delete model '{name}'? Its file is removed from the library.", yes="Delete"), delete)

    def _require_selection(self) -> str | None:
        name = self.selected
        if name is None:
            self.notify("no model is selected", severity="warning")
        return name

    def _require_known_selection(self) -> str | None:
        """The highlighted model once its details have arrived (edits start from what it has), else None."""
        name = self._require_selection()
        if name is not None and name not in self._facts:
            self.notify(f"the details of '{name}' have not arrived yet", severity="warning")
            return None
        return name


def split_tags(text: str) -> list[str]:
    """'drums, dry ,,kit' -> ['drums', 'dry', 'kit']: the tags of a comma-separated line, blanks dropped."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]
