"""Checks on a generated answer: are its [n] citations real; does every number it states occur
(after unit normalisation, 3.9万 == 39,000) in a passage it cites; is every phrase it puts in
quotation marks written in one of them; is every place it names named in one of them?"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Sequence

from ..language import HAN_CHAR
from ..models import Citation, Passage
from .base import REFUSAL

# [1]  [1, 2]  [1][2]  【1】  [1-2]  [Passage 1]  (fullwidth digits are normalised first)
_MARKER = re.compile(r"[\[【［]\s*(?:passages?|passage|段落|资料)?\s*(\d{1,2}(?:\s*(?:[,，、;；]|-|–|~|and)\s*\d{1,2})*)\s*[\]】］]", re.I)
_CANONICAL = re.compile(r"\[(\d+)\]")
_REFUSAL_PATTERNS = re.compile(
    r"articles? (?:don'?t|do not|does not|doesn'?t) (?:say|mention|contain)|"
    r"passages? (?:don'?t|do not|does not|doesn'?t) (?:say|mention|contain|provide)|"
    r"(?:no|not any) (?:relevant )?information|not (?:mentioned|stated|provided|available) in the (?:passages|articles)|"
    r"没有相关信息|资料中没有|未提及|没有提及|没有提到|无法回答|未提供",
    re.I,
)


@dataclass(frozen=True)
class GroundingReport:
    """What the checks found. ``cited`` lists passage numbers in order of first citation."""

    cited: tuple[int, ...]
    invalid: tuple[int, ...]  # [n] with no passage n
    unsupported: tuple[str, ...]  # numbers (as written) absent from every cited passage
    supported_at: tuple[tuple[int, int, int], ...] = ()  # (passage n, start, end) of a matched number
    misquoted: tuple[str, ...] = ()  # quoted phrases no cited passage contains
    misplaced: tuple[str, ...] = ()  # places named in the answer that no cited passage names

    @property
    def ok(self) -> bool:
        return (
            bool(self.cited)
            and not self.invalid
            and not self.unsupported
            and not self.misquoted
            and not self.misplaced
        )

    def problems(self, language: str = "en") -> list[str]:
        """Short warnings for ``Answer.warnings``."""
        out = []
        if self.invalid:
            out.append(f"The LLM answer cited passage(s) {_list(self.invalid)} that it was not given.")
        if not self.cited:
            out.append("The LLM answer cites no passage.")
        if self.unsupported:
            out.append(
                f"The LLM answer states {', '.join(self.unsupported)}, which no passage it cites contains."
            )
        if self.misquoted:
            quoted = ", ".join(f"“{q}”" for q in self.misquoted)
            out.append(f"The LLM answer quotes {quoted}, which no passage it cites contains.")
        if self.misplaced:
            out.append(f"The LLM answer names {', '.join(self.misplaced)}, which no passage it cites mentions.")
        return out


def normalise_markers(text: str) -> str:
    """Citations rewritten as plain ``[n]`` markers: ``[1, 2]`` -> ``[1][2]``, ``【3】`` -> ``[3]``."""
    text = text.translate(_FULLWIDTH_DIGITS)

    def canonical(m: re.Match) -> str:
        body = m.group(1)
        numbers: list[int] = []
        for piece in re.split(r"\s*(?:[,，、;；]|and)\s*", body):
            bounds = re.split(r"\s*(?:-|–|~)\s*", piece)
            if len(bounds) == 2 and all(b.isdigit() for b in bounds) and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 9:
                numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
            elif piece.isdigit():
                numbers.append(int(piece))
        return "".join(f"[{n}]" for n in numbers)

    return _MARKER.sub(canonical, text)


def tidy_markers(text: str) -> str:
    """Markers written after the sentence's full stop move before it: "…站。[1]" -> "…站[1]。"."""

    def move(m: re.Match) -> str:
        before = m.group(1)
        sep = " " if before[-1:].isascii() and not before[-1:].isspace() else ""
        return f"{before}{sep}{m.group(3)}{m.group(2)}"

    return re.sub(r"(\S?)([。.!！?？])[ \t]*((?:\[\d+\])+)", move, text)


def cited_numbers(text: str) -> list[int]:
    """Passage numbers cited in (normalised) text, in order of first appearance."""
    return list(dict.fromkeys(int(n) for n in _CANONICAL.findall(text)))


