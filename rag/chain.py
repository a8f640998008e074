"""The retrieval-augmented answer as one LangChain runnable:

    {question, history} -> standalone question (model, only with history) -> retriever
    -> numbered passages -> prompt -> chat model -> parsed, checked, cited :class:`Answer`

``build_chain(pipeline.retriever, chat_model)`` works with any ``BaseRetriever`` whose documents
carry the metadata of :func:`rag.langchain_retriever.passage_to_document` and any LangChain chat model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .models import Chunk, Passage

if TYPE_CHECKING:
    from langchain_core.documents import Document as LCDocument
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import Runnable

    from .answering.base import Answerer
    from .answering.llm import LLMAnswerer, LLMConfig, QuestionContext


def build_chain(
    retriever: "BaseRetriever",
    chat_model: "BaseChatModel",
    *,
    fallback: "Answerer | None" = None,
    config: "LLMConfig | None" = None,
    language_of: Callable[[str], str] | None = None,
    answerer: "LLMAnswerer | None" = None,
    context: "QuestionContext | None" = None,
) -> "Runnable":
    """A runnable taking a question string or ``{"question": str, "history": [(q, a), ...]}``
    and returning an :class:`~rag.models.Answer`. Model failures give the ``fallback``'s
    answer with a warning (or a refusal with a warning when there is no fallback).

    ``context`` (question -> term groups and vocabulary) lets the checks read English place
    names ("Hebei" on Inner Mongolia's figure is caught); by default it is the retriever's
    ``question_context`` (:class:`~rag.langchain_retriever.NewsRetriever` has one), or the
    shipped glossary for any other retriever."""
    from operator import itemgetter

    from langchain_core.runnables import RunnableLambda, RunnablePassthrough

    from .answering.llm import LLMAnswerer

    if context is None:
        context = getattr(retriever, "question_context", None) or glossary_context()
    llm = answerer or LLMAnswerer(chat_model, fallback=fallback, config=config, context=context)
    detect = language_of or _detect_language

    def to_inputs(value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            return {"question": value, "history": ()}
        if isinstance(value, Mapping) and isinstance(value.get("question"), str):
            return {"question": value["question"], "history": tuple(value.get("history") or ())}
        raise TypeError("The chain takes a question string or {'question': str, 'history': [...]}.")

    def prompt_inputs(x: dict[str, Any]) -> dict[str, str]:
        inputs = llm.prompt_inputs(x["standalone"], x["passages"], x["language"])
        return {**inputs, "language": x["language"]}

    def failed(x: dict[str, Any]) -> BaseException:
        return x["error"]

    # prompt (in the question's language) | chat model | text; a runnable returned by a lambda
    # is run on the same input, so callbacks and astream_events see the model's tokens.
    generate = (
        RunnableLambda(prompt_inputs).with_config(run_name="prompt_inputs")
        | RunnableLambda(lambda inputs: llm.generation(inputs["language"])).with_config(run_name="generate")
    ).with_fallbacks([RunnableLambda(failed)], exception_key="error")

    def finalize(x: dict[str, Any]) -> Any:
        raw = x["raw"]
        if isinstance(raw, BaseException):
            answer = llm.on_error(raw, x["question"], x["standalone"], x["passages"], x["language"])
        else:
            answer = llm.finalize(x["standalone"], raw, x["passages"], language=x["language"])
        from dataclasses import replace

        rewritten = x["standalone"] if x["standalone"] != x["question"] else None
        return replace(answer, question=x["question"], standalone_question=rewritten)

    return (
        RunnableLambda(to_inputs).with_config(run_name="inputs")
        | RunnablePassthrough.assign(
            standalone=RunnableLambda(lambda x: llm.condense(x["question"], x["history"])).with_config(
                run_name="condense_question"
            ),
            language=RunnableLambda(lambda x: detect(x["question"])).with_config(run_name="language"),
        )
        | RunnablePassthrough.assign(documents=itemgetter("standalone") | retriever)
        | RunnablePassthrough.assign(
            passages=RunnableLambda(lambda x: documents_to_passages(x["documents"])).with_config(
                run_name="number_passages"
            )
        )
        | RunnablePassthrough.assign(raw=generate)
        | RunnableLambda(finalize).with_config(run_name="cited_answer")
    ).with_config(run_name="news_rag_chain")


def documents_to_passages(documents: Sequence["LCDocument"]) -> list[Passage]:
    """LangChain documents (from :class:`rag.langchain_retriever.NewsRetriever`) back to passages, in order."""
    passages = []
    for rank, doc in enumerate(documents, 1):
        meta = doc.metadata or {}
        text = doc.page_content
        start = int(meta.get("start", 0))
        chunk = Chunk(
            chunk_id=str(meta.get("chunk_id") or doc.id or f"doc-{rank}"),
            source=str(meta.get("source", "")),
            article_ordinal=int(meta.get("article_ordinal", 0)),
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            text=text,
            start=start,
            end=int(meta.get("end", start + len(text))),
            n_tokens=int(meta.get("n_tokens", 0)),
        )
        passages.append(
            Passage(
                chunk=chunk,
                score=float(meta.get("score", 0.0)),
                rank=int(meta.get("rank", rank)),
                dense_rank=meta.get("dense_rank"),
                lexical_rank=meta.get("bm25_rank"),
                dense_score=meta.get("dense_score"),
            )
        )
    return passages


def glossary_context() -> "QuestionContext":
    """A question context from the shipped bilingual glossary alone (no corpus vocabulary), for
    retrievers that bring none: ``question -> (term groups, None)``."""
    from .crosslingual import bridge_query
    from .glossary import Glossary

    glossary = Glossary.load_default()

    def context(question: str) -> tuple[tuple[Any, ...], None]:
        return tuple(bridge_query(question, glossary, None)), None

    return context


def _detect_language(question: str) -> str:
    from .language import detect_language

    return detect_language(question)
