"""A page holding several items is reported as not one article, and never stored as one."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from conftest import DATA
from newsmon.crawler.extract.dispatch import parse_page
from newsmon.crawler.items import ArticleItem
from newsmon.crawler.pipelines import ValidatePipeline

ARCHIVE = DATA / "extract_eval" / "pages" / "listing" / "cwced_wenxuecity_blog_archive_2005-03.html"


def test_a_month_archive_is_dropped_with_its_reason():
    record = parse_page(ARCHIVE.read_bytes(), "http://blog.wenxuecity.com/blog/2005/03.html")
    assert record.kind == "listing"
    crawler = get_crawler(Spider)
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="not one article"):
        pipeline.process_item(ArticleItem(record))
    assert crawler.stats.get_value("newsmon/not_article") == 1