def strip_markers(text: str) -> str:
    """The answer without its [n] markers (so they are not taken for stated numbers)."""
    return _CANONICAL.sub(" ", text)


def is_refusal(text: str) -> bool:
    """Whether the model said the passages do not contain the answer (and cited nothing)."""
    plain = strip_markers(text).strip().strip("。.!！ \"'“”")
    if not plain:
        return False
    if any(plain == r.strip("。.") for r in REFUSAL.values()):
        return True
    return not cited_numbers(text) and bool(_REFUSAL_PATTERNS.search(plain))


# (answer text) -> the places it names: (name as written, Chinese forms to look for in passages)
PlaceNames = Callable[[str], Sequence[tuple[str, Sequence[str]]]]


def check(
    text: str, passages: Sequence[Passage], question: str = "", places: PlaceNames | None = None
) -> GroundingReport:
    """Run the checks on normalised answer text against the passages it was given (quoting the
    question's own words is not a misquotation). ``places`` finds the places an answer names
    (default: Chinese place names by jieba's tags)."""
    from ..numbers import extract_numbers

    cited = cited_numbers(text)
    valid = [n for n in cited if 1 <= n <= len(passages)]
    invalid = tuple(n for n in cited if n not in valid)
    evidence: list[tuple[int, object, int]] = []  # (n, mention, offset of chunk.text in the checked text)
    for n in valid:
        chunk = passages[n - 1].chunk
        head = f"{chunk.title}\n{chunk.section}\n"
        for mention in extract_numbers(head + chunk.text):
            evidence.append((n, mention, len(head)))
    unsupported: list[str] = []
    supported_at: list[tuple[int, int, int]] = []
    for mention in extract_numbers(strip_markers(text)):
        match = next((e for e in evidence if same_number(mention, e[1])), None)
        if match is None:
            if mention.text.strip() not in unsupported:
                unsupported.append(mention.text.strip())
        else:
            n, found, offset = match
            if found.start >= offset:
                supported_at.append((n, found.start - offset, found.end - offset))
    cited_passages = [passages[n - 1] for n in valid]
    misquoted = misquotes(text, cited_passages, question)
    misplaced = misplaced_names(text, cited_passages, places or chinese_place_names)
    return GroundingReport(
        tuple(valid), invalid, tuple(unsupported), tuple(supported_at), misquoted, misplaced
    )


# Names of the whole country: national news says 全国/我国 where an answer says 中国.
_NATIONAL = {"中国", "我国", "全国", "国内", "中华人民共和国", "China", "china"}


def chinese_place_names(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Chinese place names in ``text`` (jieba ``ns`` tags), each looked for as written."""
    from .followup import chinese_places

    return [(name, (name,)) for name in chinese_places(strip_markers(text)) if len(name) >= 2]


def misplaced_names(text: str, cited: Sequence[Passage], places: PlaceNames) -> tuple[str, ...]:
    """Places the answer names that no cited passage (title, section or text) mentions in any form:
    "河北全区已建成社工站850个[1]" citing the Inner Mongolia article. Names of the whole country
    are not checked. Short forms count: 河北 is found in 河北省."""
    if not cited:
        return ()
    sources = "\n".join(_cited_text(cited))
    bad = []
    for name, forms in places(text):
        if name in _NATIONAL or any(f in _NATIONAL for f in forms):
            continue
        if not any(_bare(form) and _bare(form) in sources for form in forms):
            bad.append(name)
    return tuple(dict.fromkeys(bad))


def quotations(text: str) -> list[str]:
    """Phrases the answer puts in quotation marks (“…”, "…", 「…」, 『…』), markers removed."""
    plain = strip_markers(text)
    found = [m.group(1) or m.group(2) or m.group(3) or m.group(4) for m in _QUOTED.finditer(plain)]
    return [q.strip() for q in found if len(_bare(q)) >= 2]


def misquotes(text: str, cited: Sequence[Passage], question: str = "") -> tuple[str, ...]:
    """Quoted phrases that no cited passage contains (compared without spaces, punctuation or
    case, so OCR line breaks and 、 vs ， do not matter).

    A quotation claims the source's own words. A Latin-script quote of Chinese sources is a
    translation, accepted only as a gloss: next to a Chinese quote that is verified, e.g.
    “知行合一” ("unity of knowledge and action"); alone it cannot be checked and is flagged."""
    quotes = quotations(text)
    if not quotes:
        return ()
    sources = _cited_text(cited)
    verified = [q for q in quotes if any(_bare(q) in s for s in sources)]
    glossed = any(_CJK.search(q) for q in verified)
    asked = _bare(question)
    bad = [
        q
        for q in quotes
        if q not in verified and _bare(q) not in asked and (_CJK.search(q) or not glossed)
    ]
    return tuple(dict.fromkeys(bad))


def _cited_text(cited: Sequence[Passage]) -> list[str]:
    """Title, section and text of each cited passage, bare (see :func:`_bare`)."""
    return [_bare(f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}") for p in cited]


def _bare(text: str) -> str:
    """Lower-case text without whitespace and punctuation (for quotation matching)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith(("P", "S")))


