"""The register of cases as an accessible table."""

from __future__ import annotations

from markupsafe import Markup

from cards.html.base import heading, join, link, para, tag
from cards.views import CaseListView

COLUMNS = ("Case", "School", "Status", "Urgency", "Age", "Overdue tasks")


def case_list(view: CaseListView, case_url: str = "/cases/") -> Markup:
    """The register as a table (a caption, header cells with scope) that scrolls on a phone."""
    if not view.rows:
        return join([heading(1, view.title), para(view.empty)])
    head = tag(
        "tr",
        {},
        join([tag("th", {"scope": "col"}, c) for c in COLUMNS]),
    )
    rows = [
        tag(
            "tr",
            {"class": "overdue" if r.overdue else None},
            tag("th", {"scope": "row"}, link(r.reference, f"{case_url}{r.reference}")),
            join(
                [
                    tag("td", {"data_label": label}, v)
                    for label, v in zip(
                        COLUMNS[1:],
                        (r.school, r.status, r.urgency, r.age, str(r.overdue)),
                        strict=True,
                    )
                ]
            ),
        )
        for r in view.rows
    ]
    table = tag(
        "table",
        {"class": "register"},
        tag("caption", {}, view.title),
        tag("thead", {}, head),
        tag("tbody", {}, join(rows)),
    )
    return join([heading(1, "Cases"), tag("div", {"class": "scroll", "tabindex": "0"}, table)])
