"""`corpus schedule`: schedule files, cron times, catch-up, overlap locks, timeouts and run records.

Time is a fake clock the tests move; crawls are real ``scrapy crawl`` processes
against the local fixture server (or a plain sleeping process where only the
process matters).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from corpus import cli
from corpus.schedule import BERLIN, Cron, Job, JobLock, ScheduleError, Scheduler, load_jobs, spawn
from tests.mockserver import FixtureServer

ROOT = Path(__file__).parents[1]
FAST = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "INFO"}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def no_es_spawn(cmd: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    """The real spawn, without an Elasticsearch address in the environment (records stay local)."""
    saved = {k: os.environ.pop(k) for k in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS") if k in os.environ}
    try:
        return spawn(cmd, log_file)
    finally:
        os.environ.update(saved)


def sleeper(cmd: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    """A process that just lives for a while, standing in for a crawl where only the process matters."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)


def wait_until(condition, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


# --- schedule files ---------------------------------------------------------------------------

def test_schedule_file_is_read_and_the_shipped_one_is_valid(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[jobs.cicero-recent]\nspider = "cicero"\ncron = "5 */2 * * *"\n'
                    'args = { mode = "recent", comments = false }\ntimeout = "45m"\n'
                    '[jobs.zeit]\nspider = "zeit"\ncron = "0 6 * * 1-5"\nargs = ["mode=backfill", "since=30d"]\n')
    first, second = load_jobs(path)
    assert first == Job("cicero-recent", "cicero", "5 */2 * * *", {"mode": "recent", "comments": "false"}, {}, 2700)
    assert second.args == {"mode": "backfill", "since": "30d"} and second.timeout is None
    assert "-a" in first.command() and "mode=recent" in first.command()
    shipped = load_jobs(ROOT / "schedules.toml")
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    spiders = set(SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["spiders"]})).list())
    assert {job.spider for job in shipped} == spiders  # every outlet is scheduled


