"""Query results stored beside a release (portfolio/read/stored.py): the same rows come back,
only default views are stored, a changed file, query, rule or damaged result is never
served, the folder keeps within its size cap by removing the least recently used results,
pruning removes them, and a new server process answers its first run from them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import queries
from portfolio.core import db, fmt
from portfolio.core.db import database_version, publish_release, releases, write_database
from portfolio.core.filters import Filters
from portfolio.core.registry import PAGES
from portfolio.core.settings import SETTINGS_FILE, load_settings
from portfolio.delivery.warm import warm_release
from portfolio.read import figures, scoring, stored, views
from portfolio.read.context import MemoryCaches, PageContext, compute_derivation
from portfolio.ui.sidebar import as_of_help
from tests.conftest import read_fixture_tables
from tests.test_access import PARAMS

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 22)
DEFAULT = {**PARAMS, "as_of": AS_OF, "visible": None, "account_id": "A0088"}
DATASETS = [name for name in queries.available() if "visible" in queries.depends_on(name)]


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, copy)
    return copy


@pytest.mark.parametrize("name", DATASETS)
def test_a_stored_result_is_the_same_rows(demo_copy: Path, name: str) -> None:
    version = database_version(demo_copy)
    result = queries.run(name, db=demo_copy, **DEFAULT)
    assert stored.load(version, name, DEFAULT) is None
    stored.save(version, name, DEFAULT, result.to_arrow())
    kept = stored.load(version, name, DEFAULT)
    assert kept is not None
    assert_frame_equal(pl.from_arrow(kept), result)


def test_the_key_holds_the_parameters_the_file_version_and_the_query(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    path = stored.result_path(version, "risk_signals", DEFAULT)
    assert path.parent == demo_copy.with_name("demo.duckdb.results")
    assert stored.result_path(version, "risk_signals", {**DEFAULT, "recent_days": 30}) != path
    assert stored.result_path(version, "risk_signals", {**DEFAULT, "visible": ["M04"]}) != path
    assert stored.result_path(version, "scoring_metrics", DEFAULT) != path
    os.utime(demo_copy, ns=(1, 1))  # the same file, changed in place
    assert stored.result_path(database_version(demo_copy), "risk_signals", DEFAULT) != path


def test_only_default_views_are_stored(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    narrowed = {**DEFAULT, "tiers": ["key"]}
    result = queries.run("risk_signals", db=demo_copy, **narrowed)
    stored.save(version, "risk_signals", narrowed, result.to_arrow())
    assert stored.load(version, "risk_signals", narrowed) is None
    assert not stored.results_dir(version).exists()
    scoped = {**DEFAULT, "visible": ["M04"]}  # a viewer's scope is a default view
    stored.save(version, "risk_signals", scoped,
                queries.run("risk_signals", db=demo_copy, **scoped).to_arrow())
    assert stored.load(version, "risk_signals", scoped) is not None


def test_a_damaged_result_is_not_served(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    path = stored.result_path(version, "risk_signals", DEFAULT)
    path.write_bytes(path.read_bytes()[:200])
    assert stored.load(version, "risk_signals", DEFAULT) is None


def test_a_folder_that_cannot_be_written_only_means_nothing_is_stored(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    stored.results_dir(version).write_text("a file where the folder would be")
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    assert stored.load(version, "risk_signals", DEFAULT) is None


def test_storing_can_be_turned_off(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTFOLIO_STORED_RESULTS", "off")
    version = database_version(demo_copy)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=demo_copy, **DEFAULT).to_arrow())
    assert not stored.results_dir(version).exists()


def test_pruning_a_release_removes_its_stored_results(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    tables = read_fixture_tables(ROOT / "tests" / "data" / "tiny")
    for _ in range(2):
        publish_release(link, lambda target: write_database(target, tables), keep=2)
    first = releases(link)[0]
    version = database_version(first)
    stored.save(version, "risk_signals", DEFAULT,
                queries.run("risk_signals", db=first, **DEFAULT).to_arrow())
    assert stored.results_dir(version).is_dir()
    publish_release(link, lambda target: write_database(target, tables), keep=2)
    assert first not in releases(link)
    assert not stored.results_dir(version).exists()


# --- the size cap: least recently used results go first ------------------------------------

TINY = {**PARAMS, "visible": None}
DAYS = [date(2026, 6, 1), date(2026, 6, 15), date(2026, 6, 30), date(2026, 7, 15)]


@pytest.fixture
def tiny_copy(tiny_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tiny.duckdb"
    shutil.copy(tiny_db, copy)
    return copy


def set_cap(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    monkeypatch.setenv("PORTFOLIO_STORED_RESULTS_MB", repr(cap / stored.MB))  # exact: 2**20
    assert stored.cap_bytes() == cap


def save_day(path: Path, day: date) -> Path:
    """Store risk_signals as of `day` (each day its own file) and return the file."""
    version, params = database_version(path), {**TINY, "as_of": day}
    stored.save(version, "risk_signals", params,
                queries.run("risk_signals", db=path, **params).to_arrow())
    return stored.result_path(version, "risk_signals", params)


def load_day(path: Path, day: date) -> pl.DataFrame | None:
    kept = stored.load(database_version(path), "risk_signals", {**TINY, "as_of": day})
    return None if kept is None else pl.from_arrow(kept)


def kept_files(path: Path) -> set[Path]:
    return set(stored.results_dir(database_version(path)).iterdir())


def test_saving_beyond_the_cap_removes_the_least_recently_used(
        tiny_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_cap(monkeypatch, 10 * stored.MB)
    files = [save_day(tiny_copy, day) for day in DAYS]
    assert kept_files(tiny_copy) == set(files)
    for order, file in enumerate(files, 1):  # used in the order of the days, long ago
        os.utime(file, ns=(order * 10**15, order * 10**15))
    assert load_day(tiny_copy, DAYS[0]) is not None  # the first day read again: used now
    sizes = [file.stat().st_size for file in files]
    assert len(set(sizes)) > 1  # the days' results differ, so the sizes below matter
    # room for every result but the second day's: saving one removes it alone (with some
    # slack: the rows of a query without ORDER BY may come in another order, and compress
    # to a few bytes more or less)
    set_cap(monkeypatch, sizes[0] + sizes[2] + sizes[3] + sizes[1] // 2)
    save_day(tiny_copy, DAYS[3])
    assert kept_files(tiny_copy) == {files[0], files[2], files[3]}
    # room for the last saved only: the others go, least recently used first
    set_cap(monkeypatch, sizes[3])
    save_day(tiny_copy, DAYS[3])
    assert kept_files(tiny_copy) == {files[3]}
    assert_frame_equal(load_day(tiny_copy, DAYS[3]),
                       queries.run("risk_signals", db=tiny_copy, **{**TINY, "as_of": DAYS[3]}))


def test_the_result_just_written_stays_even_over_the_cap(
        tiny_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_cap(monkeypatch, 0)
    first, second = save_day(tiny_copy, DAYS[0]), save_day(tiny_copy, DAYS[1])
    assert kept_files(tiny_copy) == {second}
    assert not first.exists() and load_day(tiny_copy, DAYS[0]) is None
    assert load_day(tiny_copy, DAYS[1]) is not None


def test_reading_a_result_marks_it_used(tiny_copy: Path) -> None:
    file = save_day(tiny_copy, DAYS[0])
    os.utime(file, ns=(10**15, 10**15))
    assert load_day(tiny_copy, DAYS[0]) is not None
    assert file.stat().st_mtime_ns > 10**15
    assert [f.path for f in stored.stored_files(file.parent)] == [file]


def test_removing_tolerates_files_another_process_removed_first(
        tiny_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_cap(monkeypatch, 10 * stored.MB)
    files = [save_day(tiny_copy, day) for day in DAYS[:3]]
    for order, file in enumerate(files, 1):
        os.utime(file, ns=(order * 10**15, order * 10**15))
    listed = stored.stored_files(files[0].parent)
    assert [f.path for f in listed] == files
    files[0].unlink()  # another process got there first
    removed = stored.evict(listed, keep=files[2], cap=files[2].stat().st_size)
    assert removed == files[:2]
    assert kept_files(tiny_copy) == {files[2]}
    files[1].unlink(missing_ok=True)
    assert [f.path for f in stored.stored_files(files[0].parent)] == [files[2]]


# Stores risk_signals of the tiny portfolio for a list of days, as save_day does.
SAVER = r"""
import sys
from datetime import date
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import queries
from portfolio.core.db import database_version
from portfolio.read import stored
path = Path(sys.argv[2])
params = {"manager_ids": [], "regions": [], "tiers": [], "kam_stages": [], "visible": None,
          "recent_days": 90, "inform_within_days": 2, "late_delivery_days": 7}
