"""docs/FORMAT.md is the format's specification: its examples parse and write back, and it
describes every line of the table the code derives from."""

import re
from pathlib import Path

from whispersynth import settings, spec

DOC = (Path(__file__).parents[1] / "docs" / "FORMAT.md").read_text()
BLOCKS = re.findall(r"```settings\n(.*?)```", DOC, re.S)  # canonical examples
LENIENT = re.findall(r"```settings-lenient\n(.*?)```\n\nreads as the canonical\n\n```settings\n(.*?)```", DOC, re.S)


def test_every_canonical_example_parses_and_writes_back_byte_for_byte():
    assert len(BLOCKS) >= 6
    for text in BLOCKS:
        assert settings.format(settings.parse(text), note="\nNote:" in text) == text


def test_each_lenient_example_reads_as_the_canonical_one_after_it():
    assert LENIENT
    for lenient, canonical in LENIENT:
        assert lenient != canonical and settings.format(settings.parse(lenient)) == canonical


def test_the_document_describes_every_line_of_the_table():
    table = re.findall(r"^\| ([A-Z][^|]*?) (?:\(optional\) )?\|", DOC, re.M)
    labels = [line.label for line in settings.lines(spec.FIELDS)]
    assert [t for t in table if t in labels] == labels  # each line once, in the table's order
    for f in spec.FIELDS:
        if f.part:
            assert f"`{f.part}`" in DOC or f"{f.part}:" in DOC, f.part


def test_the_title_names_the_version_the_code_writes():
    assert DOC.splitlines()[0] == f"# The settings format (version {spec.VERSION})"


def test_every_line_a_later_version_added_has_a_canonical_example():
    for line in settings.lines(spec.FIELDS):
        if line.parts[0].version > 1:
            assert any(f"\n{line.label}: " in text for text in BLOCKS), line.label


def test_the_readmes_links_resolve_inside_the_repository():
    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme) + re.findall(r"`((?:docs|src|evaluation|benchmarks)/[^`\s]+)`", readme)
    local = [link.split("#")[0] for link in links if not re.match(r"[a-z]+://", link)]
    assert "docs/FORMAT.md" in local
    for link in local:
        target = (root / link).resolve()
        assert target.is_relative_to(root) and target.exists(), link
