"""The web archive: every exchange of a crawl as WARC 1.1 (corpus/archive), checked with warcio's own tools."""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from warcio.archiveiterator import ArchiveIterator

from corpus.archive import ArchiveWriter

ROOT = Path(__file__).parents[1]
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]


def warcio(*args: str) -> subprocess.CompletedProcess:
    """warcio's command line (``warcio check``, ``warcio index``), as a user runs it."""
    return subprocess.run([sys.executable, "-c", "import sys; from warcio.cli import main; main(sys.argv[1:])",
                           *args], capture_output=True, text=True, timeout=120)


def records(path: Path) -> list:
    out = []
    with open(path, "rb") as f:
        for record in ArchiveIterator(f):
            out.append((record.rec_type, record.rec_headers, record.content_stream().read()))
    return out


def crawl(server, out: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("ELASTICSEARCH_URL", "CORPUS_ES_HOSTS")}
    scratch = tempfile.mkdtemp(prefix="corpus-archive-", dir=out)
    base.update(CORPUS_OUTPUT_DIR=scratch, CORPUS_STATE_FILE=os.path.join(scratch, "state.sqlite"), **env)
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "cicero", "-a", f"base_url={server.base_url}",
                           "-O", str(out / "out.jsonl"), *FAST], cwd=ROOT, env=base, capture_output=True, text=True,
                          timeout=180)


def crawled(server, out: Path) -> tuple[Path, list[dict]]:
    """A crawl of the fixture site: its archive directory and the items it wrote."""
    import json

    result = crawl(server, out)
    assert result.returncode == 0, result.stderr[-3000:]
    (archive,) = out.glob("corpus-archive-*/archive")
    return archive, [json.loads(line) for line in (out / "out.jsonl").read_text("utf-8").splitlines()]


def record_at(directory: Path, where: dict):
    """The WARC record an item's ``archive`` field points at, read on its own (headers and content)."""
    data = (directory / where["file"]).read_bytes()[where["offset"]:where["offset"] + where["length"]]
    record = next(iter(ArchiveIterator(io.BytesIO(data))))
    return record, record.content_stream().read()