for day in sys.argv[3:]:
    chosen = {**params, "as_of": date.fromisoformat(day)}
    stored.save(database_version(path), "risk_signals", chosen,
                queries.run("risk_signals", db=path, **chosen).to_arrow())
"""


def test_processes_saving_at_once_keep_the_folder_near_its_cap(
        tiny_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    one = save_day(tiny_copy, DAYS[0]).stat().st_size
    set_cap(monkeypatch, 2 * one)
    days = [str(date(2026, 5, 1 + n)) for n in range(18)]
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, str(ROOT), str(tiny_copy),
                                *days[n::3]], stderr=subprocess.PIPE, text=True)
              for n in range(3)]
    errors = [saver.communicate(timeout=300)[1] for saver in savers]
    assert [saver.returncode for saver in savers] == [0, 0, 0], errors
    left = kept_files(tiny_copy)
    assert all(file.suffix == ".arrow" for file in left)  # no temporary file left behind
    # 19 results were stored; about two fit, and each process may have added its last
    # result after another one's last removal
    assert 1 <= len(left) <= 2 + 3


def test_the_cap_is_a_setting_with_an_environment_override(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORTFOLIO_STORED_RESULTS_MB", raising=False)
    assert stored.cap_bytes() == 1024 * 1024 * 1024  # settings.toml [stored_results] max_mb
    monkeypatch.setenv("PORTFOLIO_STORED_RESULTS_MB", " 0.5 ")
    assert stored.cap_bytes() == 512 * 1024
    for bad in ("lots", "-1", "nan", "inf"):
        monkeypatch.setenv("PORTFOLIO_STORED_RESULTS_MB", bad)
        with pytest.raises(stored.StoredResultsSettingError,
                           match=rf"PORTFOLIO_STORED_RESULTS_MB = '{bad}': must be a number "
                                 "of megabytes, 0 or more"):
            stored.cap_bytes()


def test_a_changed_rule_is_never_answered_from_an_old_result(
        demo_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = database_version(demo_copy)
    before = stored.result_path(version, "buying_center_rated", DEFAULT)
    rules = tmp_path / "macros.sql"
    rules.write_text(db.RULES_FILE.read_text(encoding="utf-8").replace(
        "WHERE stage_on NOT IN ('won', 'lost');",
        "WHERE stage_on NOT IN ('won', 'lost', 'preliminaries');"), encoding="utf-8")
    monkeypatch.setattr(db, "RULES_FILE", rules)
    db.rules_text.cache_clear()
    try:
        assert stored.result_path(version, "buying_center_rated", DEFAULT) != before
    finally:
        monkeypatch.undo()
        db.rules_text.cache_clear()
    assert stored.result_path(version, "buying_center_rated", DEFAULT) == before


# A fresh process renders the overview under AppTest and prints which queries reached
# DuckDB and the headline figures shown.
FIRST_RUN = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import queries
ran = []
for attribute in ("run", "run_arrow"):
    original = getattr(queries, attribute)
    def counted(name, _original=original, **kwargs):
        ran.append(name)
        return _original(name, **kwargs)
    setattr(queries, attribute, counted)
from portfolio.read import scoring
scored = []
original_score = scoring.score_accounts
def counted_scoring(*args, **kwargs):
    scored.append(1)
    return original_score(*args, **kwargs)
scoring.score_accounts = counted_scoring
import datetime
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1] + "/dashboard.py", default_timeout=120)
at.run()
assert not at.exception, [e.value for e in at.exception]
if sys.argv[3] != "pages/overview.py":
    at.switch_page(sys.argv[3]).run()
    assert not at.exception, [e.value for e in at.exception]
weeks_back = int(sys.argv[2])
if weeks_back:  # then only the as-of date changes, to that many weeks earlier
    ran.clear(), scored.clear()
    newest = at.sidebar.date_input(key="f_as_of").value
    at.sidebar.date_input(key="f_as_of").set_value(newest - datetime.timedelta(weeks=weeks_back))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
print(json.dumps({"ran": ran, "scored": len(scored),
                  "metrics": [[m.label, m.value] for m in at.metric],
                  "as_of_help": at.sidebar.date_input(key="f_as_of").help}))
"""


