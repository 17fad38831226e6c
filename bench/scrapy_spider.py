"""scrapy_spider.py: the benchmark crawl written as a Scrapy user would write it.

    scrapy runspider bench/scrapy_spider.py -a seeds=CORPUS/seeds.txt -O products.jsonl \
        [-a stats=stats.json]

Starts from every shop's home page (the URL file the scraper crawl gets), follows the
same links as bench/rules/shop.yaml (category nav, next page, product cards), and yields
one item per product page with the same fields.  Settings are the fair-comparison ones:
64 requests at once, 16 per site, no delay, robots.txt obeyed, no AutoThrottle, no HTTP
cache, log level WARNING, JSON lines output (-O FILE.jsonl).

All shops share the host name 127.0.0.1 (one port each) and Scrapy keys its per-domain
download slots by host name, so every request names its slot, host:port: each shop gets
its own 16-request budget as it does in the scraper crawl.

With -a stats=FILE it writes Scrapy's crawl stats there as JSON when it closes
(bench/check.py reads them to catch robots.txt violations and stray fetches).
"""

import json
import re
from urllib.parse import urlsplit

import scrapy
from scrapy import signals

PRODUCT = re.compile(r"/product/[^/]+\.html$")
STOCK = re.compile(r"\((\d+) available\)")
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def norm(s):
    """Trim and collapse runs of white space, as the scraper's rule engine does."""
    return " ".join(s.split()) if s is not None else None


def slot(url):
    return urlsplit(url).netloc


class ShopSpider(scrapy.Spider):
    name = "benchshop"
    custom_settings = {
        "CONCURRENT_REQUESTS": 64,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "FEED_EXPORT_ENCODING": "utf-8",
    }

    def __init__(self, seeds=None, stats=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not seeds:
            raise ValueError("give the URL file: -a seeds=CORPUS/seeds.txt")
        with open(seeds, encoding="utf-8") as f:
            self.seed_urls = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.stats_path = stats

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.write_stats, signal=signals.spider_closed)
        return spider

    def write_stats(self, spider, reason):
        if self.stats_path:
            st = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                  for k, v in self.crawler.stats.get_stats().items()}
            st["finish_reason"] = reason
            with open(self.stats_path, "w", encoding="utf-8") as f:
                json.dump(st, f, indent=1, default=str)

    def start_requests(self):
        for url in self.seed_urls:
            yield scrapy.Request(url, meta={"download_slot": slot(url)})

    def parse(self, response):
        if PRODUCT.search(response.url):
            yield self.product(response)
        links = response.css("nav.category-nav a::attr(href)").getall()
        links += response.css("ul.pager li.next a::attr(href)").getall()
        for href in response.css("article.product-card h3 a::attr(href)").getall():
            if PRODUCT.search(response.urljoin(href)):
                links.append(href)
        for href in links:
            url = response.urljoin(href)
            yield scrapy.Request(url, meta={"download_slot": slot(url)})

    def product(self, response):
        main = response.css("div.product-main")
        price = main.css("p.price::text").re_first(NUMBER)
        rating = main.css("p.star-rating::attr(data-rating)").get()
        availability = norm(" ".join(main.css("p.availability ::text").getall()))
        m = STOCK.search(availability or "")
        return {
            "url": response.url,
            "title": norm(main.css("h1::text").get()),
            "price": float(price) if price is not None else None,
            "sku": norm(response.xpath(
                "//table[contains(@class,'product-info')]//th[.='SKU']/following-sibling::td/text()").get()),
            "rating": int(rating) if rating is not None else None,
            "availability": availability,
            "stock": int(m.group(1)) if m else 0,
            "description": norm(" ".join(response.css("div.description p ::text").getall())),
        }
