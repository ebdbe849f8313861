"""The README and the Apps page are made from the readme/ fragments (tools/readme_fragments.py), and they lead
somewhere: the README stays short, keeps its two set-up commands, its contents list every section, and every
relative link and anchor of README.md, doc/ and readme/ resolves."""

import importlib.util
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
README = REPO_ROOT / "README.md"
README_LIMIT = 12 * 1024
# The README shows these fragments, in this order; HISTORY and CONTRIBUTORS it links to.
SHOWN = ["DESCRIPTION", "INSTALL", "CONFIGURE", "USAGE", "TROUBLESHOOTING", "ROADMAP"]
SETUP_COMMANDS = ["bash tools/run.sh", "bash tools/test.sh"]
LINK = re.compile(r"!?\[([^\]]*)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _generator():
    spec = importlib.util.spec_from_file_location("readme_fragments", REPO_ROOT / "tools" / "readme_fragments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path):
    seen, anchors = Counter(), set()
    for heading in re.findall(r"^#+ (.+)$", FENCE.sub("", path.read_text(encoding="utf-8")), re.M):
        slug = _slug(heading)
        anchors.add(slug if not seen[slug] else f"{slug}-{seen[slug]}")
        seen[slug] += 1
    return anchors


def _links(path):
    text = re.sub(r"`[^`\n]*`", "", FENCE.sub("", path.read_text(encoding="utf-8")))
    return [target for _text, target in LINK.findall(text)]


def test_readme_and_apps_page_are_made_from_the_fragments():
    run = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "readme_fragments.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_readme_shows_the_user_fragments_in_order():
    text = README.read_text(encoding="utf-8")
    assert re.findall(r"<!-- readme/(\w+)\.md -->", text) == SHOWN
    for name in [*SHOWN, "HISTORY", "CONTRIBUTORS"]:
        assert (REPO_ROOT / "readme" / f"{name}.md").read_text(encoding="utf-8").strip(), name


def test_the_readme_is_short():
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes: move details to doc/"


def test_the_readme_keeps_its_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Set-up: the two commands\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^```sh\n(.*?)\n```$", section, re.S | re.M) == SETUP_COMMANDS


def test_the_contents_list_every_section_of_the_readme():
    text = FENCE.sub("", README.read_text(encoding="utf-8"))
    contents = re.search(r"^\*\*Contents\*\*:(.*?)\n\n", text, re.S | re.M).group(1)
    listed = re.findall(r"\]\(#([^)]+)\)", contents)
    assert listed == [_slug(h) for h in re.findall(r"^## (.+)$", text, re.M)]


@pytest.mark.parametrize(
    "document",
    ["README.md", *(f"doc/{p.name}" for p in sorted((REPO_ROOT / "doc").glob("*.md")))]
    + [f"readme/{p.name}" for p in sorted((REPO_ROOT / "readme").glob("*.md"))],
)
def test_relative_links_and_anchors_resolve(document):
    path = REPO_ROOT / document
    # The fragments are written for the README: their links are relative to the repository's root.
    base = REPO_ROOT if document.startswith("readme/") else path.parent
    broken = []
    for target in _links(path):
        if target.startswith(("https://", "http://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (base / file_part).resolve() if file_part else (README if base == REPO_ROOT else path)
        if not linked.exists():
            broken.append(target)
        elif anchor and (linked.suffix != ".md" or anchor not in _anchors(linked)):
            broken.append(target)
    assert not broken, f"{document}: {broken}"


def test_the_apps_page_shows_only_what_it_can_serve():
    page = (REPO_ROOT / "static" / "description" / "index.html").read_text(encoding="utf-8")
    pictures = re.findall(r'<img src="([^"]+)"', page)
    assert pictures and all((REPO_ROOT / "static" / "description" / p).is_file() for p in pictures), pictures
    links = re.findall(r'<a href="([^"]+)"', page)
    assert all(link.startswith(("https://", "http://", "mailto:")) for link in links), links


def test_the_generator_keeps_to_what_the_apps_page_serves():
    page = _generator().Page()
    assert page.inline("`a<b>` [doc](doc/x.md) [site](https://x.example) **b** *e*") == (
        '<code>a&lt;b&gt;</code> doc <a href="https://x.example">site</a> <strong>b</strong> <em>e</em>'
    )
    shots = ["| a | b |", "|---|---|", "| ![](doc/screenshots/mobilepay_3_paid.png) | x |"]
    assert page.blocks("\n".join(shots)) == ""  # a picture the Apps page cannot serve: the table is left out
    assert page.blocks("1. one\n   more\n2. two") == "<ol>\n<li>one more</li>\n<li>two</li>\n</ol>"
