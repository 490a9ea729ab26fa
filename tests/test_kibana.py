"""Kibana saved objects: well-formed NDJSON, references that resolve, fields that exist; and the import client.

No Kibana runs here (it is neither on Maven Central nor on PyPI): the import
client is tested against a small server that answers like Kibana's documented
saved objects and status APIs, and the objects' queries against the real
Elasticsearch node (tests/test_elasticsearch.py).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import tomllib
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from corpus import cli
from corpus.kibana import NDJSON, KibanaTarget, saved_objects, to_ndjson
from corpus.kibana.objects import ACTORS
from corpus.search.templates import _PROPERTIES

OBJECTS = [json.loads(line) for line in NDJSON.read_text("utf-8").splitlines()]
BY_ID = {o["id"]: o for o in OBJECTS}
ENTITIES_TOML = Path(__file__).parents[1] / "corpus" / "topics" / "entities.toml"


def _query(obj: dict[str, Any]) -> str:
    return str(json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"])


def _aggs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(obj["attributes"]["visState"])["aggs"])


def test_the_shipped_file_is_the_generated_one_and_every_line_parses():
    assert NDJSON.read_text("utf-8") == to_ndjson(saved_objects()), "run: python -m corpus.kibana > " + str(NDJSON)
    for obj in OBJECTS:
        assert set(obj) >= {"id", "type", "attributes", "references"}
        for key in ("visState", "panelsJSON", "optionsJSON", "fieldFormatMap"):
            if key in obj["attributes"]:
                json.loads(obj["attributes"][key])
        meta = obj["attributes"].get("kibanaSavedObjectMeta")
        if meta:
            json.loads(meta["searchSourceJSON"])
    assert len(BY_ID) == len(OBJECTS)  # ids are unique


def test_the_required_objects_are_there():
    titles = {o["type"]: set() for o in OBJECTS}
    for o in OBJECTS:
        titles[o["type"]].add(o["attributes"]["title"])
    assert titles["index-pattern"] == {"corpus-articles", "corpus-comments", "corpus-crawls"}
    assert titles["search"] >= {"Nordkorea–Russland", "China–Russland", "Korea und China", "Cicero Plus (paywalled)",
                                "Wire copy (agency copy and its near-duplicates)", "Comments on Korea articles"}
    assert titles["dashboard"] == {"East Asia coverage", "Stories and actors", "Crawl health"}
    assert titles["visualization"] >= {"Unique stories per week by country", "Wire share by outlet", "Top people",
                                       "Top places", "Top organisations"}
    assert _query(BY_ID["corpus-search-wire-copy"]) == "wire_copy:true"
    assert "Degraded runs" in titles["search"]
    degraded = BY_ID["corpus-search-degraded"]["attributes"]
    assert json.loads(degraded["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"] == "degraded:true"
    assert degraded["sort"] == [["start", "desc"]] and "degraded_reasons" in degraded["columns"]
    views = [o["attributes"] for o in OBJECTS if o["type"] == "index-pattern"]
    times = {view["title"]: view["timeFieldName"] for view in views}
    # comments: date (published_at, else crawled_at), so comments without a date are in time-based views
    assert times == {"corpus-articles": "published_at", "corpus-comments": "date", "corpus-crawls": "start"}
    assert json.loads(BY_ID["corpus-articles"]["attributes"]["fieldFormatMap"])["url"]["id"] == "url"
    for search in (o for o in OBJECTS if o["type"] == "search" and o["references"][0]["id"] == "corpus-articles"):
        assert search["attributes"]["columns"] == ["title", "outlet", "authors", "published_at", "countries"]


def test_the_stories_and_actors_objects():
    # clusters, not articles: a unique count of story_id per week, one series per country
    stories, week, country = _aggs(BY_ID["corpus-vis-stories-by-country"])
    assert (stories["type"], stories["schema"], stories["params"]["field"]) == ("cardinality", "metric", "story_id")
    assert (week["type"], week["params"]["field"], week["params"]["interval"]) == ("date_histogram", "published_at",
                                                                                   "w")
    assert (country["type"], country["schema"], country["params"]["field"]) == ("terms", "group", "countries")
    # one bar per outlet, split by wire_copy, stacked to 100 %
    wire = BY_ID["corpus-vis-wire-share"]
    count, outlet, split = _aggs(wire)
    assert count["type"] == "count"
    assert (outlet["schema"], outlet["params"]["field"]) == ("segment", "outlet")
    assert (split["schema"], split["params"]["field"]) == ("group", "wire_copy")
    params = json.loads(wire["attributes"]["visState"])["params"]
    assert params["valueAxes"][0]["scale"]["mode"] == "percentage"
    assert params["seriesParams"][0]["mode"] == "stacked"
    for key, field in (("people", "person"), ("places", "place"), ("organisations", "org")):
        vis = BY_ID[f"corpus-vis-top-{key}"]
        assert json.loads(vis["attributes"]["visState"])["type"] == "table"
        assert [(a["type"], a["params"].get("field")) for a in _aggs(vis)] == [("count", None),
                                                                              ("terms", f"entities.{field}")]
    # one saved search per main actor, on the canonical name
    actors = {o["id"]: _query(o) for o in OBJECTS if o["id"].startswith("corpus-search-person-")}
    assert sorted(actors.values()) == sorted(f'entities.person:"{name}"' for name in ACTORS)
    assert len(ACTORS) >= 6 and "corpus-search-person-kim-jong-un" in actors
    dashboard = BY_ID["corpus-dashboard-stories-actors"]
    assert {r["id"] for r in dashboard["references"]} == {
        "corpus-vis-stories-by-country", "corpus-vis-wire-share", "corpus-vis-top-people", "corpus-vis-top-places",
        "corpus-vis-top-organisations", "corpus-search-wire-copy", *actors}
    # no two panels overlap on the 48-column grid
    cells: set[tuple[int, int]] = set()
    for panel in json.loads(dashboard["attributes"]["panelsJSON"]):
        x, y, w, h = (panel["gridData"][key] for key in "xywh")
        assert x + w <= 48
        area = {(column, row) for column in range(x, x + w) for row in range(y, y + h)}
        assert not area & cells, panel
        cells |= area


@pytest.mark.skipif(not ENTITIES_TOML.exists(), reason=f"{ENTITIES_TOML} does not exist yet: the actor searches' "
                    "names cannot be checked against the canonical names")
def test_every_actor_search_names_a_person_of_the_entities_file():
    people = {person["name"] for person in tomllib.loads(ENTITIES_TOML.read_text("utf-8")).get("person", [])}
    for name in ACTORS:
        assert name in people, f"{name!r} is not a [[person]] name in {ENTITIES_TOML}"


def test_every_reference_resolves():
    for obj in OBJECTS:
        names = {r["name"] for r in obj["references"]}
        for ref in obj["references"]:
            assert ref["id"] in BY_ID and BY_ID[ref["id"]]["type"] == ref["type"], (obj["id"], ref)
        meta = obj["attributes"].get("kibanaSavedObjectMeta")
        source = json.loads(meta["searchSourceJSON"]) if meta else {}
        if "indexRefName" in source:
            assert source["indexRefName"] in names
        if obj["type"] == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            assert len(panels) >= 6
            for panel in panels:
                assert f"{panel['panelIndex']}:{panel['panelRefName']}" in names
    # referenced objects come first in the file (Kibana imports in one go, but order helps readers)
    seen: set[str] = set()
    for obj in OBJECTS:
        assert all(r["id"] in seen for r in obj["references"]), obj["id"]
        seen.add(obj["id"])


# What Kibana 8.x exports write (public exports of 8.17; Kibana's type definitions): the import runs
# no migration older than these. A higher value than the importing Kibana knows would fail the import.
KIBANA_8_VERSIONS = {"index-pattern": "8.0.0", "search": "10.5.0", "visualization": "8.5.0", "dashboard": "10.2.0"}


def test_every_object_carries_the_migration_versions_of_a_kibana_8_export():
    assert {o["type"] for o in OBJECTS} == set(KIBANA_8_VERSIONS)
    for obj in saved_objects("newsdesk"):  # whatever the prefix
        assert obj["coreMigrationVersion"] == "8.8.0", obj["id"]
        assert obj["typeMigrationVersion"] == KIBANA_8_VERSIONS[obj["type"]], obj["id"]
        assert "migrationVersion" not in obj  # the pre-8.8 field: Kibana refuses both together


def test_every_dashboard_panel_has_one_reference_of_its_own():
    dashboards = [o for o in OBJECTS if o["type"] == "dashboard"]
    assert len(dashboards) == 3
    for obj in OBJECTS:
        names = [r["name"] for r in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]  # no reference name twice
    for dashboard in dashboards:
        panels = json.loads(dashboard["attributes"]["panelsJSON"])
        ref_names = [p["panelRefName"] for p in panels]
        assert len(ref_names) == len(set(ref_names)), dashboard["id"]
        assert len({p["panelIndex"] for p in panels}) == len(panels)
        for panel in panels:
            # as Kibana 8.x's reference extraction writes them
            assert panel["panelRefName"] == f"panel_{panel['panelIndex']}"
            matching = [r for r in dashboard["references"] if r["name"] == f"{panel['panelIndex']}:panel_"
                        f"{panel['panelIndex']}"]
            assert len(matching) == 1, (dashboard["id"], panel)
            assert matching[0]["type"] == panel["type"]
            assert "id" not in panel and "savedObjectId" not in json.dumps(panel)  # by reference only
        # and no reference that belongs to no panel
        assert len(dashboard["references"]) == len(panels), dashboard["id"]


def test_a_comment_without_a_date_gets_its_crawl_time_as_date():
    """The comments data view's time field is date: published_at, else crawled_at (pipelines/dates.py)."""
    from corpus.items import Comment
    from pipelines.dates import DatesPipeline
    from tests.conftest import make_spider

    pipeline = DatesPipeline(make_spider().crawler)
    crawled = "2023-09-08T09:15:00+02:00"
    undated = Comment(article_url="https://www.cicero.de/a", outlet="cicero", text="Gut.", crawled_at=crawled)
    unreadable = Comment(article_url="https://www.cicero.de/a", outlet="cicero", text="Gut.", crawled_at=crawled,
                         published_raw="irgendwann")
    dated = Comment(article_url="https://www.cicero.de/a", outlet="cicero", text="Gut.", crawled_at=crawled,
                    published_raw="07.09.2023 10:40")
    for comment in (undated, unreadable, dated):
        pipeline.process_item(comment)
    assert (undated.published_at, undated.date) == (None, crawled)
    assert (unreadable.published_at, unreadable.date) == (None, crawled)
    assert dated.published_at == "2023-09-07T10:40:00+02:00" and dated.date == dated.published_at
    comments_view = BY_ID["corpus-comments"]["attributes"]
    assert comments_view["timeFieldName"] == "date" and _mapped("comments", "date") == {
        "type": "date", "format": _PROPERTIES["comments"]["published_at"]["format"]}
    comment_vis = _aggs(BY_ID["corpus-vis-comments"])
    assert [a["params"]["field"] for a in comment_vis if a["type"] == "date_histogram"] == ["date"]


