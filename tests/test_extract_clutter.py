"""In-article clutter, datelines, spaced labels and bylines: the classes of line, on
short texts written the way the sites write them and on the recorded pages."""

from __future__ import annotations

import pytest

from conftest import DATA
from newsmon.crawler.extract import clutter, common
from newsmon.crawler.extract.dispatch import parse_page

PAGES = DATA / "extract_eval/pages"


def clean(text: str, title: str = "") -> clutter.Cleaned:
    return clutter.clean_lines(text.split("\n"), title=title)


# --- lines that are not article text ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "原标题：视界丨这个中国人习以为常的地方 为何老外却说“了不得”？",
        "原标题:以战时内阁审查重启停火谈判提案",
        "（原题为《是“收割韭菜”还是“回归理性”》）",
    ],
)
def test_original_title_line_leaves_the_body_and_is_kept(line):
    result = clean(f"正文第一段。\n{line}\n正文第二段。")
    assert result.lines == ["正文第一段。", "正文第二段。"]
    assert result.original_title and result.original_title in line


@pytest.mark.parametrize(
    "line", ["视频-陈同佳出狱 鞠躬说“对不起”", "视频：习近平会见外宾", "视频｜现场画面"]
)
def test_video_caption_leaves_the_body_and_is_kept(line):
    result = clean(f"{line}\n出狱了。据港媒刚刚消息。")
    assert result.lines == ["出狱了。据港媒刚刚消息。"]
    assert result.video_captions == [line]


@pytest.mark.parametrize(
    "line",
    [
        "此前报道：港媒曝陈同佳出狱前首受访 称“对不起香港人”",
        "相关报道：多地发布返校通知",
        "点击进入专题：",
        "点击进入“文艺星青年”>>",
        "进入【新浪财经股吧】讨论",
        "免责声明：自媒体综合提供的内容均源自自媒体，版权归原作者所有。",
        "【1】【2】【3】【4】",
        "[上一篇] [下一篇]",
    ],
)
def test_link_promotion_and_furniture_lines_leave_the_body(line):
    assert clean(f"说完这些话后，陈同佳上车离开了现场。\n{line}").lines == [
        "说完这些话后，陈同佳上车离开了现场。"
    ]


@pytest.mark.parametrize(
    "line, kept, credit",
    [
        ("图/pixabay", None, "图/pixabay"),
        ("新华社发（刘满仓摄）", None, "新华社发（刘满仓摄）"),
        ("图为启动仪式。（刘通摄）", "图为启动仪式。", "刘通摄"),
        ("拿出10万元来做房产投资 蔡雪婧/摄", "拿出10万元来做房产投资", "蔡雪婧/摄"),
        ("天水有轨电车 图片来源：天水融媒", "天水有轨电车", "图片来源：天水融媒"),
        ("双选会现场。山东女子学院供图", "双选会现场。", "山东女子学院供图"),
        ("共享充电宝。视觉中国 资料", "共享充电宝。", "视觉中国 资料"),
        ("图为停车场道闸 资料图", "图为停车场道闸", "资料图"),
    ],
)
def test_photo_credits_leave_the_caption_and_are_kept(line, kept, credit):
    result = clean(f"正文。\n{line}")
    assert result.lines == ["正文。"] + ([kept] if kept else [])
    assert credit in result.photo_credits[0]


@pytest.mark.parametrize(
    "line, author",
    [
        ("（总台央视记者 奚丹霓 张赛）", "奚丹霓 张赛"),
        ("□ 本报记者 葛灵丹", "葛灵丹"),
        ("文/栗思", "栗思"),
        ("文丨政能亮特约评论员 韩涵", "韩涵"),
        ("作者 王之言 高孜然", "王之言 高孜然"),
        ("新华网黑龙江频道 记者 伊琳 李清芬", "伊琳 李清芬"),
        ("中青报·中青网记者 魏其濛 来源：中国青年报", "魏其濛"),
    ],
)
def test_credit_lines_leave_the_body_and_name_the_author(line, author):
    result = clean(f"正文第一段。\n正文第二段。\n{line}")
    assert result.lines == ["正文第一段。", "正文第二段。"]
    assert result.author == author


