"""Scheduled crawls: ``corpus schedule`` starts each job of a schedule file on its cron times.

A job is one ``scrapy crawl`` of one spider with fixed arguments, run as a
process of its own, so one outlet's failure or memory never touches another.
Cron expressions are read in Europe/Berlin time (a wall-clock time that occurs
twice when the clocks go back runs once; one that does not exist when they go
forward runs at the first minute after the gap).

- **Overlap**: a job never runs twice at once, also not from two schedulers
  (``corpus schedule`` as a service and ``corpus schedule --once`` from cron):
  a lock file per job names the scheduler and the crawl process. A lock whose
  processes are all gone (a crashed scheduler) is taken over, with a log line.
- **Timeouts**: a run that outlives its ``timeout`` gets SIGINT (Scrapy stops
  gracefully), then SIGTERM, then SIGKILL, ``kill_grace`` seconds apart; it is
  recorded with status ``timeout``.
- **Catch-up**: after downtime a job whose cron time passed runs once, not once
  per missed time. A job that has never run is due at once. At most
  ``max_parallel`` crawls run at a time; further due jobs wait for a free slot.
- **Records**: each run's outcome (start, end, exit status, items
  scraped/dropped/indexed/failed, requests, errors, log file) goes to
  ``corpus-crawls`` in Elasticsearch, or to ``<data>/crawls.jsonl`` without
  one; each crawl logs to ``<data>/logs/<job>/<start>-<run id>.log``.

The clock is injectable (``clock=``), so tests drive :meth:`Scheduler.tick`
without sleeping.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from corpus.tz import BERLIN

logger = logging.getLogger("corpus.schedule")

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class ScheduleError(ValueError):
    """A schedule file that cannot be used; the message names the job and the key."""


@dataclass(frozen=True)
class Job:
    """One scheduled crawl."""

    name: str
    spider: str
    cron: str
    args: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    timeout: float | None = None  # seconds

    @property
    def backfill(self) -> bool:
        """A job that reads listings and sitemaps back in time (``mode=backfill``): long and heavy."""
        return str(self.args.get("mode", "")).strip().lower() == "backfill"

    def command(self, data_dir: Path | None = None) -> list[str]:
        """``scrapy crawl`` with the job's arguments and settings (no run-specific parts); ``data_dir`` is
        passed as ``CORPUS_OUTPUT_DIR``, before the job's own settings (which may override it)."""
        cmd = [sys.executable, "-m", "scrapy", "crawl", self.spider]
        if data_dir is not None:
            cmd += ["-s", f"CORPUS_OUTPUT_DIR={data_dir}"]
        for key, value in self.args.items():
            cmd += ["-a", f"{key}={value}"]
        for key, value in self.settings.items():
            cmd += ["-s", f"{key}={value}"]
        return cmd


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``90``, ``"90s"``, ``"45m"``, ``"2h"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ScheduleError(f"{where}: a duration, not {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ScheduleError(f"{where}: {value!r} is not a duration (e.g. 90, \"45m\", \"2h\")")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ScheduleError(f"{where}: must be positive")
    return seconds


def format_duration(seconds: float) -> str:
    """``2700`` -> ``"45m"``, ``7200`` -> ``"2h"``, ``90`` -> ``"90s"``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:g}s"


def _pairs(value: Any, where: str) -> dict[str, str]:
    """``{"mode": "recent"}`` or ``["mode=recent"]`` -> ``{"mode": "recent"}``."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
    if isinstance(value, list) and all(isinstance(v, str) and "=" in v for v in value):
        return dict(v.split("=", 1) for v in value)
    raise ScheduleError(f"{where}: a table (mode = \"recent\") or a list of \"key=value\" strings")


def load_jobs(path: str | Path) -> list[Job]:
    """Read a schedule file.

    Args:
        path: a TOML file with one ``[jobs.<name>]`` table per job: ``spider``,
            ``cron`` (five fields, Europe/Berlin), optional ``args`` (spider
            arguments), ``settings`` (Scrapy settings) and ``timeout``.

    Raises:
        ScheduleError: the file is missing or a job is not usable (the message says which).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ScheduleError(f"schedule file {path} not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScheduleError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    tables = data.get("jobs")
    if not isinstance(tables, dict) or not tables:
        raise ScheduleError(f"{path}: no [jobs.<name>] tables")
    jobs = []
    for name, table in tables.items():
        where = f"{path}: job {name!r}"
        if not _NAME.match(name):
            raise ScheduleError(f"{where}: names use letters, digits, '-', '_' and '.'")
        if not isinstance(table, dict):
            raise ScheduleError(f"{where}: must be a table")
        unknown = set(table) - {"spider", "cron", "args", "settings", "timeout"}
        if unknown:
            raise ScheduleError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        spider, cron = table.get("spider"), table.get("cron")
        if not isinstance(spider, str) or not spider:
            raise ScheduleError(f"{where}: 'spider' is required")
        if not isinstance(cron, str) or not croniter.is_valid(cron) or len(cron.split()) != 5:
            raise ScheduleError(f"{where}: 'cron' must be a five-field cron expression, got {cron!r}")
        timeout = table.get("timeout")
        jobs.append(Job(
            name=name, spider=spider, cron=cron,
            args=_pairs(table.get("args"), f"{where} 'args'"),
            settings=_pairs(table.get("settings"), f"{where} 'settings'"),
            timeout=parse_duration(timeout, f"{where} 'timeout'") if timeout is not None else None,
        ))
    return jobs


class Cron:
    """A five-field cron expression on Europe/Berlin wall-clock time."""

    def __init__(self, expression: str, tz: ZoneInfo = BERLIN) -> None:
        self.expression = expression
        self.tz = tz

    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after ``moment``."""
        it = croniter(self.expression, moment.astimezone(self.tz))
        candidate = it.get_next(datetime)
        while _repeated(candidate):
            candidate = it.get_next(datetime)
        return candidate

    def last_at_or_before(self, moment: datetime) -> datetime:
        """The latest run time at or before ``moment``."""
        local = moment.astimezone(self.tz)
        if croniter.match(self.expression, local) and local.second == 0 and local.microsecond == 0 \
                and not _repeated(local):
            return local
        it = croniter(self.expression, local)
        candidate = it.get_prev(datetime)
        while _repeated(candidate):
            candidate = it.get_prev(datetime)
        return candidate


def _repeated(moment: datetime) -> bool:
    """The second occurrence of a wall-clock time when the clocks go back (it already ran)."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def pid_alive(pid: int | None) -> bool:
    """Whether a process with this id exists (on this machine)."""
    if not pid or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobLock:
    """A lock file per job that survives a crash of its holder.

    The file names the scheduler's pid, the crawl's pid and the host. It is
    held while either process lives; a lock left by processes that are gone
    is taken over. The check-and-take runs under ``flock`` so two schedulers
    never take the same lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.owned = False

    def _locked(self, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.seek(0)
                text = f.read().strip()
                try:
                    current = json.loads(text) if text else None
                except ValueError:
                    current = None  # a torn write: treat as free
                new = change(current)
                if new is not current:
                    f.seek(0)
                    f.truncate()
                    if new:
                        f.write(json.dumps(new))
                    f.flush()
                    os.fsync(f.fileno())
                return current
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def holder(self) -> dict[str, Any] | None:
        """The live holder's record, or ``None`` when the lock is free or stale."""
        current = self._locked(lambda c: c)
        return current if current and self._alive(current) else None

    @staticmethod
    def _alive(info: dict[str, Any]) -> bool:
        if info.get("host") not in (None, socket.gethostname()):
            return True  # another machine's processes cannot be checked from here: respect it
        return pid_alive(info.get("scheduler_pid")) or pid_alive(info.get("crawl_pid"))

    def acquire(self, job: str, run_id: str) -> bool:
        """Take the lock for a run; ``False`` (and a log line) when the job is running elsewhere."""
        outcome: dict[str, Any] = {}

        def take(current: dict[str, Any] | None) -> dict[str, Any] | None:
            if current and self._alive(current):
                outcome["busy"] = current
                return current
            if current:
                outcome["stale"] = current
            return {"job": job, "run_id": run_id, "scheduler_pid": os.getpid(), "crawl_pid": None,
                    "host": socket.gethostname(), "since": datetime.now(BERLIN).isoformat(timespec="seconds")}

        self._locked(take)
        if "busy" in outcome:
            busy = outcome["busy"]
            logger.warning("job %s not started: run %s is still going (scheduler pid %s, crawl pid %s, since %s)",
                           job, busy.get("run_id"), busy.get("scheduler_pid"), busy.get("crawl_pid"), busy.get("since"))
            return False
        if "stale" in outcome:
            stale = outcome["stale"]
            logger.warning("job %s: taking over the stale lock of run %s (scheduler pid %s and crawl pid %s are gone)",
                           job, stale.get("run_id"), stale.get("scheduler_pid"), stale.get("crawl_pid"))
        self.owned = True
        return True

    def set_crawl_pid(self, pid: int) -> None:
        self._locked(lambda c: dict(c or {}, crawl_pid=pid))

    def release(self) -> None:
        if self.owned:
            self._locked(lambda c: {} if c and c.get("scheduler_pid") == os.getpid() else c)
            self.owned = False


class State:
    """Per job, the cron time the last run was started for (``<data>/schedule/state.json``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            self.data = {}

    def last_fire(self, job: str) -> datetime | None:
        value = self.data.get(job, {}).get("last_fire")
        return datetime.fromisoformat(value) if value else None

    def set_last_fire(self, job: str, when: datetime) -> None:
        self.data.setdefault(job, {})["last_fire"] = when.isoformat()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=1), "utf-8")
        tmp.replace(self.path)  # atomic: a crash never leaves half a state file


@dataclass
class Run:
    """A crawl process started by the scheduler."""

    job: Job
    run_id: str
    scheduled_for: datetime
    started: datetime
    process: subprocess.Popen[bytes]
    lock: JobLock
    log_file: Path
    record_file: Path
    signals: list[tuple[str, datetime]] = field(default_factory=list)

    @property
    def timed_out(self) -> bool:
        return bool(self.signals)


Spawn = Callable[[list[str], Path], "subprocess.Popen[bytes]"]


def spawn(cmd: list[str], log_file: Path) -> subprocess.Popen[bytes]:
    """Start a crawl in a session of its own (the scheduler decides which signals it gets)."""
    env = dict(os.environ)
    env.setdefault("SCRAPY_SETTINGS_MODULE", "corpus.settings")
    out = open(log_file, "ab")  # noqa: SIM115 - the child keeps the file; closed after it ends
    try:
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True)
    finally:
        out.close()


class Scheduler:
    """Starts due jobs, watches running ones, records every run.

    Args:
        jobs: the jobs of the schedule file.
        data_dir: where locks, state, logs and (without Elasticsearch) the run log go.
        clock: the current time (aware); injectable for tests.
        spawn: starts a crawl process; injectable for tests.
        kill_grace: seconds between SIGINT, SIGTERM and SIGKILL for a run over its timeout.
        store: writes a finished run's record; defaults to Elasticsearch or ``crawls.jsonl``.
        stagger: seconds between the first runs of jobs that never ran (0: all at once, up to
            ``max_parallel``), so that a first start does not start every job in the same minute.
        catch_up: run never-run backfill jobs at once too; without it they wait for their first
            cron time.
    """

    def __init__(
        self, jobs: list[Job], data_dir: str | Path = "data", *, clock: Callable[[], datetime] | None = None,
        spawn: Spawn = spawn, kill_grace: float = 30.0,
        store: Callable[[dict[str, Any]], None] | None = None, max_parallel: int = 4,
        stagger: float = 0.0, catch_up: bool = False,
    ) -> None:
        self.jobs = jobs
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.clock = clock or (lambda: datetime.now(BERLIN))
        self.spawn = spawn
        self.kill_grace = kill_grace
        self.max_parallel = max(1, max_parallel)
        self.store = store or RecordStore(self.data_dir)
        self.state = State(self.data_dir / "schedule" / "state.json")
        self.running: dict[str, Run] = {}
        self._started: set[str] = set()  # jobs started by this scheduler
        self.finished: list[dict[str, Any]] = []
        self.stopping = False
        self.stagger = max(0.0, stagger)
        self.catch_up = catch_up
        self._last_first_start: datetime | None = None

    # --- what is due ---------------------------------------------------------------
    def due(self, now: datetime) -> list[tuple[Job, datetime]]:
        """Jobs whose latest cron time at or before ``now`` has not been run.

        A job that never ran is due at once, except a backfill: it waits for its first cron time
        (unless ``catch_up``), so that the first start of a schedule does not begin with every
        outlet's backfill.
        """
        result = []
        for job in self.jobs:
            fire = Cron(job.cron).last_at_or_before(now)
            last = self.state.last_fire(job.name)
            if last is None and job.backfill and not self.catch_up:
                continue
            if last is None or fire > last:
                result.append((job, fire))
        return result

    def waits_for_first_run(self, job: Job) -> bool:
        """A never-run backfill that waits for its first cron time (see :meth:`due`)."""
        return job.backfill and not self.catch_up and self.state.last_fire(job.name) is None

    def _first_sight(self, now: datetime) -> None:
        """Never-run backfills are taken as run for their latest cron time, so the next one starts them."""
        for job in self.jobs:
            if self.waits_for_first_run(job):
                self.state.set_last_fire(job.name, Cron(job.cron).last_at_or_before(now))
                logger.info("job %s has never run: a backfill waits for its first cron time (%s); start the "
                            "scheduler with --catch-up to run it now", job.name,
                            Cron(job.cron).next_after(now).strftime("%Y-%m-%d %H:%M %Z"))

    # --- one step --------------------------------------------------------------------
    def tick(self, only: set[str] | None = None) -> None:
        """Check running crawls (ends, timeouts), then start what is due (at most ``max_parallel``
        crawls at once; the others stay due and start when a run ends). ``only`` limits the jobs."""
        now = self.clock()
        for run in list(self.running.values()):
            self._watch(run, now)
        if self.stopping:
            return
        self._first_sight(now)
        for job, fire in self.due(now):
            if only is not None and job.name not in only:
                continue
            if job.name not in self.running and len(self.running) >= self.max_parallel:
                continue  # still due at the next tick
            first = self.state.last_fire(job.name) is None
            if first and self.stagger and self._last_first_start is not None and \
                    (now - self._last_first_start).total_seconds() < self.stagger:
                continue  # a first run waits its turn: first runs start `stagger` seconds apart
            if job.name in self.running:
                logger.warning("job %s: cron time %s passed while run %s is still going; skipped",
                               job.name, fire.isoformat(timespec="minutes"), self.running[job.name].run_id)
                self.state.set_last_fire(job.name, fire)
                continue
            self._start(job, fire, now)
            if first and job.name in self.running:
                self._last_first_start = now

    def _start(self, job: Job, fire: datetime, now: datetime) -> None:
        run_id = f"{now.astimezone(BERLIN):%Y%m%dT%H%M%S}-{job.name}-{uuid.uuid4().hex[:6]}"
        lock = JobLock(self.data_dir / "schedule" / "locks" / f"{job.name}.lock")
        if not lock.acquire(job.name, run_id):
            self.state.set_last_fire(job.name, fire)  # this cron time is over; the next one tries again
            return
        logs = self.data_dir / "logs" / job.name
        logs.mkdir(parents=True, exist_ok=True)
        log_file = logs / f"{run_id}.log"
        record_file = self.data_dir / "schedule" / "runs" / f"{run_id}.json"
        record_file.parent.mkdir(parents=True, exist_ok=True)
        cmd = job.command(self.data_dir)  # the scheduler's data directory is its crawls'
        cmd += [
            "-s", f"LOG_FILE={log_file}", "-s", f"CORPUS_RUN_ID={run_id}", "-s", f"CORPUS_JOB={job.name}",
            "-s", f"CORPUS_RECORD_FILE={record_file}",
        ]
        try:
            process = self.spawn(cmd, log_file)
        except OSError as exc:
            lock.release()
            logger.error("job %s: could not start %s: %s", job.name, cmd[0], exc)
            self.state.set_last_fire(job.name, fire)
            return
        lock.set_crawl_pid(process.pid)
        self.state.set_last_fire(job.name, fire)
        self.running[job.name] = Run(job, run_id, fire, now, process, lock, log_file, record_file)
        self._started.add(job.name)
        args = " ".join(f"{k}={v}" for k, v in job.args.items())
        logger.info("run %s started: %s %s (pid %d, for %s, timeout %s, log %s)", run_id, job.spider, args,
                    process.pid, fire.isoformat(timespec="minutes"),
                    format_duration(job.timeout) if job.timeout else "none", log_file)

    def _watch(self, run: Run, now: datetime) -> None:
        code = run.process.poll()
        if code is not None:
            self._finish(run, code, now)
            return
        deadline = run.job.timeout if not self.stopping else 0.0
        if deadline is None:
            return
        elapsed = (now - run.started).total_seconds()
        steps = [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM"), (signal.SIGKILL, "SIGKILL")]
        sent = len(run.signals)
        if sent >= len(steps):
            return
        due_at = deadline + sent * self.kill_grace
        if elapsed >= due_at:
            sig, name = steps[sent]
            if self.stopping:
                logger.warning("run %s: scheduler stopping, sending %s", run.run_id, name)
            else:
                logger.warning("run %s: over its timeout of %s, sending %s", run.run_id,
                               format_duration(deadline), name)
            try:
                os.kill(run.process.pid, sig)
            except ProcessLookupError:
                pass
            run.signals.append((name, now))

    def _finish(self, run: Run, code: int, now: datetime) -> None:
        del self.running[run.job.name]
        record = _read_record(run.record_file)
        status = "ok" if code == 0 and not run.timed_out else "timeout" if run.timed_out else "failed"
        if self.stopping and run.timed_out:
            status = "stopped"
        record.update({
            "id": run.run_id, "job": run.job.name, "spider": record.get("spider", run.job.spider),
            "arguments": record.get("arguments", dict(run.job.args)),
            "host": record.get("host", socket.gethostname()),
            "scheduled_for": run.scheduled_for.isoformat(), "start": record.get("start") or run.started.isoformat(),
            "end": record.get("end") or now.isoformat(), "exit_code": code, "status": status,
            "timed_out": run.timed_out, "signals": [name for name, _ in run.signals],
            "log_file": str(run.log_file),
        })
        record["failed"] = status != "ok" or bool(record.get("failed"))
        record.setdefault("duration_seconds", (now - run.started).total_seconds())
        try:
            self.store(record)
        finally:
            run.lock.release()
            run.record_file.unlink(missing_ok=True)
        self.finished.append(record)
        log = logger.info if status == "ok" else logger.warning
        log("run %s ended: %s, exit %s, %s scraped, %s dropped, %s indexed, %s failed, %s requests, %s errors, "
            "%.0fs", run.run_id, status, code, record.get("items_scraped", "?"), record.get("items_dropped", "?"),
            record.get("items_indexed", "?"), record.get("items_failed", "?"), record.get("requests", "?"),
            record.get("errors", "?"), record.get("duration_seconds") or 0)
        if record.get("degraded"):
            logger.warning("run %s (job %s): outlet %s degraded: %s", run.run_id, run.job.name, record["spider"],
                           "; ".join(record.get("degraded_reasons") or []))

    # --- loops ---------------------------------------------------------------------------
    def run_once(self, sleep: Callable[[float], None] = time.sleep, poll: float = 1.0) -> int:
        """Start every job that is due now and wait for them (timeouts apply); 1 when a run did not end ``ok``."""
        due = {job.name for job, _ in self.due(self.clock())}
        if not due:
            logger.info("no job is due")
        self.tick(only=due)
        while True:
            # due at the start and not yet started (waiting for a slot); a job refused by its
            # lock is no longer due
            pending = {job.name for job, _ in self.due(self.clock())} & due - self._started
            if not self.running and not pending:
                break
            sleep(poll)
            self.tick(only=pending)
        return 0 if all(r["status"] == "ok" for r in self.finished) else 1

    def run_forever(self, sleep: Callable[[float], None] = time.sleep, poll: float = 1.0) -> int:
        """Run until SIGINT/SIGTERM; then stop the running crawls (SIGINT first) and exit."""

        def stop(signum: int, _frame: Any) -> None:
            if not self.stopping:
                logger.info("received %s: stopping %d running crawl(s), starting none",
                            signal.Signals(signum).name, len(self.running))
            self.stopping = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            logger.info("scheduler started with %d job(s): %s", len(self.jobs), ", ".join(j.name for j in self.jobs))
            while not (self.stopping and not self.running):
                self.tick()
                if self.running or self.stopping:
                    sleep(poll)  # watch the crawls; a due job waiting for a free slot starts at the next tick
                else:
                    now = self.clock()
                    upcoming = min((Cron(job.cron).next_after(now) for job in self.jobs),
                                   default=now + timedelta(seconds=60))
                    sleep(max(0.05, min(60.0, (upcoming - now).total_seconds())))
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        logger.info("scheduler stopped")
        return 0


def _read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
        return data if isinstance(data, dict) else {}
    except (FileNotFoundError, ValueError):
        return {}  # the crawl ended before writing its record (killed, crashed at start)


class RecordStore:
    """Writes run records to ``corpus-crawls`` (Elasticsearch from the environment) or ``crawls.jsonl``."""

    def __init__(self, data_dir: Path) -> None:
        from corpus.search.config import EsConfig

        self.config = EsConfig.from_env()
        self.log_path = data_dir / "crawls.jsonl"

    def __call__(self, record: dict[str, Any]) -> None:
        from corpus.crawlrecord import store_record

        asyncio.run(store_record(record, self.config, self.log_path))