@pytest.mark.e2e
def test_a_crawl_archives_every_exchange_and_the_files_pass_warcio_check(cicero_server, tmp_path):
    result = crawl(cicero_server, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    files = sorted(tmp_path.glob("corpus-archive-*/archive/cicero-*.warc.gz"))
    assert len(files) == 1
    checked = warcio("check", "-v", str(files[0]))
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr[-2000:]
    assert "digest pass" in checked.stdout and "fail" not in checked.stdout.lower()
    assert warcio("index", str(files[0])).returncode == 0
    found = records(files[0])
    assert found[0][0] == "warcinfo"
    info = found[0][2].decode()
    assert "isPartOf: cicero" in info and "corpus-outlet-base-url: https://www.cicero.de" in info
    assert f"corpus-fetched-base-url: {cicero_server.base_url}" in info
    responses = {h.get_header("WARC-Target-URI"): body for kind, h, body in found if kind == "response"}
    requests = [h for kind, h, _ in found if kind == "request"]
    # every path the site served is archived, with the bytes it served (the feed, listings, articles ...)
    served = {cicero_server.base_url + path for path in cicero_server.requests}
    assert served == set(responses)
    assert len(requests) == len(responses)
    import urllib.request

    with urllib.request.urlopen(cicero_server.base_url + "/rss.xml", timeout=30) as answer:
        assert responses[cicero_server.base_url + "/rss.xml"] == answer.read()
    ids = {h.get_header("WARC-Record-ID") for kind, h, _ in found if kind == "response"}
    assert {h.get_header("WARC-Concurrent-To") for h in requests} == ids
    assert f"'corpus/archive/records': {len(responses)}," in result.stderr  # the crawl's stats
    # the crawl record says how much the archive took
    import json

    (record_file,) = tmp_path.glob("corpus-archive-*/crawls.jsonl")
    record = json.loads(record_file.read_text("utf-8").splitlines()[-1])
    assert record["archive_bytes"] == files[0].stat().st_size and record["archive_records"] == len(responses)


@pytest.mark.e2e
def test_the_archive_can_be_turned_off(cicero_server, tmp_path):
    result = crawl(cicero_server, tmp_path, CORPUS_ARCHIVE="false")
    assert result.returncode == 0, result.stderr[-3000:]
    assert not list(tmp_path.glob("corpus-archive-*/archive"))
    assert "corpus/archive" not in result.stderr


def page(url: str, body: bytes, headers: dict | None = None, status: int = 200) -> HtmlResponse:
    return HtmlResponse(url, status=status, body=body, headers=headers or {"Content-Type": "text/html; charset=utf-8"},
                        request=Request(url))


def test_files_rotate_by_size_and_each_starts_with_warcinfo(tmp_path):
    writer = ArchiveWriter(tmp_path, "demo", max_bytes=2_000)
    body = b"<html><body>" + os.urandom(1500).hex().encode() + b"</body></html>"
    for n in range(4):
        url = f"https://example.org/a/{n}"
        writer.write_exchange(url, Request(url), page(url, body))
    writer.close()
    files = sorted(tmp_path.glob("demo-*.warc.gz"))
    assert len(files) == len(writer.files) >= 3
    for path in files:
        kinds = [kind for kind, _, _ in records(path)]
        assert kinds[0] == "warcinfo" and kinds.count("response") >= 1
        assert warcio("check", str(path)).returncode == 0
    assert writer.bytes_written == sum(p.stat().st_size for p in files)


def test_the_provenance_points_at_the_exact_record(tmp_path):
    writer = ArchiveWriter(tmp_path, "demo")
    url = "https://example.org/politik/artikel-1"
    raw = gzip.compress(b"<html><body><p>Seoul und Peking</p></body></html>")
    # the body as it arrived: still gzip-encoded, the header says so; the framing header is dropped
    response = page(url, raw, {"Content-Type": "text/html", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"})
    where = writer.write_exchange(url, Request(url), response)
    writer.close()
    record, content = record_at(tmp_path, where.as_dict())
    assert record.rec_type == "response"
    assert record.rec_headers.get_header("WARC-Record-ID") == where.record_id
    assert record.rec_headers.get_header("WARC-Payload-Digest") == where.payload_digest
    assert record.rec_headers.get_header("WARC-Date") == where.fetched_at
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert record.http_headers.get_header("Transfer-Encoding") is None
    assert content == b"<html><body><p>Seoul und Peking</p></body></html>"  # decoded on reading


def test_a_body_the_server_compressed_is_stored_as_it_came_and_others_are_compressed(tmp_path):
    writer = ArchiveWriter(tmp_path, "demo")
    text = b"<html><body>" + b"<p>Nordkorea und Russland</p>" * 2000 + b"</body></html>"
    encoded = gzip.compress(text)
    url = "https://example.org/a"
    sent = writer.write_exchange(url, Request(url), page(url, encoded, {"Content-Type": "text/html",
                                                                         "Content-Encoding": "gzip"}))
    plain = writer.write_exchange(url, Request(url), page(url, text))
    writer.close()
    # stored blocks: the member holds the gzip body as it came, not deflated a second time
    assert sent.length > len(encoded) and encoded in gzip.decompress(
        (tmp_path / sent.file).read_bytes()[sent.offset:sent.offset + sent.length])
    assert plain.length < len(text) // 10  # deflated at CORPUS_ARCHIVE_COMPRESSION
    assert record_at(tmp_path, sent.as_dict())[1] == record_at(tmp_path, plain.as_dict())[1] == text
    checked = warcio("check", "-v", str(tmp_path / sent.file))
    assert checked.returncode == 0 and "fail" not in checked.stdout.lower()


def test_a_page_the_browser_rendered_is_a_resource_marked_as_such(tmp_path):
    writer = ArchiveWriter(tmp_path, "demo")
    url = "https://example.org/js/artikel"
    writer.write_exchange(url, Request(url, meta={"playwright": True}), page(url, b"<html>gerendert</html>"),
                          rendered=True)
    writer.close()
    (path,) = tmp_path.glob("demo-*.warc.gz")
    kind, headers, body = records(path)[1]
    assert kind == "resource" and headers.get_header("WARC-Resource-Type") == "rendered-dom"
    assert body == b"<html>gerendert</html>"
    assert warcio("check", str(path)).returncode == 0


@pytest.mark.e2e
def test_every_item_names_the_archived_page_it_was_read_from(cicero_server, tmp_path):
    archive, items = crawled(cicero_server, tmp_path)
    articles = [i for i in items if i["item_type"] == "article"]
    comments = [i for i in items if i["item_type"] == "comment"]
    assert articles and comments
    for item in items:
        where = item["archive"]
        record, _ = record_at(archive, where)
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == where["record_id"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == where["payload_digest"]
        target = record.rec_headers.get_header("WARC-Target-URI")
        page = item["url"] if item["item_type"] == "article" else target
        assert target == page
        if item["item_type"] == "comment":  # the article's page or one of its comment pages (on the mirror)
            from urllib.parse import urlsplit

            assert urlsplit(target).path == urlsplit(item["article_url"]).path


@pytest.mark.e2e
def test_show_source_gives_the_exact_page_an_article_was_built_from(cicero_server, tmp_path):
    import urllib.request

    from corpus.cli import main

    archive, items = crawled(cicero_server, tmp_path)
    article = next(i for i in items if i["item_type"] == "article")
    page = tmp_path / "page.html"
    out = io.StringIO()
    code = main(["show-source", article["id"], "--input", str(tmp_path / "out.jsonl"), "--archive-dir", str(archive),
                 "-o", str(page), "--headers"], stdout=out)
    assert code == 0, out.getvalue()
    with urllib.request.urlopen(article["url"], timeout=30) as answer:
        assert page.read_bytes() == answer.read()
    assert "HTTP 200" in out.getvalue() and article["url"] in out.getvalue()
    # by URL too (the article's own, canonical one)
    assert main(["show-source", article["canonical_url"], "--input", str(tmp_path / "out.jsonl"),
                 "--archive-dir", str(archive), "-o", str(tmp_path / "again.html")], stdout=io.StringIO()) == 0
    assert (tmp_path / "again.html").read_bytes() == page.read_bytes()
    # a record that changed is refused, loudly
    where = article["archive"]
    damaged = bytearray((archive / where["file"]).read_bytes())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / where["file"]).write_bytes(bytes(damaged[: where["offset"] + 10]))
    assert main(["show-source", article["id"], "--input", str(tmp_path / "out.jsonl"), "--archive-dir", str(broken)],
                stdout=io.StringIO()) == 2


def test_archive_prune_deletes_files_older_than_the_age_and_dry_run_deletes_nothing(tmp_path):
    import time

    from corpus.cli import main

    old = tmp_path / "cicero-20240101000000-00001.warc.gz"
    new = tmp_path / f"cicero-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-00001.warc.gz"
    for path in (old, new):
        path.write_bytes(b"x" * 1000)
    out = io.StringIO()
    assert main(["archive", "prune", "--older-than", "365d", "--dir", str(tmp_path), "--dry-run"], stdout=out) == 0
    assert old.exists() and "would delete cicero-20240101000000-00001.warc.gz" in out.getvalue()
    out = io.StringIO()
    assert main(["archive", "prune", "--older-than", "1y", "--dir", str(tmp_path)], stdout=out) == 0
    assert not old.exists() and new.exists()
    assert "1 file older than" in out.getvalue()
    with pytest.raises(SystemExit) as refused:  # argparse: "invalid parse_age value: 'soon'"
        main(["archive", "prune", "--older-than", "soon", "--dir", str(tmp_path)], stdout=io.StringIO())
    assert refused.value.code == 2
    listed = io.StringIO()
    assert main(["archive", "list", "--dir", str(tmp_path)], stdout=listed) == 0
    assert new.name in listed.getvalue()
