"""Reads back what the report promises: charts by id, their series, the fit table. Used by
test_report.py on the generated HTML and by test_report_browser.py on the DOM Chromium built."""
from html.parser import HTMLParser
from typing import Dict, List


class ReportPage(HTMLParser):
    """charts: svg id -> {series name: the series element's attributes}; also every element id,
    the size-class fit tables' data, and anything that would load from outside the page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.charts: Dict[str, Dict[str, Dict[str, str]]] = {}
        self.ids: List[str] = []
        self.fit: Dict[str, int] = {}
        self.external: List[str] = []
        self.text: List[str] = []
        self._svg: List[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "svg":
            self._svg.append(a.get("id", ""))
            if a.get("id"):
                self.charts.setdefault(a["id"], {})
        if "data-series" in a and self._svg:
            self.charts[self._svg[-1]][a["data-series"]] = a
        if tag == "table" and "data-pool" in a:
            self.fit[a["data-pool"]] = int(a["data-waste"])
        if tag in ("script", "link", "iframe", "img", "object", "embed") or "src" in a or \
                ("href" in a and not a["href"].startswith("#")):
            self.external.append(tag)
        if "style" in a and "url(" in a["style"]:
            self.external.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self._svg.pop()

    def handle_endtag(self, tag):
        if tag == "svg" and self._svg:
            self._svg.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "url(" in data or "@import" in data:
            self.external.append("css")

    def values(self, chart: str, series: str) -> List[float]:
        return [float(v) for v in self.charts[chart][series]["data-values"].split(",")]


EXPECTED_SERIES = {
    "chart-budget": {"assets", "entities", "physics", "budget"},     # ui has no budget
    "chart-intents": {"assets", "entities", "physics", "ui"},
    "chart-tiers": {"frame", "pool", "heap", "capacity"},            # system is unbounded
    "chart-phases": {"ai", "render"},
    "chart-timeline": {"failures:assets", "failures:entities", "failures:physics", "hazard:ML607"},
}


def check_fixture_page(test, page: "ReportPage") -> None:
    """The assertions both report tests make about the fixture's report."""
    for chart, series in EXPECTED_SERIES.items():
        test.assertIn(chart, page.charts)
        test.assertEqual(set(page.charts[chart]), series, chart)
    test.assertIn("footprint-map", page.charts)
    test.assertIn("size-class-fit", page.ids)
    test.assertEqual(page.external, [])
