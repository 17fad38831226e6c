#!/usr/bin/env python3
"""gen_corpus.py: a deterministic multi-site web-shop corpus for the scraper benchmark.

    gen_corpus.py --sites S --pages P --seed N --out DIR [--base-port 18081]

Writes one document root per site under DIR (site-000, site-001, ...), each a small
web shop served on its own loopback port (site i = 127.0.0.1:<base-port + i>):

    /robots.txt                      Disallow: /private/ (and /cart/)
    /index.html                      category nav (incl. a link into /private/), 20 featured
                                     products, a link to the next site's index
    /category/<cat>/index.html       listings, 20 products per page, ul.pager li.next a,
    /category/<cat>/page-N.html      relative hrefs (../../product/...)
    /product/<slug>.html             P product pages, 15-40 KB each
    /private/deals/index.html        the robots.txt trap: looks like a listing, links to
    /private/product/<slug>.html     pages that look like products

Ground truth:

    DIR/manifest.json   per-site counts and URLs, every product's expected field values,
                        the trap URLs, and the field conventions
    DIR/sites.tsv       site (host:port) <TAB> port <TAB> docroot (absolute)
    DIR/seeds.txt       every site's index URL, one per line (a crawl's URL file)
    DIR/products.tsv    file (absolute) <TAB> URL of every product page (for bench/floor)

Same arguments, same bytes: everything is drawn from random.Random seeded with strings,
which does not depend on PYTHONHASHSEED.  Python 3 standard library only.
"""

import argparse
import html
import json
import math
import os
import random
import sys

PER_PAGE = 20
FEATURED = 20
TRAP_PRODUCTS = 5

# ---------------------------------------------------------------------------
# Vocabulary

ADJECTIVES = [
    "Handmade", "Classic", "Rustic", "Modern", "Compact", "Deluxe", "Vintage", "Organic",
    "Artisan", "Premium", "Everyday", "Heritage", "Nordic", "Coastal", "Urban", "Alpine",
    "Smoked", "Hand-thrown", "Brushed", "Matte", "Glazed", "Woven", "Folding", "Portable",
    "Crème", "Café", "Señorita", "Über", "Forêt", "Jalapeño",
]
MATERIALS = [
    "Walnut", "Oak", "Ceramic", "Copper", "Linen", "Wool", "Bamboo", "Cast-Iron", "Glass",
    "Stoneware", "Leather", "Brass", "Cotton", "Marble", "Enamel", "Porcelain", "Cork",
    "Steel", "Birch", "Slate",
]
NOUNS = [
    "Pour-Over Stand", "Teapot", "Serving Board", "Espresso Cup", "Table Runner", "Throw",
    "Candle Holder", "Mixing Bowl", "Salt Cellar", "Knife Block", "Bread Bin", "Mug",
    "Carafe", "Tea Towel", "Oil Cruet", "Pepper Mill", "Trivet", "Storage Jar", "Tray",
    "Coaster Set", "Butter Dish", "Spice Rack", "Cake Stand", "Milk Jug", "Ladle",
]
BRANDS = [
    "Tidewater", "Northfold", "Harrow & Finch", "Kiln Street", "Maison Brûlé", "Oakhaven",
    "Little Loom", "Copperline", "Fenwick", "Saltmarsh",
]
CATEGORY_NAMES = [
    "Kitchen", "Tableware", "Textiles", "Lighting", "Storage", "Tea & Coffee", "Bakeware",
    "Garden", "Bath", "Décor", "Stationery", "Outdoor",
]
WORDS = (
    "the a of and to in is with for on this that it our your from by as at be made "
    "crafted small batch finish everyday piece kitchen table morning slow coffee tea bread "
    "grain wood glaze kiln fired hand turned weight balance warm light soft edge texture "
    "natural oil wax season care wash dry gently store shelf gift family weekend dinner "
    "guest simple honest durable timeless detail stitch loom cotton linen wool copper brass "
    "steel stone clay colour tone matte gloss subtle rich deep pale shade pattern curve line "
    "workshop maker studio village coast mountain river harbour market season harvest "
    "recipe pour steep brew roast grind serve share keep last years generations repair"
).split()
SPICE = ["café", "crème", "naïve", "façade", "Zürich", "São Paulo", "fiancée", "rosé"]
REVIEWERS = [
    "Ann", "Bo", "Chiara", "Dmitri", "Efua", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kalani", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Søren", "Tomás",
]