def _mapped(kind: str, field: str) -> dict[str, Any] | None:
    properties = _PROPERTIES[kind]
    node: dict[str, Any] | None = None
    for part in field.split("."):
        node = properties.get(part)
        if node is None:
            return None
        properties = node.get("properties", {})
    return node


def _query_fields(query: str) -> set[str]:
    fields = set(re.findall(r"_exists_:([\w.]+)", query))
    return fields | {f for f in re.findall(r"(?<![\w.])([A-Za-z_][\w.]*):", query) if f != "_exists_"}


def test_every_field_a_saved_object_names_exists_in_the_index_templates():
    kind_of_view = {o["id"]: o["attributes"]["title"].split("-", 1)[1]
                    for o in OBJECTS if o["type"] == "index-pattern"}
    checked = 0
    aggregated: set[str] = set()  # the agg types whose fields were checked
    for obj in OBJECTS:
        attrs = obj["attributes"]
        if obj["type"] == "index-pattern":
            kind = kind_of_view[obj["id"]]
            fields = {attrs["timeFieldName"], *json.loads(attrs["fieldFormatMap"])}
        elif obj["type"] in ("search", "visualization"):
            kind = kind_of_view[obj["references"][0]["id"]]
            query = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]["query"]
            fields = _query_fields(query)
            fields |= set(attrs.get("columns", [])) | {s[0] for s in attrs.get("sort", [])}
            if obj["type"] == "visualization":
                for agg in _aggs(obj):
                    if agg["type"] == "count":
                        continue
                    field = agg["params"]["field"]  # every other agg (terms, cardinality, avg ...) names one
                    node = _mapped(kind, field)
                    assert node is not None, f"{obj['id']}: {agg['type']} on {field}, not a field of {kind}"
                    assert node.get("type") not in (None, "text", "binary"), \
                        f"{obj['id']}: {agg['type']} on {field}, which cannot be aggregated ({node})"
                    aggregated.add(agg["type"])
                    checked += 1
        else:
            continue
        for field in fields:
            assert _mapped(kind, field) is not None, f"{obj['id']}: {field} is not a field of {kind}"
            checked += 1
    assert checked > 60
    assert aggregated >= {"cardinality", "terms", "date_histogram", "avg"}


