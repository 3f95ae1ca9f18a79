"""The resident engine: one object that owns the state the OSC and MIDI adapters (and the TUI) drive.

State: the loaded model and its prior, the sampling parameters, named code slots with undo/redo (`Slots`),
the jobs, the training options and run (VQ-VAE or prior, one at a time) and the audio output. The library,
presets and generation history live in files (`Library`, `engine.store`); the engine's methods are the one
way the adapters reach them. Adapters only translate their messages into these calls.

`Engine` is put together from one mixin per concern, each in a module of this package:

    state.py       what the engine holds (created in one place), listeners, the job threads, shutdown
    models.py      the library's models (list, search, describe, tag, rename, delete), loading one, its health
    params.py      the sampling parameters, the seed each draw takes, presets
    generation.py  generating with the prior, the generation history and making an entry again
    slots.py       code slots: encode, decode, preview, edits (set, swap, blend), undo/redo, reimagine, continue
    playing.py     playing files and slots, notes from memory and their settings, variations on the keys
    training.py    training options and runs: a new model (VQ-VAE) or a model's prior, one at a time

Threads. Calls may come from any thread. Torch work that takes time (loading, generating, encoding,
decoding, previews, replaying history, re-imagining, continuing and copy checks of a slot) runs on one torch
worker thread and is returned as a `Future`; training runs in its own thread; playing an existing file is read on a
playback thread, and a dataset folder is inspected on a files thread. Parameter changes and grid edits run
on the caller's thread, under a lock; they are quick, but a blend searches the codebooks in torch and
presets, history and the library touch files and SQLite, so adapters call them off their network thread
(the OSC adapter from its request worker). A job works on a snapshot of the model and grid taken when it was
asked for, so later changes never reach into a running job; the exception is a re-imagining, an edit drawn
by the prior: it runs on the worker, holds the edit lock while it draws, and edits the slot as it is then.

Files. Every file the engine announces lies in its output folder and is complete (written under a
temporary name, then renamed) before its event or future fires; paths from clients are only read.
"""

from engine.core.generation import GenerationMixin
from engine.core.models import ModelsMixin
from engine.core.params import ParamsMixin
from engine.core.playing import PlayingMixin
from engine.core.slots import SlotsMixin, changed_cells, free_slot
from engine.core.training import TrainingMixin

__all__ = ["Engine", "changed_cells", "free_slot"]


class Engine(ModelsMixin, ParamsMixin, GenerationMixin, SlotsMixin, PlayingMixin, TrainingMixin):
    """The resident engine (see the package docstring); its state and lifetime are `EngineState`'s."""
