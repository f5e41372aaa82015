"""The collector pause used by loads and exporters restores the collector's state, also on failure."""

from __future__ import annotations

import gc

import pytest

from warehouse.gc_pause import paused_gc


@pytest.fixture(autouse=True)
def _restore_collector():
    was_enabled = gc.isenabled()
    yield
    (gc.enable if was_enabled else gc.disable)()


def test_paused_inside_and_back_on_after():
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_back_on_after_a_failure():
    gc.enable()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("reader failed")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_cycles_made_while_paused_are_collected_afterwards():
    gc.enable()
    gc.collect()

    class Node:
        pass

    with paused_gc():
        for _ in range(1000):
            a, b = Node(), Node()
            a.other, b.other = b, a
        del a, b
        alive = sum(type(o) is Node for o in gc.get_objects())
    assert alive == 2000  # nothing collected while paused
    gc.collect()
    assert not any(type(o) is Node for o in gc.get_objects())