def test_query_field_extraction():
    assert _query_fields('pairs:"KP-RU" AND countries:(KP OR KR)') == {"pairs", "countries"}
    assert _query_fields("_exists_:agencies AND NOT _exists_:authors") == {"agencies", "authors"}
    assert _query_fields('entities.person:"Kim Jong-un"') == {"entities.person"}


# --- import client ---------------------------------------------------------------------------------


class FakeKibana:
    """Answers like Kibana 8.x: GET /api/status, POST [/s/<space>]/api/saved_objects/_import.

    It keeps what was imported (``store``): without ``overwrite=true`` an object whose id is
    there already is answered with a ``conflict`` error and left as it is, as Kibana does.

    statuses: the answers to successive status requests, ``(HTTP status, level, summary)``; the
        last one repeats. By default ``ready_after`` answers 503 ``unavailable``, then 200 ``available``.
    import_answers: what successive imports get first: an HTTP status (with a Kibana error body),
        ``(status, headers)``, or 0 for a connection closed without an answer; then ``import_status``
        for every further one when given, else the import.
    """

    def __init__(self, ready_after: int = 0, reject: set[str] | None = None, status: int = 200,
                 statuses: list[tuple[int, str, str]] | None = None, existing: dict[str, dict] | None = None,
                 import_answers: list[int | tuple[int, dict[str, str]]] | None = None,
                 import_status: int | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.reject = reject or set()
        self.status = status
        self.statuses = statuses or [(503, "unavailable", "Kibana is starting")] * ready_after + \
            [(200, "available", "All services and plugins are available")]
        self.store: dict[str, dict[str, Any]] = dict(existing or {})
        self.import_answers = list(import_answers or [])
        self.import_status = import_status
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                fake.calls.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                if fake.status != 200:
                    return self._send(fake.status, {"message": "Unauthorized"})
                asked = len([c for c in fake.calls if c["path"] == "/api/status"])
                code, level, summary = fake.statuses[min(asked, len(fake.statuses)) - 1]
                return self._send(code, {"name": "kibana", "version": {"number": "8.19.21"},
                                         "status": {"overall": {"level": level, "summary": summary}}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
                files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_parts()}
                fake.calls.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "files": files})
                if fake.import_answers or fake.import_status:
                    answer = fake.import_answers.pop(0) if fake.import_answers else fake.import_status
                    code, headers = answer if isinstance(answer, tuple) else (answer, {})
                    if code == 0:  # the connection drops without an answer
                        self.close_connection = True
                        return None
                    return self._send(code, {"statusCode": code, "error": "Error", "message": f"failure {code}"},
                                      headers)
                if "kbn-xsrf" not in {k.lower() for k in self.headers}:
                    return self._send(400, {"message": "Request must contain a kbn-xsrf header."})
                overwrite = "overwrite=true" in self.path
                objects = [json.loads(line) for line in files["saved_objects.ndjson"].splitlines() if line.strip()]
                ok, errors = [], []
                for o in objects:
                    meta = {"title": o["attributes"]["title"], "icon": "app"}
                    if o["id"] in fake.reject:
                        errors.append({"id": o["id"], "type": o["type"], "title": meta["title"], "meta": meta,
                                       "error": {"type": "missing_references",
                                                 "references": [{"type": "index-pattern", "id": "gone"}]}})
                    elif o["id"] in fake.store and not overwrite:
                        errors.append({"id": o["id"], "type": o["type"], "title": meta["title"], "meta": meta,
                                       "error": {"type": "conflict"}})
                    else:
                        ok.append({"type": o["type"], "id": o["id"], "meta": meta,
                                   **({"overwrite": True} if o["id"] in fake.store else {})})
                        fake.store[o["id"]] = o
                return self._send(200, {"success": not errors, "successCount": len(ok), "errors": errors,
                                        "successResults": ok})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == "POST"]

    def status_calls(self) -> int:
        return len([c for c in self.calls if c["path"] == "/api/status"])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kibana():
    servers: list[FakeKibana] = []

    def start(**kwargs: Any) -> FakeKibana:
        servers.append(FakeKibana(**kwargs))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


