"""The reader on reports it was not written with: three labelled sets written blind by sessions that had not
seen the reader. tests/fixtures/narrative_real: the reader was tuned on it after its first-sight score.
narrative_holdout and narrative_blind3: scored on first sight after tuning (README), then the kinds of error
they showed were fixed. What lands in the marts without review must be right; what is labelled must land or
wait in the review queue with the right indicator. The floors on the later sets are the measured level less
a margin: they guard against regressions, they are not the goal (0,97 on text like the tuned set).
narrative_blind4 was scored once blind after the others (first sight 0,96 / 0,71); then reports typed without
diacritics, the kind it showed most, were fixed. narrative_blind5 (twelve reports in styles none of the
others has) was scored once blind (first sight 0,923 / 0,699); then numbers grouped by spaces, counts with a
comma before their thousands, rates with a dot or «phần trăm», and superseded figures of a correction
(«đã ghi … nay đính chính lại là …») were fixed (0,957 / 0,730), then numbers after their label with no noun
were sent to the review queue (0,960 / 0,778). narrative_blind6 (twelve reports: OCR text, a news article,
meeting minutes, a chat thread, year-to-date figures, approximations, a merged commune, a transposed table,
other units' figures, money and per mille, plans and norms) was scored once blind (first sight 0,940 /
0,768); then an indicator stated with two values was sent to review instead of one being taken silently
(every set gained precision: 0,988 here), a plan column (`KH số 15`) made its cells targets, a later cell of
a row stopped giving the role of the figures before it, and the video-conference flag was read from one
terminal of the unit (1,000 / 0,791); then a count whose clause names no indicator was read with the
words of the figure before it, for review (1,000 / 0,794; recall up on every set)."""

from __future__ import annotations

from collections import Counter

import pytest

from pipelines.narrative.extract import extract_report
from tests.narrative_corpus import (
    BLIND3,
    BLIND4,
    BLIND5,
    BLIND6,
    BLIND7,
    BLIND8,
    BLIND9,
    BLIND10,
    BLIND11,
    BLIND12,
    BLIND13,
    BLIND14,
    BLIND15,
    BLIND16,
    BLIND17,
    BLIND18,
    BLIND19,
    BLIND20,
    BLIND21,
    BLIND22,
    BLIND23,
    BLIND24,
    BLIND25,
    BLIND26,
    BLIND27,
    BLIND28,
    BLIND29,
    BLIND30,
    BLIND31,
    BLIND32,
    BLIND33,
    BLIND34,
    BLIND35,
    BLIND36,
    BLIND37,
    BLIND38,
    BLIND39,
    BLIND40,
    DEV,
    HOLDOUT,
    LABELLED_SETS,
    build_corpus,
    lands,
    read_corpus_labels,
    score_corpus,
)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, tuple[dict, list[dict[str, str]]]]:
    """Each labelled set read by the reader: (extractions by file name, labels)."""
    read = {}
    for folder in LABELLED_SETS:
        out = tmp_path_factory.mktemp(folder.name)
        extractions = {p.name: extract_report(p) for p in build_corpus(folder, out)}
        read[folder.name] = (extractions, read_corpus_labels(folder))
    return read


@pytest.fixture(scope="module")
def dev(corpora):
    return corpora[DEV.name]


@pytest.fixture(scope="module")
def holdout(corpora):
    return corpora[HOLDOUT.name]


def test_the_sets_are_large_and_varied(dev, holdout, blind3, blind4):
    for extractions, labels in (dev, holdout, blind3, blind4):
        roles = Counter(r["role"] for r in labels)
        assert (
            len(extractions) >= 10
            and sum(r["role"] == "actual" and r["indicator_code"] != "" for r in labels) >= 200
        )
        assert {"proposal", "target", "change", "subset", "norm", "received_in_period"} <= set(roles)
        assert {"txt", "docx", "pdf"} <= {name.rsplit(".", 1)[1] for name in extractions}
    assert len(dev[0]) >= 15


def test_precision_of_what_lands_and_recall_with_the_review_queue_on_the_tuned_set(dev):
    result = score_corpus(*dev)
    print(f"\nnarrative_real (tuned on): {result.line()}")
    assert result.precision >= 0.97
    assert result.recall >= 0.90


@pytest.fixture(scope="module")
def blind3(corpora):
    return corpora[BLIND3.name]


@pytest.fixture(scope="module")
def blind4(corpora):
    return corpora[BLIND4.name]


