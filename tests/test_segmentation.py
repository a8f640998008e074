"""Article segmentation on the real sample pages and on a page laid out differently."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from rag.cleaning import clean_text
from rag.loading import load_document
from rag.models import Document
from rag.segmentation import segment

CORPUS = Path(__file__).resolve().parents[1] / "rag" / "data" / "corpus"

EXPECTED_TITLES = {
    "000": {
        "中法社会工作服务研讨会在京召开",
        "黑龙江绥芬河：强化社工人才队伍培养",
        "甘肃定西：汇聚社工力量激发基层治理活力",
    },
    "001": {
        "中国社会工作联合会会长陈存根一行调研北京青少年社会工作研究院",
        "河北省民政厅召开全省慈善社工工作推进暨社工站全覆盖现场会",
        "沪甘签署“十四五”社工机构“牵手计划”合作协议 助力社会工作参与乡村振兴",
    },
    "002": {
        "中国社会工作联合会会长陈存根赴浙江开展社会工作调研",
        "湖南湘潭：多措并举 激发社会工作人才队伍新动能",
        "上海市嘉定区首家精神健康社工站揭牌",
    },
    "003": {"陈存根一行调研江苏社会工作发展情况"},
    "004": {
        "中国社会工作联合会社会工作培训基地落户大理大学",
        "两百余名专家学者聚首昆明 共同推动禁毒社会工作高质量发展",
        "内蒙古自治区民政厅: 创新“五社联动”机制 推进社会工作高质量发展",
    },
}


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _page(prefix: str) -> Document:
    return load_document(next(CORPUS.glob(f"{prefix}_*.txt")))


def _article(articles, title_part: str):
    return next(a for a in articles if a.kind == "article" and title_part in a.title)


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_article_titles_per_page(prefix):
    articles = segment(_page(prefix))
    titles = {_squash(a.title) for a in articles if a.kind == "article"}
    assert titles == {_squash(t) for t in EXPECTED_TITLES[prefix]}
    assert [a.ordinal for a in articles] == list(range(len(articles)))
    assert all(a.text.strip() for a in articles)
    assert all(a.title == "" for a in articles if a.kind == "page")


@pytest.mark.parametrize(
    ("prefix", "title_part", "body_part"),
    [
        ("004", "内蒙古", "全区已建成社工站850个"),
        ("000", "绥芬河", "累计招聘社工人才134人"),
        ("000", "中法社会工作服务研讨会", "法国驻华大使馆联合主办"),  # lead printed at page end
        ("000", "中法社会工作服务研讨会", "中法友谊源远流长"),  # body printed before its title
        ("000", "甘肃定西", "持证社工337人"),
        ("001", "沪甘签署", "上海市民政局副局长李雅平"),
        ("001", "北京青少年", "首都师范大学副校长"),
        ("002", "浙江", "枫桥经验"),
        ("002", "湘潭", "通过人数为426人"),
        ("002", "嘉定", "鼓圈治疗"),
        ("003", "江苏", "为期4天"),  # lead printed above byline and title
        ("003", "江苏", "苏宁集团总部"),
    ],
)
def test_each_body_belongs_to_its_article(prefix, title_part, body_part):
    articles = segment(_page(prefix))
    owners = [a for a in articles if body_part in _squash(a.text)]
    assert len(owners) == 1
    assert owners[0].kind == "article" and title_part in owners[0].title


@pytest.mark.parametrize(
    ("prefix", "title_part", "origin"),
    [
        ("000", "中法", "中国社会工作联合会"),
        ("000", "绥芬河", "黑龙江日报"),
        ("001", "河北省民政厅", "河北省民政厅"),
        ("002", "湘潭", "湘潭市民政局"),  # "（据…）" at the end of a body line
        ("004", "内蒙古", "内蒙古自治区人民政府官网"),
    ],
)
def test_origin_is_captured(prefix, title_part, origin):
    assert _article(segment(_page(prefix)), title_part).origin == origin


def test_bylines_are_captured():
    assert _article(segment(_page("001")), "河北").byline == "本报记者 张明敏"
    assert _article(segment(_page("002")), "湘潭").byline == "本报记者 高文兴"
    assert _article(segment(_page("003")), "江苏").byline == "本报记者 于俊如"


def test_sections_are_found_and_point_into_the_text():
    hunan = _article(segment(_page("002")), "湘潭")
    assert [s.heading for s in hunan.sections] == [
        "完善制度强保障，打造社工人才培育“强磁场”",
        "梯队培训提能力，建设社工人才发展“加速器”",
        "拓宽渠道尽其才，促进社会工作事业“开新局”",
    ]
    jiangsu = _article(segment(_page("003")), "江苏")
    assert _squash(jiangsu.sections[0].heading) == "首站昆山市：大力推进社区发展基金设立"
    mongolia = _article(segment(_page("004")), "内蒙古")
    assert len(mongolia.sections) == 3
    for article in (hunan, jiangsu, mongolia):
        for section in article.sections:
            assert article.text[section.start :].startswith(section.heading)
        offset = article.text.index("全区已建成社工站850个") if article is mongolia else None
        if offset is not None:
            assert article.section_at(offset) == "坚持夯实基础,加快构建三级社工服务平台"


def test_caption_and_teasers_are_not_titles_but_stay_searchable():
    caption_page = segment(_page("003"))
    page_bits = " ".join(a.text for a in caption_page if a.kind == "page")
    assert "陈存根一行参访" in page_bits
    teasers = segment(_page("001"))
    assert any("超九成乡镇建成社工站" in a.text for a in teasers if a.kind == "page")


_MARKER = re.compile(r"[（(]\s*据[^（）()]*[）)]|■|#+|本报记者|本报通讯员")


@pytest.mark.parametrize("prefix", sorted(EXPECTED_TITLES))
def test_nothing_is_dropped(prefix):
    doc = _page(prefix)
    articles = segment(doc)

    def cjk(text: str) -> Counter[str]:
        return Counter(ch for ch in _MARKER.sub("", text) if "\u4e00" <= ch <= "\u9fff")

    page = cjk(doc.text)
    covered = cjk("".join(a.title + a.text + a.byline for a in articles))
    assert page - covered == Counter()  # every character of the page is in some article
    assert sum(covered.values()) == sum(page.values())  # and none is counted twice


SYNTHETIC = """\
 社区食堂开进老旧小区
