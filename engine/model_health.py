"""The codebook health a model file records, read and written here and nowhere else (no torch: the library
lists models with it).

In the model file's metadata, as the trainer writes it:

    "health": {"levels": [{"level": 0, "label": "Structure", "utilisation": 0.8, "perplexity": 40.1,
                           "dead": 3, "status": "Healthy", "light": "green"}, ...],
               "usage": [[count per code] per level]}

Reading tolerates what a damaged or foreign file may hold: a level entry that is not complete and well
typed is left out, usage that is not a list of lists of whole numbers is treated as absent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

LIGHT_ORDER = ("green", "yellow", "red")  # best to worst


@dataclass
class LevelHealth:
    """Health of one quantizer level."""

    level: int
    label: str
    utilisation: float  # share of codes used at least once, 0..1
    perplexity: float  # effective number of codes in use
    dead: int  # codes never used
    status: str  # plain-language verdict
    light: str  # green / yellow / red

    def to_dict(self) -> dict:
        """JSON-friendly copy."""
        return asdict(self)


_TYPES = {"level": int, "label": str, "utilisation": (int, float), "perplexity": (int, float), "dead": int, "status": str, "light": str}


@dataclass(frozen=True)
class ModelHealth:
    """A model's recorded codebook health: per level its verdict, and how often each code was used."""

    levels: tuple[LevelHealth, ...] = ()
    usage: tuple[tuple[int, ...], ...] = ()  # [level][code]; empty when not recorded

    @classmethod
    def from_metadata(cls, metadata: dict) -> ModelHealth:
        """The health recorded in a model file's metadata (empty when there is none)."""
        health = metadata.get("health") if isinstance(metadata, dict) else None
        if not isinstance(health, dict):
            return cls()
        entries = health.get("levels")
        levels = tuple(_level(entry) for entry in entries if _level(entry) is not None) if isinstance(entries, list) else ()
        return cls(levels, _usage(health.get("usage")))

    def to_metadata(self) -> dict:
        """The `metadata["health"]` section."""
        return {"levels": [level.to_dict() for level in self.levels], "usage": [list(counts) for counts in self.usage]}

    @property
    def worst(self) -> LevelHealth | None:
        """The level with the worst light (an unknown light counts as yellow), or None without levels."""
        rank = {light: index for index, light in enumerate(LIGHT_ORDER)}
        return max(self.levels, key=lambda level: rank.get(level.light, 1), default=None)


def _level(entry: object) -> LevelHealth | None:
    if not isinstance(entry, dict):
        return None
    names = [f.name for f in fields(LevelHealth)]
    if any(not isinstance(entry.get(name), _TYPES[name]) or isinstance(entry.get(name), bool) for name in names):
        return None
    return LevelHealth(**{name: entry[name] for name in names})


def _usage(value: object) -> tuple[tuple[int, ...], ...]:
    if not isinstance(value, list) or not all(isinstance(counts, list) for counts in value):
        return ()
    if not all(isinstance(count, int) and not isinstance(count, bool) for counts in value for count in counts):
        return ()
    return tuple(tuple(counts) for counts in value)
