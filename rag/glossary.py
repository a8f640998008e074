"""Bilingual glossary: English terms found in a question and their Chinese renderings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from .errors import InputError

# An English word: letters/digits with inner apostrophes or dots ("xi'an", "u.s"); the
# possessive "'s" is split off by ``english_words``.
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)*")
# What may separate the words of one glossary phrase in a question.
_JOINER = re.compile(r"(?:['’][sS]?)?[\s\-–—/()（）]*")
_POSSESSIVE = re.compile(r"['’]s$", re.I)


@dataclass(frozen=True)
class Word:
    """One English word of a text: its lowercase form and where it sits."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class GlossaryHit:
    """A glossary term found in a text: ``text[start:end]`` is the matched English."""

    english: str
    zh: tuple[str, ...]
    start: int
    end: int


def english_words(text: str) -> list[Word]:
    """English words of ``text``, lowercased, possessives dropped ("Cungen's" -> "cungen")."""
    words = []
    for m in _WORD.finditer(text):
        raw = m.group(0)
        end = m.end()
        stripped = _POSSESSIVE.sub("", raw)
        if stripped != raw and stripped:
            end = m.start() + len(stripped)
        words.append(Word(stripped.lower().replace("’", "'"), m.start(), end))
    return words


def singular(word: str) -> str:
    """A plain English singular ("stations" -> "station", "universities" -> "university")."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is", "'s")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


def verb_bases(word: str) -> tuple[str, ...]:
    """The plain forms an inflected English verb may have, likeliest first ("presided" -> "preside",
    "chaired" -> "chair", "studied" -> "study", "planned" -> "plan", "hosting" -> "host" …); none
    for a word without -ed / -ing. A dictionary keeps only real words, so the guesses that are not
    ("chaire") find nothing."""
    low = word.lower()
    if len(low) <= 4:
        return ()
    if low.endswith("ied"):
        return (low[:-3] + "y",)
    if low.endswith("ed"):
        stem, forms = low[:-2], [low[:-1], low[:-2]]
    elif low.endswith("ing") and len(low) >= 6:
        stem, forms = low[:-3], [low[:-3], low[:-3] + "e"]
    else:
        return ()
    if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
        forms.append(stem[:-1])  # "planned" -> "plan", "running" -> "run"
    return tuple(dict.fromkeys(forms))


def word_forms(word: str) -> tuple[str, ...]:
    """The forms a question word may match in the glossary: itself, its singular, no apostrophe."""
    forms = [word, singular(word), word.replace("'", "")]
    return tuple(dict.fromkeys(forms))


@dataclass(frozen=True)
class Glossary:
    """English -> Chinese term map with longest-match lookup over word boundaries."""

    entries: Mapping[str, tuple[str, ...]]
    _trie: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        trie: dict = {}
        for english in self.entries:
            node = trie
            words = tuple(w.text for w in english_words(english))
            if not words:
                continue
            for word in words:
                node = node.setdefault(word, {})
            node[""] = english
        object.__setattr__(self, "_trie", trie)

    # -- construction -----------------------------------------------------------------
    @classmethod
    def load_default(cls) -> "Glossary":
        """The glossary shipped with the package (``rag/data/glossary.tsv``)."""
        from importlib.resources import files

        return cls.from_text(files("rag").joinpath("data/glossary.tsv").read_text(encoding="utf-8"), "glossary.tsv")

    @classmethod
    def from_file(cls, path: str | Path) -> "Glossary":
        """A glossary from a TSV file: ``english<TAB>中文1|中文2``, ``#`` comments."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise InputError(f"Cannot read glossary {str(path)!r}: {err}. Give a UTF-8 TSV file.") from err
        return cls.from_text(text, str(path))

    @classmethod
    def from_text(cls, text: str, name: str = "<glossary>") -> "Glossary":
        entries: dict[str, list[str]] = {}
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
                raise InputError(
                    f"Bad glossary line {number} in {name}: {line!r}. "
                    "Write 'english<TAB>中文1|中文2' (one tab, Chinese forms separated by '|')."
                )
            english = " ".join(parts[0].lower().split())
            forms = entries.setdefault(english, [])
            forms.extend(z.strip() for z in parts[1].split("|") if z.strip() and z.strip() not in forms)
        return cls({english: tuple(forms) for english, forms in entries.items()})

    def merged(self, other: "Glossary") -> "Glossary":
        """This glossary with ``other``'s entries added (its forms first where both have a term)."""
        entries = {k: tuple(v) for k, v in self.entries.items()}
        for english, forms in other.entries.items():
            entries[english] = tuple(dict.fromkeys((*forms, *entries.get(english, ()))))
        return Glossary(entries)

    # -- use ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, english: object) -> bool:
        return isinstance(english, str) and english.lower() in self.entries

    def get(self, english: str) -> tuple[str, ...]:
        """Chinese renderings of one English term (exact, case-insensitive), or ()."""
        return self.entries.get(" ".join(english.lower().split()), ())

    def lookup(self, text: str) -> list[GlossaryHit]:
        """Glossary terms in ``text``, left to right, longest match first, not overlapping."""
        words = english_words(text)
        hits: list[GlossaryHit] = []
        i = 0
        while i < len(words):
            best = self._longest(text, words, i)
            if best is None:
                i += 1
                continue
            english, j = best
            hits.append(GlossaryHit(english, self.entries[english], words[i].start, words[j].end))
            i = j + 1
        return hits

    def _longest(self, text: str, words: list[Word], i: int) -> tuple[str, int] | None:
        best: tuple[str, int] | None = None
        for english, j in self._walk(text, words, i, self._trie):
            if best is None or j > best[1]:
                best = (english, j)
        return best

    def _walk(self, text: str, words: list[Word], i: int, node: dict) -> Iterator[tuple[str, int]]:
        for form in word_forms(words[i].text):
            child = node.get(form)
            if child is None:
                continue
            if "" in child:
                yield child[""], i
            nxt = i + 1
            if nxt < len(words) and _JOINER.fullmatch(text[words[i].end : words[nxt].start]):
                yield from self._walk(text, words, nxt, child)
