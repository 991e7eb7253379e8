from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from annotations.importers.paths import PathOutsideRoot, normalize_relative, resolve_under
from tests.annotations.importers.files import real, touch


@pytest.mark.parametrize(
    ("relative", "normalized"),
    [
        ("a.jpg", "a.jpg"),
        ("images/a.jpg", "images/a.jpg"),
        ("./images//a.jpg", "images/a.jpg"),
        ("images/./a.jpg/", "images/a.jpg"),
        # Percent-encoding is not decoded: these are folders literally named so.
        ("%2e%2e/secret.jpg", "%2e%2e/secret.jpg"),
        ("%2E%2E%2Fsecret.jpg", "%2E%2E%2Fsecret.jpg"),
        # Dots inside a name are not a '..' segment.
        ("..a.jpg", "..a.jpg"),
        ("a../b...jpg", "a../b...jpg"),
        ("~/a.jpg", "~/a.jpg"),
        ("C:/a.jpg", "C:/a.jpg"),
        ("photos/été 2024/φωτό.jpg", "photos/été 2024/φωτό.jpg"),
        ("x" * 1024, "x" * 1024),
    ],
)
def test_normalize_relative_accepts_plain_relative_paths(relative: str, normalized: str) -> None:
    assert normalize_relative(relative) == normalized


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("", "path is empty"),
        ("/etc/passwd", "path '/etc/passwd' is absolute; it must be relative"),
        ("//server/share/a.jpg", "path '//server/share/a.jpg' is absolute; it must be relative"),
        ("../secret.jpg", "path '../secret.jpg' has a '..' segment"),
        ("images/../../secret.jpg", "path 'images/../../secret.jpg' has a '..' segment"),
        ("images/..", "path 'images/..' has a '..' segment"),
        ("images/../a.jpg", "path 'images/../a.jpg' has a '..' segment"),
        ("..", "path '..' has a '..' segment"),
        ("images\\a.jpg", "path 'images\\\\a.jpg' contains a backslash; use '/'"),
        ("..\\secret.jpg", "path '..\\\\secret.jpg' contains a backslash; use '/'"),
        ("a\x00.jpg", "path 'a\\x00.jpg' contains a NUL character"),
        ("\ud800.jpg", "path '\\ud800.jpg' is not valid Unicode text"),
        (".", "path '.' names no file"),
        ("./", "path './' names no file"),
        ("x" * 1025, f"path {'x' * 80!r}... is 1025 characters long; the limit is 1024"),
    ],
)
def test_resolve_under_rejects_malformed_paths(tmp_path: Path, relative: str, message: str) -> None:
    with pytest.raises(PathOutsideRoot) as raised:
        resolve_under(tmp_path, relative)

    assert str(raised.value) == message
    # A ValueError, so callers that only know the standard library can still catch it.
    assert isinstance(raised.value, ValueError)


def test_resolve_under_returns_the_real_absolute_path(tmp_path: Path) -> None:
    touch(tmp_path / "root" / "images" / "a.jpg")

    assert resolve_under(tmp_path / "root", "./images//a.jpg") == real(
        tmp_path / "root" / "images" / "a.jpg"
    )


def test_resolve_under_allows_a_file_that_does_not_exist(tmp_path: Path) -> None:
    # Missing files are the caller's image_missing, not a path problem.
    assert resolve_under(tmp_path, "missing.jpg") == real(tmp_path) / "missing.jpg"


def test_resolve_under_takes_percent_encoding_literally(tmp_path: Path) -> None:
    touch(tmp_path / "root" / "%2e%2e" / "secret.jpg")

    assert resolve_under(tmp_path / "root", "%2e%2e/secret.jpg") == real(
        tmp_path / "root" / "%2e%2e" / "secret.jpg"
    )


def test_resolve_under_refuses_a_symlinked_file_that_leads_outside(tmp_path: Path) -> None:
    touch(tmp_path / "secret.jpg")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link.jpg").symlink_to(tmp_path / "secret.jpg")

    with pytest.raises(PathOutsideRoot) as raised:
        resolve_under(tmp_path / "root", "link.jpg")

    assert str(raised.value) == ("path 'link.jpg' leads outside the import root through a symlink")


