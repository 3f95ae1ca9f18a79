"""The Max and Pure Data patches: structure, layout, the OSC addresses they use, and real Pd running the .pd headless.

The layout tests estimate every box's size from its text and the patch's font (as Pd and Max draw them,
labels included) and check that no two boxes overlap and none reaches past the left or top edge. The Pd
test runs `pd -nogui` on a copy of the patch whose ports point at a listener in the test: it checks that Pd
loads the patch without errors, that its loadbang subscribes and a `-send` generates, both as valid OSC with
only i/f/s tags, that a `/distill/generated <file>` sent back is read into Pd's table, that a `/distill/copy`
is printed, and that parameter values the engine announces are taken into the number boxes.
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


PD_CHAR = (7, 16)  # width and height of a character of Pd's font size 12 (the patch's), in pixels
Box = tuple[int, int, int, int]  # left, top, right, bottom


def pd_box(record: list[str]) -> Box | None:
    """The rectangle a Pd object, message, comment, number box or bang takes, its label included; None for others."""
    if record[0] != "#X" or record[1] not in {"obj", "msg", "text", "floatatom", "symbolatom"}:
        return None
    x, y = int(record[2]), int(record[3])
    char_w, char_h = PD_CHAR
    if record[1] in {"floatatom", "symbolatom"}:  # width min max label_position label receive send ...
        width, position, label = int(record[4]), int(record[7]), record[8]
        right = x + width * char_w + 4
        assert position == 1 or label == "-", f"label '{label}' left of or over its box would be cut or covered: {record}"
        return x, y, right + (0 if label == "-" else 3 + len(label) * char_w), y + char_h + 5
    if record[4:5] == ["bng"]:  # bng size ... label label_x label_y font font_size ...
        size, label, label_x = int(record[5]), record[11], int(record[12])
        return x, y, max(x + size, x + label_x + len(label) * char_w), y + size
    wrap = 60  # characters per line of a comment without a width
    text = " ".join(record[4:])
    width_match = re.search(r", f (\d+)$", text)
    if width_match:
        wrap, text = int(width_match.group(1)), text[: width_match.start()]
    if record[1] == "text":
        lines = _wrapped_lines(text.replace("\\", ""), wrap)
        return x, y, x + wrap * char_w, y + lines * char_h + 4
    lines = [line.strip() for line in text.replace("\\;", ";\n").replace("\\", "").splitlines()]  # Pd breaks after a ;
    return x, y, x + max(max(len(line) for line in lines), 3) * char_w + 6, y + len(lines) * char_h + 5


def _wrapped_lines(text: str, width: int) -> int:
    """Lines `text` takes when wrapped at word boundaries to `width` characters."""
    lines, line = 1, 0
    for word in text.split():
        if line and line + 1 + len(word) > width:
            lines, line = lines + 1, 0
        line += len(word) + (1 if line else 0)
    return lines


def overlapping(boxes: list[tuple[str, Box]]) -> list[tuple[str, str]]:
    """Pairs of boxes (by name) whose rectangles intersect."""
    found = []
    for i, (name_a, (l1, t1, r1, b1)) in enumerate(boxes):
        for name_b, (l2, t2, r2, b2) in boxes[i + 1 :]:
            if l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1:
                found.append((name_a, name_b))
    return found


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
    for key in ("udpsend 127.0.0.1 9000", "udpreceive 9001", "buffer~ distill-sound", "play~ distill-sound", "loadbang"):
        assert key in texts
    assert any(t.startswith("route /distill/generated /distill/decoded") for t in texts)
    assert "/distill/subscribe 9001" in texts
    by_text = {box.get("text"): id_ for id_, box in boxes.items()}
    copies, printed = by_text["route /distill/copy /distill/copy/unavailable"], by_text["print distill-copy"]
    assert {(line["source"][1], line["destination"][0]) for line in lines if line["source"][0] == copies} >= {(0, printed), (1, printed)}
    assert any(line["destination"][0] == by_text["s distill-v-one_shot"] for line in lines)  # the engine's one_shot reaches its box


MAX_CHAR = 6  # pixels per character of Max's 12 pt font, at least (its average is a little under 7)


def test_no_two_boxes_of_the_max_patch_overlap_and_no_text_is_cut():
    boxes, _ = max_boxes_and_lines()
    rects = []
    for box in boxes.values():
        x, y, width, height = box["patching_rect"]
        text = box.get("text", "")
        if box["maxclass"] in {"newobj", "message"}:
            assert width >= len(text) * MAX_CHAR + 8, f"'{text}' is cut: {width} px wide"
        if box["maxclass"] == "comment":
            assert height >= _wrapped_lines(text, int((width - 8) / 7)) * 15 + 6, f"comment '{text[:40]}' is cut: {height} px high"
        rects.append((f"{box['id']} {text[:30]}", (x, y, x + width, y + height)))
    assert overlapping(rects) == []


def test_max_patch_sends_no_hidden_values_edits_cells_and_plays_every_file_on_both_sides():
    boxes, lines = max_boxes_and_lines()
    texts = [box.get("text", "") for box in boxes.values()]
    assert not [t for t in texts if re.fullmatch(r"(i|f|int|float) \S+", t)]  # every value sent is in a number box
    for address in ("cell/set", "model/load", "model/list", "undo", "play"):
        assert any(t in (f"prepend /distill/{address}", f"/distill/{address}") for t in texts), address
    (player,) = [id_ for id_, box in boxes.items() if box.get("text", "").startswith("play~ distill-sound")]
    (dac,) = [id_ for id_, box in boxes.items() if box.get("text") == "ezdac~"]
    assert boxes[player]["text"] == "play~ distill-sound"  # mono: a mono buffer would leave play~'s second channel silent
    assert {tuple(line["destination"]) for line in lines if line["source"] == [player, 0]} >= {(dac, 0), (dac, 1)}


def test_pd_patch_connections_join_existing_objects():
    records = pd_records(PD_PATCH.read_text())
    assert records[0][:2] == ["#N", "canvas"]
    count = sum(1 for r in records[1:] if r[0] == "#X" and r[1] in {"obj", "msg", "text", "floatatom", "symbolatom"})
    connections = [r for r in records if r[:2] == ["#X", "connect"]]
    assert connections
    for r in connections:
        assert 0 <= int(r[2]) < count and 0 <= int(r[4]) < count, r


def test_no_two_boxes_of_the_pd_patch_overlap_and_every_label_is_in_sight():
    boxes = [(" ".join(r[1:6]), box) for r in pd_records(PD_PATCH.read_text()) if (box := pd_box(r)) is not None]
    assert len(boxes) > 100
    assert overlapping(boxes) == []
    assert all(left >= 0 and top >= 0 for _, (left, top, _, _) in boxes)


def test_the_overlap_check_sees_overlaps():
    records = pd_records("#X floatatom 20 20 6 0 0 1 temperature - - 0;#X obj 90 24 oscformat distill x;#X text 20 60 a b c, f 3;#X obj 20 80 f;")
    boxes = [(" ".join(r[1:4]), pd_box(r)) for r in records]
    assert overlapping(boxes) == [("floatatom 20 20", "obj 90 24"), ("text 20 60", "obj 20 80")]  # a label, a wrapped comment


def test_pd_patch_sends_no_hidden_values_and_plays_only_generated_files_itself():
    text = PD_PATCH.read_text()
    records = pd_records(text)
    objects = [" ".join(r[4:]) for r in records if r[:2] == ["#X", "obj"]]
    assert not [o for o in objects if re.fullmatch(r"(f|i|float|int|pack .*) .*\d.*", o)]  # every value sent is in a box
    assert "route generated decoded param model error health copy" in objects
    for address in ("cell set", "model list", "model load"):
        assert f"oscformat distill {address}" in objects
    names = {r[8] for r in records if r[1] in {"floatatom", "symbolatom"}}
    assert {"temperature", "top_k", "top_p", "seed", "duration", "one_shot", "level", "frame", "index", "start", "end", "weight", "slot", "loaded", "seconds"} <= names


def test_every_address_either_patch_sends_is_an_engine_address():
    boxes, _ = max_boxes_and_lines()
    pd_addresses = pd_osc_addresses(pd_records(PD_PATCH.read_text()))
    max_addresses = max_osc_addresses(boxes)
    for used in (pd_addresses, max_addresses):
        assert {"/distill/subscribe", "/distill/generate", "/distill/encode", "/distill/swap", "/distill/blend",
                "/distill/undo", "/distill/redo", "/distill/health", "/distill/play"} <= used
        assert {"/distill/reimagine", "/distill/continue", "/distill/vary"} <= used
        assert used <= KNOWN_ADDRESSES, used - KNOWN_ADDRESSES
    assert {f"/distill/param/{name}" for name in ("temperature", "top_k", "top_p", "seed", "duration", "one_shot")} <= pd_addresses & max_addresses


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
    patch = patch.replace("netreceive -u -b 9001", f"netreceive -u -b {pd_port}")
    patch = re.sub(r"#X msg (\d+) (\d+) 9001;", rf"#X msg \1 \2 {pd_port};", patch)
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
        for address, values in (("/distill/copy", ("A", 12, 9, 0.5, "kick.wav")), ("/distill/copy/unavailable", ("the files are gone",))):
            message = OscMessageBuilder(address)
            for value in values:
                message.add_arg(value)
            listener.sendto(message.build().dgram, ("127.0.0.1", pd_port))
        deadline = time.monotonic() + 10
        while not any("distill-loaded" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.05)
        refused = OscMessageBuilder("/distill/error")
        for value in ("/distill/param/top_k", "top_k must be a whole number from 0 to 256, not 500"):
            refused.add_arg(value)
        listener.sendto(refused.build().dgram, ("127.0.0.1", pd_port))
        again = OscMessage(listener.recvfrom(65536)[0])  # the patch asks for every value again to show them
        assert (again.address, again.params) == ("/distill/subscribe", [float(pd_port)])
    finally:
        pd.terminate()
        pd.wait(10)
        reader.join(5)
        listener.close()
    output = "".join(lines)
    assert "distill-loaded: 12345" in output, output
    assert "distill-error: /distill/param/top_k" in output, output
    assert "distill-copy: A 12 9 0.5 kick.wav" in output and "distill-copy: unavailable" in output, output
    assert "couldn't create" not in output and "error" not in output.lower().replace("distill-error:", ""), output


@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data (`pd`, Debian package puredata-core) is not installed")
def test_real_pd_sends_the_variations_of_the_chosen_slot(tmp_path):
    """Section 12's bangs (through their receives) send /distill/reimagine, /distill/continue and /distill/vary
    for the chosen slot with the values in its boxes, as floats that the engine takes for whole numbers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    patch = PD_PATCH.read_text().replace("connect 127.0.0.1 9000", f"connect 127.0.0.1 {listener.getsockname()[1]}")
    patch = patch.replace("netreceive -u -b 9001", f"netreceive -u -b {free_udp_port()}")
    (tmp_path / "distill.pd").write_text(patch)
    sends = [arg for name in ("reimagine", "continue", "vary") for arg in ("-send", f"distill-{name} bang")]
    pd = subprocess.Popen(
        ["pd", "-nogui", "-nosound", "-nomidi", "-stderr", *sends, "-open", str(tmp_path / "distill.pd")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        received = [OscMessage(listener.recvfrom(65536)[0]) for _ in range(4)]
    finally:
        pd.terminate()
        output = pd.communicate(timeout=10)[0]
        listener.close()
    assert [(m.address, m.params) for m in received[1:]] == [
        ("/distill/reimagine", ["A", 0.0, 21.0]), ("/distill/continue", ["A", 2.0]), ("/distill/vary", ["A", "timbre"]),
    ]
    assert all(m.address in KNOWN_ADDRESSES for m in received)
    assert "couldn't create" not in output and "error" not in output.lower(), output


@pytest.mark.skipif(shutil.which("pd") is None, reason="Pure Data (`pd`, Debian package puredata-core) is not installed")
def test_real_pd_drives_the_real_engine_and_loads_what_it_generated(start_serve, tmp_path, tiny_prior_file):
    """The shipped patch, unchanged but for its ports, asks a real `distill serve` to generate and loads the file."""
    pd_port = free_udp_port()
    serve, engine_port = start_serve("--audio-device", "none", "--out", str(tmp_path / "out"), "--model", str(tiny_prior_file))
    engine_log: list[str] = []
    threading.Thread(target=lambda: engine_log.extend(serve.stderr), daemon=True).start()
    patch = PD_PATCH.read_text().replace("connect 127.0.0.1 9000", f"connect 127.0.0.1 {engine_port}")
    patch = patch.replace("netreceive -u -b 9001", f"netreceive -u -b {pd_port}")
    patch = re.sub(r"#X msg (\d+) (\d+) 9001;", rf"#X msg \1 \2 {pd_port};", patch)
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
