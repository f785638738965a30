"""The benchmarks' synthetic roster and their log-log fit: right sizes, real rows, right slopes."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from bench.figures import Figure, loglog_exponent, table
from bench.synthetic import DAY, generate, load, plan_with_connections, roster
from rollout.graph import PlanGraph
from rollout.model import Status
from rollout.plan_loader import load_plan_file
from storage.repository import SqlRolloutStore


def test_the_roster_is_n_times_the_real_one_in_the_real_proportions() -> None:
    for factor in (1, 5):
        found = roster(factor)
        waves = Counter(m.wave for m in found)
        assert len(found) == 98 * factor
        assert waves == {"P1": 3 * factor, "P2": 4 * factor, "K91": 91 * factor}
        assert len({m.code for m in found}) == len({m.slug for m in found}) == 98 * factor


def test_per_connection_tasks_give_each_connection_its_own_instances(tmp_path: Path) -> None:
    graph = PlanGraph(load_plan_file(plan_with_connections(tmp_path)))
    municipalities = roster(1, connections=True)
    assert {len(m.connections) for m in municipalities} == {1, 2, 3, 4}
    many = next(m for m in municipalities if len(m.connections) == 3)
    keys = list(graph.instances(many))
    per_connection = [k for k in keys if k.connection]
    assert {k.connection for k in per_connection} == set(many.connections)
    assert len(per_connection) == 20 * 3  # the generic page's 20 connection tasks, per connection


def test_progress_is_realistic_and_every_change_says_who_when_where(sf1590_graph: PlanGraph) -> None:
    data = generate(sf1590_graph, roster(1))
    changes = [(c, task) for c in data.commands for task in c.tasks]
    statuses = Counter(task.new.status for _, task in changes)
    assert statuses[Status.DONE] > 3_000  # the pilots are live, K91 is well under way
    assert statuses[Status.BLOCKED] >= 1 and statuses[Status.IN_PROGRESS] > 50
    assert all(task.new.reason for _, task in changes if task.new.status == Status.BLOCKED)
    assert {c.record.change.source for c, _ in changes} == {"slack", "teams", "console"}
    assert all(c.record.change.at.date() < DAY for c in data.commands)
    decisions = [d for c in data.commands for d in c.decisions]
    assert {(d.gate, d.wave) for d in decisions} == {
        ("KP-3", "P1"),
        ("KP-4", "P1"),
        ("KP-3", "P2"),
        ("KP-4", "P2"),
    }
    assert len(decisions) == 2 * 7


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row the load wrote, in id order, with moments in UTC (SQLite keeps them naive)."""

    def plain(value: object) -> object:
        if isinstance(value, datetime):
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value

    out = {}
    with engine.connect() as conn:
        for name in ("task_state", "task_event", "command", "gate_decision", "municipality", "wave_move"):
            table = SQLModel.metadata.tables[name]
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            out[name] = [tuple(plain(v) for v in row) for row in rows]
    return out


def test_bulk_loading_stores_what_the_commands_would_store(
    sf1590_graph: PlanGraph, engine: Engine, tmp_path: Path
) -> None:
    from storage.engine import make_engine
    from storage.migrate import upgrade

    # a few pilots and K91 municipalities: every verb, a decision, shared tasks
    chosen = [m for m in roster(1) if m.wave != "K91"][:4] + [m for m in roster(1) if m.wave == "K91"][:3]
    data = generate(sf1590_graph, chosen, seed=7)
    assert {c.record.verb for c in data.commands} >= {"done", "start", "skip", "decide"}
    one_by_one = make_engine(f"sqlite:///{tmp_path / 'commands.db'}")
    upgrade(one_by_one)
    load(one_by_one, data, bulk=False)
    load(engine, data, bulk=True)
    assert _rows(engine) == _rows(one_by_one)
    states = SqlRolloutStore(engine).task_states()
    assert len(states) == len({task.key for c in data.commands for task in c.tasks})
    one_by_one.dispose()


def test_loglog_exponent_is_the_slope_of_a_power_law() -> None:
    sizes = [1, 5, 10]
    assert loglog_exponent(sizes, [3 * x for x in sizes]) == pytest.approx(1.0)
    assert loglog_exponent(sizes, [0.5 * x**2 for x in sizes]) == pytest.approx(2.0)
    assert loglog_exponent(sizes, [7.0, 7.0, 7.0]) == pytest.approx(0.0)
    assert loglog_exponent([1, 2, 4], [1, 2.2, 3.9]) == pytest.approx(0.9822, abs=1e-3)  # least squares
    assert math.isnan(loglog_exponent([1], [1.0]))


def test_the_table_shows_each_figure_against_its_target() -> None:
    rows = table(
        [
            Figure("sweep", "1x", "first tick", 50.0, target=100.0),
            Figure("sweep", "10x", "first tick", 1500.0, target=1000.0),
            Figure("sweep", "fit", "exponent", 1.04, unit="exp", target=1.1),
        ]
    ).splitlines()
    assert "100.0 ms" in rows[2] and "0.50" in rows[2] and "MISSED" not in rows[2]
    assert "1.50 MISSED" in rows[3]
    assert "1.04" in rows[4] and "0.95" in rows[4]


def test_make_bench_puts_the_issues_targets_on_the_figures_that_lack_one() -> None:
    from bench.run import with_targets

    slow = Figure("slack", "20 client(s), ours", "answer p99", 300.0, note="target < 300 ms")
    alone = Figure("slack", "1 client(s), ours", "answer p99", 90.0, note="target < 300 ms")
    own = Figure("sweep", "1x", "due, median", 50.0, target=100.0)
    found = with_targets([slow, alone, own])
    assert (found[0].target, found[0].ratio, found[0].note) == (150.0, 2.0, "")
    assert found[1].target is None and found[1].note == "target < 300 ms"  # stated for 20 clients
    assert found[2] == own