@pytest.fixture(scope="module")
def blind5(corpora):
    return corpora[BLIND5.name]


@pytest.fixture(scope="module")
def blind6(corpora):
    return corpora[BLIND6.name]


@pytest.fixture(scope="module")
def blind7(corpora):
    return corpora[BLIND7.name]


@pytest.fixture(scope="module")
def blind8(corpora):
    return corpora[BLIND8.name]


@pytest.fixture(scope="module")
def blind9(corpora):
    return corpora[BLIND9.name]


@pytest.fixture(scope="module")
def blind10(corpora):
    return corpora[BLIND10.name]


@pytest.fixture(scope="module")
def blind11(corpora):
    return corpora[BLIND11.name]


@pytest.fixture(scope="module")
def blind12(corpora):
    return corpora[BLIND12.name]


@pytest.fixture(scope="module")
def blind13(corpora):
    return corpora[BLIND13.name]


@pytest.fixture(scope="module")
def blind14(corpora):
    return corpora[BLIND14.name]


@pytest.fixture(scope="module")
def blind15(corpora):
    return corpora[BLIND15.name]


@pytest.fixture(scope="module")
def blind16(corpora):
    return corpora[BLIND16.name]


@pytest.fixture(scope="module")
def blind17(corpora):
    return corpora[BLIND17.name]


@pytest.fixture(scope="module")
def blind18(corpora):
    return corpora[BLIND18.name]


@pytest.fixture(scope="module")
def blind19(corpora):
    return corpora[BLIND19.name]


@pytest.fixture(scope="module")
def blind20(corpora):
    return corpora[BLIND20.name]


@pytest.fixture(scope="module")
def blind21(corpora):
    return corpora[BLIND21.name]


@pytest.fixture(scope="module")
def blind22(corpora):
    return corpora[BLIND22.name]


@pytest.fixture(scope="module")
def blind23(corpora):
    return corpora[BLIND23.name]


@pytest.fixture(scope="module")
def blind24(corpora):
    return corpora[BLIND24.name]


@pytest.fixture(scope="module")
def blind25(corpora):
    return corpora[BLIND25.name]


@pytest.fixture(scope="module")
def blind26(corpora):
    return corpora[BLIND26.name]


@pytest.fixture(scope="module")
def blind27(corpora):
    return corpora[BLIND27.name]


@pytest.fixture(scope="module")
def blind28(corpora):
    return corpora[BLIND28.name]


@pytest.fixture(scope="module")
def blind29(corpora):
    return corpora[BLIND29.name]


@pytest.fixture(scope="module")
def blind30(corpora):
    return corpora[BLIND30.name]


@pytest.fixture(scope="module")
def blind31(corpora):
    return corpora[BLIND31.name]


@pytest.fixture(scope="module")
def blind32(corpora):
    return corpora[BLIND32.name]


@pytest.fixture(scope="module")
def blind33(corpora):
    return corpora[BLIND33.name]


@pytest.fixture(scope="module")
def blind34(corpora):
    return corpora[BLIND34.name]


@pytest.fixture(scope="module")
def blind35(corpora):
    return corpora[BLIND35.name]


@pytest.fixture(scope="module")
def blind36(corpora):
    return corpora[BLIND36.name]


@pytest.fixture(scope="module")
def blind37(corpora):
    return corpora[BLIND37.name]


@pytest.fixture(scope="module")
def blind38(corpora):
    return corpora[BLIND38.name]


@pytest.fixture(scope="module")
def blind39(corpora):
    return corpora[BLIND39.name]


@pytest.fixture(scope="module")
def blind40(corpora):
    return corpora[BLIND40.name]