CSS = """
:root{--ink:#1d2a33;--paper:#fbfaf7;--accent:#b5542d;--muted:#6b7780;--line:#e4e0d8}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 Georgia,serif;color:var(--ink);background:var(--paper)}
header.site-header{display:flex;align-items:center;justify-content:space-between;padding:12px 24px;border-bottom:1px solid var(--line)}
header .logo{font-weight:700;letter-spacing:.04em;text-decoration:none;color:var(--ink)}
nav.mega-menu>ul{display:flex;gap:18px;list-style:none;margin:0;padding:0 24px;flex-wrap:wrap}
nav.mega-menu li.menu-cat{position:relative}nav.mega-menu ul.sub{display:none;position:absolute;top:100%;left:0;
background:#fff;border:1px solid var(--line);padding:8px 12px;list-style:none;min-width:200px;z-index:10}
nav.mega-menu li.menu-cat:hover ul.sub{display:block}
ol.breadcrumb{display:flex;gap:8px;list-style:none;padding:8px 24px;margin:0;font-size:14px;color:var(--muted)}
ol.breadcrumb li+li:before{content:"\\203A";margin-right:8px}
main{max-width:1100px;margin:0 auto;padding:24px}
div.product-main{display:grid;grid-template-columns:1fr 1fr;gap:32px}
div.product-main h1{font-size:32px;margin:0 0 8px}
p.price{font-size:24px;color:var(--accent);margin:4px 0}p.price-old{color:var(--muted);text-decoration:line-through}
p.star-rating{color:#e0a100;letter-spacing:2px}p.availability{font-weight:600}p.availability.out{color:#a33}
table.product-info{border-collapse:collapse;width:100%}table.product-info th,table.product-info td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left}
section.related ul{display:grid;grid-template-columns:repeat(5,1fr);gap:16px;list-style:none;padding:0}
article.product-card{border:1px solid var(--line);padding:12px;background:#fff}
article.product-card h3{font-size:16px;margin:8px 0}article.product-card p.price{font-size:16px}
ul.pager{display:flex;justify-content:space-between;list-style:none;padding:0}
section.reviews article.review{border-top:1px solid var(--line);padding:12px 0}
footer.site-footer{margin-top:48px;padding:24px;border-top:1px solid var(--line);color:var(--muted);font-size:14px}
@media (max-width:700px){div.product-main{grid-template-columns:1fr}section.related ul{grid-template-columns:repeat(2,1fr)}}
"""

JS = """
(function(){
  var KEY='basket:v2';
  function load(){try{return JSON.parse(localStorage.getItem(KEY)||'[]')}catch(e){return[]}}
  function save(b){try{localStorage.setItem(KEY,JSON.stringify(b))}catch(e){}}
  function count(){var n=0;load().forEach(function(x){n+=x.qty||1});var el=document.getElementById('basket-count');if(el)el.textContent=n}
  document.addEventListener('click',function(ev){
    var t=ev.target;if(!t||!t.matches||!t.matches('button.add-to-basket'))return;
    var b=load(),sku=t.getAttribute('data-sku'),hit=null;
    b.forEach(function(x){if(x.sku===sku)hit=x});
    if(hit){hit.qty=(hit.qty||1)+1}else{b.push({sku:sku,qty:1})}
    save(b);count();ev.preventDefault();
  });
  document.addEventListener('DOMContentLoaded',count);
  window.dataLayer=window.dataLayer||[];window.dataLayer.push({event:'page_view',ts:Date.now()});
})();
"""


