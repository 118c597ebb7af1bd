"""Name keys for finding a person however their name was spelt.

Each name is stored with a phonetic key (Metaphone) so that Smith, Smyth and Smithe
meet; common given-name variants (Bill for William) are folded to one form first.
"""

from __future__ import annotations

import re
import unicodedata

import jellyfish

# Given-name variants that sound nothing alike but are the same person.
_VARIANT_GROUPS = [
    ("william", "bill", "billy", "will", "willie", "liam"),
    ("robert", "bob", "bobby", "rob", "robbie", "bert"),
    ("richard", "dick", "rick", "ricky", "rich", "richie"),
    ("margaret", "maggie", "meg", "peggy", "maisie"),
    ("elizabeth", "liz", "lizzie", "beth", "betty", "eliza", "libby"),
    ("edward", "ed", "eddie", "ted", "teddy", "ned"),
    ("james", "jim", "jimmy", "jamie"),
    ("john", "jack", "johnny", "jon"),
    ("catherine", "katherine", "kathryn", "kate", "katie", "cathy", "kath", "kay"),
    ("anthony", "tony", "ant"),
    ("michael", "mike", "mick", "mickey"),
    ("thomas", "tom", "tommy"),
    ("christopher", "chris", "kit"),
    ("daniel", "dan", "danny"),
    ("jennifer", "jen", "jenny"),
    ("alexander", "alex", "sandy", "xander"),
    ("alexandra", "alex", "sandra", "lexi"),
    ("patricia", "pat", "patty", "trish"),
    ("joseph", "joe", "joey"),
    ("samuel", "sam", "sammy"),
    ("benjamin", "ben", "benny"),
    ("matthew", "matt", "matty"),
    ("nicholas", "nick", "nicky"),
    ("stephen", "steven", "steve", "stevie"),
    ("charles", "charlie", "chas", "chuck"),
    ("henry", "harry", "hal"),
    ("rebecca", "becky", "becca"),
    ("susan", "sue", "susie"),
    ("victoria", "vicky", "tori"),
    ("jacqueline", "jackie"),
    ("frederick", "fred", "freddie"),
    ("david", "dave", "davy"),
    ("peter", "pete"),
    ("andrew", "andy", "drew"),
    ("jonathan", "jon", "jonny"),
    ("deborah", "debbie", "debra", "deb"),
]
_CANONICAL: dict[str, str] = {}
for group in _VARIANT_GROUPS:
    for name in group:
        _CANONICAL.setdefault(name, group[0])


def fold(name: str) -> str:
    """Lower case, accents removed, only letters: "O'Neill-Brown" → "oneillbrown"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", text.lower())


def canonical_given_name(given_name: str) -> str:
    """The usual form of a folded given name: "bill" → "william"; a name with no known variants is itself."""
    folded = fold(given_name)
    return _CANONICAL.get(folded, folded)


def given_name_variants(given_name: str) -> list[str]:
    """Other forms of the same given name, canonical first: "bill" → ["william", "billy", "will", ...]."""
    canonical = canonical_given_name(given_name)
    group = next((g for g in _VARIANT_GROUPS if g[0] == canonical), ())
    return [name for name in group if name != fold(given_name)]


def surname_key(surname: str) -> str:
    folded = fold(surname)
    return jellyfish.metaphone(folded).upper()[:16] if folded else ""


def given_name_key(given_name: str) -> str:
    first = given_name.strip().split(" ")[0] if given_name.strip() else ""
    folded = fold(first)
    if not folded:
        return ""
    return jellyfish.metaphone(_CANONICAL.get(folded, folded)).upper()[:16]


def name_similarity(a: str, b: str) -> float:
    return jellyfish.jaro_winkler_similarity(fold(a), fold(b))
