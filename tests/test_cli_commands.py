"""What every `distill` command shares: its own usage on a mistyped flag, help written for musicians, and
`serve` refusing a busy port before it loads anything. The real console script runs in a subprocess."""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import engine.cli

DISTILL = Path(sys.executable).parent / "distill"
# Words about the code rather than the music: module paths, class names, machine-learning jargon.
CODE_TALK = re.compile(r"engine\.|sub-?module|\bSlots\b|RVQ|quantizer|torch|transformer|embedding|logits|greedy|codebook entry|\bconv\b")


def distill(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(DISTILL), *args], capture_output=True, text=True, timeout=120, env={**os.environ, "DISTILL_HOME": str(home)})


def test_a_mistyped_flag_shows_the_commands_own_usage_and_the_closest_flag(tmp_path):
    result = distill(tmp_path, "generate", "mykit", "--tempreature", "0.9")

    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("usage: distill generate ")
    assert result.stderr.rstrip().endswith("distill generate: error: unrecognized arguments: --tempreature 0.9 (did you mean --temperature?)")


def test_a_mistyped_flag_of_a_nested_action_shows_that_actions_usage(tmp_path):
    result = distill(tmp_path, "models", "tag", "kit", "vinyl", "--remvoe")

    assert result.returncode == 2
    assert result.stderr.startswith("usage: distill models tag ")
    assert "unrecognized arguments: --remvoe (did you mean --remove?)" in result.stderr


def test_an_unknown_top_level_flag_still_shows_the_top_level_usage(tmp_path):
    result = distill(tmp_path, "--verison")
    assert result.returncode == 2 and result.stderr.startswith("usage: distill [-h]")


def every_parser(parser: argparse.ArgumentParser, name: str = "distill"):
    """(command name, parser) for the parser and every command and action below it."""
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub_parser in action.choices.items():
                yield from every_parser(sub_parser, f"{name} {sub_name}")


def help_texts(parser: argparse.ArgumentParser) -> list[str]:
    """The description, the command list and every flag's help of one parser."""
    texts = [parser.description or ""]
    for action in parser._actions:
        texts.append(action.help or "")
        if isinstance(action, argparse._SubParsersAction):
            texts += [choice.help or "" for choice in action._choices_actions]
    return texts


def test_help_speaks_to_musicians_not_about_the_code():
    parsers = dict(every_parser(engine.cli.build_parser()))
    assert {"distill train", "distill models tag", "distill codes swap", "distill serve", "distill generate"} <= parsers.keys()
    for name, parser in parsers.items():
        for text in help_texts(parser):
            assert not CODE_TALK.search(text), f"`{name} --help` talks about the code: {text!r}"


def test_serve_on_a_busy_port_says_so_before_loading_a_model(tmp_path):
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        # The model does not exist: had it been looked up first, the error would name it.
        result = distill(tmp_path, "serve", "--port", str(port), "--model", "not-there", "--audio-device", "none")
    finally:
        taken.close()

    assert result.returncode == 1
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): another program, perhaps another "
        f"`distill serve`, has port {port}; choose another with --port N (--port 0 picks a free one)\n"
    )
