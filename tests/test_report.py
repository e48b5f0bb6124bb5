"""``aiscale report``: one self-contained HTML file, parsed with the standard library:
every section present, every image embedded, nothing fetched from the network."""

import base64
from html.parser import HTMLParser

import pytest

from aiscale import report
from aiscale.cli import main
from aiscale.model import build_model, calibration_info
from aiscale.model.loops import LOOP_FAMILIES


class Document(HTMLParser):
    """Sections (id -> their tags, text and images), links and anything external."""

    def __init__(self, text: str):
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.current: str | None = None
        self.images: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self.current = attrs["id"]
            self.sections[self.current] = {"text": [], "images": [], "tables": 0, "rows": 0, "h2": None}
        section = self.sections.get(self.current) if self.current else None
        if tag == "img":
            self.images.append(attrs.get("src", ""))
            if section:
                section["images"].append(attrs.get("alt", ""))
        if tag in ("a", "link") and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if section and tag == "table":
            section["tables"] += 1
        if section and tag == "tr":
            section["rows"] += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None

    def handle_data(self, data):
        if self.current:
            section = self.sections[self.current]
            section["text"].append(data)
            if self.tags[-1] == "h2" and section["h2"] is None:
                section["h2"] = data

    def text(self, section: str) -> str:
        return " ".join(self.sections[section]["text"])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    import warnings

    path = tmp_path_factory.mktemp("report") / "report.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["--quiet", "report", "baseline", "pause", "--until", "2032", "--ensemble", "8", "--workers",
                     "1", "--out", str(path)])
    assert code == 0
    return path, Document(path.read_text(encoding="utf-8"))


def test_every_section_is_present_in_order_with_a_table_of_contents(written):
    _, doc = written
    assert list(doc.sections) == [key for key, _ in report.SECTIONS]
    assert [doc.sections[key]["h2"] for key, _ in report.SECTIONS][1:] == [title for _, title in report.SECTIONS][1:]
    assert doc.sections["milestones"]["h2"] == "Milestones: baseline"
    assert [h for h in doc.hrefs] == [f"#{key}" for key, _ in report.SECTIONS]
    assert all(h[1:] in doc.ids for h in doc.hrefs)


def test_every_image_is_embedded_and_nothing_is_external(written):
    path, doc = written
    text = path.read_text(encoding="utf-8")
    assert len(doc.images) >= 10
    for src in doc.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")
    assert not {"script", "link", "iframe", "object", "embed"} & set(doc.tags)
    assert not any(h.startswith(("http:", "https:", "//")) for h in doc.hrefs)
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "url(" not in style and "@import" not in style  # no fonts or sheets fetched
    figures = {key: len(doc.sections[key]["images"]) for key in doc.sections}
    assert figures == {"milestones": 1, "comparison": 1, "binding": 2, "calibration": 1, "ensemble": 2,
                       "loops": 3, "limitations": 0, "parameters": 0}


def path_text(written) -> str:
    return written[0].read_text(encoding="utf-8")


def test_the_sections_hold_what_they_promise(written):
    _, doc = written
    milestones = doc.text("milestones")
    assert "largest run >= 1e+26 FLOP" in milestones and "binding constraint at 2012" in milestones
    comparison = doc.text("comparison")
    assert "baseline" in comparison and "pause" in comparison and "binding constraint in 2030" in comparison
    assert "policy" in doc.text("binding")
    info = calibration_info()
    calibration = doc.text("calibration")
    assert info["fit_date"] in calibration
    assert all(name in calibration for name in info["free_parameters"])
    assert all(s["series"] in calibration for s in info["statistics"])
    ensemble = doc.text("ensemble")
    assert "baseline: 8 runs" in ensemble and "p90" in ensemble and "p10" in ensemble
    loops = doc.text("loops")
    assert all(family.name in loops for family in LOOP_FAMILIES)
    assert "R (reinforcing)" in loops and "B (balancing)" in loops and "feedback loops in the equations" in loops
    limitations = doc.text("limitations")
    from aiscale.plots import end_of_data

    assert f"Everything after {end_of_data():g} is projection" in limitations
    worst = max(info["statistics"], key=lambda row: row["rms_log10"])
    assert f"{worst['series']} is off by {worst['rms_log10']:.2f} orders of magnitude" in limitations
    assert "blow-up ends" not in limitations  # neither run reaches it by 2032
    assert all(p["a"] in limitations for p in info["poorly_identified"])
    footer = path_text(written).split("<footer>", 1)[1]
    assert "Epoch AI" in footer and "everything else is model output" in footer
    parameters = doc.text("parameters")
    model = build_model()
    assert doc.sections["parameters"]["rows"] == len(model.parameters) + 1
    assert all(name in parameters for name in model.parameters)
    assert "calibrated to history on" in parameters and "assumption" in parameters


def test_without_an_ensemble_the_section_is_left_out(monkeypatch):
    import warnings

    import matplotlib.pyplot as plt

    def no_figure(fig, caption):  # the figures are tested above; here only the sections
        plt.close(fig)
        return "<figure></figure>"

    monkeypatch.setattr(report, "figure", no_figure)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = report.gather(["pause"], stop=2028)
    doc = Document(report.render(data))
    assert list(doc.sections) == [key for key, _ in report.SECTIONS if key != "ensemble"]
    assert doc.sections["milestones"]["h2"] == "Milestones: pause"


# bad input to `aiscale report`: tests/test_bad_input.py