■ 本报记者 李华
\u3000\u3000本月起，南岗区十二个老旧小
区陆续开设社区食堂，为六十岁以
上老人提供每餐八元的午餐。
\u3000\u3000食堂由街道社工站统筹运营，
志愿者每天上门为行动不便的老人
送餐，已服务老人两千余人次。
（据南岗区民政局）
 青年志愿者服务队成立
■ 本报通讯员 王芳
\u3000\u3000近日，东湖街道青年志愿者服
务队正式成立，首批队员八十名，
将参与社区环境整治和助老服务。
\u3000\u3000服务队每月组织一次集中活动，
并与社工站合作开展技能培训。
（据东湖街道办事处）
"""


def test_title_first_layout_with_byline_and_origin():
    doc = Document(
        source="synthetic.txt", path="/tmp/synthetic.txt", raw_text=SYNTHETIC,
        text=clean_text(SYNTHETIC), sha256="0" * 64,
    )  # fmt: skip
    articles = segment(doc)
    assert [(a.kind, a.title, a.byline, a.origin) for a in articles] == [
        ("article", "社区食堂开进老旧小区", "本报记者 李华", "南岗区民政局"),
        ("article", "青年志愿者服务队成立", "本报通讯员 王芳", "东湖街道办事处"),
    ]
    canteen, volunteers = articles
    assert canteen.text.split("\n") == [
        "本月起，南岗区十二个老旧小区陆续开设社区食堂，为六十岁以上老人提供每餐八元的午餐。",
        "食堂由街道社工站统筹运营，志愿者每天上门为行动不便的老人送餐，已服务老人两千余人次。",
    ]
    assert "首批队员八十名" in volunteers.text and "技能培训" in volunteers.text


def test_page_without_any_title_is_kept_as_one_page_article():
    text = clean_text("今天天气很好。\n我们去公园散步。\n")
    doc = Document(source="x.txt", path="/tmp/x.txt", raw_text=text, text=text, sha256="0" * 64)
    articles = segment(doc)
    assert len(articles) == 1 and articles[0].kind == "page"
    assert "公园散步" in articles[0].text
    assert segment(Document(source="e.txt", path="/e", raw_text="", text="", sha256="0")) == []
