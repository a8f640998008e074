"""Settings precedence: flag > environment > config.toml > default."""

import pytest

from rag.errors import InputError
from rag.settings import load_settings


def test_defaults(tmp_path):
    s = load_settings({"home": tmp_path}, environ={})
    assert s.mode == "extractive" and s.embeddings == "e5-small-int4" and s.vector_store == "faiss"
    assert s.index_dir == tmp_path / "index"


def test_precedence(tmp_path):
    (tmp_path / "config.toml").write_text('k = 7\nmode = "llm"\nchunk_tokens = 300\n', encoding="utf-8")
    env = {"RAG_HOME": str(tmp_path), "RAG_K": "9"}
    s = load_settings({}, environ=env)
    assert s.k == 9 and s.mode == "llm" and s.chunk_tokens == 300
    s = load_settings({"k": 3}, environ=env)
    assert s.k == 3


def test_openai_fallback_variables(tmp_path):
    s = load_settings({"home": tmp_path}, environ={"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1", "OPENAI_API_KEY": "x"})
    assert s.llm_base_url == "http://127.0.0.1:8080/v1" and s.llm_api_key == "x"


@pytest.mark.parametrize(
    "flags, message",
    [({"mode": "magic"}, "magic"), ({"k": 0}, "k=0"), ({"vector_store": "redis"}, "redis")],
)
def test_bad_values_name_the_value(tmp_path, flags, message):
    with pytest.raises(InputError, match=message):
        load_settings({"home": tmp_path, **flags}, environ={})


def test_bad_config_file_is_reported(tmp_path):
    (tmp_path / "config.toml").write_text("nonsense = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="nonsense"):
        load_settings({"home": tmp_path}, environ={})


def test_the_glossed_weight_and_share_are_read_from_the_environment_and_checked(tmp_path):
    s = load_settings({"home": tmp_path}, environ={"RAG_EN_GLOSSED_SHARE": "0.5", "RAG_EN_GLOSSED_LEXICAL_WEIGHT": "2"})
    assert (s.en_glossed_share, s.en_glossed_lexical_weight) == (0.5, 2.0)
    with pytest.raises(InputError, match=r"en_glossed_share=1\.5 is out of range: use 0\.\.1"):
        load_settings({"home": tmp_path}, environ={"RAG_EN_GLOSSED_SHARE": "1.5"})


def test_english_lexical_weight_is_read_from_the_environment_and_checked(tmp_path):
    s = load_settings({"home": tmp_path}, environ={"RAG_EN_LEXICAL_WEIGHT": "0.5"})
    assert s.en_lexical_weight == 0.5 and s.lexical_weight == 1.0
    with pytest.raises(InputError, match=r"en_lexical_weight=-1\.0 is out of range"):
        load_settings({"home": tmp_path}, environ={"RAG_EN_LEXICAL_WEIGHT": "-1"})
