"""Generative answers through a LangChain chat model (any OpenAI-compatible server), checked
after generation: citations must point at given passages and numbers must occur in them.
Failures fall back to the extractive answer; an unreachable model never crashes a question."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from ..errors import InputError, MissingDependencyError
from ..models import Answer, Passage
from . import grounding
from .base import Answerer, refusal
from .followup import condense_question
from .prompts import answer_inputs, answer_prompt

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from ..settings import Settings

# (question) -> (term groups, vocabulary); the same callable the extractive answerer takes.
QuestionContext = Callable[[str], Any]


@dataclass(frozen=True)
class LLMConfig:
    """How to reach the model and how much to ask of it."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 200
    max_retries: int = 1
    max_passages: int = 4  # passages put in the prompt (the best ones first)
    max_chars: int = 560  # total passage characters in the prompt (prompt speed on a CPU)
    per_passage: int = 180

    def __post_init__(self) -> None:
        if not self.base_url:
            raise InputError(
                "The llm mode needs an OpenAI-compatible endpoint: set RAG_LLM_BASE_URL "
                "(e.g. http://127.0.0.1:8000/v1), or use --mode extractive."
            )
        if not self.model:
            raise InputError(
                f"The llm mode needs a model name for {self.base_url}: set RAG_LLM_MODEL "
                "(e.g. qwen2.5-coder-1.5b-instruct)."
            )


def make_chat_model(config: LLMConfig, **overrides: Any) -> "BaseChatModel":
    """A ``langchain_openai.ChatOpenAI`` for the configured endpoint (temperature 0)."""
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as err:
        raise MissingDependencyError("langchain-openai", "llm", "The llm answer mode") from err
    params: dict[str, Any] = dict(
        base_url=config.base_url,
        model=config.model,
        api_key=config.api_key or "not-needed",
        temperature=config.temperature,
        max_tokens=config.max_tokens,
        timeout=config.timeout_s,
        max_retries=config.max_retries,
    )
    if not _is_openai(config.base_url):
        # ChatOpenAI sends "max_completion_tokens"; llama.cpp-style servers only read "max_tokens".
        params["extra_body"] = {"max_tokens": config.max_tokens}
    params.update(overrides)
    return ChatOpenAI(**params)


