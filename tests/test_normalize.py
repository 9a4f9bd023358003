from conftest import DATA
from newsmon.analysis.normalize import (
    display_text,
    fold_width,
    matching_text,
    normalize_title,
    repair_letter_spacing,
    restore_cjk_punctuation,
    unify_quotes,
)

PDF_TEXT = (DATA / "seeds" / "003_e286d102a3ad82b6.txt").read_text(encoding="utf-8")


def test_nfkc_folds_full_width_digits():
    assert fold_width("２０２２年６月２４日") == "2022年6月24日"


def test_nfkc_keeps_chinese_punctuation_full_width():
    assert fold_width("方案（讨论稿），见下：") == "方案（讨论稿），见下："


def test_ascii_punctuation_between_chinese_restored():
    assert (
        restore_cjk_punctuation("各区人民政府,市政府各委、办、局:")
        == "各区人民政府，市政府各委、办、局："
    )
    assert restore_cjk_punctuation("请认真按照执行.") == "请认真按照执行。"


def test_decimal_point_in_numbers_untouched():
    assert display_text("增长3.5%,达到7000亿元.") == "增长3.5%，达到7000亿元。"


def test_ascii_parentheses_around_chinese_become_full_width():
    assert restore_cjk_punctuation("方案(2022—2025年)") == "方案（2022—2025年）"


def test_guillemets_become_book_title_marks():
    assert (
        unify_quotes("«上海市培育“元宇宙”新赛道行动方案»") == "《上海市培育“元宇宙”新赛道行动方案》"
    )


def test_letter_spaced_heading_repaired():
    assert (
        repair_letter_spacing("上 海 市 人 民 政 府 办 公 厅 文 件") == "上海市人民政府办公厅文件"
    )


def test_ordinary_spaced_text_not_joined():
    assert repair_letter_spacing("到 2025 年 上海") == "到 2025 年 上海"


def test_pdf_lines_broken_mid_sentence_are_joined():
    shown = display_text(PDF_TEXT)
    assert (
        "能源清洁化。进一步提升太阳能、风能、海洋能、地热能等可再生能源以及核能、氢能等清洁能源的比重，拓展氨能等潜在替代能源利用。"
        in shown.split("\n")
    )


def test_pdf_headings_stay_their_own_paragraph():
    lines = display_text(PDF_TEXT).split("\n")
    assert "一、总体要求" in lines
    assert "（一）基本原则" in lines


def test_matching_text_of_the_pdf_has_ascii_digits_and_title_marks():
    m = matching_text(PDF_TEXT)
    assert "2022—2025" in m
    assert "《上海市培育“元宇宙”新赛道行动方案" in m


def test_matching_text_ignores_spacing_and_dash_forms():
    assert matching_text("到 2025 年，（2022-2025年）") == matching_text(
        "到2025年，（2022—2025年）"
    )


def test_boilerplate_lines_removed():
    text = "正文第一段。\n海量资讯、精准解读，尽在新浪财经APP\n责任编辑：吴剑 SF031\n"
    assert display_text(text) == "正文第一段。"


def test_paragraph_text_not_wrapped_is_left_alone():
    text = "第一段很长的内容，没有换行。\n第二段。"
    assert display_text(text) == text


def test_title_keys_agree_across_forms():
    assert normalize_title(
        "«上海市培育“元宇宙”新赛道行动方案(２０２２—２０２５年)»"
    ) == normalize_title("《上海市培育“元宇宙”新赛道行动方案（2022-2025年）》")


def test_empty_text():
    assert display_text("") == ""
    assert matching_text("") == ""


TRADITIONAL = "上海市人民政府辦公廳關於印發促進綠色低碳產業發展、培育“元宇宙”新賽道的通知"
SIMPLIFIED = "上海市人民政府办公厅关于印发促进绿色低碳产业发展、培育“元宇宙”新赛道的通知"


def test_matching_text_folds_traditional_to_simplified():
    assert matching_text(TRADITIONAL) == matching_text(SIMPLIFIED)
    assert normalize_title(f"《{TRADITIONAL}》") == normalize_title(f"《{SIMPLIFIED}》")


def test_display_text_keeps_traditional_characters_as_published():
    assert display_text(TRADITIONAL) == TRADITIONAL
