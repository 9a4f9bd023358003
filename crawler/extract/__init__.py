"""Pure parsers: bytes or text plus URL in, an ArticleRecord out. No Scrapy imports here."""
