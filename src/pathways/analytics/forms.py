"""The query behind a drill-down, read from the address so that every figure has a link."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from pathways.analytics.measures import BREAKDOWNS, PRESETS

EARLIEST = dt.date(1990, 1, 1)
NOT_A_DATE = "is not a date in the form YYYY-MM-DD"


class QueryForm(forms.Form):
    """A page's query, read from the address; a bad one is answered with its first problem."""

    def first_error(self) -> str:
        for field, errors in self.errors.items():
            return f"{field}: {errors[0]}" if field != "__all__" else errors[0]
        return ""


class CohortQueryForm(QueryForm):
    """preset, start, end, by, and any number of `in=breakdown:group` filters."""

    preset = forms.ChoiceField(choices=[(name, name) for name in PRESETS], initial="moj")
    start = forms.DateField(input_formats=["%Y-%m-%d"])
    end = forms.DateField(input_formats=["%Y-%m-%d"])
    by = forms.ChoiceField(choices=[(name, name) for name in BREAKDOWNS], required=False)

    def __init__(self, data: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        self.within_raw = data.getlist("in") if hasattr(data, "getlist") else []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                raise forms.ValidationError("The cohort must end on or after the day it starts")
            if start < EARLIEST or (end - start).days > 3 * 366:
                raise forms.ValidationError("Choose a cohort of at most three years, from 1990 on")
        within: dict[str, str] = {}
        for item in self.within_raw[: len(BREAKDOWNS)]:
            name, _, group = item.partition(":")
            if name not in BREAKDOWNS or not group or len(group) > 64:
                raise forms.ValidationError(f"'{item[:80]}' is not a breakdown and group, like index_disposal:custody")
            within[name] = group
        cleaned["within"] = within
        return cleaned


class PeriodQueryForm(QueryForm):
    """An optional period, `start` and `end` (YYYY-MM-DD, inclusive): both or neither."""

    start = forms.DateField(input_formats=["%Y-%m-%d"], required=False, error_messages={"invalid": NOT_A_DATE})
    end = forms.DateField(input_formats=["%Y-%m-%d"], required=False, error_messages={"invalid": NOT_A_DATE})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if self.errors:
            return cleaned
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both a start and an end date (YYYY-MM-DD), or neither")
        if start and end:
            if end < start:
                raise forms.ValidationError("The period must end on or after the day it starts")
            if start < EARLIEST or (end - start).days > 3 * 366:
                raise forms.ValidationError("Choose a period of at most three years, from 1990 on")
        return cleaned