def test_resolve_under_refuses_a_symlinked_folder_that_leads_outside(tmp_path: Path) -> None:
    touch(tmp_path / "outside" / "a.jpg")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "images").symlink_to(tmp_path / "outside", target_is_directory=True)

    with pytest.raises(PathOutsideRoot) as raised:
        resolve_under(tmp_path / "root", "images/a.jpg")

    assert str(raised.value) == (
        "path 'images/a.jpg' leads outside the import root through a symlink"
    )


def test_resolve_under_refuses_a_dangling_symlink_that_points_outside(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link.jpg").symlink_to("/nonexistent/elsewhere.jpg")

    with pytest.raises(PathOutsideRoot):
        resolve_under(tmp_path / "root", "link.jpg")


def test_resolve_under_refuses_a_root_that_shares_only_a_name_prefix(tmp_path: Path) -> None:
    # "/x/root-other" starts with the characters of "/x/root" but is not inside it.
    touch(tmp_path / "root-other" / "a.jpg")
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link.jpg").symlink_to(tmp_path / "root-other" / "a.jpg")

    with pytest.raises(PathOutsideRoot):
        resolve_under(tmp_path / "root", "link.jpg")


def test_resolve_under_refuses_a_symlink_to_the_root_itself(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "self").symlink_to(tmp_path / "root", target_is_directory=True)

    with pytest.raises(PathOutsideRoot) as raised:
        resolve_under(tmp_path / "root", "self")

    assert str(raised.value) == "path 'self' resolves to the import root itself"
    # Through the same link to a file inside is fine: it stays inside.
    assert resolve_under(tmp_path / "root", "self/a.jpg") == real(tmp_path / "root" / "a.jpg")


def test_resolve_under_follows_symlinks_that_stay_inside(tmp_path: Path) -> None:
    touch(tmp_path / "root" / "originals" / "a.jpg")
    (tmp_path / "root" / "link.jpg").symlink_to(tmp_path / "root" / "originals" / "a.jpg")

    assert resolve_under(tmp_path / "root", "link.jpg") == real(
        tmp_path / "root" / "originals" / "a.jpg"
    )


def test_resolve_under_accepts_a_root_given_through_a_symlink(tmp_path: Path) -> None:
    touch(tmp_path / "root" / "a.jpg")
    (tmp_path / "root-link").symlink_to(tmp_path / "root", target_is_directory=True)

    assert resolve_under(tmp_path / "root-link", "a.jpg") == real(tmp_path / "root" / "a.jpg")


def test_resolve_under_leaves_a_symlink_loop_unresolved_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "loop.jpg").symlink_to(tmp_path / "root" / "loop.jpg")

    resolved = resolve_under(tmp_path / "root", "loop.jpg")

    assert resolved.is_relative_to(real(tmp_path / "root"))
    assert not resolved.is_file()


# Every path of up to three segments drawn from these, each checked against the invariant.
_SEGMENTS = ["a", "b.jpg", ".", "..", "", "%2e%2e", "...", "c\\d", "e\x00", "link", "self"]


def test_resolve_under_never_returns_a_path_outside_the_root(tmp_path: Path) -> None:
    touch(tmp_path / "outside" / "secret.jpg")
    root = tmp_path / "root"
    touch(root / "a" / "b.jpg")
    (root / "link").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "self").symlink_to(root, target_is_directory=True)
    real_root = real(root)
    checked = 0

    for count in (1, 2, 3):
        for segments in itertools.product(_SEGMENTS, repeat=count):
            relative = "/".join(segments)
            try:
                resolved = resolve_under(root, relative)
            except PathOutsideRoot:
                continue
            checked += 1
            assert resolved.is_absolute()
            assert resolved.is_relative_to(real_root), relative
            assert resolved != real_root, relative
            assert ".." not in segments, relative
            assert not resolved.is_relative_to(real(tmp_path / "outside")), relative
            assert resolved == real(resolved), relative

    # The table must exercise the accepting side too, not only refusals.
    assert checked > 100