class Clock:
    """The client's clock and sleep: a sleep moves the clock on at once and is noted."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr("corpus.kibana.client._now", lambda: fake.now)
    monkeypatch.setattr("corpus.kibana.client._sleep", fake.sleep)
    return fake


def test_import_waits_for_kibana_and_reports_each_object(kibana, capsys, clock):
    fake = kibana(ready_after=2)
    code = cli.main(["kibana", "import", "--kibana-url", fake.url, "--user", "elastic", "--password", "s3cret",
                     "--space", "analysts"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, out
    (post,) = fake.posts()
    assert post["path"] == "/s/analysts/api/saved_objects/_import?overwrite=false"  # analysts' edits stay
    assert post["files"]["saved_objects.ndjson"] == NDJSON.read_bytes()
    assert post["headers"]["Authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("ok ")]) == len(OBJECTS)
    assert "ok     dashboard corpus-dashboard-east-asia East Asia coverage" in lines
    assert lines[-1] == f"{len(OBJECTS)} imported, 0 kept, 0 failed"
    assert fake.status_calls() == 3 and clock.sleeps == [2.0, 2.0]  # two "not ready" answers first
    # what kept it waiting is said once, not once per poll
    assert captured.err.count("Kibana is not ready yet (HTTP 503, status unavailable: Kibana is starting)") == 1


def test_import_reports_the_error_kibana_gave_and_fails(kibana, capsys, clock):
    fake = kibana(reject={"corpus-vis-top-authors"})
    code = cli.main(["kibana", "import", "--kibana-url", fake.url, "--api-key", "a2V5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "error  visualization corpus-vis-top-authors Top authors: missing_references index-pattern:gone" in out
    assert out.splitlines()[-1] == f"{len(OBJECTS) - 1} imported, 0 kept, 1 failed"
    (post,) = fake.posts()
    assert post["path"] == "/api/saved_objects/_import?overwrite=false"
    assert post["headers"]["Authorization"] == "ApiKey a2V5"


def test_a_degraded_kibana_gets_the_import_and_the_level_is_said(kibana, capsys, clock):
    fake = kibana(statuses=[(200, "degraded", "1 service is degraded: alerting")])
    code = cli.main(["kibana", "import", "--kibana-url", fake.url])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert "corpus kibana: Kibana is degraded (1 service is degraded: alerting); importing anyway" in captured.err
    assert fake.status_calls() == 1 and clock.sleeps == []  # no waiting on a degraded Kibana
    assert len(fake.posts()) == 1 and len(fake.store) == len(OBJECTS)


def test_an_unavailable_or_critical_kibana_is_waited_for(kibana, capsys, clock):
    fake = kibana(statuses=[(503, "unavailable", "savedObjects is starting"), (503, "critical", "elasticsearch down"),
                            (200, "available", "All services and plugins are available")])
    code = cli.main(["kibana", "import", "--kibana-url", fake.url])
    err = capsys.readouterr().err
    assert code == 0, err
    assert fake.status_calls() == 3 and len(fake.posts()) == 1
    assert "Kibana is not ready yet (HTTP 503, status unavailable: savedObjects is starting)" in err
    assert "Kibana is not ready yet (HTTP 503, status critical: elasticsearch down)" in err
    assert "degraded" not in err


def test_degraded_then_a_refused_import_fails_clearly(kibana, capsys, clock):
    fake = kibana(statuses=[(200, "degraded", "1 service is degraded")], import_status=400)
    code = cli.main(["kibana", "import", "--kibana-url", fake.url])
    captured = capsys.readouterr()
    assert code == 1
    assert "Kibana is degraded (1 service is degraded); importing anyway" in captured.err
    assert "corpus kibana: error: Kibana did not take the import (HTTP 400: failure 400)" in captured.err
    assert len(fake.posts()) == 1 and clock.sleeps == []  # a 400 is not retried
    assert "imported" not in captured.out


def test_degraded_then_a_failing_import_is_retried_until_the_timeout(kibana, capsys, clock):
    fake = kibana(statuses=[(200, "degraded", "1 service is degraded")], import_status=500)
    code = cli.main(["kibana", "import", "--kibana-url", fake.url, "--timeout", "10"])
    err = capsys.readouterr().err
    assert code == 1
    # 1, 2 and 4 s apart; waiting 8 s more would pass the 10 s
    assert clock.sleeps == [1.0, 2.0, 4.0] and len(fake.posts()) == 4
    assert ("corpus kibana: error: the import failed 4 times and the 10 s of --timeout are up "
            "(last: HTTP 500: failure 500)") in err
    assert "import attempt 1 failed (HTTP 500: failure 500); trying again in 1 s" in err


def test_passing_import_failures_are_retried_with_back_off(kibana, capsys, clock):
    # 503 asking for 3 s, 429, a dropped connection: then the import goes through
    fake = kibana(import_answers=[(503, {"Retry-After": "3"}), 429, 0])
    code = cli.main(["kibana", "import", "--kibana-url", fake.url])
    captured = capsys.readouterr()
    assert code == 0, captured
    assert len(fake.posts()) == 4 and clock.sleeps == [3.0, 2.0, 4.0]
    assert "import attempt 3 failed (ServerDisconnectedError" in captured.err
    assert captured.out.splitlines()[-1] == f"{len(OBJECTS)} imported, 0 kept, 0 failed"


def test_existing_objects_are_kept_and_replaced_only_with_overwrite(kibana, capsys, clock):
    edited = dict(BY_ID["corpus-dashboard-east-asia"], attributes={
        **BY_ID["corpus-dashboard-east-asia"]["attributes"], "title": "East Asia coverage (my version)"})
    fake = kibana(existing={"corpus-dashboard-east-asia": edited})
    assert cli.main(["kibana", "import", "--kibana-url", fake.url]) == 0
    out = capsys.readouterr().out
    assert "kept   dashboard corpus-dashboard-east-asia East Asia coverage (exists; --overwrite to replace)" in out
    assert out.splitlines()[-1] == f"{len(OBJECTS) - 1} imported, 1 kept, 0 failed"
    assert fake.store["corpus-dashboard-east-asia"]["attributes"]["title"] == "East Asia coverage (my version)"
    # again: everything is there now, nothing is touched, and that is no failure
    assert cli.main(["kibana", "import", "--kibana-url", fake.url]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 imported, {len(OBJECTS)} kept, 0 failed"
    # --overwrite replaces
    assert cli.main(["kibana", "import", "--kibana-url", fake.url, "--overwrite"]) == 0
    out = capsys.readouterr().out
    assert fake.posts()[-1]["path"] == "/api/saved_objects/_import?overwrite=true"
    assert out.splitlines()[-1] == f"{len(OBJECTS)} imported, 0 kept, 0 failed" and "kept " not in out
    assert fake.store["corpus-dashboard-east-asia"]["attributes"]["title"] == "East Asia coverage"


def test_import_gives_up_clearly_when_kibana_is_not_ready_or_refuses(kibana, capsys, clock):
    fake = kibana(ready_after=10**6)
    assert cli.main(["kibana", "import", "--kibana-url", fake.url, "--timeout", "0"]) == 1
    err = capsys.readouterr().err
    assert (f"Kibana at {fake.url} was not ready after 0 s (last: HTTP 503, status unavailable: "
            "Kibana is starting)") in err
    assert not fake.posts()
    refusing = kibana(status=401)
    assert cli.main(["kibana", "import", "--kibana-url", refusing.url, "--api-key", "bad"]) == 1
    assert "refused the credentials (HTTP 401)" in capsys.readouterr().err
    # nothing listens here: the wait ends with the connection error named
    assert cli.main(["kibana", "import", "--kibana-url", "http://127.0.0.1:9", "--timeout", "0"]) == 1
    assert "ClientConnectorError" in capsys.readouterr().err


def test_import_refuses_urls_that_are_not_http():
    with pytest.raises(ValueError, match="http"):
        KibanaTarget("file:///etc/passwd")
    assert cli.main(["kibana", "import", "--kibana-url", "ftp://kibana:21"]) == 2


def test_import_honours_the_alias_prefix(kibana, capsys, monkeypatch, clock):
    """An installation indexing under CORPUS_ES_PREFIX=newsdesk gets data views on newsdesk-*, not corpus-*."""
    monkeypatch.setenv("CORPUS_ES_PREFIX", "newsdesk")
    fake = kibana()
    assert cli.main(["kibana", "import", "--kibana-url", fake.url]) == 0, capsys.readouterr().out
    (post,) = fake.posts()
    objects = [json.loads(line) for line in post["files"]["saved_objects.ndjson"].splitlines()]
    views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert views == {"newsdesk-articles": "newsdesk-articles", "newsdesk-comments": "newsdesk-comments",
                     "newsdesk-crawls": "newsdesk-crawls"}
    assert not any("corpus-" in json.dumps(o) for o in objects)
