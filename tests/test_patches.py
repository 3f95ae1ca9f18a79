"""The Max and Pure Data patches: structure, the OSC addresses they use, and real Pd running the .pd headless.

The Pd test runs `pd -nogui` on a copy of the patch whose ports point at a listener in the test: it checks
that Pd loads the patch without errors, that its loadbang subscribes and a `-send` generates, both as valid
OSC with only i/f/s tags, and that a `/distill/generated <file>` sent back is read into Pd's table.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.osc.routes import ROUTES

PATCHES = Path(__file__).resolve().parent.parent / "max_patches"
PD_PATCH = PATCHES / "distill.pd"
MAX_PATCH = PATCHES / "distill.maxpat"
KNOWN_ADDRESSES = {route.address for route in ROUTES}


def pd_records(text: str) -> list[list[str]]:
    """The patch's records (`#X obj 10 20 foo;` -> ['#X', 'obj', '10', '20', 'foo']), escaped semicolons kept."""
    return [record.split() for record in re.split(r"(?<!\\);\s*", text) if record.strip()]


def pd_osc_addresses(records: list[list[str]]) -> set[str]:
    """Addresses of every [oscformat a b c] object: '/a/b/c'."""
    return {"/" + "/".join(r[5:]) for r in records if r[:2] == ["#X", "obj"] and r[4] == "oscformat"}


def max_boxes_and_lines() -> tuple[dict[str, dict], list[dict]]:
    patcher = json.loads(MAX_PATCH.read_text())["patcher"]
    boxes = {b["box"]["id"]: b["box"] for b in patcher["boxes"]}
    return boxes, [line["patchline"] for line in patcher["lines"]]


def max_osc_addresses(boxes: dict[str, dict]) -> set[str]:
    """Addresses the Max patch sends: first words starting with /distill/ of message boxes and prepends."""
    found = set()
    for box in boxes.values():
        words = box.get("text", "").split()
        if box["maxclass"] == "message" and words and words[0].startswith("/distill/"):
            found.add(words[0])
        elif words[:1] == ["prepend"] and words[1].startswith("/distill/"):
            found.add(words[1])
    return found


def test_maxpat_is_valid_json_whose_lines_join_existing_inlets_and_outlets():
    boxes, lines = max_boxes_and_lines()
    assert lines
    for line in lines:
        (source, outlet), (destination, inlet) = line["source"], line["destination"]
        assert source in boxes and destination in boxes, line
        assert 0 <= outlet < boxes[source]["numoutlets"], line
        assert 0 <= inlet < boxes[destination]["numinlets"], line
    texts = {box.get("text", "") for box in boxes.values()}
    for key in ("udpsend 127.0.0.1 9000", "udpreceive 9001", "buffer~ distill-sound", "play~ distill-sound 2", "loadbang"):
        assert key in texts
    assert any(t.startswith("route /distill/generated /distill/decoded") for t in texts)
    assert "/distill/subscribe 9001" in texts


def test_pd_patch_connections_join_existing_objects():
    records = pd_records(PD_PATCH.read_text())
    assert records[0][:2] == ["#N", "canvas"]
    count = sum(1 for r in records[1:] if r[0] == "#X" and r[1] in {"obj", "msg", "text", "floatatom"})
    connections = [r for r in records if r[:2] == ["#X", "connect"]]
    assert connections
    for r in connections:
        assert 0 <= int(r[2]) < count and 0 <= int(r[4]) < count, r


