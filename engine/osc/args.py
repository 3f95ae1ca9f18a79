"""OSC argument specs: parsing what clients send, and type-tagging what the engine sends back.

Incoming: any numeric argument may arrive as int or float (Pd sends only floats); a float where a whole
number is needed must be integral. The same specs decode what the engine sends (`engine.osc.messages`). Booleans, nil, blobs, MIDI and other OSC types are refused. Outgoing:
only `i`, `f` and `s` tags (Pd's `oscparse` rejects the others), set explicitly, never guessed.

A route's spec is a tuple of items: an `Arg` (required), an `Optional` group (all of its arguments or
none; groups fill in order) or a `Rest` (any number of one kind, last). The spec also writes its own help
text, e.g. `<slot_a:s> <slot_b:s> <weight:f> [<start_frame:i> <end_frame:i>]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from pythonosc.osc_message_builder import OscMessageBuilder

INT32 = (-(2**31), 2**31 - 1)
FLOAT32_MAX = 3.4028234663852886e38


class ArgumentError(ValueError):
    """An argument has the wrong type or count; the message is one sentence for the client."""


@dataclass(frozen=True)
class Arg:
    """One argument: `kind` is 'i' (whole number), 'f' (number), 's' (text), 'level' (index or label),
    'slot' (slot name; a whole number is taken as its digits, for Pd), 'path' (text, as a Path), 'bool'
    (a number, 0 is False), 'n' (a number, int or float as sent) or 'v' (a number or text, as sent)."""

    name: str
    kind: str

    def parse(self, value: object) -> object:
        """The Python value for `value`, or ArgumentError."""
        if self.kind in ("s", "path"):
            if isinstance(value, str):
                return Path(value) if self.kind == "path" else value
            raise ArgumentError(f"{self.name} must be text, not {_describe(value)}")
        if self.kind == "v" and isinstance(value, str):
            return value
        if self.kind == "slot" and isinstance(value, str):
            return value
        if self.kind == "level" and isinstance(value, str):
            return value  # a label; the engine resolves it
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError(f"{self.name} must be a number, not {_describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ArgumentError(f"{self.name} must be a finite number, not {value}")
        if self.kind in ("n", "v"):
            return value
        if self.kind == "f":
            if abs(value) > FLOAT32_MAX:
                raise ArgumentError(f"{self.name} must fit a 32-bit float, not {value:g}")
            return float(value)
        if self.kind == "bool":
            return bool(value)
        if isinstance(value, float) and not value.is_integer():
            raise ArgumentError(f"{self.name} must be a whole number, not {value:g}")
        number = int(value)
        if not INT32[0] <= number <= INT32[1]:
            raise ArgumentError(f"{self.name} must fit a 32-bit integer, not {number}")
        return str(number) if self.kind == "slot" else number

    @property
    def spec(self) -> str:
        """'<name:t>' with t one of i, f, s (a level is 'i', a slot 's'), 'i|f' or 'i|f|s'."""
        tag = {"level": "i", "slot": "s", "path": "s", "bool": "i", "n": "i|f", "v": "i|f|s"}.get(self.kind, self.kind)
        return f"<{self.name}:{tag}>"


@dataclass(frozen=True)
class Optional:
    """Arguments that are given all together or not at all; absent ones parse as None."""

    args: tuple[Arg, ...]

    @property
    def spec(self) -> str:
        """'[<a:i> <b:i>]'."""
        return "[" + " ".join(arg.spec for arg in self.args) + "]"


@dataclass(frozen=True)
class Rest:
    """Any number (zero or more) of one kind of argument, parsed into a list (None when there are none)."""

    arg: Arg

    @property
    def spec(self) -> str:
        """'[<level:i> ...]'."""
        return f"[{self.arg.spec} ...]"


Item = Arg | Optional | Rest


def spec_text(items: tuple[Item, ...]) -> str:
    """The help text of a spec ('' for no arguments)."""
    return " ".join(item.spec for item in items)


def parse(items: tuple[Item, ...], values: tuple | list) -> list:
    """Values for the handler, one per Arg (optional ones None when absent) plus one list per Rest.

    A rest after optional groups takes values only once every optional argument is given (so the count of
    values says which are given).
    """
    values = list(values)
    required = [item for item in items if isinstance(item, Arg)]
    optional = [item for item in items if isinstance(item, Optional)]
    rest = next((item for item in items if isinstance(item, Rest)), None)
    count = len(values)
    if not accepts(items, count):
        raise ArgumentError(f"expects {spec_text(items) or 'no arguments'}, got {count} argument{'' if count == 1 else 's'}")
    parsed = [arg.parse(value) for arg, value in zip(required, values)]
    position = len(required)
    for group in optional:
        size = len(group.args)
        if position + size <= count:
            parsed += [arg.parse(value) for arg, value in zip(group.args, values[position : position + size])]
            position += size
        else:
            parsed += [None] * size
    if rest is not None:
        parsed.append([rest.arg.parse(value) for value in values[position:]] or None)
    return parsed


def accepts(items: tuple[Item, ...], count: int) -> bool:
    """Whether a spec takes `count` values (the types aside): the required ones, whole optional groups in
    order, then (with a rest) any number more once every group is given."""
    required = sum(isinstance(item, Arg) for item in items)
    optional = [len(item.args) for item in items if isinstance(item, Optional)]
    allowed = {required + sum(optional[:n]) for n in range(len(optional) + 1)}
    rest = any(isinstance(item, Rest) for item in items)
    return count >= required and (count in allowed or (rest and count >= max(allowed)))


def build(address: str, values: tuple | list) -> bytes:
    """The datagram of `address` with `values` tagged explicitly: int -> i, float -> f, str -> s.

    bool becomes i 0/1 and a Path its text; anything else (None, bytes, numpy integers, ...) is a TypeError:
    callers convert explicitly.
    """
    builder = OscMessageBuilder(address)
    for value in values:
        if isinstance(value, bool):
            builder.add_arg(int(value), OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, int):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_INT)
        elif isinstance(value, float):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_FLOAT)
        elif isinstance(value, str):
            builder.add_arg(value, OscMessageBuilder.ARG_TYPE_STRING)
        elif hasattr(value, "__fspath__"):
            builder.add_arg(str(value), OscMessageBuilder.ARG_TYPE_STRING)
        else:
            raise TypeError(f"cannot send {value!r} over OSC (only i, f and s)")
    return builder.build().dgram


def int_or_text(value: int) -> int | str:
    """`value` as an OSC int when it fits 32 bits, else its digits as text (e.g. a 64-bit seed from the CLI)."""
    return value if INT32[0] <= value <= INT32[1] else str(value)


def _describe(value: object) -> str:
    """'the text 'abc'', 'true', 'nil', 'a blob' ... for error messages."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text '{value[:40]}'"
    if isinstance(value, (bytes, bytearray)):
        return "a blob"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return f"an OSC value of type {type(value).__name__}"
