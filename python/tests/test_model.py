"""unrest.Model: stepping, counts, the grid and agent columns; GIL and Ctrl-C."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest

import unrest


def test_counts_grid_and_agents_agree():
    m = unrest.Model("epstein-run2", seed=4)
    assert m.step_index == 0 and (m.width, m.height) == (40, 40)
    m.step(25)
    c = m.counts
    assert c["step"] == 25
    g = m.grid
    assert g.shape == (40, 40) and g.dtype == np.uint8
    assert (g == 1).sum() == c["quiet"]
    assert (g == 2).sum() == c["active"]
    assert (g == 4).sum() == c["cops"]
    state = m.state
    assert (state == 1).sum() == c["active"]
    assert (state == 2).sum() == c["jailed"]
    h = m.hardship
    assert h.dtype == np.float32 and len(h) == len(state)
    citizens = state < 4
    assert ((h[citizens] >= 0) & (h[citizens] < 1)).all()
    free = (state == 0) | (state == 1) | (state == 4)
    sites = m.site[free]
    assert len(np.unique(sites)) == len(sites)  # one agent per site
    assert (g.reshape(-1)[sites] != 0).all()
    assert "hardship" in dir(m)
    with pytest.raises(AttributeError):
        m.no_such_column


def test_run_goes_to_the_scenario_steps_and_repr():
    m = unrest.Model("epstein-run1", seed=2, set={"steps": 40})
    m.run()
    assert m.step_index == 40 == m.steps
    assert m.timeseries.num_rows == 41
    assert "epstein-run1" in repr(m)


def test_same_seed_same_grid_different_seed_differs():
    a, b, c = (unrest.Model("epstein-run2", seed=s) for s in (1, 1, 2))
    for m in (a, b, c):
        m.step(5)
    assert (a.grid == b.grid).all()
    assert not (a.grid == c.grid).all()


def test_a_long_step_releases_the_gil_and_stops_on_ctrl_c():
    m = unrest.Model("epstein-run2", seed=1, set={"width": 400, "height": 400})
    ticks = []
    stop = threading.Event()

    def other_thread():
        # Runs Python code while the model steps: only possible with the GIL released.
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.01)

    def interrupt():
        time.sleep(0.3)
        _thread.interrupt_main()

    t = threading.Thread(target=other_thread)
    t.start()
    threading.Thread(target=interrupt).start()
    started = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        m.step(1_000_000)
    elapsed = time.perf_counter() - started
    stop.set()
    t.join()
    assert elapsed < 5, elapsed
    assert 0 < m.step_index < 1_000_000
    assert len([x for x in ticks if started < x < started + elapsed]) >= 5