def test_every_address_either_patch_sends_is_an_engine_address():
    boxes, _ = max_boxes_and_lines()
    pd_addresses = pd_osc_addresses(pd_records(PD_PATCH.read_text()))
    max_addresses = max_osc_addresses(boxes)
    for used in (pd_addresses, max_addresses):
        assert {"/distill/subscribe", "/distill/generate", "/distill/encode", "/distill/swap", "/distill/blend",
                "/distill/undo", "/distill/redo", "/distill/health", "/distill/play"} <= used
        assert used <= KNOWN_ADDRESSES, used - KNOWN_ADDRESSES
    assert {f"/distill/param/{name}" for name in ("temperature", "top_k", "top_p", "seed", "duration")} <= pd_addresses & max_addresses


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data (`pd`, Debian package puredata-core) is not installed")
def test_real_pd_loads_the_patch_subscribes_generates_and_reads_the_returned_file(tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    engine_port, pd_port = listener.getsockname()[1], free_udp_port()
    patch = PD_PATCH.read_text()
    patch = patch.replace("connect 127.0.0.1 9000", f"connect 127.0.0.1 {engine_port}")
    patch = patch.replace("netreceive -u -b 9001", f"netreceive -u -b {pd_port}").replace("msg 20 170 9001", f"msg 20 170 {pd_port}")
    (tmp_path / "distill.pd").write_text(patch)
    sound = tmp_path / "generated.wav"
    sf.write(sound, (0.3 * np.sin(np.arange(12345) / 10)).astype(np.float32), 24000)

    pd = subprocess.Popen(
        ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-send", "distill-generate bang", "-open", str(tmp_path / "distill.pd")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(pd.stdout), daemon=True)
    reader.start()
    try:
        received = []
        for _ in range(2):
            data, sender = listener.recvfrom(65536)
            received.append(OscMessage(data))
        assert [(m.address, m.params) for m in received] == [("/distill/subscribe", [float(pd_port)]), ("/distill/generate", [])]
        for message in received:
            tags = message.dgram[message.dgram.index(b",") :].split(b"\0")[0]
            assert set(tags[1:].decode()) <= {"i", "f", "s"}
        reply = OscMessageBuilder("/distill/generated")
        for value in (str(sound), 0.51, 7):
            reply.add_arg(value)
        listener.sendto(reply.build().dgram, ("127.0.0.1", pd_port))
        deadline = time.monotonic() + 10
        while not any("distill-loaded" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        pd.terminate()
        pd.wait(10)
        reader.join(5)
        listener.close()
    output = "".join(lines)
    assert "distill-loaded: 12345" in output, output
    assert "couldn't create" not in output and "error" not in output.lower(), output


@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data (`pd`, Debian package puredata-core) is not installed")
def test_real_pd_drives_the_real_engine_and_loads_what_it_generated(start_serve, tmp_path, tiny_prior_file):
    """The shipped patch, unchanged but for its ports, asks a real `distill serve` to generate and loads the file."""
    pd_port = free_udp_port()
    serve, engine_port = start_serve("--audio-device", "none", "--out", str(tmp_path / "out"), "--model", str(tiny_prior_file))
    engine_log: list[str] = []
    threading.Thread(target=lambda: engine_log.extend(serve.stderr), daemon=True).start()
    patch = PD_PATCH.read_text().replace("connect 127.0.0.1 9000", f"connect 127.0.0.1 {engine_port}")
    patch = patch.replace("netreceive -u -b 9001", f"netreceive -u -b {pd_port}").replace("msg 20 170 9001", f"msg 20 170 {pd_port}")
    (tmp_path / "distill.pd").write_text(patch)
    pd = subprocess.Popen(
        ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", "-send", "distill-generate bang", "-open", str(tmp_path / "distill.pd")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(pd.stdout), daemon=True).start()
    try:
        deadline = time.monotonic() + 90
        while not any("distill-loaded" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        pd.terminate()
        pd.wait(15)
    output = "".join(lines)
    loaded = re.search(r"distill-loaded: (\d+)", output)
    assert loaded and int(loaded.group(1)) > 0, output + "".join(engine_log)
    generated = list((tmp_path / "out").glob("*.wav"))
    assert len(generated) == 1 and sf.info(generated[0]).frames == int(loaded.group(1))  # Pd read the engine's file
    assert "couldn't create" not in output and "error" not in output.lower(), output