def test_print_edition_line_is_a_credit():
    result = clean("正文。\n《 人民日报 》（ 2024年05月10日 04 版）")
    assert result.lines == ["正文。"]


# --- the top of old pages --------------------------------------------------------------------


def test_repeated_headline_channel_url_and_dateline_at_the_top():
    text = (
        "拿出10万元投资房产 小两口尝试以钱生钱(图)\n"
        "http://house.sina.com.cn 2005年03月31日03:18 北京娱乐信报\n"
        "人物画像\n汤先生夫妇二人，虽说刚三十出头。"
    )
    result = clean(text, title="拿出10万元投资房产 小两口尝试以钱生钱(图)")
    assert result.lines == ["人物画像", "汤先生夫妇二人，虽说刚三十出头。"]
    assert result.dateline_time == "2005年03月31日03:18"
    assert result.dateline_source == "北京娱乐信报"


def test_dateline_with_the_outlet_in_book_title_marks():
    result = clean("http://www.sina.net 2005年03月21日 11:21 《理财周刊》\n人生如戏。")
    assert (result.dateline_time, result.dateline_source) == ("2005年03月21日 11:21", "理财周刊")


def test_headline_split_over_several_lines_at_the_top_of_a_document():
    title = "吉林省人民政府关于禁止在吉林省嫩江干流补充治理工程建设征占地范围内新增建设项目和迁入人口的通告"
    text = "吉林省人民政府关于禁止在\n吉林省嫩江干流补充治理工程建设\n征占地范围内新增建设项目\n和迁入人口的通告\n吉政明电〔2022〕1号\n为做好工程建设。"
    assert clean(text, title=title).lines == ["为做好工程建设。"]


def test_a_first_paragraph_that_starts_like_the_title_stays():
    title = "习近平主持召开深入推进长三角一体化发展座谈会"
    text = "习近平主持召开深入推进长三角一体化发展座谈会强调\n新华社上海11月30日电"
    assert clean(text, title=title).lines == text.split("\n")


def test_trailing_source_in_parentheses_leaves_the_last_line():
    result = clean("天津创业股份有限公司董事会\n2005年8月25日（来源：上海证券报）")
    assert result.lines == ["天津创业股份有限公司董事会", "2005年8月25日"]
    assert result.trailing_source == "上海证券报"


# --- labels and bylines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("来\xa0\xa0源：国家发展改革委网站", "来源：国家发展改革委网站"),
        ("来 源： 新华社", "来源： 新华社"),
        ("作 者：张三", "作者：张三"),
        ("发布日期：2022年01月28日", "发布日期：2022年01月28日"),
        ("索 引 号：11220000013544357T/2022-00426", "索引号：11220000013544357T/2022-00426"),
        ("来往源头：不是标签", "来往源头：不是标签"),
    ],
)
def test_labels_with_spaces_between_their_characters(raw, expected):
    assert common.normalize_labels(raw) == expected


@pytest.mark.parametrize(
    "text, author",
    [
        ("新京报快讯（记者 裴剑飞）今日（12月28日）有网友爆料。", "裴剑飞"),
        ("新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国跨行业大罢工。", "唐霁"),
        ("新华社北京5月19日电（刘艺、杨吉）中国科学院专家19日在北京表示。", "刘艺、杨吉"),
        ("本报讯（记者叶婉）近日，“心成长”青少年心理健康服务项目启动。", "叶婉"),
        ("本报讯 （实习记者 樊亮 张明超 记者惠禾）13岁，正是花季。", "樊亮 张明超 惠禾"),
    ],
)
def test_byline_in_parentheses_at_the_start_of_the_text(text, author):
    assert clutter.leading_byline(text) == author


def test_no_byline_in_an_ordinary_first_sentence():
    assert (
        clutter.leading_byline("据央视新闻消息，2024年5月16日，江苏省无锡市中级人民法院开庭。")
        is None
    )