class LLMAnswerer(Answerer):
    """Mode ``llm``: numbered passages -> prompt -> chat model -> parsed, checked, cited Answer."""

    mode = "llm"

    def __init__(
        self,
        chat_model: "BaseChatModel",
        *,
        fallback: Answerer | None = None,
        context: QuestionContext | None = None,
        config: LLMConfig | None = None,
        endpoint: str = "",
    ) -> None:
        self.chat_model = chat_model
        self.fallback = fallback
        self.context = context
        self.config = config
        self.endpoint = endpoint or (config.base_url if config else "the LLM")
        self.max_passages = config.max_passages if config else 4
        self.max_chars = config.max_chars if config else 560
        self.per_passage = config.per_passage if config else 180

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, config: LLMConfig, **kwargs: Any) -> "LLMAnswerer":
        return cls(make_chat_model(config), config=config, **kwargs)

    @classmethod
    def from_settings(cls, settings: "Settings", **kwargs: Any) -> "LLMAnswerer":
        """Configured by RAG_LLM_BASE_URL / RAG_LLM_MODEL / RAG_LLM_API_KEY / llm_timeout_s."""
        config = LLMConfig(
            base_url=settings.llm_base_url or "",
            model=settings.llm_model or "",
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
        )
        return cls.from_config(config, **kwargs)

    # ------------------------------------------------------------------ runnables
    def generation(self, language: str) -> "Runnable":
        """The LangChain runnable prompt | model | text parser (input: :meth:`prompt_inputs`)."""
        from langchain_core.output_parsers import StrOutputParser

        return answer_prompt(language) | self.chat_model | StrOutputParser()

    def prompt_inputs(self, question: str, passages: Sequence[Passage], language: str) -> dict[str, str]:
        hints: list[str] = []
        if self.context is not None and language != "zh":
            groups = self.context(question)[0]
            hints = [form for group in groups for form in getattr(group, "chinese", ())]
        return answer_inputs(
            question,
            passages[: self.max_passages],
            language,
            max_chars=self.max_chars,
            per_passage=self.per_passage,
            hints=hints,
        )

    def place_names(self, text: str) -> list[tuple[str, tuple[str, ...]]]:
        """Places an answer names: Chinese ones by jieba's tags; English ones ("Hebei") through
        the glossary/pinyin bridge, with the Chinese forms a passage would use (河北, 河北省)."""
        from .followup import english_place_terms

        found = grounding.chinese_place_names(text)
        if self.context is not None and re.search(r"[A-Za-z]{3,}", text):
            for english, forms in english_place_terms(self.context(grounding.strip_markers(text))[0]):
                at = text.lower().find(english.lower())
                found.append((text[at : at + len(english)] if at >= 0 else english, forms))
        return found

    # ------------------------------------------------------------------ follow-ups
    def condense(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """The follow-up rewritten as a standalone question (unchanged without history). A bare
        follow-up about another place ("那河北呢？") is rewritten by the fallback's rules, which
        saves a model call (~2-3 s on a CPU); other follow-ups by the model, or by the rules when
        the model cannot be reached."""
        if not history:
            return question
        rules = getattr(self.fallback, "condense", None)
        if rules is not None:
            rewritten = rules(question, history)
            if rewritten != question:
                return rewritten
        try:
            return condense_question(self.chat_model, question, history)
        except Exception as err:  # noqa: BLE001 - any model/transport failure: rules instead
            if _describe(err, self.endpoint) is None:
                raise
            return question

    # ------------------------------------------------------------------ answering
    def _answer(self, question, passages, *, language, history) -> Answer:
        started = time.perf_counter()
        asked = question
        try:
            question = self.condense(question, history)
            raw = self.generation(language).invoke(self.prompt_inputs(question, passages, language))
        except Exception as err:  # noqa: BLE001 - classified below; unknown errors re-raised
            return self.on_error(err, asked, question, passages, language)
        answer = self.finalize(question, raw, passages, language=language)
        timings = {**answer.timings_ms, "llm": (time.perf_counter() - started) * 1000}
        return replace(answer, question=asked, timings_ms=timings)

    def stream(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str,
        history: Sequence[tuple[str, str]] = (),
    ) -> Iterator["str | Answer"]:
        """Yield text pieces as the model writes them, then the final checked :class:`Answer`
        (whose text, renumbered or replaced by the fallback, is what should stay on screen)."""
        if not isinstance(question, str) or not question.strip():
            raise InputError("The question is empty: type a question, e.g. '内蒙古已建成多少个社工站？'.")
        asked = question = question.strip()
        passages = list(passages)
        started = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        try:
            question = self.condense(question, history)
            for piece in self.generation(language).stream(self.prompt_inputs(question, passages, language)):
                if not piece:
                    continue
                if first is None:
                    first = time.perf_counter()
                pieces.append(piece)
                yield piece
        except Exception as err:  # noqa: BLE001 - classified below; unknown errors re-raised
            yield self.on_error(err, asked, question, passages, language)
            return
        answer = self.finalize(question, "".join(pieces), passages, language=language)
        done = time.perf_counter()
        timings = {**answer.timings_ms, "llm": (done - started) * 1000}
        if first is not None:
            timings["llm_first_token"] = (first - started) * 1000
        yield replace(answer, question=asked, timings_ms=timings)

    def finalize(self, question: str, raw: str, passages: Sequence[Passage], *, language: str) -> Answer:
        """Parse the model's text into an Answer; run the grounding checks; repair or flag."""
        passages = list(passages)
        given = passages[: self.max_passages]  # the ones the prompt numbered 1..n
        text = grounding.tidy_markers(grounding.normalise_markers((raw or "").strip()))
        if not text:
            return self._fallback(question, passages, language, ["The LLM returned an empty answer."], None)
        if grounding.is_refusal(text):
            # A small model often misses an answer that is there: when the extractive reader
            # finds one in the same passages, show it (flagged) rather than a false refusal.
            if self.fallback is not None:
                alt = self.fallback.answer(question, passages, language=language)
                if not alt.refused:
                    note = "The LLM found no answer in the passages; the answer extracted from them is shown instead."
                    return replace(alt, warnings=(*alt.warnings, note))
            return refusal(question, language, self.mode)
        warnings: list[str] = []
        places = functools.lru_cache(maxsize=8)(self.place_names)  # each text analysed once

        def check(answer_text: str) -> grounding.GroundingReport:
            return grounding.check(answer_text, given, question, places)

        report = check(text)
        if report.invalid:
            warnings.append(report.problems()[0] + " Those markers were removed.")
            text = grounding.drop_markers(text, report.invalid)
            report = check(text)
        if not report.cited:
            # Small models often drop the markers: cite the passages that hold its numbers.
            attributed = grounding.attribute(text, given)
            if attributed is not None:
                text, report = attributed, check(attributed)
        elif report.unsupported:
            # ... or cite the wrong one: re-cite when every number sits in some given passage.
            attributed = grounding.attribute(grounding.drop_markers(text, report.cited), given)
            recited = check(attributed) if attributed is not None else None
            if recited is not None and recited.ok:
                warnings.append("The LLM cited the wrong passage; its citations were corrected.")
                text, report = attributed, recited
        if not report.ok:
            draft = Answer(
                question=question,
                answer=grounding.renumber(text, report.cited) if report.cited else text,
                refused=False,
                language=language,
                mode=self.mode,
                citations=grounding.build_citations(given, report.cited, report),
                grounded=False,
            )
            # A number, quotation or place no cited passage holds is a made-up fact: never shown, even
            # flagged (the extractive answer or a refusal instead). An answer that merely lacks
            # citations is shown flagged when nothing better exists.
            fabricated = bool(report.unsupported or report.misquoted or report.misplaced)
            problems = warnings + report.problems()
            return self._fallback(question, passages, language, problems, None if fabricated else draft)
        short, confidence = self._short_answer(question, text, passages, language)
        return Answer(
            question=question,
            answer=grounding.renumber(text, report.cited),
            refused=False,
            language=language,
            mode=self.mode,
            citations=grounding.build_citations(given, report.cited, report),
            grounded=True,
            warnings=tuple(warnings),
            short_answer=short,
            confidence=confidence,
        )

    def _short_answer(self, question: str, text: str, passages: Sequence[Passage], language: str) -> tuple[str, float]:
        """The bare answer of an LLM text and its confidence: the reader's span when the model's
        answer states it (the reader's calibrated confidence), else the model's first clause with
        half that confidence (the two readers disagree)."""
        import re

        bare = re.sub(r"\s*[\[［]\d+[\]］]", "", text).strip()
        first = re.split(r"[。；;\n]|(?<=[a-z0-9%])\.(?:\s|$)| — ", bare, maxsplit=1)[0].strip(" ，,：:")
        candidates = getattr(self.fallback, "candidates", None)
        if candidates is None:
            return first[:200], 0.5
        cands = candidates(question, passages, language)
        if not cands:
            return first[:200], 0.0
        best = cands[0]
        confidence = best.confidence
        squash = lambda s: re.sub(r"\W+", "", s).lower()  # noqa: E731
        if squash(best.text) and squash(best.text) in squash(bare):
            return best.text, round(confidence, 4)
        return first[:200], round(confidence / 2, 4)

    # ------------------------------------------------------------------ failures
    def _fallback(
        self,
        question: str,
        passages: Sequence[Passage],
        language: str,
        problems: list[str],
        draft: Answer | None,
    ) -> Answer:
        """The extractive answer (with the problems as warnings) when it answers; otherwise the
        LLM draft flagged ``grounded=False``; otherwise a refusal."""
        if self.fallback is not None:
            alt = self.fallback.answer(question, passages, language=language)
            if not alt.refused or draft is None:
                note = "; the extractive answer is shown instead." if not alt.refused else "."
                return replace(alt, warnings=tuple(alt.warnings) + tuple(_join(problems, note)))
        if draft is not None:
            return replace(draft, grounded=False, warnings=tuple(_join(problems, ".")))
        return refusal(question, language, self.mode, warnings=_join(problems, "."))

    def on_error(
        self, err: Exception, asked: str, question: str, passages: Sequence[Passage], language: str
    ) -> Answer:
        reason = _describe(err, self.endpoint)
        if reason is None:
            raise err
        answer = self._fallback(question, passages, language, [reason], None)
        return replace(answer, question=asked)


def _is_openai(base_url: str) -> bool:
    from urllib.parse import urlparse

    return (urlparse(base_url).hostname or "").endswith("openai.com")


def _join(problems: list[str], note: str) -> list[str]:
    """Problems as warnings; the last one carries what was done about them."""
    if not problems:
        return []
    *head, last = problems
    return head + [last.rstrip(".") + note]


def _describe(err: BaseException, endpoint: str) -> str | None:
    """A one-line reason for a model/transport failure, or None for other errors (bugs)."""
    try:
        import openai
    except ImportError:  # pragma: no cover - langchain-openai depends on it
        openai = None  # type: ignore[assignment]
    import httpx

    if openai is not None:
        if isinstance(err, openai.APITimeoutError):
            return f"The LLM at {endpoint} timed out"
        if isinstance(err, openai.APIConnectionError):
            return f"The LLM at {endpoint} could not be reached ({_cause(err)})"
        if isinstance(err, openai.RateLimitError):
            return f"The LLM at {endpoint} is rate-limiting requests (HTTP 429)"
        if isinstance(err, openai.AuthenticationError):
            return f"The LLM at {endpoint} rejected the API key (HTTP 401): check RAG_LLM_API_KEY"
        if isinstance(err, openai.NotFoundError):
            return f"The LLM at {endpoint} does not know the model or path (HTTP 404): check RAG_LLM_MODEL and RAG_LLM_BASE_URL"
        if isinstance(err, openai.APIStatusError):
            return f"The LLM at {endpoint} failed with HTTP {err.status_code}"
        if isinstance(err, openai.APIError):
            return f"The LLM at {endpoint} failed ({type(err).__name__})"
    if isinstance(err, httpx.TimeoutException):
        return f"The LLM at {endpoint} timed out"
    if isinstance(err, (httpx.HTTPError, ConnectionError, TimeoutError)):
        return f"The LLM at {endpoint} could not be reached ({type(err).__name__})"
    return None


def _cause(err: BaseException) -> str:
    inner = err.__cause__ or err.__context__
    return type(inner).__name__ if inner is not None else type(err).__name__
