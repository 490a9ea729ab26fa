"""Kibana's saved objects analysts start from: data views, saved searches, visualizations, dashboards.

:func:`saved_objects` builds, in the NDJSON shape Kibana's export writes and its
import reads (8.x): data views for articles, comments and crawls; saved
searches in the Lucene query language (the same strings run against
Elasticsearch as ``query_string`` queries), among them one per main actor
(:data:`ACTORS`, ``entities.person:"<name>"`` with the canonical names of
``corpus/topics/entities.toml``); aggregation-based visualizations
(``histogram``, ``line``, ``pie``, ``table``, ``metric``: the legacy editor
types that Kibana 8.x still imports and shows); and the dashboards "East Asia
coverage", "Stories and actors" (near-duplicate clusters counted once through
a unique count of ``story_id``, each outlet's share of wire copy, the people,
places and organisations named, the actor searches) and "Crawl health" (per
outlet and run, from the crawl records' ``health``).
``corpus/kibana/saved_objects.ndjson`` is this output
(``python -m corpus.kibana > corpus/kibana/saved_objects.ndjson`` writes it
again; a test checks the two agree).

Every object carries ``coreMigrationVersion`` and ``typeMigrationVersion`` as Kibana 8.19's
export writes them (:data:`CORE_MIGRATION_VERSION`, :data:`TYPE_MIGRATION_VERSIONS`): without
them the import takes an object for one from before 7.x and runs every migration of its type
since 6.7.2 on it; the dashboards' 7.x panel-reference migration keeps the references it does not
recognise (``<panelIndex>:panel_<panelIndex>``, what 8.x writes) and extracts each panel's again,
so every panel ended up referenced twice. With the versions set, none of those runs. Dashboard
panels are referenced as an 8.x export does: ``panelRefName`` ``panel_<panelIndex>``, one
reference named ``<panelIndex>:panel_<panelIndex>``.

Every object is named after the alias prefix (``CORPUS_ES_PREFIX``, ``corpus`` by default):
data view ``corpus-articles`` reads the alias ``corpus-articles``. Importing them:
:mod:`corpus.kibana.client`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

NDJSON = Path(__file__).parent / "saved_objects.ndjson"
COLUMNS = ["title", "outlet", "authors", "published_at", "countries"]
# the main actors, each with a saved search: canonical names as in corpus/topics/entities.toml ([[person]] name)
ACTORS = ("Kim Jong-un", "Xi Jinping", "Wladimir Putin", "Yoon Suk-yeol", "Donald Trump", "Wolodymyr Selenskyj")


# What Kibana 8.x's export writes: the core transforms' version, and per type the newest legacy
# migration or model version of that type (model version N is written as 10.N.0), as read from
# Kibana's saved object type definitions and seen in public 8.17 exports. A version newer than the
# importing Kibana knows fails the import ("belongs to a more recent version of Kibana"); one older
# only runs the migrations in between. Dashboards: 8.19 may already be at 10.3.0 (model version 3
# adds the mapping of collapsible sections, no data change): 10.2.0 imports either way.
CORE_MIGRATION_VERSION = "8.8.0"
TYPE_MIGRATION_VERSIONS = {
    "index-pattern": "8.0.0",  # legacy migrations up to 7.11.0, converted to multi-namespace in 8.0.0
    "search": "10.5.0",  # model versions 1-5 (the tabs of model version 6 came with 9.2)
    "visualization": "8.5.0",  # legacy migrations up to 8.5.0, no model versions
    "dashboard": "10.2.0",  # legacy migrations up to 8.9.0, then model versions 1-2
}


def _saved_object(object_id: str, kind: str, references: list[dict[str, str]],
                  attributes: dict[str, Any]) -> dict[str, Any]:
    return {"id": object_id, "type": kind, "managed": False, "references": references, "attributes": attributes,
            "coreMigrationVersion": CORE_MIGRATION_VERSION, "typeMigrationVersion": TYPE_MIGRATION_VERSIONS[kind]}


def _search_source(query: str = "", with_index: bool = True) -> str:
    source: dict[str, Any] = {"query": {"query": query, "language": "lucene"}, "filter": []}
    if with_index:
        source["indexRefName"] = "kibanaSavedObjectMeta.searchSourceJSON.index"
    return json.dumps(source, ensure_ascii=False)


def _index_ref(data_view: str) -> list[dict[str, str]]:
    return [{"id": data_view, "name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern"}]


def data_view(object_id: str, title: str, name: str, time_field: str, formats: dict[str, Any]) -> dict[str, Any]:
    return _saved_object(object_id, "index-pattern", [], {
        "title": title, "name": name, "timeFieldName": time_field,
        "fieldFormatMap": json.dumps(formats), "fieldAttrs": "{}", "fields": "[]",
        "runtimeFieldMap": "{}", "sourceFilters": "[]", "typeMeta": "{}", "allowNoIndex": True,
    })


def saved_search(object_id: str, title: str, query: str, data_view_id: str, columns: list[str],
                 description: str, sort: str = "published_at") -> dict[str, Any]:
    return _saved_object(object_id, "search", _index_ref(data_view_id), {
        "title": title, "description": description, "columns": columns,
        "sort": [[sort, "desc"]], "grid": {}, "hideChart": False, "isTextBasedQuery": False,
        "timeRestore": False,
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
    })


def _count(agg_id: str = "1") -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "count", "params": {}, "schema": "metric"}


def _weekly(field: str, agg_id: str = "2", interval: str = "w") -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "date_histogram", "schema": "segment",
            "params": {"field": field, "interval": interval, "min_doc_count": 1, "extended_bounds": {},
                       "useNormalizedEsInterval": True, "drop_partials": False}}


def _terms(field: str, size: int, schema: str, agg_id: str = "3") -> dict[str, Any]:
    return {"id": agg_id, "enabled": True, "type": "terms", "schema": schema,
            "params": {"field": field, "size": size, "order": "desc", "orderBy": "1", "otherBucket": False,
                       "missingBucket": False}}


def _slug(name: str) -> str:
    """``"Kim Jong-un"`` -> ``kim-jong-un``: a name as part of an object id."""
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def _xy_params(chart: str, mode: str = "stacked", value_label: str = "Count",
               scale: str = "normal") -> dict[str, Any]:
    """``scale="percentage"`` with ``mode="stacked"``: each bar filled to 100 %, split by its series."""
    return {
        "type": chart, "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [],
        "addTimeMarker": False, "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                          "style": {}, "scale": {"type": "linear"}, "labels": {"show": True, "filter": True,
                                                                                 "truncate": 100}, "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": True,
                       "style": {}, "scale": {"type": "linear", "mode": scale},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100},
                       "title": {"text": value_label}}],
        "seriesParams": [{"show": True, "type": chart, "mode": mode, "data": {"label": value_label, "id": "1"},
                          "valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": True, "lineWidth": 2,
                          "showCircles": True, "interpolate": "linear"}],
        "thresholdLine": {"show": False, "value": 10, "width": 1, "style": "full", "color": "#E7664C"},
        "labels": {}, "detailedTooltip": True, "palette": {"type": "palette", "name": "default"},
        "isVislibVis": True, "fittingFunction": "linear", "radiusRatio": 9,
    }


def visualization(object_id: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any],
                  data_view_id: str, query: str = "", description: str = "") -> dict[str, Any]:
    vis_state = {"title": title, "type": vis_type, "aggs": aggs, "params": params}
    return _saved_object(object_id, "visualization", _index_ref(data_view_id), {
        "title": title, "description": description, "version": 1, "uiStateJSON": "{}",
        "visState": json.dumps(vis_state, ensure_ascii=False),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
    })


def dashboard(object_id: str, title: str, panels: list[tuple[str, str, int, int, int, int]],
              description: str) -> dict[str, Any]:
    """``panels``: (saved object type, id, x, y, width, height) on Kibana's 48-column grid.

    Panel N (``panelIndex`` ``"N"``) names its object ``panel_N`` (``panelRefName``), and the one
    reference to it is ``N:panel_N``: what Kibana 8.x's dashboard reference extraction writes.
    """
    panels_json = []
    references = []
    for number, (kind, ref_id, x, y, w, h) in enumerate(panels, start=1):
        index = str(number)
        panels_json.append({"type": kind, "panelIndex": index, "gridData": {"x": x, "y": y, "w": w, "h": h, "i": index},
                            "embeddableConfig": {"enhancements": {}}, "panelRefName": f"panel_{index}"})
        references.append({"id": ref_id, "name": f"{index}:panel_{index}", "type": kind})
    return _saved_object(object_id, "dashboard", references, {
        "title": title, "description": description, "version": 1, "timeRestore": True,
        "timeFrom": "now-90d", "timeTo": "now", "refreshInterval": {"pause": True, "value": 0},
        "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                                   "syncTooltips": False, "hidePanelTitles": False}),
        "panelsJSON": json.dumps(panels_json),
        "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(with_index=False)},
    })


def saved_objects(prefix: str = "corpus") -> list[dict[str, Any]]:
    """Every saved object, referenced objects before those that use them."""
    articles, comments, crawls = (f"{prefix}-{kind}" for kind in ("articles", "comments", "crawls"))
    link = {"id": "url", "params": {"urlTemplate": "", "labelTemplate": "", "type": "a"}}
    objects = [
        data_view(articles, articles, "Articles", "published_at",
                  {"url": link, "canonical_url": link, "image.url": link}),
        # date: published_at, else crawled_at, so comments without a date are in every time range
        data_view(comments, comments, "Comments", "date", {"article_url": link}),
        data_view(crawls, crawls, "Crawls", "start", {}),
    ]
    searches = [
        ("kp-ru", "Nordkorea–Russland", 'pairs:"KP-RU"', "Articles about North Korea and Russia together."),
        ("cn-ru", "China–Russland", 'pairs:"CN-RU"', "Articles about China and Russia together."),
        ("korea-china", "Korea und China", "countries:CN AND countries:(KP OR KR)",
         "Articles about China and either Korea."),
        ("cicero-plus", "Cicero Plus (paywalled)", "outlet:cicero AND paywalled:true",
         "Cicero Plus articles: only their free part is in the corpus."),
        ("wire-copy", "Wire copy (agency copy and its near-duplicates)", "wire_copy:true",
         "Agency copy (credited to news agencies such as dpa, AFP, Reuters … and to no person) and the "
         "articles that are near-duplicates of it."),
        ("latest", "Latest in-scope headlines", "in_scope:true", "The newest articles about Korea, Russia and China."),
    ]
    searches += [(f"person-{_slug(name)}", f"Person: {name}", f'entities.person:"{name}"',
                  f"Articles naming {name} (entities.person).") for name in ACTORS]
    for key, title, query, description in searches:
        objects.append(saved_search(f"{prefix}-search-{key}", title, query, articles, COLUMNS, description))
    objects.append(saved_search(
        f"{prefix}-search-korea-comments", "Comments on Korea articles", "article_countries:(KP OR KR)", comments,
        ["article_title", "outlet", "author", "published_at", "article_countries"],
        "Reader comments under articles tagged North or South Korea.", sort="date"))

    def vis(key: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any],
            view: str = articles, query: str = "") -> None:
        objects.append(visualization(f"{prefix}-vis-{key}", title, vis_type, aggs, params, view, query))

    vis("by-country", "Articles per week by country", "histogram",
        [_count(), _weekly("published_at"), _terms("countries", 4, "group")], _xy_params("histogram"))
    vis("by-outlet", "Articles per week by outlet", "histogram",
        [_count(), _weekly("published_at"), _terms("outlet", 15, "group")], _xy_params("histogram"))
    table = {"perPage": 10, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
             "totalFunc": "sum", "percentageCol": ""}
    vis("top-authors", "Top authors", "table", [_count(), _terms("authors", 20, "bucket", "2")], table)
    pie = {"type": "pie", "addTooltip": True, "addLegend": True, "legendPosition": "right", "isDonut": True,
           "labels": {"show": True, "values": True, "last_level": True, "truncate": 100},
           "palette": {"type": "palette", "name": "default"}, "distinctColors": True, "legendDisplay": "show"}
    vis("top-outlets", "Top outlets", "pie", [_count(), _terms("outlet", 15, "segment", "2")], pie)
    vis("paywalled", "Share paywalled", "pie", [_count(), _terms("paywalled", 2, "segment", "2")], pie)
    vis("comments", "Comment volume over time", "line", [_count(), _weekly("date", interval="d")],
        _xy_params("line", mode="normal", value_label="Comments"), view=comments)
    vis("runs", "Crawl runs per day by status", "histogram",
        [_count(), _weekly("start", interval="d"), _terms("status", 5, "group")], _xy_params("histogram"),
        view=crawls)
    metric = {"addTooltip": True, "addLegend": False, "type": "metric",
              "metric": {"percentageMode": False, "useRanges": False, "colorSchema": "Green to Red",
                         "metricColorMode": "None", "colorsRange": [{"from": 0, "to": 10000}],
                         "labels": {"show": True}, "invertColors": False,
                         "style": {"bgFill": "#000", "bgColor": False, "labelColor": False, "subText": "",
                                   "fontSize": 48}}}
    vis("failures", "Failed crawl runs", "metric", [_count()], metric, view=crawls, query="failed:true")
    items = dict(_xy_params("line", mode="normal", value_label="Items scraped (average per run)"))
    vis("items-per-run", "Items per run", "line",
        [{"id": "1", "enabled": True, "type": "avg", "params": {"field": "items_scraped"}, "schema": "metric"},
         _weekly("start", interval="d"), _terms("spider", 15, "group")], items, view=crawls)

    v = f"{prefix}-vis-"
    objects.append(dashboard(f"{prefix}-dashboard-east-asia", "East Asia coverage", [
        ("visualization", v + "by-country", 0, 0, 24, 15), ("visualization", v + "by-outlet", 24, 0, 24, 15),
        ("visualization", v + "top-authors", 0, 15, 16, 15), ("visualization", v + "top-outlets", 16, 15, 16, 15),
        ("visualization", v + "paywalled", 32, 15, 16, 15), ("visualization", v + "comments", 0, 30, 24, 15),
        ("search", f"{prefix}-search-latest", 24, 30, 24, 15), ("visualization", v + "runs", 0, 45, 20, 15),
        ("visualization", v + "failures", 20, 45, 8, 15), ("visualization", v + "items-per-run", 28, 45, 20, 15),
    ], "Coverage of North and South Korea, Russia and China in the German press, and the crawls behind it."))
    objects += _stories_and_actors(prefix, articles, table)
    objects += _crawl_health(prefix, crawls, table, metric)
    return objects


def _stories_and_actors(prefix: str, articles: str, table: dict[str, Any]) -> list[dict[str, Any]]:
    """The "Stories and actors" dashboard: stories (near-duplicate clusters), wire copy, named entities, actors.

    Its visualizations come first, then the dashboard; the saved searches it shows are made before.
    """
    def vis(key: str, title: str, vis_type: str, aggs: list[dict[str, Any]], params: dict[str, Any],
            description: str) -> dict[str, Any]:
        return visualization(f"{prefix}-vis-{key}", title, vis_type, aggs, params, articles, description=description)

    stories = {"id": "1", "enabled": True, "type": "cardinality", "params": {"field": "story_id"}, "schema": "metric"}
    objects = [
        vis("stories-by-country", "Unique stories per week by country", "histogram",
            [stories, _weekly("published_at"), _terms("countries", 4, "group")],
            _xy_params("histogram", value_label="Unique stories"),
            "Stories, not articles: the near-duplicates of one story (story_id) count once."),
        vis("wire-share", "Wire share by outlet", "histogram",
            [_count(), _terms("outlet", 30, "segment", "2"), _terms("wire_copy", 2, "group")],
            _xy_params("histogram", value_label="Share of articles", scale="percentage"),
            "Each outlet's articles split by wire_copy: agency copy and its near-duplicates (true) against the rest."),
        vis("top-people", "Top people", "table", [_count(), _terms("entities.person", 30, "bucket", "2")], table,
            "The people articles name most often (canonical names, corpus/topics/entities.toml)."),
        vis("top-places", "Top places", "table", [_count(), _terms("entities.place", 30, "bucket", "2")], table,
            "The places articles name most often (canonical names, corpus/topics/entities.toml)."),
        vis("top-organisations", "Top organisations", "table",
            [_count(), _terms("entities.org", 30, "bucket", "2")], table,
            "The organisations articles name most often (canonical names, corpus/topics/entities.toml)."),
    ]
    v, s = f"{prefix}-vis-", f"{prefix}-search-"
    actors = [("search", f"{s}person-{_slug(name)}") for name in ACTORS]
    # four actors to a row (12 columns each), then the rest (16 each)
    actor_panels = [(kind, ref, 12 * i, 45, 12, 15) for i, (kind, ref) in enumerate(actors[:4])]
    actor_panels += [(kind, ref, 16 * i, 60, 16, 15) for i, (kind, ref) in enumerate(actors[4:])]
    objects.append(dashboard(f"{prefix}-dashboard-stories-actors", "Stories and actors", [
        ("visualization", v + "stories-by-country", 0, 0, 24, 15), ("visualization", v + "wire-share", 24, 0, 24, 15),
        ("visualization", v + "top-people", 0, 15, 16, 15), ("visualization", v + "top-places", 16, 15, 16, 15),
        ("visualization", v + "top-organisations", 32, 15, 16, 15), ("search", s + "wire-copy", 0, 30, 48, 15),
        *actor_panels,
    ], "Stories counted once however many outlets ran them, each outlet's share of wire copy, the people, places "
       "and organisations named most, and the articles naming each main actor."))
    return objects


def _crawl_health(prefix: str, crawls: str, table: dict[str, Any], metric: dict[str, Any]) -> list[dict[str, Any]]:
    """The "Crawl health" dashboard: articles and fill rates per outlet and run, and the degraded runs."""
    from corpus.outlethealth import FIELDS

    def avg(field: str, agg_id: str) -> dict[str, Any]:
        return {"id": agg_id, "enabled": True, "type": "avg", "params": {"field": field}, "schema": "metric"}

    def line(key: str, title: str, field: str, label: str) -> dict[str, Any]:
        return visualization(f"{prefix}-vis-{key}", title, "line",
                             [avg(field, "1"), _weekly("start", interval="d"), _terms("spider", 15, "group")],
                             _xy_params("line", mode="normal", value_label=label), crawls, query="_exists_:health")

    fill = [avg(f"health.fill.{name}", str(number)) for number, name in enumerate(FIELDS, start=1)]
    by_outlet = _terms("spider", 30, "bucket", str(len(fill) + 1))
    objects = [
        line("health-articles", "Articles per run, by outlet", "health.articles", "Article pages per run"),
        line("health-article-rate", "Articles per fetched page, by outlet", "health.article_rate",
             "Share of fetched pages that were articles"),
        line("health-body", "Body (80+ words) fill rate, by outlet", "health.fill.body", "Share of article pages"),
        visualization(f"{prefix}-vis-health-fill", "Fill rate per field and outlet (average over the runs shown)",
                      "table", [*fill, by_outlet], table, crawls, query="_exists_:health"),
        visualization(f"{prefix}-vis-degraded", "Degraded runs", "metric", [_count()], metric, crawls,
                      query="degraded:true"),
        saved_search(f"{prefix}-search-degraded", "Degraded runs", "degraded:true", crawls,
                     ["spider", "mode", "degraded_reasons", "health.articles", "health.fetched"],
                     "Runs in which an outlet fell below its usual: the reasons name the measure "
                     "(see the README, \"When an outlet changes\").", sort="start"),
    ]
    v = f"{prefix}-vis-"
    objects.append(dashboard(f"{prefix}-dashboard-crawl-health", "Crawl health", [
        ("visualization", v + "health-articles", 0, 0, 24, 15),
        ("visualization", v + "health-article-rate", 24, 0, 24, 15),
        ("visualization", v + "health-body", 0, 15, 24, 15), ("visualization", v + "degraded", 24, 15, 8, 15),
        ("visualization", v + "health-fill", 32, 15, 16, 15),
        ("search", f"{prefix}-search-degraded", 0, 30, 48, 15),
    ], "Per outlet and run: article pages, the share of fetched pages that were articles, how often each field "
       "was filled, and the runs marked degraded."))
    return objects


def to_ndjson(objects: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(o, ensure_ascii=False, sort_keys=True) + "\n" for o in objects)
