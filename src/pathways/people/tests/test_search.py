"""Finding a person however their name was spelt, only among the people the user may see."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pathways.access.policies import sharing_view
from pathways.people.names import given_name_key, surname_key
from pathways.people.selectors import person_record, person_search
from pathways.testing import create_person_row, load


def names_found(user, **criteria) -> list[str]:
    return [r.person.full_name for r in person_search(user=user, **criteria)]


def test_spelling_variants_nicknames_and_swapped_order_find_the_person(known_offender, officer):
    for query in ["Jonathan Smith", "Jon Smyth", "john smith", "Smith Jonathan", "JONATHAN SMITHE", "Smith"]:
        assert names_found(officer, name=query) == ["Jonathan Smith"], query


def test_an_alias_finds_the_person_and_says_so(police, police_admin, officer):
    load("people", [create_person_row()], agency=police, by=police_admin)
    load("people", [create_person_row(surname="Baker")], agency=police, by=police_admin)
    [result] = person_search(user=officer, name="Jonathan Smith")
    assert result.person.surname == "Baker"
    assert result.matched_name == "Jonathan Smith (alias)"


def test_date_of_birth_and_identifier_searches(known_offender, officer):
    assert names_found(officer, date_of_birth=dt.date(1998, 4, 12)) == ["Jonathan Smith"]
    # Day and month swapped: a common keying error.
    [swapped] = person_search(user=officer, date_of_birth=dt.date(1998, 12, 4))
    assert "swapped" in swapped.reasons[-1]
    assert names_found(officer, identifier="2016/0001234b") == ["Jonathan Smith"]
    assert names_found(officer, identifier="P1") == ["Jonathan Smith"]
    assert names_found(officer, name="Jonathan Smith", date_of_birth=dt.date(1970, 1, 1)) == []


def test_unrelated_names_are_not_found_and_empty_searches_return_nothing(known_offender, officer):
    assert names_found(officer, name="Priya Patel") == []
    assert names_found(officer) == []


def test_search_never_reaches_outside_the_agency(known_offender, housing_worker):
    assert names_found(housing_worker, name="Jonathan Smith") == []
    assert names_found(housing_worker, identifier="2016/0001234B") == []


def test_exact_name_ranks_above_a_variant(police, police_admin, officer):
    load(
        "people",
        [create_person_row(), create_person_row(person_id="P2", surname="Smyth", pnc_id="")],
        agency=police,
        by=police_admin,
    )
    assert [r.person.surname for r in person_search(user=officer, name="Jonathan Smyth")] == ["Smyth", "Smith"]


def test_the_timeline_runs_newest_first_with_custody_and_release(known_offender, officer):
    timeline = person_record(person=known_offender, view=sharing_view(officer, "casework")).timeline
    assert [(e.date.isoformat(), e.kind) for e in timeline] == [
        ("2021-12-01", "release"),
        ("2021-06-01", "custody"),
        ("2021-06-01", "outcome"),
        ("2021-02-10", "offence"),
        ("2019-05-20", "outcome"),
        ("2019-05-01", "offence"),
    ]
    assert timeline[2].title == "Convicted: custodial sentence"
    assert timeline[4].title == "3 Caution – adult"


@given(
    st.text(
        alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ '-"), min_size=1, max_size=40
    )
)
def test_name_keys_ignore_case_and_punctuation(name):
    assert surname_key(name) == surname_key(name.upper()) == surname_key(f" {name}-'")
    assert given_name_key(name.lower()) == given_name_key(name.upper())


def test_nicknames_share_a_key():
    assert given_name_key("Bill") == given_name_key("William") == given_name_key("Liam")
    assert given_name_key("Zoë") == given_name_key("Zoe")
    assert surname_key("O'Neill") == surname_key("ONeill")


def test_an_exact_name_is_found_among_hundreds_sharing_the_surname_and_initial(police, officer):
    """Hundreds of Smiths whose given names sort before Amanda must not crowd her out."""
    import itertools

    from pathways.access.models import AgencyRecord
    from pathways.people.models import Person, PersonName

    letters = "abcdefghijklmnopqrstuvwxyz"
    crowd = [f"Aa{x}{y}" for x, y in itertools.islice(itertools.product(letters, letters), 450)]
    people = Person.objects.bulk_create([Person(given_name=g, surname="Smith") for g in [*crowd, "Amanda"]])
    PersonName.objects.bulk_create(
        [
            PersonName(
                person=p,
                given_name=p.given_name,
                surname="Smith",
                surname_key=surname_key("Smith"),
                given_key=given_name_key(p.given_name),
            )
            for p in people
        ]
    )
    AgencyRecord.objects.bulk_create([AgencyRecord(person=p, agency=police, basis="holds_record") for p in people])
    results = person_search(user=officer, name="Amanda Smith")
    assert results[0].person.given_name == "Amanda"
    assert "exact name" in results[0].reasons
