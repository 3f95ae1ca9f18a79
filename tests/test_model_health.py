"""The recorded codebook health is read in one place: what a model file's metadata holds, typed, and what a
damaged or foreign file holds, left out instead of raised."""

from __future__ import annotations

from engine.model_health import LevelHealth, ModelHealth

GREEN = LevelHealth(0, "Structure", 0.8, 40.5, 3, "Healthy", "green")
RED = LevelHealth(1, "Timbre", 0.1, 2.0, 58, "Codebook collapse detected", "red")


def test_the_record_round_trips_through_metadata():
    health = ModelHealth((GREEN, RED), ((5, 0, 1), (0, 0, 9)))
    assert ModelHealth.from_metadata({"health": health.to_metadata()}) == health
    assert health.worst == RED


def test_damaged_entries_are_left_out_not_raised():
    entries = [GREEN.to_dict(), {**RED.to_dict(), "dead": "many"}, {"level": 2}, "junk", {**RED.to_dict(), "utilisation": True}]
    health = ModelHealth.from_metadata({"health": {"levels": entries, "usage": [[1, 2], "x"]}})
    assert health == ModelHealth((GREEN,), ())
    assert ModelHealth.from_metadata({"health": {"levels": [GREEN.to_dict()], "usage": [[1, 2.5]]}}).usage == ()


def test_no_health_is_an_empty_record():
    for metadata in ({}, {"health": None}, {"health": []}, {"health": {"levels": "x"}}, []):
        health = ModelHealth.from_metadata(metadata)
        assert health == ModelHealth() and health.worst is None


def test_an_unknown_light_counts_as_a_warning():
    odd = LevelHealth(2, "Detail", 0.4, 9.0, 20, "Some codes underused", "amber")
    assert ModelHealth((GREEN, odd)).worst == odd
    assert ModelHealth((odd, RED)).worst == RED
