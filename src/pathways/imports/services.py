"""Loading partner files: validate every row first, then write all of it or none of it.

Loading the same file twice changes nothing: every row is keyed on the agency's own
references, and a row whose values already match what is held is left alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from pathways.access.models import AgencyRecord, AuditEvent
from pathways.access.policies import can_import
from pathways.access.services import audit_record
from pathways.accounts.models import Agency, User
from pathways.imports.formats import (
    FORMATS,
    HEADER_OPTIONAL,
    TAG_KINDS,
    FileFormat,
    ParsedRow,
    RowError,
    parse_row,
)
from pathways.imports.matching import match_person
from pathways.imports.models import ImportBatch
from pathways.linkage.models import LinkDecision, SourceRecord
from pathways.linkage.services import Incoming, propose_links, queue_pair, record_decision
from pathways.offending.models import CustodyPeriod, Offence, OffenceOutcome, OffenceVictim
from pathways.people.models import Address, Person, PersonIdentifier, PersonName
from pathways.people.names import given_name_key, surname_key
from pathways.people.reference import IdentifierKind, postcode_area

# A report keeps this many errors; a file with more is plainly the wrong file.
MAX_REPORTED_ERRORS = 5000
_IN_CHUNK = 500


@dataclass
class ImportReport:
    kind: str
    filename: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    batch: ImportBatch | None = None
    # People files only: what record linkage did with the records that arrived for the first time.
    linkage: dict[str, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "filename": self.filename,
            "status": "imported" if self.ok else "rejected",
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "batch_id": str(self.batch.pk) if self.batch else None,
            "linkage": self.linkage,
        }


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _agency_people(agency: Agency, references: Iterable[str]) -> dict[str, Person]:
    refs = sorted(set(references))
    found: dict[str, Person] = {}
    for chunk in _chunks(refs):
        for ident in PersonIdentifier.objects.select_related("person").filter(
            kind=IdentifierKind.AGENCY_REFERENCE, agency=agency, value__in=chunk
        ):
            found[ident.value] = ident.person
    return found


def _agency_offences(agency: Agency, references: Iterable[str]) -> dict[str, Offence]:
    refs = sorted(set(references))
    found: dict[str, Offence] = {}
    for chunk in _chunks(refs):
        for offence in Offence.objects.select_related("person").filter(agency=agency, reference__in=chunk):
            found[offence.reference] = offence
    return found


def read_rows(fmt: FileFormat, filename: str, content: bytes) -> tuple[list[ParsedRow], list[RowError]]:
    """Parse and check every row on its own; nothing is looked up in the database here."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(filename, 0, "", f"the file is not UTF-8 text (byte {exc.start} cannot be read)")]
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [
            RowError(
                filename, line, "", "the file contains a NUL character: is it a spreadsheet rather than a CSV file?"
            )
        ]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    if not header:
        return [], [RowError(filename, 1, "", "the file is empty: it needs a header row naming the columns")]
    header = [h.strip() for h in header]
    reader.fieldnames = header
    wanted = [c for c in fmt.column_names if c not in HEADER_OPTIONAL[fmt.kind]]
    missing = [c for c in wanted if c not in header]
    if missing:
        return [], [RowError(filename, 1, name, "this column is missing from the header row") for name in missing]
    rows: list[ParsedRow] = []
    errors: list[RowError] = []
    first_seen: dict[tuple[Any, ...], int] = {}
    for raw in reader:
        row_number = reader.line_num
        if None in raw:
            errors.append(
                RowError(
                    filename,
                    row_number,
                    "",
                    f"has {len(header) + len(raw[None])} values but the header has {len(header)} columns",
                )
            )
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue  # a blank line is not a row
        parsed, row_errors = parse_row(fmt, filename, row_number, raw)
        errors.extend(row_errors)
        if row_errors:
            continue
        key = tuple(parsed.values[k] for k in fmt.key)
        if key in first_seen:
            errors.append(
                RowError(
                    filename,
                    row_number,
                    fmt.key[0],
                    f"{' / '.join(map(str, key))} appears again (first at row {first_seen[key]})",
                )
            )
            continue
        first_seen[key] = row_number
        rows.append(parsed)
    if not rows and not errors:
        errors.append(RowError(filename, 2, "", "the file has a header but no rows"))
    return rows, errors


