"""Answer modes: extractive (default, no LLM) and llm; picked by ``create_answerer``."""
