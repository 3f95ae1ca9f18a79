"""The models: those in the library (list, search, facts, describe, tag, rename, delete) and the loaded one.

Loading reads a model file with its prior on the torch worker and replaces the loaded model as a whole
(`_Model` in state.py); `health` and `usage` report what training recorded about its codebooks. The jobs of
the other concerns start from `_require_model` or `_require_prior`.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path

from engine.codes.grid import Level, resolve_level
from engine.core.state import EngineState, _Model
from engine.errors import DistillError
from engine.events import ModelDeleted, ModelInfo, ModelLoaded, ModelRenamed
from engine.library import ModelEntry, model_facts
from engine.model_health import LevelHealth, ModelHealth


class ModelsMixin(EngineState):
    """The engine's models (see the module docstring)."""

    def list_models(self) -> list[str]:
        """The names of the models in the library, sorted."""
        return [entry.name for entry in self.library.list()]

    def search_models(self, query: str) -> list[str]:
        """Names of the library models matching every word of `query`, best first; a blank query lists all."""
        return [entry.name for entry in self.library.search(query)]

    def model_info(self, name: str) -> dict[str, str | int | float]:
        """What is known about library model `name` (see `model_facts`)."""
        return model_facts(self.library.get(name))

    def rename_model(self, old: str, new: str) -> None:
        """Rename library model `old` to `new` and announce it.

        When the loaded model is that file, it follows and is announced again as `ModelLoaded` under its new
        name (a loaded model of the same name from elsewhere is another model and keeps its name).
        """
        before = self.library.get(old)  # names ignore case: announce the library's spelling
        old, old_path = before.name, before.path.resolve()
        entry = self.library.rename(old, new)
        followed = None
        with self._lock:
            current = self._model
            if current is not None and current.info.path.resolve() == old_path:
                loaded = replace(current.loaded, path=entry.path, metadata={**current.loaded.metadata, "name": entry.name})
                followed = replace(current.info, name=entry.name, path=entry.path)
                self._model = replace(current, loaded=loaded, info=followed)
        self._emit(ModelRenamed(old, entry.name))
        if followed is not None:
            self._emit(ModelLoaded(followed))

    def delete_model(self, name: str) -> None:
        """Delete library model `name` (its file) and announce it; a loaded copy stays loaded in memory."""
        name = self.library.get(name).name  # names ignore case: announce the library's spelling
        self.library.delete(name)
        self._emit(ModelDeleted(name))

    def describe_model(self, name: str, text: str) -> tuple[str, str]:
        """Set library model `name`'s description -> (its name, the description as stored)."""
        entry = self.library.set_description(name, text)
        return entry.name, entry.description

    def tag_model(self, name: str, add: list[str] = (), remove: list[str] = ()) -> tuple[str, list[str]]:
        """Add and remove tags of library model `name` -> (its name, its tags now)."""
        entry = self.library.edit_tags(name, add=add, remove=remove)
        return entry.name, entry.tags

    def load_model(self, name_or_path: str) -> ModelInfo:
        """Load a library model or model file with its prior (on the torch worker) and wait for it."""
        return self.load_model_async(name_or_path).result().info

    def load_model_async(self, name_or_path: str) -> Future[ModelLoaded]:
        """Load a model on the torch worker; the future gives the `ModelLoaded` event it also sends."""
        path = self.library.resolve(name_or_path)
        return self._worker.submit(self._load_job, path)

    def _load_job(self, path: Path) -> ModelLoaded:
        from engine.model.persist import load_vqvae
        from engine.prior.bundle import load_prior

        loaded = load_vqvae(path, device=self.device)
        prior, prior_error = None, None
        try:
            prior = load_prior(loaded)
        except DistillError as error:  # no prior, or a damaged one: the VQ-VAE still encodes and decodes
            prior_error = error
        cfg = loaded.model.cfg
        info = ModelInfo(
            loaded.name, loaded.path, cfg.levels, cfg.codebook_size, loaded.mel.sample_rate, prior is not None, tuple(cfg.labels),
            loaded.samples_per_column,
        )
        with self._lock:
            self._model = _Model(loaded, prior, prior_error, info)
        self._training_codes = None  # the last model's, encoded for check_copy: not needed any more
        self._retune()
        event = ModelLoaded(info)
        self._emit(event)
        return event

    @property
    def model(self) -> ModelInfo | None:
        """The loaded model, or None."""
        current = self._model
        return current.info if current else None

    def _require_model(self) -> _Model:
        current = self._model
        if current is None:
            raise DistillError("no model is loaded: load one first (/distill/model/load <name>)")
        return current

    def health(self) -> list[LevelHealth]:
        """Codebook health per level of the loaded model, as recorded when it was trained."""
        current = self._require_model()
        levels = ModelHealth.from_metadata(current.loaded.metadata).levels
        if not levels:
            raise DistillError(f"model '{current.info.name}' has no codebook health recorded")
        return list(levels)

    def usage(self, level: Level) -> tuple[int, list[int]]:
        """(level index, how often each code of that level was used) for the loaded model, as recorded in training."""
        current = self._require_model()
        level = resolve_level(level, current.info.labels)
        usage = ModelHealth.from_metadata(current.loaded.metadata).usage
        if len(usage) != current.info.levels:
            raise DistillError(f"model '{current.info.name}' has no code usage recorded")
        return level, list(usage[level])

    def _require_prior(self) -> _Model:
        """The loaded model when it has a prior, else the DistillError that says why it has none."""
        current = self._require_model()
        if current.prior is None:
            error = current.prior_error
            raise type(error)(str(error))  # a fresh exception: the stored one must not collect tracebacks
        return current

    def _find(self, name_or_path: str) -> ModelEntry:
        """The model a library name or file path means, its header read; DistillError when there is none."""
        try:
            return self.library.find(name_or_path)
        except OSError as error:  # e.g. a name too long for the file system
            raise DistillError(f"'{name_or_path[:64]}' is neither a model file nor a model in the library ({error.strerror or error})") from error
