"""Bytes of a 20-item search page over the wire, as a phone on prepaid data pays for them:
whole documents (`view=full`, what every list sent before issue 26), the compact default, and
`fields=`, each without compression, with gzip and with Brotli.

    make run    # the demo data, in another terminal
    .venv/bin/python bench/payload.py http://127.0.0.1:5000

Prints a Markdown table (the README quotes it). Only the body is counted (headers add about
400 bytes to every answer alike).
"""

from __future__ import annotations

import sys
import urllib.request

PAGES = {
    "whole documents (`view=full`, as before)": "view=full",
    "compact (the default now)": "",
    "`fields=id,name,price_idr,thumbnail_url`": "fields=id,name,price_idr,thumbnail_url",
}
CODINGS = ("identity", "gzip", "br")


def body_bytes(url: str, coding: str) -> tuple[int, int]:
    """The body's length as sent with ``coding`` asked for, and the number of items."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": coding})
    with urllib.request.urlopen(request, timeout=30) as response:
        sent = response.read()
        used = response.headers.get("Content-Encoding", "identity")
    if used != coding:
        raise SystemExit(f"{url}: asked for {coding}, got {used}")
    items = 0
    if coding == "identity":
        items = sent.count(b'"id":"prd_')
    return len(sent), items


def main(base: str) -> None:
    print("| 20-item search page | no compression | gzip | Brotli |")
    print("| --- | ---: | ---: | ---: |")
    for name, query in PAGES.items():
        url = f"{base.rstrip('/')}/v1/products?limit=20&sort=newest" + (
            f"&{query}" if query else ""
        )
        sizes = [body_bytes(url, coding) for coding in CODINGS]
        if sizes[0][1] != 20:
            raise SystemExit(f"{url}: {sizes[0][1]} products, not 20 (load the demo data)")
        print(f"| {name} | " + " | ".join(f"{size:,} B" for size, _ in sizes) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
