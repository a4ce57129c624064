"""Pelican settings for publishing: pelicanconf.py plus the public address and feeds.

SITEURL comes from the environment: `SITEURL=https://you.github.io/digest invoke preview`.
"""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