def attribute(text: str, passages: Sequence[Passage]) -> str | None:
    """Citations added to an answer that has none: each number it states is traced to the first
    given passage containing it, and those passages are cited at the end of the sentence.
    None when the answer states no number or a number no passage contains."""
    from ..numbers import extract_numbers

    mentions = extract_numbers(strip_markers(text))
    if not mentions or cited_numbers(text):
        return None
    found: list[int] = []
    for mention in mentions:
        n = next(
            (
                i
                for i, p in enumerate(passages, 1)
                if any(same_number(mention, m) for m in extract_numbers(f"{p.chunk.title}\n{p.chunk.text}"))
            ),
            None,
        )
        if n is None:
            return None
        if n not in found:
            found.append(n)
    markers = "".join(f"[{n}]" for n in found)
    body = text.rstrip()
    end = re.search(r"[。．.!！?？]+$", body)
    head, tail = (body[: end.start()], end.group(0)) if end else (body, "")
    sep = " " if head[-1:].isascii() else ""
    return f"{head}{sep}{markers}{tail}"


def same_number(a: object, b: object) -> bool:
    """Equal values after unit normalisation (3.9万 vs 39,000; 85% vs 85％)."""
    x, y = float(getattr(a, "value")), float(getattr(b, "value"))
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def drop_markers(text: str, numbers: Sequence[int]) -> str:
    """Remove the given [n] markers (citations to passages that were not given)."""
    bad = set(numbers)
    out = _CANONICAL.sub(lambda m: "" if int(m.group(1)) in bad else m.group(0), text)
    out = re.sub(r"[ \t]+([。．.,，!！?？;；:：])", r"\1", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def renumber(text: str, cited: Sequence[int]) -> str:
    """Rewrite [old] markers as [new], new = position of ``old`` in ``cited`` (1-based);
    repeated adjacent markers collapse ([1][1] -> [1])."""
    mapping = {old: new for new, old in enumerate(cited, 1)}
    out = _CANONICAL.sub(lambda m: f"[{mapping[int(m.group(1))]}]" if int(m.group(1)) in mapping else "", text)
    return re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", out)


def build_citations(
    passages: Sequence[Passage], cited: Sequence[int], report: GroundingReport | None = None
) -> tuple[Citation, ...]:
    """Citations for the cited passages only, numbered 1.. in citation order; each one's span
    marks the first number of the answer found in it, when there is one."""
    spans: dict[int, tuple[int, int]] = {}
    for n, start, end in report.supported_at if report else ():
        spans.setdefault(n, (start, end))
    citations = []
    for new, old in enumerate(cited, 1):
        passage = passages[old - 1]
        chunk = passage.chunk
        citations.append(
            Citation(
                n=new,
                source=chunk.source,
                title=chunk.title,
                text=chunk.text,
                start=chunk.start,
                end=chunk.end,
                score=round(passage.score, 6),
                span=spans.get(old),
            )
        )
    return tuple(citations)


def _list(numbers: Sequence[int]) -> str:
    return ", ".join(f"[{n}]" for n in numbers)


_QUOTED = re.compile(r"“([^”\n]{1,120})”|\"([^\"\n]{1,120})\"|「([^」\n]{1,120})」|『([^』\n]{1,120})』")
_CJK = HAN_CHAR
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