class _Loader:
    def __init__(self, *, agency: Agency, filename: str, by: User | None, via: str = "web") -> None:
        self.agency = agency
        self.filename = filename
        self.by = by
        self.via = via
        # Set by `import_file` before `load`: what the load's rows are recorded against.
        self.batch: ImportBatch | None = None
        self.created = self.updated = self.unchanged = 0

    def error(self, row: ParsedRow, column: str, reason: str) -> RowError:
        return RowError(self.filename, row.row, column, reason)

    def stamp(self, obj: Any) -> Any:
        obj._history_user = self.by
        return obj

    def save(self, obj: Any) -> None:
        self.stamp(obj).save()

    def update_fields(self, obj: Any, values: dict[str, Any]) -> bool:
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        for name, value in changed.items():
            setattr(obj, name, value)
        if changed:
            self.save(obj)
        return bool(changed)

    def count(self, *, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        raise NotImplementedError

    def load(self, rows: list[ParsedRow]) -> None:
        raise NotImplementedError


def _incoming(key: str, v: dict[str, Any]) -> Incoming:
    return Incoming(
        key=key,
        given_name=v["given_name"],
        surname=v["surname"],
        date_of_birth=v["date_of_birth"],
        sex=v["sex"] or "U",
        address_1=v["address_1"] or "",
        town=v["town"] or "",
        postcode=v["postcode"] or "",
        pnc_id=v["pnc_id"] or "",
        other_id=v["other_id"] or "",
    )


class PeopleLoader(_Loader):
    linkage: dict[str, int] | None = None

    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        errors: list[RowError] = []
        known = _agency_people(self.agency, (r.values["person_id"] for r in rows))
        pncs = sorted({r.values["pnc_id"] for r in rows if r.values["pnc_id"]})
        pnc_holder: dict[str, Any] = {}
        for chunk in _chunks(pncs):
            pnc_holder.update(
                PersonIdentifier.objects.filter(
                    kind=IdentifierKind.PNC, agency__isnull=True, value__in=chunk
                ).values_list("value", "person_id")
            )
        held_pnc: dict[Any, str] = {}
        person_ids = [p.pk for p in known.values()]
        for start in range(0, len(person_ids), _IN_CHUNK):
            held_pnc.update(
                PersonIdentifier.objects.filter(
                    kind=IdentifierKind.PNC, person_id__in=person_ids[start : start + _IN_CHUNK]
                ).values_list("person_id", "value")
            )
        pnc_in_file: dict[str, tuple[str, int]] = {}
        for row in rows:
            ref, pnc = row.values["person_id"], row.values["pnc_id"]
            if not pnc:
                continue
            person = known.get(ref)
            if person is not None and held_pnc.get(person.pk) not in (None, pnc):
                errors.append(
                    self.error(
                        row,
                        "pnc_id",
                        f"{pnc} differs from the PNC ID already held for {ref} ({held_pnc[person.pk]})",
                    )
                )
            elif person is not None and pnc in pnc_holder and pnc_holder[pnc] != person.pk:
                errors.append(self.error(row, "pnc_id", f"{pnc} is already held for a different person"))
            if pnc in pnc_in_file and pnc_in_file[pnc][0] != ref:
                other_ref, other_row = pnc_in_file[pnc]
                errors.append(self.error(row, "pnc_id", f"{pnc} is also given for {other_ref} at row {other_row}"))
            pnc_in_file.setdefault(pnc, (ref, row.row))
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        """Rows an identifier matches load as they always have; every other row is scored by
        the linkage model, all together, against every record held (`linkage.services`)."""
        held = set()
        for chunk in _chunks(sorted({r.values["person_id"] for r in rows})):
            held.update(
                SourceRecord.objects.filter(agency=self.agency, reference__in=chunk).values_list("reference", flat=True)
            )
        matched: dict[int, Person | None] = {}
        unmatched: list[Incoming] = []
        for row in rows:
            v = row.values
            matched[row.row] = match_person(agency=self.agency, reference=v["person_id"], pnc_id=v["pnc_id"])
            if matched[row.row] is None:
                unmatched.append(_incoming(str(row.row), v))
        proposals = propose_links(unmatched)
        self.linkage = {"joined_by_identifier": 0, "joined_by_model": 0, "queued_for_review": 0, "new_people": 0}
        for row in rows:
            v = row.values
            first_arrival = v["person_id"] not in held
            proposal = proposals.get(str(row.row))
            person = matched[row.row]
            joined_by_model = proposal is not None and proposal.outcome == LinkDecision.Outcome.JOINED
            if joined_by_model:
                assert proposal is not None and proposal.candidate is not None
                person = proposal.candidate.person
            record = self._load_row(v, person=person, joined_by_model=joined_by_model)
            if not first_arrival:
                continue
            if proposal is None:
                self.linkage["joined_by_identifier"] += 1
                record_decision(
                    record=record,
                    method=LinkDecision.Method.IDENTIFIER,
                    outcome=LinkDecision.Outcome.JOINED,
                    import_batch=self.batch,
                    via=self.via,
                    by=self.by,
                )
                continue
            record_decision(
                record=record,
                method=LinkDecision.Method.MODEL,
                outcome=proposal.outcome,
                proposal=proposal,
                import_batch=self.batch,
                via=self.via,
                by=self.by,
            )
            if proposal.outcome == LinkDecision.Outcome.JOINED:
                self.linkage["joined_by_model"] += 1
            elif proposal.outcome == LinkDecision.Outcome.QUEUED:
                self.linkage["queued_for_review"] += 1
                queue_pair(record=record, proposal=proposal)
            else:
                self.linkage["new_people"] += 1

    def _load_row(self, v: dict[str, Any], *, person: Person | None, joined_by_model: bool = False) -> SourceRecord:
        created = person is None
        changed = False
        demographics = {
            "date_of_birth": v["date_of_birth"],
            "sex": v["sex"] or "U",
            "ethnicity": v["ethnicity"] or "NS",
        }
        if person is None:
            person = Person(given_name=v["given_name"], surname=v["surname"], **demographics)
            self.save(person)
            self._name(person, v["given_name"], v["surname"], is_alias=False)
        else:
            # The agency's own record of the person is updated by this row. A record that joined
            # someone already held (by the model, or by a PNC ID) only fills gaps, now and
            # whenever the agency sends it again: the person's details are not theirs to overwrite.
            owns = (
                not joined_by_model
                and PersonIdentifier.objects.filter(
                    person=person, kind=IdentifierKind.AGENCY_REFERENCE, agency=self.agency
                ).exists()
                and not LinkDecision.objects.filter(
                    record__agency=self.agency, record__reference=v["person_id"], outcome=LinkDecision.Outcome.JOINED
                ).exists()
            )
            if owns:
                old_name = (person.given_name, person.surname)
                changed |= self.update_fields(
                    person, {"given_name": v["given_name"], "surname": v["surname"], **demographics}
                )
                if old_name != (person.given_name, person.surname):
                    # The old name stays findable as an alias: people are searched by what they were called.
                    PersonName.objects.filter(person=person, given_name=old_name[0], surname=old_name[1]).update(
                        is_alias=True
                    )
                    changed |= self._name(person, person.given_name, person.surname, is_alias=False)
            else:
                # A record matched from another agency fills gaps; it does not overwrite.
                blanks = {
                    k: val for k, val in demographics.items() if val and getattr(person, k) in (None, "", "U", "NS")
                }
                changed |= self.update_fields(person, blanks)
                if (v["given_name"], v["surname"]) != (person.given_name, person.surname):
                    changed |= self._name(person, v["given_name"], v["surname"], is_alias=True)
        changed |= self._identifier(person, IdentifierKind.AGENCY_REFERENCE, v["person_id"], agency=self.agency)
        if v["pnc_id"]:
            changed |= self._identifier(person, IdentifierKind.PNC, v["pnc_id"], agency=None)
        if v["other_id"]:
            changed |= self._identifier(person, IdentifierKind.OTHER, v["other_id"], agency=self.agency)
        if not (
            joined_by_model and Address.objects.filter(person=person, agency=self.agency, is_current=True).exists()
        ):
            # A duplicate record does not replace the address the agency's other record gave.
            changed |= self._address(person, v)
        record, record_changed = self._source_record(person, v)
        changed |= record_changed
        AgencyRecord.objects.get_or_create(
            person=person, agency=self.agency, defaults={"basis": AgencyRecord.Basis.HOLDS_RECORD}
        )
        self.count(created=created, changed=changed)
        return record

    def _source_record(self, person: Person, v: dict[str, Any]) -> tuple[SourceRecord, bool]:
        """The agency's record as it sent it: what record linkage compares (`pathways.linkage`)."""
        values = {
            "given_name": v["given_name"],
            "surname": v["surname"],
            "date_of_birth": v["date_of_birth"],
            "sex": v["sex"] or "U",
            "address_1": v["address_1"] or "",
            "town": v["town"] or "",
            "postcode": v["postcode"] or "",
            "pnc_id": v["pnc_id"] or "",
            "other_id": v["other_id"] or "",
        }
        record = SourceRecord.objects.filter(agency=self.agency, reference=v["person_id"]).first()
        if record is None:
            record = SourceRecord(person=person, agency=self.agency, reference=v["person_id"], **values)
            self.save(record)
            return record, True
        return record, self.update_fields(record, {"person": person, **values})

    def _name(self, person: Person, given: str, surname: str, *, is_alias: bool) -> bool:
        existing = PersonName.objects.filter(person=person, given_name=given, surname=surname).first()
        if existing is not None:
            return self.update_fields(existing, {"is_alias": is_alias})
        self.save(
            PersonName(
                person=person,
                given_name=given,
                surname=surname,
                is_alias=is_alias,
                agency=self.agency,
                surname_key=surname_key(surname),
                given_key=given_name_key(given),
            )
        )
        return True

    def _identifier(self, person: Person, kind: str, value: str, *, agency: Agency | None) -> bool:
        lookup = PersonIdentifier.objects.filter(person=person, kind=kind, agency=agency)
        if kind == IdentifierKind.PNC:
            if lookup.exists():
                return False
        elif lookup.filter(value=value).exists():
            return False
        self.save(PersonIdentifier(person=person, kind=kind, value=value, agency=agency))
        return True

    def _address(self, person: Person, v: dict[str, Any]) -> bool:
        if not (v["address_1"] or v["postcode"]):
            return False
        wanted = {
            "address_1": v["address_1"] or "",
            "address_2": v["address_2"] or "",
            "town": v["town"] or "",
            "postcode": v["postcode"] or "",
        }
        current = Address.objects.filter(person=person, agency=self.agency, is_current=True).first()
        if current is not None and all(getattr(current, k) == val for k, val in wanted.items()):
            return False
        if current is not None:
            self.update_fields(current, {"is_current": False})
        area = postcode_area(wanted["postcode"]) if wanted["postcode"] else ""
        self.save(Address(person=person, agency=self.agency, is_current=True, area=area, **wanted))
        return True


class OffencesLoader(_Loader):
    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        refs = {r.values["person_id"] for r in rows} | {vid for r in rows for vid in r.values["victim_ids"]}
        self.people = _agency_people(self.agency, refs)
        errors: list[RowError] = []
        for row in rows:
            v = row.values
            person = self.people.get(v["person_id"])
            if person is None:
                errors.append(
                    self.error(
                        row,
                        "person_id",
                        f"no person {v['person_id']} has been imported by {self.agency.code}; import the people file first",
                    )
                )
            elif person.date_of_birth and v["offence_date"] < person.date_of_birth:
                errors.append(
                    self.error(
                        row,
                        "offence_date",
                        f"{v['offence_date']} is before {v['person_id']}'s date of birth ({person.date_of_birth})",
                    )
                )
            for victim_ref in v["victim_ids"]:
                if victim_ref not in self.people:
                    errors.append(
                        self.error(
                            row,
                            "victim_ids",
                            f"no person {victim_ref} has been imported by {self.agency.code}",
                        )
                    )
                elif victim_ref == v["person_id"]:
                    errors.append(
                        self.error(
                            row,
                            "victim_ids",
                            f"{victim_ref} is the person recorded as committing the offence",
                        )
                    )
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        existing = _agency_offences(self.agency, [r.values["offence_id"] for r in rows])
        for row in rows:
            v = row.values
            values = {
                "person": self.people[v["person_id"]],
                "offence_date": v["offence_date"],
                "offence_time": v["offence_time"],
                "offence_code": v["offence_code"],
                "offence_group": v["offence_group"],
                "area": v["area"] or "",
                "latitude": v["latitude"],
                "longitude": v["longitude"],
            }
            offence = existing.get(v["offence_id"])
            created = offence is None
            if offence is None:
                offence = Offence(agency=self.agency, reference=v["offence_id"], **values)
                self.save(offence)
                changed = True
            else:
                changed = self.update_fields(offence, values)
            changed |= self._victims(offence, {self.people[r].pk for r in v["victim_ids"]})
            self.count(created=created, changed=changed)

    def _victims(self, offence: Offence, wanted: set[Any]) -> bool:
        held = set(OffenceVictim.objects.filter(offence=offence).values_list("person_id", flat=True))
        if held == wanted:
            return False
        OffenceVictim.objects.filter(offence=offence, person_id__in=held - wanted).delete()
        OffenceVictim.objects.bulk_create([OffenceVictim(offence=offence, person_id=pid) for pid in wanted - held])
        return True


class OutcomesLoader(_Loader):
    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        self.offences = _agency_offences(self.agency, [r.values["offence_id"] for r in rows])
        errors: list[RowError] = []
        for row in rows:
            v = row.values
            offence = self.offences.get(v["offence_id"])
            if offence is None:
                errors.append(
                    self.error(
                        row,
                        "offence_id",
                        f"no offence {v['offence_id']} has been imported by {self.agency.code}; import the offences file first",
                    )
                )
            elif v["outcome_date"] < offence.offence_date:
                errors.append(
                    self.error(
                        row,
                        "outcome_date",
                        f"{v['outcome_date']} is before the offence date ({offence.offence_date})",
                    )
                )
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            v = row.values
            offence = self.offences[v["offence_id"]]
            exists = OffenceOutcome.objects.filter(
                offence=offence, outcome=v["outcome"], outcome_date=v["outcome_date"]
            ).exists()
            if not exists:
                self.save(
                    OffenceOutcome(
                        offence=offence,
                        agency=self.agency,
                        outcome=v["outcome"],
                        outcome_date=v["outcome_date"],
                    )
                )
            self.count(created=not exists, changed=False)


class CustodyLoader(_Loader):
    def check(self, rows: list[ParsedRow]) -> list[RowError]:
        self.people = _agency_people(self.agency, [r.values["person_id"] for r in rows])
        self.offences = _agency_offences(self.agency, [r.values["offence_id"] for r in rows])
        errors: list[RowError] = []
        for row in rows:
            v = row.values
            person = self.people.get(v["person_id"])
            offence = self.offences.get(v["offence_id"])
            if person is None:
                errors.append(
                    self.error(
                        row,
                        "person_id",
                        f"no person {v['person_id']} has been imported by {self.agency.code}",
                    )
                )
            if offence is None:
                errors.append(
                    self.error(
                        row,
                        "offence_id",
                        f"no offence {v['offence_id']} has been imported by {self.agency.code}",
                    )
                )
            if person is not None and offence is not None and offence.person_id != person.pk:
                errors.append(
                    self.error(
                        row,
                        "offence_id",
                        f"offence {v['offence_id']} is recorded against a different person, not {v['person_id']}",
                    )
                )
            if offence is not None and v["sentence_date"] < offence.offence_date:
                errors.append(
                    self.error(
                        row,
                        "sentence_date",
                        f"{v['sentence_date']} is before the offence date ({offence.offence_date})",
                    )
                )
            if v["release_date"] and v["release_date"] < v["sentence_date"]:
                errors.append(
                    self.error(
                        row,
                        "release_date",
                        f"{v['release_date']} is before the sentence date ({v['sentence_date']})",
                    )
                )
        return errors

    def load(self, rows: list[ParsedRow]) -> None:
        for row in rows:
            v = row.values
            person, offence = self.people[v["person_id"]], self.offences[v["offence_id"]]
            period = CustodyPeriod.objects.filter(
                person=person, offence=offence, sentence_date=v["sentence_date"]
            ).first()
            if period is None:
                self.save(
                    CustodyPeriod(
                        person=person,
                        offence=offence,
                        agency=self.agency,
                        sentence_date=v["sentence_date"],
                        release_date=v["release_date"],
                    )
                )
                self.count(created=True, changed=True)
            else:
                self.count(
                    created=False,
                    changed=self.update_fields(period, {"release_date": v["release_date"]}),
                )


LOADERS: dict[str, type[_Loader]] = {
    "people": PeopleLoader,
    "offences": OffencesLoader,
    "outcomes": OutcomesLoader,
    "custody": CustodyLoader,
}


def loader_for(kind: str) -> type[_Loader]:
    """The loader for a kind; the tag suppliers' loaders live with the IOM tags they write."""
    if kind in TAG_KINDS:
        from pathways.iom.tags import TAG_LOADERS  # imported late: iom.tags builds on this module

        return TAG_LOADERS[kind]
    return LOADERS[kind]


def may_import(user: User, kind: str) -> bool:
    """Partner files are loaded by those `can_import` allows; tag suppliers' files by those
    `iom.policies.can_import_tags` allows (the police and probation, who hold the contracts)."""
    if kind in TAG_KINDS:
        from pathways.iom.policies import can_import_tags

        return can_import_tags(user)
    return can_import(user)


def import_file(
    *, kind: str, agency: Agency, filename: str, content: bytes, by: User | None, via: str = "web"
) -> ImportReport:
    """Check a partner file and, only if every row is good, load all of it in one transaction."""
    if kind not in FORMATS:
        raise ValueError(f"Unknown kind of file '{kind}': expected one of {', '.join(FORMATS)}")
    fmt = FORMATS[kind]
    report = ImportReport(kind=kind, filename=filename)
    rows, errors = read_rows(fmt, filename, content)
    report.rows = len(rows)
    loader = loader_for(kind)(agency=agency, filename=filename, by=by, via=via)
    # Rows that read cleanly are still checked against what is held, so that one report
    # lists every problem in the file, not just the first kind found.
    errors = errors + loader.check(rows)
    batch_fields = {
        "agency": agency,
        "kind": kind,
        "filename": filename[:255],
        "sha256": hashlib.sha256(content).hexdigest(),
        "uploaded_by": by,
        "via": via,
        "rows": report.rows,
    }
    if errors:
        errors.sort(key=lambda e: (e.row, e.column))
        report.error_count = len(errors)
        report.errors = errors[:MAX_REPORTED_ERRORS]
        report.batch = ImportBatch.objects.create(
            status=ImportBatch.Status.REJECTED,
            errors=[e.as_dict() for e in report.errors],
            **batch_fields,
        )
    else:
        with transaction.atomic():
            # The batch is made first so that what the load decides (record linkage) can name it.
            report.batch = loader.batch = ImportBatch.objects.create(status=ImportBatch.Status.IMPORTED, **batch_fields)
            loader.load(rows)
            report.created, report.updated, report.unchanged = (
                loader.created,
                loader.updated,
                loader.unchanged,
            )
            report.linkage = getattr(loader, "linkage", None)
            report.batch.created_count = report.created
            report.batch.updated_count = report.updated
            report.batch.unchanged_count = report.unchanged
            report.batch.save(update_fields=["created_count", "updated_count", "unchanged_count", "updated_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.IMPORT,
        object_type="import_batch",
        object_id=str(report.batch.pk),
        detail={
            "kind": kind,
            "filename": filename,
            "status": report.batch.status,
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "errors": report.error_count,
            **({"linkage": report.linkage} if report.linkage else {}),
        },
        via=via,
    )
    return report
