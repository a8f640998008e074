"""The shipped bilingual glossary: coverage of places and lookups a user's wording needs."""

from __future__ import annotations

import pytest

from rag.errors import InputError
from rag.glossary import Glossary

PROVINCIAL_DIVISIONS = {
    # 23 provinces
    "hebei": "河北", "shanxi": "山西", "liaoning": "辽宁", "jilin": "吉林", "heilongjiang": "黑龙江",
    "jiangsu": "江苏", "zhejiang": "浙江", "anhui": "安徽", "fujian": "福建", "jiangxi": "江西",
    "shandong": "山东", "henan": "河南", "hubei": "湖北", "hunan": "湖南", "guangdong": "广东",
    "hainan": "海南", "sichuan": "四川", "guizhou": "贵州", "yunnan": "云南", "shaanxi": "陕西",
    "gansu": "甘肃", "qinghai": "青海", "taiwan": "台湾",
    # 5 autonomous regions
    "inner mongolia": "内蒙古", "guangxi": "广西", "tibet": "西藏", "ningxia": "宁夏", "xinjiang": "新疆",
    # 4 municipalities
    "beijing": "北京", "tianjin": "天津", "shanghai": "上海", "chongqing": "重庆",
    # 2 special administrative regions
    "hong kong": "香港", "macau": "澳门",
}


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.load_default()


def test_all_34_provincial_divisions_present(glossary):
    assert len(PROVINCIAL_DIVISIONS) == 34
    for english, chinese in PROVINCIAL_DIVISIONS.items():
        assert chinese in glossary.get(english), english


def test_provinces_map_to_short_and_full_names(glossary):
    assert {"河北", "河北省"} <= set(glossary.get("hebei"))
    assert {"内蒙古", "内蒙古自治区"} <= set(glossary.get("inner mongolia"))
    assert {"广西", "广西壮族自治区"} <= set(glossary.get("guangxi"))
    assert glossary.get("xizang") == glossary.get("tibet")
    assert "澳门" in glossary.get("macao")


@pytest.mark.parametrize(
    "english, chinese",
    [("shenzhen", "深圳"), ("suzhou", "苏州"), ("qingdao", "青岛"), ("dalian", "大连"), ("xiamen", "厦门"),
     ("ningbo", "宁波"), ("wuxi", "无锡"), ("dongguan", "东莞"), ("foshan", "佛山"), ("wenzhou", "温州"),
     ("shaoxing", "绍兴"), ("langfang", "廊坊"), ("xiangtan", "湘潭"), ("dali", "大理"), ("ordos", "鄂尔多斯"),
     ("mudanjiang", "牡丹江"), ("hohhot", "呼和浩特"), ("urumqi", "乌鲁木齐"), ("lhasa", "拉萨"), ("xi'an", "西安")],
)
def test_cities(glossary, english, chinese):
    assert chinese in glossary.get(english)


def test_size_and_format(glossary):
    assert 400 <= len(glossary) <= 1500
    for english, forms in glossary.entries.items():
        assert english == english.lower() and forms, english
        assert all(f.strip() == f and f for f in forms), english


def _found(glossary, text):
    return [(text[h.start : h.end], h.english, h.zh) for h in glossary.lookup(text)]


def test_longest_match_and_plural(glossary):
    hits = _found(glossary, "How many certified social workers are there in Inner Mongolia?")
    spans = [span for span, _, _ in hits]
    assert "certified social workers" in spans and "Inner Mongolia" in spans
    by_span = {span: zh for span, _, zh in hits}
    assert "持证社工" in by_span["certified social workers"]
    assert "内蒙古" in by_span["Inner Mongolia"]
    assert "高校" in glossary.lookup("Which universities?")[0].zh


def test_possessive_hyphen_and_parentheses(glossary):
    hits = _found(glossary, "What share of Inner Mongolia's townships have an anti-drug station?")
    assert ("Inner Mongolia", "inner mongolia") in [(s, e) for s, e, _ in hits]
    assert any("禁毒" in zh for _, _, zh in hits)
    hits = _found(glossary, "How many township (street) social work stations?")
    assert hits[-1][1] == "township (street) social work station"
    assert "乡镇（街道）社工站" in hits[-1][2]
    assert glossary.lookup("Sino-French seminar")[0].zh == ("中法",)
    for text in ("social work master's programmes", "social work master’s programmes"):  # inside a phrase
        assert "硕士点" in dict((e, zh) for _, e, zh in _found(glossary, text))["master's programme"]


def test_words_inside_other_words_do_not_match(glossary):
    assert glossary.lookup("hebeian caseworkers") == []
    assert glossary.lookup("Hello, community.")[0].english == "community"


def test_from_file_reports_bad_lines(tmp_path):
    good = tmp_path / "g.tsv"
    good.write_text("# comment\nforum\t论坛\nforum\t坛|论坛\n", encoding="utf-8")
    assert Glossary.from_file(good).get("Forum") == ("论坛", "坛")
    bad = tmp_path / "bad.tsv"
    bad.write_text("forum 论坛\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1"):
        Glossary.from_file(bad)
    with pytest.raises(InputError, match="Cannot read"):
        Glossary.from_file(tmp_path / "missing.tsv")
