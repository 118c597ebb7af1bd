"""Reading a partner's table: every problem at once, named by file, spreadsheet row and column."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.risk.tabular import NOT_RECORDED, TableError, read_table

KW = {"required": ["score", "reoffended", "sex"], "numeric": ["score"], "binary": ["reoffended"]}


def test_a_good_file_is_read_with_numbers_and_outcomes_typed():
    frame = read_table(b"\xef\xbb\xbfscore,reoffended,sex\n0.4,1,Male\n7,0,\n", "scores.csv", **KW)
    assert frame["score"].tolist() == [0.4, 7.0]
    assert frame["reoffended"].tolist() == [1, 0]
    assert frame["sex"].tolist() == ["Male", NOT_RECORDED]


def test_every_problem_is_named_with_its_spreadsheet_row_and_column():
    content = b"score,reoffended,sex\n0.4,1,Male\nhigh,2,Female\n\n0.3,,Male\n"
    with pytest.raises(TableError) as caught:
        read_table(content, "scores.csv", **KW)
    assert caught.value.problems == [
        "scores.csv: row 3, column score: 'high' is not a number",
        "scores.csv: row 3, column reoffended: '2' is not 0 or 1 (1 = reoffended)",
        "scores.csv: row 5, column reoffended: blank is not 0 or 1 (1 = reoffended)",
    ]


def test_a_missing_column_names_the_columns_that_are_there():
    with pytest.raises(TableError) as caught:
        read_table(b"score,outcome\n1,0\n", "scores.csv", **KW)
    assert "scores.csv: row 1, column reoffended: no such column; the columns present are score, outcome" in (
        caught.value.problems
    )
    assert any("column sex" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\n\n", "the file is empty"),
        (b"score,reoffended,sex\n", "no rows of data below the header"),
        (b"\xff\xfescore", "not UTF-8"),
    ],
)
def test_an_empty_or_unreadable_file_says_so(content, message):
    with pytest.raises(TableError, match=message):
        read_table(content, "scores.csv", **KW)


def test_a_long_list_of_problems_is_shortened_in_the_message_but_kept_whole():
    content = b"score,reoffended,sex\n" + b"x,1,M\n" * 50
    with pytest.raises(TableError) as caught:
        read_table(content, "scores.csv", **KW)
    assert len(caught.value.problems) == 50
    assert "and 30 more problems" in str(caught.value)


@given(st.lists(st.tuples(st.floats(-1e6, 1e6, allow_nan=False), st.integers(0, 1)), min_size=1, max_size=30))
def test_whatever_numbers_are_written_are_read_back(rows):
    content = "score,reoffended,sex\n" + "".join(f"{s!r},{o},F\n" for s, o in rows)
    frame = read_table(content.encode(), "scores.csv", **KW)
    assert frame["score"].tolist() == [s for s, _ in rows]
    assert frame["reoffended"].tolist() == [o for _, o in rows]