def first_run(db: Path, weeks_back: int = 0, page: str = "pages/overview.py",
              **env: str) -> dict[str, Any]:
    result = subprocess.run([sys.executable, "-c", FIRST_RUN, str(ROOT), str(weeks_back), page],
                            capture_output=True,
                            text=True, timeout=300, check=True,
                            env={**os.environ, "PORTFOLIO_DB": str(db), **env})
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_new_process_answers_its_first_run_from_the_stored_results(demo_copy: Path) -> None:
    cold = first_run(demo_copy)
    assert "risk_signals" in cold["ran"] and "overview_figures" in cold["ran"]
    warm = first_run(demo_copy)
    assert warm["metrics"] == cold["metrics"] and len(warm["metrics"]) == 8
    assert warm["ran"] == [], warm["ran"]  # every query of the default view was stored
    off = first_run(demo_copy, PORTFOLIO_STORED_RESULTS="off")
    assert off["metrics"] == cold["metrics"] and sorted(off["ran"]) == sorted(cold["ran"])


def test_a_published_demo_is_warmed_for_its_first_visitor(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    done = subprocess.run([sys.executable, "-m", "portfolio", "demo", "--db", str(link),
                           "--scale", "small"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=True)
    assert "Warmed every page for its first visitor in " in done.stdout
    assert "as of the newest date and each of the 12 weeks before it." in done.stdout
    stored_files = list(link.resolve().parent.glob("*.results/*"))
    assert len(stored_files) > 20  # every page's default view
    first = first_run(link)
    assert first["ran"] == [], first["ran"]  # the overview's first run reads no table
    assert len(first["metrics"]) == 8


def test_warming_with_stored_results_off_does_nothing(tmp_path: Path) -> None:
    link = tmp_path / "portfolio.duckdb"
    done = subprocess.run([sys.executable, "-m", "portfolio", "demo", "--db", str(link),
                           "--scale", "small"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=True,
                          env={**os.environ, "PORTFOLIO_STORED_RESULTS": "off"})
    assert "Warmed" not in done.stdout
    assert not list(link.resolve().parent.glob("*.results/*"))



def test_an_as_of_change_to_a_warmed_week_reads_neither_tables_nor_scores_again(
        demo_copy: Path) -> None:
    """The weekly snapshots: warming stores every page's default view as of the weeks before
    the newest date, the per-account scores included, so that a new server process changing
    the as-of date to one of them runs no query and scores no account, and shows what a
    process computing everything shows."""
    assert warm_release(demo_copy, weeks=2) > 0
    names = {path.name for path in stored.results_dir(database_version(demo_copy)).iterdir()}
    assert any(name.startswith("d.scores_on-") for name in names)
    assert any(name.startswith("d.service_statuses-") for name in names)
    newest = date.fromisoformat(json.loads(
        (stored.results_dir(database_version(demo_copy)) / "warmed.json").read_text())[-1])
    assert stored.warmed_dates(database_version(demo_copy)) == [
        newest - timedelta(weeks=2), newest - timedelta(weeks=1), newest]
    help_text = first_run(demo_copy)["as_of_help"]
    assert (f"opening at once: {fmt.day(newest)} and the same weekday of each week back to "
            f"{fmt.day(newest - timedelta(weeks=2))}.") in help_text
    for page in PAGES:
        changed = first_run(demo_copy, weeks_back=2, page=page.path)
        assert changed["ran"] == [] and changed["scored"] == 0, (page.path, changed)
        computed = first_run(demo_copy, weeks_back=2, page=page.path,
                             PORTFOLIO_STORED_RESULTS="off")
        assert computed["ran"], page.path
        assert changed["metrics"] == computed["metrics"], page.path
        assert changed["metrics"] or page.path == "pages/account.py", page.path
    overview = first_run(demo_copy, weeks_back=2, PORTFOLIO_STORED_RESULTS="off")
    assert overview["scored"] >= 3 and len(overview["metrics"]) == 8  # now, a week, a year
    unwarmed = first_run(demo_copy, weeks_back=5)  # a week beyond the two warmed
    assert unwarmed["ran"] and unwarmed["scored"] >= 1


SCORES = "portfolio.read.views.scores"


def test_a_stored_derivation_is_the_same_frame_and_only_for_its_code(
        demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version = database_version(demo_copy)
    config = scoring.load_scoring_config()
    ctx = PageContext(filters=Filters(as_of=AS_OF), currency="EUR", db=demo_copy,
                      newest_on=AS_OF, manager_names={}, caches=MemoryCaches())
    scored = views.scores(ctx, config)
    assert scored.height > 0 and scored["reasons"].list.len().sum() > 0
    key = {"filters": ctx.filters.sql_params(), "config": config}
    built = compute_derivation(version, SCORES, key, lambda: scored)

    def not_again() -> pl.DataFrame:
        raise AssertionError("built again although stored")

    kept = compute_derivation(version, SCORES, key, not_again)
    assert built is scored
    assert_frame_equal(kept, scored)
    assert kept.schema == scored.schema
    # another viewer's scope, currency or date is another frame
    for other in ({"visible": ["M0004"]}, {"currency": "USD"},
                  {"filters": {**key["filters"], "as_of": date(2026, 11, 15)}}):
        assert stored.load_derivation(version, SCORES, {**key, **other}) is None
    # a function the fingerprint does not cover is never stored
    compute_derivation(version, "pages.attractiveness.scores", key, lambda: scored)
    assert stored.load_derivation(version, "pages.attractiveness.scores", key) is None
    assert not any("attractiveness" in path.name
                   for path in stored.results_dir(version).iterdir())
    # a changed rule, query or setting is a new fingerprint: the old frame is not served
    monkeypatch.setattr(stored, "code_fingerprint", lambda: "another version of the code")
    assert stored.load_derivation(version, SCORES, key) is None


def test_a_derivation_under_narrowing_filters_is_not_stored(demo_copy: Path) -> None:
    version = database_version(demo_copy)
    narrowed = Filters(as_of=AS_OF, tiers=("key",)).sql_params()
    frame = pl.DataFrame({"account_id": ["A0001"]})
    compute_derivation(version, SCORES, {"filters": narrowed}, lambda: frame)
    assert stored.load_derivation(version, SCORES, {"filters": narrowed}) is None
    assert not stored.results_dir(version).exists()


def test_the_weeks_warmed_are_a_checked_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(SETTINGS_FILE.read_text(encoding="utf-8").replace(
        "snapshot_weeks = 12", "snapshot_weeks = -3"), encoding="utf-8")
    monkeypatch.setattr(stored, "load_settings", lambda: load_settings(settings))
    with pytest.raises(stored.StoredResultsSettingError,
                       match=r"snapshot_weeks = -3: must be a whole number"):
        stored.snapshot_weeks()
    monkeypatch.undo()
    assert stored.snapshot_weeks() == 12
    done = subprocess.run([sys.executable, "-m", "portfolio", "warm", "--weeks", "-1",
                           "--db", str(tmp_path / "none.duckdb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--weeks -1: must be a whole number of weeks, 0 or more." in done.stderr


def test_what_if_scores_are_not_stored(demo_copy: Path) -> None:
    """A view under settings of the moment (the attractiveness page's what-if weights) keeps
    its frames in memory only: each move of a slider would write another one."""
    config = scoring.load_scoring_config()
    weights = dict(config.attractiveness_weights)
    first, second = list(weights)[:2]
    weights[first], weights[second] = weights[first] + weights[second], 0.0
    what_if = config.with_weights(weights)
    ctx = PageContext(filters=Filters(as_of=AS_OF), currency="EUR", db=demo_copy,
                      newest_on=AS_OF, manager_names={}, caches=MemoryCaches(),
                      stores_derivations=False)
    assert ctx.memo_accounts(views.scores, config=what_if).height > 0
    folder = stored.results_dir(database_version(demo_copy))
    assert not folder.exists() or not [path for path in folder.iterdir()
                                       if path.name.startswith("d.")]
    ctx = PageContext(filters=Filters(as_of=AS_OF), currency="EUR", db=demo_copy,
                      newest_on=AS_OF, manager_names={}, caches=MemoryCaches())
    ctx.memo_accounts(views.scores, config=config)
    assert {path.name.split("-")[0] for path in folder.iterdir()
            if path.name.startswith("d.")} == {"d.scores", "d.scores_on"}


def test_the_as_of_help_names_the_dates_warmed_only_when_there_are_some() -> None:
    assert as_of_help([]) == "Every figure, chart and list as it stood at the end of this day."
    weeks = [date(2026, 11, 8), date(2026, 11, 15), date(2026, 11, 22)]
    assert "opening at once: 22 Nov 2026 and the same weekday of each week back to " \
           "8 Nov 2026. Another date takes a few seconds" in as_of_help(weeks)


def test_stored_figures_are_the_figures_computed_but_not_those_of_the_decision_log(
        demo_copy: Path) -> None:
    config = scoring.load_scoring_config()
    names = tuple(name for name in figures.FIGURES if name not in figures.FROM_DECISION_LOG)

    def view() -> PageContext:
        return PageContext(filters=Filters(as_of=AS_OF), currency="EUR", db=demo_copy,
                           newest_on=AS_OF, manager_names={}, caches=MemoryCaches())

    computed = {period: figures.figure_values(view(), config, period, names)
                for period in figures.PERIODS}
    for period in figures.PERIODS:
        assert figures.values(view(), config, names, period) == computed[period]  # and stores
    folder = stored.results_dir(database_version(demo_copy))
    kept = {path.name for path in folder.iterdir() if path.name.startswith("d.figure_row-")}
    assert len(kept) == 3
    for period in figures.PERIODS:  # read back: the same numbers, a count still a whole one
        found = figures.values(view(), config, names, period)
        assert found == computed[period]
        assert [type(found[name]) for name in names] == [
            type(computed[period][name]) for name in names]
    figures.values(view(), config, ("needs_decision",))
    assert {path.name for path in folder.iterdir()
            if path.name.startswith("d.figure_row-")} == kept