@pytest.mark.parametrize(("text", "message"), [
    ('[jobs.a]\nspider = "cicero"\ncron = "61 * * * *"\n', "five-field cron"),
    ('[jobs.a]\ncron = "0 * * * *"\n', "'spider' is required"),
    ('[jobs.a]\nspider = "cicero"\ncron = "0 * * * *"\ntimeout = "soon"\n', "not a duration"),
    ('[jobs.a]\nspider = "cicero"\ncron = "0 * * * *"\nevery = 3\n', "unknown keys every"),
    ('[jobs."a b"]\nspider = "cicero"\ncron = "0 * * * *"\n', "names use"),
    # job names become file names (logs, locks): nothing that could leave data/
    ('[jobs."../../etc"]\nspider = "cicero"\ncron = "0 * * * *"\n', "names use"),
    ('[jobs.".hidden"]\nspider = "cicero"\ncron = "0 * * * *"\n', "names use"),
    ("[other]\n", "no [jobs.<name>] tables"),
    ("[jobs.a\n", "not valid TOML"),
])
def test_bad_schedule_files_are_refused_clearly(tmp_path, text, message):
    path = tmp_path / "s.toml"
    path.write_text(text)
    with pytest.raises(ScheduleError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_jobs(path)


def test_a_schedule_file_that_is_not_text_is_refused_naming_it(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b"\xff\xfe[jobs]")
    with pytest.raises(ScheduleError, match=r"s\.toml: not UTF-8 text"):
        load_jobs(path)


def test_cli_lists_jobs_and_reports_a_bad_file(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[jobs.cicero-recent]\nspider = "cicero"\ncron = "5 */2 * * *"\ntimeout = "45m"\n')
    assert cli.main(["schedule", "--file", str(path), "--data-dir", str(tmp_path), "--list"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("cicero-recent") and "due now" in line and "timeout=45m" in line
    assert cli.main(["schedule", "--file", str(tmp_path / "missing.toml"), "--list"]) == 2
    assert "not found" in capsys.readouterr().err


# --- cron times ---------------------------------------------------------------------------------

def test_cron_times_in_berlin_across_daylight_saving_changes():
    daily = Cron("30 2 * * *")
    # clocks go back on 2024-10-27: 02:30 happens twice, the job runs once
    first = daily.next_after(at("2024-10-26T12:00"))
    assert first.isoformat() == "2024-10-27T02:30:00+02:00"
    assert daily.next_after(first).isoformat() == "2024-10-28T02:30:00+01:00"
    # clocks go forward on 2024-03-31: 02:30 does not exist, the job runs at 03:00
    assert daily.next_after(at("2024-03-30T12:00")).isoformat() == "2024-03-31T03:00:00+02:00"
    every3 = Cron("0 */3 * * *")
    assert every3.last_at_or_before(at("2024-05-03T13:05")) == at("2024-05-03T12:00")
    assert every3.last_at_or_before(at("2024-05-03T12:00")) == at("2024-05-03T12:00")
    # a moment given in UTC is read in Berlin time
    utc = datetime.fromisoformat("2024-05-03T10:00:00+00:00")
    assert every3.last_at_or_before(utc) == at("2024-05-03T12:00")


def test_missed_runs_after_downtime_run_once(tmp_path):
    clock = Clock(at("2024-05-03T12:00"))
    job = Job("sleepy", "cicero", "0 */3 * * *")
    scheduler = Scheduler([job], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None)
    assert [(j.name, t) for j, t in scheduler.due(clock())] == [("sleepy", at("2024-05-03T12:00"))]  # never ran
    scheduler.state.set_last_fire("sleepy", at("2024-05-03T12:00"))
    clock.advance(hours=2, minutes=59)
    assert scheduler.due(clock()) == []
    # down for two days: sixteen cron times passed, one run is due, for the latest of them
    clock.advance(days=2)
    assert [(j.name, t) for j, t in scheduler.due(clock())] == [("sleepy", at("2024-05-05T12:00"))]
    scheduler.tick()
    try:
        assert list(scheduler.running) == ["sleepy"]
        assert scheduler.due(clock()) == []
        # a restarted scheduler reads the same state: nothing due either
        again = Scheduler([job], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None)
        assert again.due(clock()) == []
    finally:
        for run in scheduler.running.values():
            run.process.kill()


# --- locks --------------------------------------------------------------------------------------

def test_a_job_never_runs_twice_at_once_and_a_stale_lock_is_taken_over(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="corpus.schedule")
    clock = Clock(at("2024-05-03T12:00"))
    job = Job("cicero-recent", "cicero", "0 * * * *")
    first = Scheduler([job], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None)
    first.tick()
    run = first.running["cicero-recent"]
    try:
        # a second scheduler on the same data directory (e.g. `--once` from cron) refuses the job
        clock.advance(hours=1)
        second = Scheduler([job], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None)
        second.tick()
        assert second.running == {}
        assert "not started: run" in caplog.text and str(run.process.pid) in caplog.text
        # and the first one, at the next cron time, skips while its run goes on
        first.tick()
        assert first.running["cicero-recent"] is run
        assert "still going; skipped" in caplog.text
    finally:
        run.process.kill()
        run.process.wait()
    # a lock left behind by a crashed scheduler whose crawl is gone too
    lock_file = tmp_path / "schedule" / "locks" / "cicero-recent.lock"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_file.write_text(json.dumps({"job": "cicero-recent", "run_id": "old", "scheduler_pid": dead.pid,
                                     "crawl_pid": dead.pid, "host": os.uname().nodename}))
    lock = JobLock(lock_file)
    assert lock.acquire("cicero-recent", "new")
    assert "taking over the stale lock of run old" in caplog.text
    assert json.loads(lock_file.read_text())["run_id"] == "new"
    lock.release()
    assert lock_file.read_text() == "{}" or lock_file.read_text() == ""


# --- real crawls ---------------------------------------------------------------------------------

def test_a_run_is_recorded_with_its_counts_and_its_own_log(tmp_path):
    records: list[dict] = []
    with FixtureServer("cicero", "https://www.cicero.de") as server:
        job = Job("cicero-recent", "cicero", "0 * * * *", {"base_url": server.base_url},
                  {**FAST, "CORPUS_OUTPUT_DIR": str(tmp_path / "out")}, timeout=300)
        scheduler = Scheduler([job], tmp_path, clock=lambda: datetime.now(BERLIN), spawn=no_es_spawn,
                              store=records.append)
        assert scheduler.run_once(poll=0.2) == 0
    (record,) = records
    assert record["job"] == "cicero-recent" and record["status"] == "ok" and record["exit_code"] == 0
    assert record["items_scraped"] >= 3 and record["requests"] > 5 and record["errors"] == 0
    assert record["spider"] == "cicero" and record["start"] and record["end"] and not record["timed_out"]
    log = Path(record["log_file"])
    assert log.parent == tmp_path / "logs" / "cicero-recent" and "Spider closed (finished)" in log.read_text()
    assert not (tmp_path / "schedule" / "locks" / "cicero-recent.lock").read_text().strip("{}")
    assert list((tmp_path / "out" / "cicero").glob("*.jsonl"))  # the crawl's own output


def test_a_hanging_crawl_is_stopped_after_its_timeout(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="corpus.schedule")
    records: list[dict] = []
    clock = Clock(datetime.now(BERLIN))
    # every page of the fixture site answers only after two minutes: the crawl hangs
    with FixtureServer("cicero", "https://www.cicero.de", delays={"/": 120}) as server:
        job = Job("cicero-recent", "cicero", "0 * * * *", {"base_url": server.base_url},
                  {**FAST, "CORPUS_OUTPUT_DIR": str(tmp_path / "out")}, timeout=600)
        scheduler = Scheduler([job], tmp_path, clock=clock, spawn=no_es_spawn, kill_grace=30,
                              store=records.append)
        scheduler.tick()
        run = scheduler.running["cicero-recent"]
        wait_until(lambda: server.requests)  # the crawl is up and waiting for its first page
        clock.advance(seconds=599)
        scheduler.tick()
        assert run.signals == []
        clock.advance(seconds=2)
        scheduler.tick()  # over the timeout: SIGINT, Scrapy stops gracefully (but its request hangs)
        assert [name for name, _ in run.signals] == ["SIGINT"]
        time.sleep(1)
        assert run.process.poll() is None
        clock.advance(seconds=30)
        scheduler.tick()  # still there after the grace period: SIGTERM, Scrapy's forced shutdown
        assert [name for name, _ in run.signals] == ["SIGINT", "SIGTERM"]
        wait_until(lambda: run.process.poll() is not None, 60)
        scheduler.tick()
    (record,) = records
    assert record["status"] == "timeout" and record["timed_out"] and record["signals"] == ["SIGINT", "SIGTERM"]
    assert record["failed"] is True and scheduler.running == {}
    assert "over its timeout of 10m, sending SIGINT" in caplog.text
    log = Path(record["log_file"]).read_text()
    assert "shutting down gracefully" in log


def test_the_service_stops_its_crawls_cleanly_on_sigterm(tmp_path):
    with FixtureServer("cicero", "https://www.cicero.de", delays={"/": 120}) as server:
        schedule = tmp_path / "s.toml"
        schedule.write_text(f'[jobs.cicero-recent]\nspider = "cicero"\ncron = "0 * * * *"\n'
                            f'args = {{ base_url = "{server.base_url}" }}\n'
                            f'settings = {{ DOWNLOAD_DELAY = "0", AUTOTHROTTLE_ENABLED = "False", '
                            f'CORPUS_OUTPUT_DIR = "{tmp_path / "out"}" }}\n')
        env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
        service = subprocess.Popen(
            [sys.executable, "-m", "corpus.cli", "schedule", "--file", str(schedule), "--data-dir", str(tmp_path),
             "--kill-grace", "3"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            wait_until(lambda: server.requests)  # the job was due at once (never ran) and its crawl is fetching
            service.send_signal(subprocess.signal.SIGTERM)
            output, _ = service.communicate(timeout=90)
        finally:
            service.kill()
    assert service.returncode == 0, output
    assert "received SIGTERM: stopping 1 running crawl(s)" in output and "scheduler stopped" in output
    (record,) = [json.loads(line) for line in (tmp_path / "crawls.jsonl").read_text().splitlines()]
    assert record["job"] == "cicero-recent" and record["status"] == "stopped"
    assert record["signals"][0] == "SIGINT"


def test_at_most_max_parallel_crawls_run_and_the_others_wait(tmp_path):
    clock = Clock(at("2024-05-03T12:00"))
    jobs = [Job(f"job{i}", "cicero", "0 * * * *") for i in range(3)]
    scheduler = Scheduler(jobs, tmp_path, clock=clock, spawn=sleeper, store=lambda r: None, max_parallel=2)
    scheduler.tick()
    try:
        assert sorted(scheduler.running) == ["job0", "job1"]
        assert [j.name for j, _ in scheduler.due(clock())] == ["job2"]  # still due, waiting
        scheduler.running["job0"].process.kill()
        scheduler.running["job0"].process.wait()
        scheduler.tick()  # job0 ends, job2 takes its slot
        assert sorted(scheduler.running) == ["job1", "job2"]
    finally:
        for run in scheduler.running.values():
            run.process.kill()


def test_once_runs_the_due_job_only_and_records_it(tmp_path):
    from corpus.schedule import State

    with FixtureServer("cicero", "https://www.cicero.de") as server:
        schedule = tmp_path / "s.toml"
        settings = f'settings = {{ DOWNLOAD_DELAY = "0", AUTOTHROTTLE_ENABLED = "False", ' \
                   f'CORPUS_OUTPUT_DIR = "{tmp_path / "out"}" }}\n'
        schedule.write_text(
            f'[jobs.due]\nspider = "cicero"\ncron = "*/5 * * * *"\nargs = {{ base_url = "{server.base_url}" }}\n'
            + settings + f'[jobs.later]\nspider = "cicero"\ncron = "0 3 * * *"\n'
            f'args = {{ base_url = "{server.base_url}" }}\n' + settings)
        # "later" already ran for its latest time (03:00); "due" last ran for a time long past
        state = State(tmp_path / "schedule" / "state.json")
        now = datetime.now(BERLIN)
        state.set_last_fire("later", Cron("0 3 * * *").last_at_or_before(now))
        state.set_last_fire("due", Cron("*/5 * * * *").last_at_or_before(now - timedelta(hours=1)))
        env = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
        result = subprocess.run(
            [sys.executable, "-m", "corpus.cli", "schedule", "--once", "--file", str(schedule),
             "--data-dir", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in (tmp_path / "crawls.jsonl").read_text().splitlines()]
    assert [(r["job"], r["status"], r["exit_code"]) for r in records] == [("due", "ok", 0)]
    assert records[0]["items_scraped"] >= 3 and records[0]["requests"] > 5
    assert "run " in result.stderr and "started: cicero" in result.stderr and "ended: ok" in result.stderr
    assert not (tmp_path / "logs" / "later").exists()


# --- the first start -------------------------------------------------------------------------

def _kill_all(scheduler: Scheduler) -> None:
    for run in scheduler.running.values():
        run.process.kill()


def test_a_first_start_staggers_new_jobs_and_leaves_backfills_to_their_cron_time(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="corpus.schedule")
    clock = Clock(at("2024-05-03T12:10"))  # a Friday
    recent = [Job(f"recent{i}", "cicero", "0 */3 * * *") for i in range(3)]
    backfill = Job("weekly", "cicero", "0 2 * * 0", args={"mode": "backfill", "since": "30d"})
    scheduler = Scheduler([*recent, backfill], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None,
                          max_parallel=4, stagger=60)
    try:
        scheduler.tick()
        assert list(scheduler.running) == ["recent0"]  # one first run, not all of them at once
        clock.advance(seconds=30)
        scheduler.tick()
        assert list(scheduler.running) == ["recent0"]
        clock.advance(seconds=31)
        scheduler.tick()
        assert sorted(scheduler.running) == ["recent0", "recent1"]
        clock.advance(seconds=61)
        scheduler.tick()
        assert sorted(scheduler.running) == ["recent0", "recent1", "recent2"]
        # the backfill never ran: it waits for its first cron time, Sunday 02:00
        assert "weekly" not in scheduler.running and "weekly" not in {j.name for j, _ in scheduler.due(clock())}
        assert "job weekly has never run: a backfill waits for its first cron time (2024-05-05 02:00" in caplog.text
        clock.now = at("2024-05-05T02:00")
        assert "weekly" in [j.name for j, _ in scheduler.due(clock())]
    finally:
        _kill_all(scheduler)


def test_catch_up_runs_a_never_run_backfill_at_once(tmp_path):
    clock = Clock(at("2024-05-03T12:10"))
    backfill = Job("weekly", "cicero", "0 2 * * 0", args={"mode": "backfill"})
    scheduler = Scheduler([backfill], tmp_path, clock=clock, spawn=sleeper, store=lambda r: None, catch_up=True)
    try:
        scheduler.tick()
        assert list(scheduler.running) == ["weekly"]
    finally:
        _kill_all(scheduler)


def test_list_says_when_a_never_run_backfill_runs_first(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[jobs.weekly]\nspider = "cicero"\ncron = "0 2 * * 0"\nargs = { mode = "backfill" }\n'
                    '[jobs.recent]\nspider = "cicero"\ncron = "0 */3 * * *"\n')
    assert cli.main(["schedule", "--file", str(path), "--data-dir", str(tmp_path), "--list"]) == 0
    lines = dict(line.split(None, 1) for line in capsys.readouterr().out.splitlines())
    assert "due now" in lines["recent"] and "due now" not in lines["weekly"]
    assert "first run at" in lines["weekly"] and "--catch-up" in lines["weekly"]
