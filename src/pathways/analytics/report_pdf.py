"""The panel report as a PDF (reportlab), from the same `PanelReport` the page shows."""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pathways.analytics import charts
from pathways.analytics.report import PanelReport

SUPPRESSED = "[c]"
BLACK, GREY, BLUE = colors.HexColor("#0b0c0c"), colors.HexColor("#b1b4b6"), colors.HexColor("#1d70b8")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName="Helvetica-Bold", fontSize=20, leading=24, alignment=0
        ),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="Helvetica-Bold", fontSize=14, spaceBefore=10),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=10, leading=13),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName="Helvetica", fontSize=8, leading=10),
    }


def _percent(value: Any) -> str:
    return SUPPRESSED if value is None else f"{value * 100:.1f}%"


def _count(value: Any) -> str:
    return SUPPRESSED if value is None else f"{value:,}"


def _table(rows: list[list[str]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 9),
                ("TEXTCOLOR", (0, 0), (-1, -1), BLACK),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, GREY),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


def _on_page(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawCentredString(A4[0] / 2, A4[1] - 12 * mm, "OFFICIAL")
    canvas.drawCentredString(A4[0] / 2, 8 * mm, "OFFICIAL")
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(A4[0] - 18 * mm, 8 * mm, f"Page {doc.page}")
    canvas.restoreState()


def render_pdf(report: PanelReport, *, prepared_by: str) -> bytes:
    s = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=18 * mm,
        title=report.title,
        author=prepared_by,
        subject=f"Proven reoffending, cohort {report.period}",
    )
    width = A4[0] - 36 * mm
    h = report.headline
    story: list[Any] = [
        Paragraph(report.title, s["title"]),
        Paragraph(
            f"Cohort: people whose index event fell between {report.period}. Prepared by {prepared_by} on {report.generated_on:%-d %B %Y}.",
            s["body"],
        ),
        Spacer(1, 6),
        Paragraph("Headline", s["h2"]),
        _table(
            [
                ["Measure", "Figure"],
                ["People in the cohort", _count(h["cohort"])],
                ["Reoffenders", _count(h["reoffenders"])],
                [
                    "Proportion reoffending (95% interval)",
                    _percent(h["rate"])
                    + (
                        f" ({_percent(h['rate_ci95'][0])} to {_percent(h['rate_ci95'][1])})"
                        if h.get("rate_ci95")
                        else ""
                    ),
                ],
                ["Proven reoffences", _count(h["reoffences"])],
                [
                    "Reoffences per reoffender",
                    SUPPRESSED if h["per_reoffender"] is None else f"{h['per_reoffender']:.2f}",
                ],
                ["Reoffences per offender", SUPPRESSED if h["per_offender"] is None else f"{h['per_offender']:.2f}"],
            ],
            [width * 0.6, width * 0.4],
        ),
        Spacer(1, 6),
    ]
    for change in report.changes:
        story.append(Paragraph(f"The proportion reoffending was {change.words}.", s["body"]))
    series = report.framework.series
    png = charts.line_chart(
        "Proportion reoffending, by quarterly cohort",
        [c.label for c in report.framework.cohorts],
        [(x.label, [f.rate for f in x.figures]) for x in series],
        kind="png",
    )
    story += [
        Paragraph("The trend over eight quarterly cohorts", s["h2"]),
        Image(io.BytesIO(png), width=width, height=width * 3.6 / 8),  # type: ignore[arg-type]
    ]
    for name, rows in report.tables.items():
        body = [[report.table_titles[name], "People", "Reoffenders", "Proportion", "Reoffences"]]
        body += [
            [
                r.label,
                _count(r.figures["cohort"]),
                _count(r.figures["reoffenders"]),
                _percent(r.figures["rate"]),
                _count(r.figures["reoffences"]),
            ]
            for r in rows
        ]
        story.append(
            KeepTogether(
                [
                    Paragraph(f"By {report.table_titles[name].lower()}", s["h2"]),
                    _table(body, [width * 0.4, width * 0.15, width * 0.15, width * 0.15, width * 0.15]),
                ]
            )
        )
    notes = [
        f"<b>Definition.</b> {report.preset.description}. Follow-up {report.preset.follow_up_months} months; "
        f"waiting period {report.preset.waiting_months} months.",
        f"<b>Small numbers.</b> {SUPPRESSED} marks a figure hidden because fewer than {report.threshold} people are behind it"
        + (" (some figures in this report are hidden)." if report.suppressed_any else " (none in this report)."),
    ]
    if report.extract is not None:
        e = report.extract
        notes.append(
            f"<b>Data.</b> Offences from {', '.join(e.offence_sources) or 'no agency'}; latest offence "
            f"{e.latest_offence or 'none'}, latest outcome {e.latest_outcome or 'none'}."
        )
    story.append(Paragraph("About these figures", s["h2"]))
    story += [Paragraph(n, s["small"]) for n in notes]
    doc.build(story, onFirstPage=_on_page, onLaterPages=_on_page)
    return out.getvalue()
