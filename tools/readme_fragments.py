"""The README's module part and the Apps page, made from the OCA-style fragments in readme/.

OCA's oca-gen-addon-readme (OCA/maintainer-tools) is not on PyPI; this does its job for this addon with
the standard library only. The fragments are Markdown of a small subset: paragraphs, ``-`` and ``1.``
lists, ``###`` headings, fenced code, pipe tables, inline code, links, images, bold and emphasis.

* README.md: between ``<!-- readme/NAME.md -->`` and ``<!-- /readme/NAME.md -->`` stands readme/NAME.md
  under its heading. The rest of the README (title, contents, the two set-up commands) is written by hand.
* static/description/index.html, the Apps page: written whole from the manifest and every fragment.
  Relative links become their text and only pictures of static/description/ are shown (nothing else is
  served there); a table of pictures that cannot be shown is left out.

    python tools/readme_fragments.py           # write both
    python tools/readme_fragments.py --check   # exit 1, naming what is out of date
"""

import argparse
import ast
import html
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
APPS_PAGE = ROOT / "static" / "description" / "index.html"
# Fragment -> its heading, in the Apps page's order.
FRAGMENTS = {
    "DESCRIPTION": "What it does",
    "INSTALL": "Installing in an existing Odoo",
    "CONFIGURE": "Configuring",
    "USAGE": "At the till",
    "TROUBLESHOOTING": "Troubleshooting",
    "ROADMAP": "Limits",
    "HISTORY": "Changelog",
    "CONTRIBUTORS": "Contributors",
}
PICTURE = ("mobilepay_21_demo_receipt.png", "A paid Vipps MobilePay order; in demo mode the receipt says so")
MARKED = re.compile(r"(<!-- readme/(\w+)\.md -->\n)(.*?)(<!-- /readme/\2\.md -->)", re.S)
LIST_ITEM = re.compile(r"^(-|\d+\.) ")
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
ABSOLUTE = ("https://", "http://", "mailto:")


def fragment(name):
    return (ROOT / "readme" / f"{name}.md").read_text(encoding="utf-8").strip()


def readme_text(current):
    """README.md with each marked part made afresh from its fragment."""

    def fill(match):
        name = match.group(2)
        if name not in FRAGMENTS:
            raise SystemExit(f"README.md marks readme/{name}.md, which is not a fragment")
        return f"{match.group(1)}## {FRAGMENTS[name]}\n\n{fragment(name)}\n\n{match.group(4)}"

    return MARKED.sub(fill, current)


class Page:
    """Markdown of the fragments as HTML for the Apps page."""

    def __init__(self):
        self.missing = 0  # pictures left out, counted per table

    def image(self, match):
        alt, src = match.groups()
        if src.startswith(ABSOLUTE) or (src.startswith("static/description/") and (ROOT / src).is_file()):
            return f'<img src="{src.removeprefix("static/description/")}" alt="{alt}" class="img-fluid" />'
        self.missing += 1
        return ""

    @staticmethod
    def link(match):
        text, href = match.groups()
        return f'<a href="{href}">{text}</a>' if href.startswith(ABSOLUTE) else text

    def inline(self, text):
        codes = []

        def keep(match):
            codes.append(f"<code>{html.escape(match.group(1))}</code>")
            return f"\0{len(codes) - 1}\0"

        text = html.escape(re.sub(r"`([^`]+)`", keep, text), quote=False)
        text = LINK.sub(self.link, IMAGE.sub(self.image, text))
        text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
        text = re.sub(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", r"<em>\1</em>", text)
        return re.sub(r"\0(\d+)\0", lambda match: codes[int(match.group(1))], text)

    def table(self, lines):
        self.missing = 0
        rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
        rows = [row for row in rows if not all(set(cell) <= set("-: ") for cell in row)]
        cells = [[self.inline(cell) for cell in row] for row in rows]
        if self.missing:
            return ""
        head = "".join(f"<th>{cell}</th>" for cell in cells[0])
        body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in cells[1:])
        return f'<table class="table">\n<tr>{head}</tr>\n{body}\n</table>'

    def listing(self, lines):
        items = []
        for line in lines:
            if LIST_ITEM.match(line):
                items.append(LIST_ITEM.sub("", line))
            else:
                items[-1] += " " + line.strip()
        tag = "ul" if lines[0].startswith("-") else "ol"
        return f"<{tag}>\n" + "".join(f"<li>{self.inline(item)}</li>\n" for item in items) + f"</{tag}>"

    def blocks(self, text):
        lines, out, i = text.split("\n"), [], 0
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
            elif line.startswith("```"):
                end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), len(lines))
                out.append("<pre><code>" + html.escape("\n".join(lines[i + 1 : end])) + "</code></pre>")
                i = end + 1
            elif line.startswith("#"):
                level = max(4, len(line) - len(line.lstrip("#")) + 1)  # below the page's own h2 and h3
                out.append(f"<h{level}>{self.inline(line.lstrip('#').strip())}</h{level}>")
                i += 1
            else:
                end = i
                while end < len(lines) and lines[end].strip() and not lines[end].startswith(("```", "#")):
                    end += 1
                block, i = lines[i:end], end
                if block[0].startswith("|"):
                    out.append(self.table(block))
                elif LIST_ITEM.match(block[0]):
                    out.append(self.listing(block))
                else:
                    out.append(f"<p>{self.inline(' '.join(part.strip() for part in block))}</p>")
        return "\n".join(part for part in out if part)


def apps_page():
    """static/description/index.html: the manifest's name and summary, a picture, every fragment."""
    manifest = ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))
    page, sections = Page(), []
    for number, (name, title) in enumerate(FRAGMENTS.items()):
        if number == 0:
            heading = (
                f'<h2 class="oe_slogan">{html.escape(manifest["name"])}</h2>\n'
                f'<h3 class="oe_slogan">{html.escape(manifest["summary"])}</h3>'
            )
            picture = (
                '\n<div class="oe_demo oe_picture oe_screenshot">\n'
                f'<img src="{PICTURE[0]}" alt="{PICTURE[1]}" />\n</div>'
            )
        else:
            heading, picture = f'<h3 class="oe_slogan">{html.escape(title)}</h3>', ""
        dark = " oe_dark" if number % 2 else ""
        body = page.blocks(fragment(name))
        sections.append(
            f'<section class="oe_container{dark}">\n<div class="oe_row oe_spaced">\n'
            f"{heading}\n{body}{picture}\n</div>\n</section>\n"
        )
    return "<!-- Made by tools/readme_fragments.py from readme/*.md: edit those, then run it. -->\n" + "".join(sections)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = {README: readme_text(current), APPS_PAGE: apps_page()}
    stale = [path for path, text in wanted.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date with readme/: run python tools/readme_fragments.py")
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