def test_precision_of_what_lands_on_the_later_sets(
    holdout,
    blind3,
    blind4,
    blind5,
    blind6,
    blind7,
    blind8,
    blind9,
    blind10,
    blind11,
    blind12,
    blind13,
    blind14,
    blind15,
    blind16,
    blind17,
    blind18,
    blind19,
    blind20,
    blind21,
    blind22,
    blind23,
    blind24,
    blind25,
    blind26,
    blind27,
    blind28,
    blind29,
    blind30,
    blind31,
    blind32,
    blind33,
    blind34,
    blind35,
    blind36,
    blind37,
    blind38,
    blind39,
    blind40,
):
    floors = (("narrative_holdout", holdout, 0.97, 0.80), ("narrative_blind3", blind3, 0.97, 0.82))
    later = (
        ("narrative_blind4", blind4, 0.96, 0.78),
        ("narrative_blind5", blind5, 0.95, 0.75),
        ("narrative_blind6", blind6, 0.96, 0.76),
        # first sight 0,934 / 0,629; dashboards and slides, quoted e-mails, surveys with dotted blanks
        ("narrative_blind7", blind7, 0.97, 0.76),
        # first sight 0,963 / 0,857; the ordinary formal report, twelve clerks' habits
        ("narrative_blind8", blind8, 0.97, 0.83),
        # first sight 0,991 / 0,863; formal reports whose figures sit in Word tables
        ("narrative_blind9", blind9, 0.97, 0.84),
        # first sight 0,996 / 0,891; dense prose, several figures a sentence, other bodies' figures
        ("narrative_blind10", blind10, 0.97, 0.87),
        # first sight 0,979 / 0,693; hurried clerks: abbreviations (TCN, CKS, TV), `label: value` bullets
        ("narrative_blind11", blind11, 0.97, 0.78),
        # first sight 0,964 / 0,769; text out of PDFs and scans: page furniture, OCR slips, cells one a line
        ("narrative_blind12", blind12, 0.97, 0.75),
        # first sight 0,981 / 0,848; wordy secretaries: figures in words then digits, respectively-lists,
        # fractions in words, legal references, per-village breakdowns
        ("narrative_blind13", blind13, 0.98, 0.90),
        # first sight 0,892 / 0,617; answers and corrections: questionnaire answers in table cells, corrected
        # and provisional figures, monthly figures inside the quarter, plan / cumulative / same-period columns
        ("narrative_blind14", blind14, 0.97, 0.73),
        # first sight 0,980 / 0,927; the real mixture: other bodies' figures (the health station, the school),
        # system and portal figures, budget sources in brackets, plans beside results, parts typed unaccented
        ("narrative_blind15", blind15, 0.97, 0.90),
        # first sight 0,990 / 0,866; what no generator writes: a report typed in a hurry (glued units, slipped
        # marks, three thousands separators), comparisons in every sentence, tables, non-indicator numbers
        ("narrative_blind16", blind16, 0.97, 0.86),
        # first sight 0,955 / 0,921; the usual sections by eight hands: `SL:` bullets, rate before fraction,
        # dossiers per field, former communes' parts, figures in headings, ranges, a ward's table, corrections
        ("narrative_blind17", blind17, 0.97, 0.90),
        # first sight 0,975 / 0,852; the smallest and the largest units and the ones that go wrong: zeros
        # written many ways, big numbers in tỷ, swapped figures, changes against plans, a) b) items
        ("narrative_blind18", blind18, 0.97, 0.87),
        # first sight 0,962 / 0,771; layouts and hands no earlier set has: text wrapped as pasted from a PDF,
        # nested bullets, a plan/quarter/year-to-date table, numbers in words, a checklist's answers, figures
        # among document numbers, a ward's per-group table, a spreadsheet block in English number format
        ("narrative_blind19", blind19, 0.97, 0.83),
        # first sight 0,950 / 0,725; text through OCR, a merged commune's former parts, dense abbreviations,
        # months and the quarter's total, ten figures a sentence, footnote marks, targets beside results
        ("narrative_blind20", blind20, 0.96, 0.81),
        # first sight 0,982 / 0,793; the ordinary reports a province receives, by eight clerks' habits
        ("narrative_blind21", blind21, 0.97, 0.90),
        # first sight 0,976 / 0,907; the Department's appendix table filled in by clerks, neatly and badly
        ("narrative_blind22", blind22, 0.97, 0.90),
        # first sight 0,982 / 0,917; the sections whose figures are not the period's own (shortfalls, national
        # and provincial targets, an instruction letter, a neighbouring commune, the closing restatement)
        ("narrative_blind23", blind23, 0.97, 0.90),
        # first sight 1,000 / 0,960; plain quarterly reports of average communes, the most common kind
        ("narrative_blind24", blind24, 0.97, 0.94),
        # first sight 0,985 / 0,942; two things side by side (quarter and 9 months, former communes and the
        # total, fields and the total, the system's figures and the commune's register, police and centre)
        ("narrative_blind25", blind25, 0.97, 0.92),
        # first sight 0,990 / 0,907; the first half of 2025 back-filled by the new communes (former communes'
        # totals, villages one by one, two periods in one document, an e-mail, a correction, months)
        ("narrative_blind26", blind26, 0.97, 0.90),
        # first sight 0,981 / 0,941; documents that are not the periodic report (a quick report, an
        # explanation letter, inspection minutes with a recount, a request, a committee's conclusion, scores)
        ("narrative_blind27", blind27, 0.97, 0.92),
        # first sight 0,974 / 0,859; wards and the special zone, and highland communes' plain, uneven prose
        # (numbers half in words, approximations, missing units)
        ("narrative_blind28", blind28, 0.97, 0.84),
        # first sight 0,995 / 0,973; a commune's general socio-economic report with its digital-transformation
        # sections among crops, budget, schools, health insurance, poverty, security (figures of no indicator)
        ("narrative_blind29", blind29, 0.97, 0.95),
        # first sight 0,993 / 0,923; the typography of numbers (no-break spaces, full-width digits,
        # superscript marks, English decimals beside dot thousands, `%` first, ranges, bounds, signs, money)
        ("narrative_blind30", blind30, 0.97, 0.91),
        # first sight 0,970 / 0,650; the words clerks use: synonyms, abbreviations, systems' and programmes'
        # names, near-miss words that name something else
        ("narrative_blind31", blind31, 0.97, 0.70),
        # first sight 0,979 / 0,798; sentence shapes: number before subject, topic-comment, far subjects,
        # back references, zeros in words, lead-in lists, comparisons, the quarter beside the period
        ("narrative_blind32", blind32, 0.97, 0.79),
        # first sight 0,981 / 0,944; tables of every kind (multi-level headers, several periods' columns,
        # transposed tables, per-former-commune tables, units in headers, continued tables)
        ("narrative_blind33", blind33, 0.97, 0.92),
        # first sight 1,000 / 0,965; the same figure said twice (rounded summaries, annex tables, restated
        # fractions, complements, corrections)
        ("narrative_blind34", blind34, 0.97, 0.94),
        # first sight 0,992 / 0,911; breakdowns (by field, former commune, month, village, office; nested;
        # parts that do not add up)
        ("narrative_blind35", blind35, 0.97, 0.89),
        # first sight 1,000 / 0,954; numbers that are not figures (references, numbering, dates, phones,
        # versions, ranks, scores, other quantities) beside figures
        ("narrative_blind36", blind36, 0.97, 0.93),
        # first sight 0,976 / 0,930; the year 2025 of a commune formed on 1 July (former communes' first
        # half, the new commune's second half, plans, 2024, stocks at two dates)
        ("narrative_blind37", blind37, 0.97, 0.91),
        # first sight 1,000 / 0,873; villages, groups, roads and rooms named by numbers, figures per place
        ("narrative_blind38", blind38, 0.97, 0.86),
        # first sight 1,000 / 0,583; wards' reports in English and smart-city jargon (online, KPI, user,
        # account, PC and pcs, dashboards), smart-city figures of no indicator
        ("narrative_blind39", blind39, 0.97, 0.56),
        # first sight 0,988 / 0,588; the Department's questionnaire answered line by line (the question
        # names the indicator, the answer gives the number)
        ("narrative_blind40", blind40, 0.97, 0.63),
    )
    for name, corpus, precision, recall in (*floors, *later):
        result = score_corpus(*corpus)
        print(f"\n{name}: {result.line()}")
        assert result.precision >= precision
        assert result.recall >= recall


def test_only_actual_figures_land(corpora):
    """On every labelled set, nothing lands but an actual figure no one needs to review."""
    for extractions, _ in corpora.values():
        for extraction in extractions.values():
            for figure in extraction.figures:
                if lands(figure):
                    assert figure.role == "actual" and not figure.needs_review


def test_a_figure_with_a_wrong_role_is_counted_against_precision(dev):
    from dataclasses import replace

    extractions, labels = dev
    proposals = {
        (r["file"].removesuffix(".draft"), r["indicator_code"]) for r in labels if r["role"] == "proposal"
    }
    name, proposal = next(
        (name, f)
        for name, extraction in extractions.items()
        for f in extraction.figures
        if f.role == "proposal" and (name, f.indicator_code) in proposals
    )
    figures = [
        replace(f, role="actual", needs_review=False) if f is proposal else f
        for f in extractions[name].figures
    ]
    broken = {**extractions, name: replace(extractions[name], figures=tuple(figures))}
    good, bad = score_corpus(extractions, labels), score_corpus(broken, labels)
    assert bad.landed == good.landed + 1 and bad.landed_correct == good.landed_correct
    assert bad.precision < good.precision
