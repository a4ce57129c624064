"""Pelican settings for the Digest site: the development build (`invoke build`, `make digest`)."""

from pathlib import Path

SITE_ROOT = Path(__file__).resolve().parent

AUTHOR = "Digest"
SITENAME = "Digest"
SITESUBTITLE = "The articles of a few good feeds, without the noise"
SITEURL = ""
FEED_DOMAIN = "http://localhost:8000"  # the address `invoke serve` previews at
RELATIVE_URLS = True  # the development build works from any folder; publishconf.py turns it off
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

THEME = "theme"
TYPOGRIFY = True

# Rebuilds cost what changed: Pelican keeps the read (and typogrified) articles in cache/, copies
# only static files that changed, and the digest plugin leaves unchanged article pages and feeds
# as they are (DIGEST_INCREMENTAL; plugins/digest/incremental.py). The plugin also stops Pelican
# from loading a cache written under other settings (publishconf.py's SITEURL).
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CONTENT_CACHING_LAYER = "generator"
CHECK_MODIFIED_METHOD = "mtime"
STATIC_CHECK_IF_MODIFIED = True
# The cache is read and written whole on every build; gzip cost 1.5 s of a rebuild's 10 at
# 1,000 articles to save disk space that does not matter here.
GZIP_CACHE = False
DEFAULT_PAGINATION = 30
SUMMARY_MAX_LENGTH = 60

ARTICLE_PATHS = ["digest"]
PAGE_PATHS = ["pages"]
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}.html"
ARTICLE_SAVE_AS = ARTICLE_URL
CATEGORY_URL = "source/{slug}.html"
CATEGORY_SAVE_AS = CATEGORY_URL
ARCHIVES_SAVE_AS = "archives.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
MONTH_ARCHIVE_URL = "{date:%Y}/{date:%m}/"
MONTH_ARCHIVE_SAVE_AS = "{date:%Y}/{date:%m}/index.html"
DIRECT_TEMPLATES = ["index", "tags", "categories", "archives", "search", "404"]
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""

# Feeds for the digest's own subscribers: Atom and RSS 2.0 for everything, each tag and each
# source; JSON Feed 1.1 (written by the plugin) for everything and each tag. With SITEURL empty
# their links are absolute on FEED_DOMAIN; publishconf.py sets both to the public address.
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
FEED_ALL_JSON = "feeds/all.json"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
TAG_FEED_RSS = "feeds/tag/{slug}.rss.xml"
TAG_FEED_JSON = "feeds/tag/{slug}.json"
CATEGORY_FEED_ATOM = "feeds/source/{slug}.atom.xml"
CATEGORY_FEED_RSS = "feeds/source/{slug}.rss.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
FEED_MAX_ITEMS = 50
RSS_FEED_SUMMARY_ONLY = False

# The digest plugin.
PLUGIN_PATHS = [str(SITE_ROOT / "plugins")]
PLUGINS = ["digest", "sitemap"]

# sitemap.xml (the pelican-sitemap plugin): every public page, but not the 404 or search pages.
SITEMAP = {"format": "xml", "exclude": [r"^404\.html$", r"^search\.html$"]}

# The theme's home page: one edition a day ("day") or a week ("week", from Monday).
DIGEST_EDITION = "day"

# The bundled demo: three made-up sites under demo/sites/, read from disk through
# DIGEST_MIRRORS, so the demo builds with no network. Replace with your own sources.
DIGEST_SOURCES = [
    {
        "name": "Harbour Gazette",
        "feed": "https://harbour-gazette.example/rss.xml",
        "site": "https://harbour-gazette.example/",
        "tags": ["news"],
    },
    {
        "name": "Fieldnotes",
        "feed": "https://fieldnotes.example/atom.xml",
        "site": "https://fieldnotes.example/",
        "tags": ["blog", "nature"],
    },
    {
        "name": "Open Science Wire",
        "feed": "https://science-wire.example/feed.xml",
        "site": "https://science-wire.example/",
        "tags": ["science"],
    },
]
DIGEST_MIRRORS = {
    "https://harbour-gazette.example/": "demo/sites/harbour-gazette.example",
    "https://fieldnotes.example/": "demo/sites/fieldnotes.example",
    "https://science-wire.example/": "demo/sites/science-wire.example",
}