def esc(s):
    return html.escape(s, quote=True)


def slugify(s):
    out = []
    for ch in s.lower():
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-") or "item"


def sentence(rng, lo=8, hi=18, spice=0.15):
    n = rng.randint(lo, hi)
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < spice:
        words[rng.randrange(n)] = rng.choice(SPICE)
    if rng.random() < 0.1:
        words.insert(rng.randrange(1, n), "&")
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "!"])


def wrap(text, rng):
    """Break a text into lines with indentation, as templates do: whitespace that a
    scraper must normalise (expected values are single-spaced)."""
    words = text.split(" ")
    lines, cur = [], []
    for w in words:
        cur.append(w)
        if len(cur) >= rng.randint(9, 16):
            lines.append(" ".join(cur))
            cur = []
    if cur:
        lines.append(" ".join(cur))
    return "\n          ".join(esc(line) for line in lines)


# ---------------------------------------------------------------------------
# Site model


class Site:
    def __init__(self, idx, args, n_sites):
        self.idx = idx
        self.port = args.base_port + idx
        self.host = "127.0.0.1:%d" % self.port
        self.base = "http://%s" % self.host
        self.name = "%s %s" % (BRANDS[idx % len(BRANDS)], ["Home", "Goods", "Supply", "Store", "Works"][idx % 5])
        self.dirname = "site-%03d" % idx
        self.next_base = "http://127.0.0.1:%d" % (args.base_port + (idx + 1) % n_sites)
        rng = random.Random("site:%d:%d" % (args.seed, idx))
        ncat = max(1, min(len(CATEGORY_NAMES), math.ceil(args.pages / 100)))
        names = CATEGORY_NAMES[:]
        rng.shuffle(names)
        self.categories = [(n, slugify(n)) for n in names[:ncat]]
        prefix = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
        self.products = []
        for pid in range(1, args.pages + 1):
            self.products.append(make_product(rng, self, pid, prefix))
        # related products (same site), drawn from a small "popular" pool so they
        # repeat across pages, as real "customers also bought" blocks do
        pool = [p for p in self.products[: max(5, len(self.products) // 10)]]
        for p in self.products:
            k = rng.randint(3, 5)
            cands = [q for q in rng.sample(pool, min(len(pool), k + 1)) if q is not p][:k]
            if len(cands) < 3:
                cands = [q for q in self.products if q is not p][:3]
            p["related"] = cands
        self.by_cat = {slug: [] for _, slug in self.categories}
        for p in self.products:
            self.by_cat[p["cat_slug"]].append(p)
        self.featured = rng.sample(self.products, min(FEATURED, len(self.products)))
        self.trap = [make_product(rng, self, 900000 + i, "PRIV") for i in range(1, TRAP_PRODUCTS + 1)]

    def listing_pages(self, slug):
        return max(1, math.ceil(len(self.by_cat[slug]) / PER_PAGE))

    def listing_path(self, slug, n):
        return "/category/%s/%s" % (slug, "index.html" if n == 1 else "page-%d.html" % n)


def make_product(rng, site, pid, prefix):
    title = "%s %s %s" % (rng.choice(ADJECTIVES), rng.choice(MATERIALS), rng.choice(NOUNS))
    if rng.random() < 0.08:
        title += " & Lid"
    if rng.random() < 0.3:
        title += " No. %d" % rng.randint(2, 40)
    cat_name, cat_slug = site.categories[rng.randrange(len(site.categories))]
    slug = "%s-%d" % (slugify(title), pid)
    price = round(rng.uniform(2.0, 499.99), 2)
    rating = rng.randint(1, 5)
    r = rng.random()
    if r < 0.12:
        stock = 0
        availability = "Out of stock"
    elif r < 0.3:
        stock = rng.randint(1, 4)
        availability = "Only %d left in stock (%d available)" % (stock, stock)
    else:
        stock = rng.randint(5, 250)
        availability = "In stock (%d available)" % stock
    desc = " ".join(sentence(rng) for _ in range(rng.randint(4, 9)))
    trap = prefix == "PRIV"
    return {
        "pid": pid,
        "title": title,
        "slug": slug,
        "path": ("/private/product/%s.html" if trap else "/product/%s.html") % slug,
        "cat_name": cat_name,
        "cat_slug": cat_slug,
        "price": price,
        "old_price": round(price * rng.uniform(1.1, 1.5), 2) if rng.random() < 0.2 else None,
        "sku": "%s-%05d-%s" % (prefix, pid % 100000, "".join(rng.choice("0123456789ABCDEF") for _ in range(4))),
        "brand": rng.choice(BRANDS),
        "rating": rating,
        "stock": stock,
        "availability": availability,
        "description": desc,
        "weight": "%d g" % rng.randint(80, 4000),
        "size": "%d × %d cm" % (rng.randint(5, 60), rng.randint(5, 60)),
        "target": rng.randint(15 * 1024, 39 * 1024),
        "reviews_seed": rng.random(),
    }


# ---------------------------------------------------------------------------
# Page templates


def head(site, title, desc, extra=""):
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>%s | %s</title>\n"
        '<meta name="description" content="%s">\n'
        '<meta property="og:site_name" content="%s">\n'
        '<meta property="og:title" content="%s">\n'
        '<meta name="robots" content="index, follow">\n'
        '<link rel="icon" href="/favicon.ico">\n'
        "<style>%s</style>\n%s"
        "<script>%s</script>\n</head>\n"
        % (esc(title), esc(site.name), esc(desc[:150]), esc(site.name), esc(title), CSS, extra, JS)
    )


def header(site):
    out = [
        '<body>\n<header class="site-header"><a class="logo" href="/index.html">%s</a>'
        '<form class="search" action="/search" method="get"><input name="q" placeholder="Search">'
        '<button>Search</button></form><a class="basket" href="/cart/">Basket (<span id="basket-count">0</span>)</a>'
        "</header>\n" % esc(site.name),
        '<nav class="mega-menu" aria-label="Shop">\n<ul>\n',
    ]
    for name, slug in site.categories:
        out.append(
            '<li class="menu-cat"><a href="/category/%s/index.html">%s</a>\n<ul class="sub">'
            '<li><a href="/category/%s/index.html?sort=price">%s by price</a></li>'
            '<li><a href="/category/%s/index.html?sort=new">New in %s</a></li>'
            '<li><a href="/category/%s/index.html?sort=rating">Best rated</a></li>'
            '<li><a href="/search?q=%s&amp;instock=1">In stock now</a></li></ul></li>\n'
            % (slug, esc(name), slug, esc(name), slug, esc(name), slug, slug)
        )
    out.append("</ul>\n</nav>\n")
    return "".join(out)


def footer(site):
    return (
        '<footer class="site-footer">\n<div class="cols">'
        '<ul><li><a href="/about.html">About us</a></li><li><a href="/delivery.html">Delivery</a></li>'
        '<li><a href="/returns.html">Returns</a></li><li><a href="/contact.html">Contact</a></li></ul>'
        '<ul><li><a href="https://twitter.example/shop">Twitter</a></li>'
        '<li><a href="mailto:hello@shop.example">hello@shop.example</a></li>'
        '<li><a href="javascript:void(0)" class="cookie-settings">Cookie settings</a></li></ul></div>\n'
        "<p>&copy; 2024 %s. Prices include VAT.</p>\n</footer>\n</body>\n</html>\n" % esc(site.name)
    )


def card(p, href):
    old = ""
    if p["old_price"]:
        old = '<p class="price-old"><del>£%.2f</del></p>' % p["old_price"]
    return (
        '<li><article class="product-card">'
        '<a href="%s"><img src="/img/%s.jpg" alt="%s" width="160" height="160" loading="lazy"></a>'
        '<h3><a href="%s" title="%s">%s</a></h3>'
        '<p class="price">£%.2f</p>%s'
        '<p class="star-rating" data-rating="%d">%s</p></article></li>\n'
        % (href, p["slug"], esc(p["title"]), href, esc(p["title"]), esc(p["title"][:28]),
           p["price"], old, p["rating"], "★" * p["rating"] + "☆" * (5 - p["rating"]))
    )


def product_page(site, p, trap=False):
    rng = random.Random("reviews:%r" % p["reviews_seed"])
    ld = json.dumps({
        "@context": "https://schema.org", "@type": "Product", "name": p["title"], "sku": p["sku"],
        "brand": p["brand"], "offers": {"@type": "Offer", "priceCurrency": "GBP", "price": "%.2f" % p["price"]},
    }, ensure_ascii=False).replace("</", "<\\/")
    parts = [head(site, p["title"], p["description"],
                  '<script type="application/ld+json">%s</script>\n' % ld)]
    parts.append(header(site))
    cat_href = "../category/%s/index.html" % p["cat_slug"]
    if trap:
        cat_href = "../deals/index.html"
    parts.append(
        '<ol class="breadcrumb"><li><a href="%s">Home</a></li><li><a href="%s">%s</a></li>'
        '<li class="active">%s</li></ol>\n<main>\n'
        % ("../../index.html" if trap else "../index.html", cat_href, esc(p["cat_name"]), esc(p["title"]))
    )
    avail_class = "availability out" if p["stock"] == 0 else "availability in-stock"
    old = '<p class="price-old">Was <del>£%.2f</del></p>\n' % p["old_price"] if p["old_price"] else ""
    parts.append(
        '<div class="product-main">\n<div class="gallery"><img src="/img/%s.jpg" alt="%s" width="480" height="480"></div>\n'
        '<div class="summary">\n<h1>%s</h1>\n'
        '<p class="price">£%.2f</p>\n%s'
        '<p class="star-rating" data-rating="%d" aria-label="Rated %d out of 5">%s</p>\n'
        '<p class="%s">\n          %s\n        </p>\n'
        '<form class="buy" action="/cart/add" method="post"><input type="hidden" name="sku" value="%s">'
        '<button class="add-to-basket" data-sku="%s">Add to basket</button></form>\n'
        "</div>\n</div>\n"
        % (p["slug"], esc(p["title"]), esc(p["title"]), p["price"], old, p["rating"], p["rating"],
           "★" * p["rating"] + "☆" * (5 - p["rating"]), avail_class, esc(p["availability"]),
           esc(p["sku"]), esc(p["sku"]))
    )
    parts.append(
        '<table class="product-info">\n'
        "<tr><th>Brand</th><td>%s</td></tr>\n"
        "<tr><th>SKU</th><td>%s</td></tr>\n"
        "<tr><th>Category</th><td>%s</td></tr>\n"
        "<tr><th>Weight</th><td>%s</td></tr>\n"
        "<tr><th>Dimensions</th><td>%s</td></tr>\n"
        "<tr><th>Price (excl. VAT)</th><td>£%.2f</td></tr>\n"
        "<tr><th>Reviews</th><td>%d</td></tr>\n</table>\n"
        % (esc(p["brand"]), esc(p["sku"]), esc(p["cat_name"]), esc(p["weight"]), esc(p["size"]),
           p["price"] / 1.2, rng.randint(0, 400))
    )
    parts.append(
        '<div id="description" class="description">\n<h2>Product description</h2>\n'
        "<p>\n          %s\n        </p>\n</div>\n" % wrap(p["description"], rng)
    )
    parts.append('<section class="related"><h2>Customers also bought</h2>\n<ul>\n')
    for q in p.get("related", []):
        parts.append(card(q, "%s.html" % q["slug"]))
    parts.append("</ul>\n</section>\n")
    body = "".join(parts)
    tail = "</main>\n" + footer(site)
    # reviews: filler up to the page's target size
    reviews = ['<section class="reviews"><h2>Reviews</h2>\n']
    size = len(body.encode()) + len(tail.encode()) + 40
    n = 0
    while size < p["target"]:
        n += 1
        stars = rng.randint(1, 5)
        text = " ".join(sentence(rng, 10, 24, 0.05) for _ in range(rng.randint(2, 6)))
        r = (
            '<article class="review" id="review-%d"><h3>%s</h3>'
            '<p class="review-meta"><span class="review-stars" data-stars="%d">%s</span> by '
            '<span class="author">%s</span> on <time datetime="2024-%02d-%02d">%d %s 2024</time></p>'
            "<p>%s</p><p class=\"helpful\"><a href=\"#review-%d\" rel=\"nofollow\">Helpful (%d)</a></p></article>\n"
            % (n, esc(sentence(rng, 2, 5, 0)[:-1]), stars, "★" * stars, esc(rng.choice(REVIEWERS)),
               rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 28),
               rng.choice(["Jan", "Mar", "May", "Jul", "Sep", "Nov"]), esc(text), n, rng.randint(0, 60))
        )
        reviews.append(r)
        size += len(r.encode())
    reviews.append("</section>\n")
    return body + "".join(reviews) + tail


def listing_page(site, slug, name, n, trap=False):
    if trap:
        prods = site.trap
        npages = 1
    else:
        npages = site.listing_pages(slug)
        prods = site.by_cat[slug][(n - 1) * PER_PAGE: n * PER_PAGE]
    title = "%s — page %d of %d" % (name, n, npages)
    parts = [head(site, title, "Shop %s at %s." % (name, site.name))]
    parts.append(header(site))
    parts.append(
        '<ol class="breadcrumb"><li><a href="../../index.html">Home</a></li><li class="active">%s</li></ol>\n'
        '<main>\n<h1>%s</h1>\n<p class="count">%d products</p>\n'
        '<section class="listing"><ul class="products">\n'
        % (esc(name), esc(name), len(prods) if trap else len(site.by_cat[slug]))
    )
    for p in prods:
        parts.append(card(p, "../product/%s.html" % p["slug"] if trap else "../../product/%s.html" % p["slug"]))
    parts.append("</ul></section>\n<ul class=\"pager\">\n")
    if n > 1:
        prev = "index.html" if n == 2 else "page-%d.html" % (n - 1)
        parts.append('<li class="previous"><a href="%s">previous</a></li>\n' % prev)
    parts.append('<li class="current">Page %d of %d</li>\n' % (n, npages))
    if n < npages:
        parts.append('<li class="next"><a href="page-%d.html">next</a></li>\n' % (n + 1))
    parts.append("</ul>\n</main>\n")
    parts.append(footer(site))
    return "".join(parts)


def index_page(site):
    parts = [head(site, "Home", "Welcome to %s: homeware made to last." % site.name)]
    parts.append(header(site))
    parts.append('<main>\n<h1>Welcome to %s</h1>\n<nav class="category-nav"><h2>Shop by category</h2><ul>\n' % esc(site.name))
    for name, slug in site.categories:
        parts.append('<li><a href="category/%s/index.html">%s</a></li>\n' % (slug, esc(name)))
    parts.append('<li><a href="private/deals/index.html">Members\' deals</a></li>\n')
    parts.append("</ul></nav>\n<section class=\"featured\"><h2>Featured</h2><ul class=\"products\">\n")
    for p in site.featured:
        parts.append(card(p, "product/%s.html" % p["slug"]))
    parts.append(
        "</ul></section>\n"
        '<p class="sister-shop">Visit our sister shop: <a href="%s/index.html">the next shop</a></p>\n'
        "</main>\n" % site.next_base
    )
    parts.append(footer(site))
    return "".join(parts)


ROBOTS = """# robots.txt for the benchmark shop
User-agent: *
Disallow: /private/
Disallow: /cart/
Disallow: /search

Sitemap: /sitemap.xml
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", type=int, required=True)
    ap.add_argument("--pages", type=int, required=True, help="product pages per site")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-port", type=int, default=18081)
    args = ap.parse_args()
    if args.sites < 1 or args.pages < 1 or args.base_port + args.sites > 65536:
        ap.error("need --sites >= 1, --pages >= 1 and ports below 65536")

    out = os.path.abspath(args.out)
    tmp = out + ".partial"
    if os.path.exists(tmp):
        import shutil
        shutil.rmtree(tmp)
    os.makedirs(tmp)

    manifest = {
        "generator": "bench/gen_corpus.py",
        "version": 1,
        "seed": args.seed,
        "n_sites": args.sites,
        "pages_per_site": args.pages,
        "base_port": args.base_port,
        "field_conventions": {
            "title": "string: the product's h1 text, whitespace-normalised, entities decoded",
            "price": "number: the current price in pounds (p.price in div.product-main), e.g. 12.5",
            "sku": "string: the td beside th 'SKU' in table.product-info",
            "rating": "int 1-5: data-rating of p.star-rating in div.product-main",
            "availability": "string: the p.availability sentence, whitespace-normalised",
            "stock": "int: N from '(N available)' in the availability sentence, 0 when out of stock",
            "description": "string: the text of div.description p, whitespace-normalised",
        },
        "sites": [],
        "products": [],
    }
    sites_tsv, seeds, products_tsv = [], [], []
    total_pages = 0
    for i in range(args.sites):
        site = Site(i, args, args.sites)
        root = os.path.join(tmp, site.dirname)
        final_root = os.path.join(out, site.dirname)
        write(os.path.join(root, "robots.txt"), ROBOTS)
        write(os.path.join(root, "index.html"), index_page(site))
        listing_urls = []
        for name, slug in site.categories:
            for n in range(1, site.listing_pages(slug) + 1):
                path = site.listing_path(slug, n)
                write(root + path, listing_page(site, slug, name, n))
                listing_urls.append(site.base + path)
        for p in site.products:
            write(root + p["path"], product_page(site, p))
            url = site.base + p["path"]
            products_tsv.append("%s\t%s\n" % (final_root + p["path"], url))
            manifest["products"].append({
                "url": url, "site": site.host, "title": p["title"], "price": p["price"],
                "sku": p["sku"], "rating": p["rating"], "availability": p["availability"],
                "stock": p["stock"], "description": p["description"],
            })
        write(os.path.join(root, "private/deals/index.html"),
              listing_page(site, "deals", "Members' deals", 1, trap=True))
        for p in site.trap:
            write(root + p["path"], product_page(site, p, trap=True))
        trap_urls = [site.base + "/private/deals/index.html"] + [site.base + p["path"] for p in site.trap]
        npages = 1 + len(listing_urls) + len(site.products)
        total_pages += npages
        manifest["sites"].append({
            "site": site.host, "port": site.port, "docroot": site.dirname,
            "index": site.base + "/index.html", "robots": site.base + "/robots.txt",
            "categories": len(site.categories), "listing_pages": len(listing_urls),
            "products": len(site.products), "pages": npages,
            "listing_urls": listing_urls, "trap_urls": trap_urls,
        })
        sites_tsv.append("%s\t%d\t%s\n" % (site.host, site.port, final_root))
        seeds.append(site.base + "/index.html\n")
    manifest["total_pages"] = total_pages
    manifest["total_products"] = len(manifest["products"])
    manifest["trap_prefix"] = "/private/"

    with open(os.path.join(tmp, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=None, separators=(",", ":"))
        f.write("\n")
    write(os.path.join(tmp, "sites.tsv"), "".join(sites_tsv))
    write(os.path.join(tmp, "seeds.txt"), "".join(seeds))
    write(os.path.join(tmp, "products.tsv"), "".join(products_tsv))
    if os.path.exists(out):
        import shutil
        shutil.rmtree(out)
    os.rename(tmp, out)
    print("corpus: %s: %d sites, %d pages (%d products) to crawl"
          % (out, args.sites, total_pages, len(manifest["products"])), file=sys.stderr)


if __name__ == "__main__":
    main()