@pytest.mark.parametrize(
    "text, author",
    [
        ("……实现轻松换新iPhone。(李楠)", "李楠"),
        ("……共同把“蛋糕”做大。（钟才文）", "钟才文"),
        ("……定期获得信息交流。(信报记者 蔡雪婧)", "蔡雪婧"),
        ("……阿根廷举行。（张巨峰）", "张巨峰"),
    ],
)
def test_closing_name_in_parentheses(text, author):
    assert clutter.closing_byline(text) == author


@pytest.mark.parametrize(
    "text", ["……投资结构趋稳趋优。（德清县发改局）", "……（完）", "……老年人运动场”。（BBC）"]
)
def test_closing_parentheses_that_are_not_a_name(text):
    assert clutter.closing_byline(text) is None


def test_names_split_by_padding_spaces():
    assert clutter.names("王乐文 方 敏") == "王乐文 方敏"


# --- pages ------------------------------------------------------------------------------------


def test_blog_time_beside_the_post_title_to_the_minute():
    record = parse_page(
        (PAGES / "blog/cwced_chinapub_blog_2005-09-15_22546.html").read_bytes(),
        "http://blog.china-pub.com/more.asp?name=ggjjzhzz&id=22546",
    )
    assert record.published_at == "2005-09-15T03:46:00Z"
    assert record.title == "[湖湘文化]陈天华《警世钟》"


def test_blog_time_under_the_post_with_am_pm():
    record = parse_page(
        (PAGES / "blog/cwced_donews_blog_2005-09-07_543698.html").read_bytes(),
        "http://blog.donews.com/wangluting/archive/2005/09/07/543698.aspx",
    )
    assert record.published_at == "2005-09-07T03:57:00Z"


@pytest.mark.parametrize(
    "name",
    ["cwced_wenxuecity_blog_archive_2005-06.html", "cwced_wenxuecity_blog_archive_2005-03.html"],
)
def test_a_blog_month_archive_is_not_one_article(name):
    record = parse_page((PAGES / "listing" / name).read_bytes(), "http://blog.wenxuecity.com/")
    assert record.kind == "listing"
    assert "not_article" in record.missing


def test_a_news_front_page_is_not_one_article():
    record = parse_page((PAGES / "listing/gne_163_news_index.html").read_bytes(), None)
    assert record.kind == "listing"


def test_a_list_of_policy_links_is_not_one_article():
    record = parse_page(
        (DATA / "real/gov/govcn_zhengce_index_list_fragment_2026-09.html").read_bytes(),
        "https://www.gov.cn/zhengce/",
    )
    assert record.kind == "listing"


def test_kicker_and_repeated_headline_at_the_top():
    title = "17种产品、1个园区入选国家绿色制造名单"
    text = f"15家企业\n{title}\n近年来，我省积极把握制造业发展趋势。"
    assert clean(text, title=title).lines == ["近年来，我省积极把握制造业发展趋势。"]


def test_original_title_in_parentheses_opening_the_text():
    result = clean("（原标题：国务院联防联控机制印发通知）\n新华社北京2月29日电 正文。")
    assert result.original_title == "国务院联防联控机制印发通知"
    assert result.lines == ["新华社北京2月29日电 正文。"]


@pytest.mark.parametrize(
    "line, author",
    [
        ("【文/观察者网专栏作者 王文】", "王文"),
        ("执笔/叨叨姐、胡一刀&李小飞刀", "叨叨姐、胡一刀、李小飞刀"),
    ],
)
def test_credit_lines_in_brackets_or_with_ampersands(line, author):
    assert clean(f"{line}\n正文。").author == author


def test_a_document_number_above_the_title_is_no_kicker():
    title = "上海市人民政府办公厅关于印发行动方案的通知"
    text = "沪府办发 〔2022〕12号\n上海市人民政府办公厅关于\n印发行动方案的通知\n各区人民政府："
    assert clean(text, title=title).lines == text.split("\n")
