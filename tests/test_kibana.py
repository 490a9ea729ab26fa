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
    assert times == {"corpus-articles": "published_at", "corpus-comments": "published_at", "corpus-crawls": "start"}
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
    """Answers like Kibana: GET /api/status, POST [/s/<space>]/api/saved_objects/_import."""

    def __init__(self, ready_after: int = 0, reject: set[str] | None = None, status: int = 200) -> None:
        self.calls: list[dict[str, Any]] = []
        self.ready_after = ready_after
        self.reject = reject or set()
        self.status = status
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                fake.calls.append({"method": "GET", "path": self.path, "headers": dict(self.headers)})
                if fake.status != 200:
                    return self._send(fake.status, {"message": "Unauthorized"})
                statuses = [c for c in fake.calls if c["path"] == "/api/status"]
                if len(statuses) <= fake.ready_after:
                    return self._send(503, {"status": {"overall": {"level": "unavailable"}}})
                return self._send(200, {"status": {"overall": {"level": "available"}}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers["Content-Length"])
                raw = self.rfile.read(length)
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + raw)
                files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_parts()}
                fake.calls.append({"method": "POST", "path": self.path, "headers": dict(self.headers), "files": files})
                if "kbn-xsrf" not in {k.lower() for k in self.headers}:
                    return self._send(400, {"message": "Request must contain a kbn-xsrf header."})
                objects = [json.loads(line) for line in files["saved_objects.ndjson"].splitlines() if line.strip()]
                ok = [o for o in objects if o["id"] not in fake.reject]
                errors = [{"id": o["id"], "type": o["type"], "title": o["attributes"]["title"],
                           "error": {"type": "missing_references",
                                     "references": [{"type": "index-pattern", "id": "gone"}]}}
                          for o in objects if o["id"] in fake.reject]
                return self._send(200, {"success": not errors, "successCount": len(ok), "errors": errors,
                                        "successResults": [{"type": o["type"], "id": o["id"],
                                                            "meta": {"title": o["attributes"]["title"]}} for o in ok]})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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


def test_import_waits_for_kibana_and_reports_each_object(kibana, capsys, monkeypatch):
    monkeypatch.setattr("corpus.kibana.client.asyncio.sleep", _no_sleep)
    fake = kibana(ready_after=2)
    code = cli.main(["kibana", "import", "--kibana-url", fake.url, "--user", "elastic", "--password", "s3cret",
                     "--space", "analysts"])
    out = capsys.readouterr().out
    assert code == 0, out
    post = next(c for c in fake.calls if c["method"] == "POST")
    assert post["path"] == "/s/analysts/api/saved_objects/_import?overwrite=true"
    assert post["files"]["saved_objects.ndjson"] == NDJSON.read_bytes()
    assert post["headers"]["Authorization"] == "Basic " + base64.b64encode(b"elastic:s3cret").decode()
    lines = out.splitlines()
    assert len([line for line in lines if line.startswith("ok ")]) == len(OBJECTS)
    assert "ok     dashboard corpus-dashboard-east-asia East Asia coverage" in lines
    assert lines[-1] == f"{len(OBJECTS)} imported, 0 failed"
    assert len([c for c in fake.calls if c["path"] == "/api/status"]) == 3  # two "not ready" answers first


def test_import_reports_the_error_kibana_gave_and_fails(kibana, capsys):
    fake = kibana(reject={"corpus-vis-top-authors"})
    code = cli.main(["kibana", "import", "--kibana-url", fake.url, "--api-key", "a2V5"])
    out = capsys.readouterr().out
    assert code == 1
    assert "error  visualization corpus-vis-top-authors Top authors: missing_references index-pattern:gone" in out
    post = next(c for c in fake.calls if c["method"] == "POST")
    assert post["path"] == "/api/saved_objects/_import?overwrite=true"
    assert post["headers"]["Authorization"] == "ApiKey a2V5"


def test_import_gives_up_clearly_when_kibana_is_not_ready_or_refuses(kibana, capsys, monkeypatch):
    monkeypatch.setattr("corpus.kibana.client.asyncio.sleep", _no_sleep)
    fake = kibana(ready_after=10**6)
    assert cli.main(["kibana", "import", "--kibana-url", fake.url, "--timeout", "0"]) == 1
    err = capsys.readouterr().err
    assert f"Kibana at {fake.url} was not ready after 0 s (last: HTTP 503, status unavailable)" in err
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


async def _no_sleep(_seconds: float) -> None:
    return None


def test_import_honours_the_alias_prefix(kibana, capsys, monkeypatch):
    """An installation indexing under CORPUS_ES_PREFIX=newsdesk gets data views on newsdesk-*, not corpus-*."""
    monkeypatch.setenv("CORPUS_ES_PREFIX", "newsdesk")
    fake = kibana()
    assert cli.main(["kibana", "import", "--kibana-url", fake.url]) == 0, capsys.readouterr().out
    post = next(c for c in fake.calls if c["method"] == "POST")
    objects = [json.loads(line) for line in post["files"]["saved_objects.ndjson"].splitlines()]
    views = {o["id"]: o["attributes"]["title"] for o in objects if o["type"] == "index-pattern"}
    assert views == {"newsdesk-articles": "newsdesk-articles", "newsdesk-comments": "newsdesk-comments",
                     "newsdesk-crawls": "newsdesk-crawls"}
    assert not any("corpus-" in json.dumps(o) for o in objects)
