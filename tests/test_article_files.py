"""Reading article files: the fixtures folder, unreadable and special files, the bundled
sample, and the real corpus."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.ingest import front_matter
from jobs.ingest.fields import UnusableArticleError
from jobs.ingest.files import read_article_file
from storage.records import ArticleData
from tests.article_parsing import FIXTURES
from tests.fifo_rescue import fifo_rescue

# --- fixtures and reading files ------------------------------------------------------------------

SKIPPED_FIXTURES = {
    "binary_junk.md": "not UTF-8 text",
    "not_utf8.md": "not UTF-8 text",
    "empty.md": "no front matter",
    "no_front_matter.md": "no front matter",
    "unclosed_front_matter.md": "unclosed front matter (no closing ---)",
    "broken_yaml.md": "broken YAML at line 3: ",
    "list_front_matter.md": "front matter is not a mapping",
    "no_title.md": "no title",
    "no_url.md": "no usable URL (webUrl/originalUrl)",
}
INGESTED_FIXTURES = {
    "valid_modern.md": "https://example.com/news/small-speech-model",
    "valid_minimal.md": "https://example.org/local/ai-council-summaries",
    "valid_video.md": "https://www.youtube.com/watch?v=Xq7mZx2Lp0A",
    "bom_crlf.md": "https://example.org/local/bom-crlf",
}


def test_fixture_tables_cover_the_folder() -> None:
    on_disk = {path.name for path in FIXTURES.iterdir()} - {"README.md"}
    assert on_disk == SKIPPED_FIXTURES.keys() | INGESTED_FIXTURES.keys()
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in on_disk)


@pytest.mark.parametrize(("name", "reason"), sorted(SKIPPED_FIXTURES.items()))
def test_skipped_fixture(name: str, reason: str) -> None:
    with pytest.raises(UnusableArticleError) as caught:
        read_article_file(FIXTURES / name)
    assert caught.value.reason.startswith(reason)


@pytest.mark.parametrize(("name", "url"), sorted(INGESTED_FIXTURES.items()))
def test_ingested_fixture(name: str, url: str) -> None:
    assert read_article_file(FIXTURES / name).url == url


def test_modern_fixture_in_full() -> None:
    assert read_article_file(FIXTURES / "valid_modern.md") == ArticleData(
        url="https://example.com/news/small-speech-model",
        link="https://example.com/news/small-speech-model?utm_source=feed",
        title="Lab releases a small speech model that runs on a phone",
        excerpt="The 300M-parameter model transcribes 40 languages offline &amp; fits in "
        "200&nbsp;MB, the team says&hellip;",
        source_name="Example News",
        source_domain="example.com",
        image_url="https://picsum.photos/seed/speech/1200/630",
        images=("https://picsum.photos/seed/speech/1200/630",),
        heat=131,
        published=True,
        published_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        topics=("AI", "Natural Language Processing"),
    )


def test_read_errors(tmp_path: Path) -> None:
    with pytest.raises(UnusableArticleError, match=r"^cannot read: no such file or directory$"):
        read_article_file(tmp_path / "missing.md")
    with pytest.raises(UnusableArticleError, match=r"^cannot read: is a directory$"):
        read_article_file(tmp_path)


def test_read_skips_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    # The generator's folder is shared: a path can be a FIFO by the time it is opened.
    fifo = tmp_path / "turned.md"
    os.mkfifo(fifo)
    with fifo_rescue(fifo) as rescue, pytest.raises(UnusableArticleError) as caught:
        read_article_file(fifo)
    assert not rescue.needed, "open() waited for a writer"
    assert caught.value.reason == "not a regular file (a FIFO)"


def test_read_skips_a_device() -> None:
    with pytest.raises(UnusableArticleError, match=r"^not a regular file \(a character device\)$"):
        read_article_file("/dev/null")


@pytest.mark.parametrize(
    ("written", "limit", "size", "expected"),
    [
        (0, 100, 0, 0),
        (100, 1000, 100, 100),  # as fstat said
        (100_000, 200_000, 10, 100_000),  # grew after fstat: read on to the end
        (100_000, 5_000, 100_000, 5_000),  # stops at the limit
    ],
)
def test_read_at_most_reads_to_the_end_or_the_limit(
    written: int, limit: int, size: int, expected: int
) -> None:
    data = os.urandom(written)
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        os.lseek(file.fileno(), 0, os.SEEK_SET)
        assert front_matter._read_at_most(file.fileno(), limit, size) == data[:expected]


def test_read_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulated: chmod 000 does not stop root, and CI often runs as root.
    def locked(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    with monkeypatch.context() as patched:  # os.open is everyone's: patched for one call only
        patched.setattr(os, "open", locked)
        with pytest.raises(UnusableArticleError, match=r"^cannot read: permission denied$"):
            read_article_file(tmp_path / "locked.md")


def test_read_refuses_large_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(front_matter, "MAX_FILE_BYTES", 3 * 1024 * 1024)
    path = tmp_path / "huge.md"
    with path.open("wb") as file:
        file.truncate(5 * 1024 * 1024 + 1)
    with pytest.raises(UnusableArticleError, match=r"^file too large \(5\.0 MB > 3 MB\)$"):
        read_article_file(path)


# --- the bundled sample ---------------------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "sample" / "articles"


def test_sample_articles_parse_and_show_the_selection_cases() -> None:
    articles = {path.name: read_article_file(path) for path in sorted(SAMPLE.glob("*.md"))}
    values = list(articles.values())
    hot = [a for a in values if a.published and a.heat is not None and a.heat >= 100]
    assert len({a.url for a in hot}) >= 4
    assert any(a.image_url is None for a in hot)
    assert any("&#8217;" in a.excerpt and "🚀" in a.title for a in hot)
    assert any(any("\u4e00" <= char <= "\u9fff" for char in a.title) for a in hot)
    assert any(a.heat == 60 for a in values)
    assert any(a.published is False for a in values)
    assert any(a.heat is None and a.published is None for a in values)
    duplicates = [a for a in values if a.url != a.link and "utm_" in a.link]
    assert len(duplicates) == 1
    (later,) = duplicates
    (earlier,) = [a for a in values if a.url == later.url and a is not later]
    assert later.heat is not None and earlier.heat is not None and later.heat > earlier.heat
    assert all(a.published_at is not None and a.published_at.year == 2026 for a in values)


# --- the corpus ----------------------------------------------------------------------------------


def corpus_root() -> Path:
    configured = os.environ.get("FEEDBOT_CORPUS")
    root = (
        Path(configured)
        if configured
        else Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    if not root.is_dir():
        pytest.skip(f"article corpus not found at {root} (set FEEDBOT_CORPUS to its folder)")
    return root


@pytest.fixture(scope="module")
def corpus() -> dict[Path, ArticleData | str]:
    """Every corpus file, parsed, or the reason it was rejected."""
    root = corpus_root()
    results: dict[Path, ArticleData | str] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in {".md", ".txt"} and path.name != "README.md" and path.is_file():
            try:
                results[path.relative_to(root)] = read_article_file(path)
            except UnusableArticleError as error:
                results[path.relative_to(root)] = error.reason
    if not results:
        pytest.skip(f"no *.md or *.txt article files under {root}")
    return results


def parsed_articles(corpus: dict[Path, ArticleData | str]) -> list[ArticleData]:
    return [result for result in corpus.values() if isinstance(result, ArticleData)]


def test_corpus_parses(corpus: dict[Path, ArticleData | str]) -> None:
    failures = {path: reason for path, reason in corpus.items() if isinstance(reason, str)}
    # Anything but UnusableArticleError has already failed the fixture.
    assert len(failures) <= 0.05 * len(corpus), failures


SEED = Path("seed/000_ebcaaf24fa9088d9.txt")


def test_corpus_seed_file(corpus: dict[Path, ArticleData | str]) -> None:
    if SEED not in corpus:
        pytest.skip(f"not the project's reference corpus: no {SEED}")
    seed = corpus[SEED]
    assert isinstance(seed, ArticleData), seed
    # The site's own navigation parameters are not tracking parameters and stay in the identity.
    assert seed.url == (
        "https://www.scmp.com/business/companies/article/3145739/"
        "sensetime-parlays-academic-bona-fides-worlds-largest-platform"
        "?module=lead_hero_story&pgtype=homepage"
    )
    assert seed.url == seed.link
    assert seed.topics == (
        "Natural Language Processing",
        "AI",
        "Computer Vision",
        "AI in Healthcare",
    )
    assert (seed.heat, seed.published, seed.source_domain) == (87, True, "scmp.com")
    assert seed.published_at == datetime(2021, 8, 21, 2, 14, tzinfo=UTC)
    assert seed.image_url is not None and seed.image_url.startswith("https://cdn.i-scmp.com/")
    assert seed.excerpt.startswith("READ FULL ARTICLE")


def test_corpus_facts(corpus: dict[Path, ArticleData | str]) -> None:
    """Facts the corpus README states about the reference corpus, seen through the parser."""
    if SEED not in corpus:
        pytest.skip(f"not the project's reference corpus: no {SEED}")
    root = corpus_root()
    articles = parsed_articles(corpus)
    assert all(a.published_at is not None and a.published_at.tzinfo is UTC for a in articles)
    assert all(1 <= len(a.topics) <= 6 for a in articles)
    # Logos live under /organizations/ and are 50×50: never picked as a preview.
    assert not any(a.image_url and "/organizations/" in a.image_url for a in articles)
    # heat −1 marks unpublished items.
    assert all(a.published is False for a in articles if a.heat == -1)
    # Videos have no webUrl: their identity is the YouTube originalUrl.
    videos = sum(
        1
        for path in corpus
        if re.search(r"^type: video$", (root / path).read_text(encoding="utf-8"), re.MULTILINE)
    )
    on_youtube = [a for a in articles if a.url.startswith("https://youtube.com/watch?v=")]
    assert len(on_youtube) == videos
    # The same webUrl appears in more than one file: the identity, not the path, deduplicates.
    identities = Counter(a.url for a in articles)
    assert any(count > 1 for count in identities.values())
