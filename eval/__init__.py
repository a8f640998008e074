"""Evaluation: golden QA sets, judging answers, metrics and reports for ``rag eval``."""
