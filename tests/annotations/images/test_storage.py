"""store_image writes validated, content-addressed, write-once files; renditions are cached."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
from pathlib import Path

import pytest
from PIL import ExifTags, Image
from pytest_django.fixtures import Settings

from annotations.images.storage import (
    InvalidStoredPathError,
    RenditionKind,
    StoredImage,
    ensure_rendition,
    rendition_path,
    store_image,
    store_image_file,
    stored_file_path,
)
from annotations.images.validation import ImageRejected
from tests.annotations.images import (
    RED,
    XMP_PACKET,
    encode,
    exif_with,
    halves,
    two_frame_gif,
)

# A time no write made by the code under test can have: a rewrite would move the mtime.
LONG_AGO_NS = 1_000_000_000 * 1_000_000_000


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    settings.KD_IMAGE_MAX_PIXELS = 50_000_000
    settings.KD_IMAGE_MAX_BYTES = 50 * 1024 * 1024
    settings.KD_IMAGE_ALLOW_GIF = False
    settings.KD_IMAGE_KEEP_ORIGINAL = False
    return root


@pytest.fixture
def sideways_photo() -> bytes:
    """A 40x20 JPEG with Orientation=6 (shown 20x40), GPS and XMP: a phone photo, in short."""
    return encode(halves((40, 20)), "JPEG", exif=exif_with(6, with_gps=True), xmp=XMP_PACKET)


def sharded(sha256: str, extension: str) -> str:
    return f"images/{sha256[:2]}/{sha256[2:4]}/{sha256}.{extension}"


def files_under(root: Path) -> list[str]:
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


# --- Storing -----------------------------------------------------------------------------------


def test_a_sideways_photo_is_stored_upright_without_exif_gps_or_xmp(
    media_root: Path, sideways_photo: bytes
) -> None:
    sha256 = hashlib.sha256(sideways_photo).hexdigest()

    stored = store_image(sideways_photo)

    file = media_root / sharded(sha256, "jpg")
    assert stored == StoredImage(
        sha256=sha256,
        width=20,
        height=40,
        mime="image/jpeg",
        byte_size=file.stat().st_size,
        path=sharded(sha256, "jpg"),
    )
    assert files_under(media_root) == [sharded(sha256, "jpg")]
    image = Image.open(file)
    assert (image.format, image.size) == ("JPEG", (20, 40))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert "xmp" not in image.info
    assert b"creator-secret" not in file.read_bytes()
    # Upright: the stored-left RED half is now the top half.
    top = image.getpixel((10, 5))
    assert isinstance(top, tuple)
    assert top[0] > 200
    assert top[2] < 60


def test_stored_files_are_0644(media_root: Path) -> None:
    previous_umask = os.umask(0o077)
    try:
        stored = store_image(encode(Image.new("RGB", (8, 8), RED), "PNG"))
    finally:
        os.umask(previous_umask)

    assert stat.S_IMODE((media_root / stored.path).stat().st_mode) == 0o644


def test_keep_original_stores_the_bytes_exactly_with_upright_dimensions(
    media_root: Path, settings: Settings, sideways_photo: bytes
) -> None:
    settings.KD_IMAGE_KEEP_ORIGINAL = True
    sha256 = hashlib.sha256(sideways_photo).hexdigest()

    stored = store_image(sideways_photo)

    assert stored == StoredImage(
        sha256=sha256,
        width=20,
        height=40,
        mime="image/jpeg",
        byte_size=len(sideways_photo),
        path=sharded(sha256, "jpg"),
    )
    assert (media_root / stored.path).read_bytes() == sideways_photo


def test_the_same_bytes_stored_twice_share_one_file_written_once(media_root: Path) -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "PNG")
    first = store_image(data)
    file = media_root / first.path
    os.utime(file, ns=(LONG_AGO_NS, LONG_AGO_NS))
    inode = file.stat().st_ino

    second = store_image(data)

    assert second == first
    assert (file.stat().st_ino, file.stat().st_mtime_ns) == (inode, LONG_AGO_NS)
    assert files_under(media_root) == [first.path]


def test_concurrent_stores_of_the_same_bytes_leave_one_complete_file(media_root: Path) -> None:
    data = encode(Image.new("RGB", (64, 64), RED), "PNG")
    results: list[StoredImage] = []
    barrier = threading.Barrier(8)

    def store() -> None:
        barrier.wait()
        results.append(store_image(data))

    threads = [threading.Thread(target=store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 8
    assert len(set(results)) == 1
    assert files_under(media_root) == [results[0].path]
    assert Image.open(media_root / results[0].path).getcolors() == [(4096, RED)]


def test_a_rejected_image_writes_nothing(media_root: Path) -> None:
    with pytest.raises(ImageRejected) as caught:
        store_image(two_frame_gif())

    assert caught.value.code == "image_format_not_allowed"
    assert not media_root.exists()


def test_an_allowed_gif_is_stored_as_png(media_root: Path, settings: Settings) -> None:
    settings.KD_IMAGE_ALLOW_GIF = True
    data = two_frame_gif()
    sha256 = hashlib.sha256(data).hexdigest()

    stored = store_image(data)

    assert (stored.path, stored.mime, stored.width, stored.height) == (
        sharded(sha256, "png"),
        "image/png",
        8,
        8,
    )
    image = Image.open(media_root / stored.path)
    assert (image.format, image.convert("RGB").getcolors()) == ("PNG", [(64, RED)])


def test_limits_come_from_settings(media_root: Path, settings: Settings) -> None:
    settings.KD_IMAGE_MAX_PIXELS = 5000

    with pytest.raises(ImageRejected) as caught:
        store_image(encode(Image.new("RGB", (100, 100), RED), "PNG"))

    assert (caught.value.code, caught.value.message) == (
        "image_too_many_pixels",
        "The image is 100x100 pixels (10,000 in all), over the limit of 5,000 pixels.",
    )


# --- Storing from a file -----------------------------------------------------------------------


def test_a_file_name_never_chooses_the_stored_name(media_root: Path, tmp_path: Path) -> None:
    upload = tmp_path / "evil.html"
    data = encode(Image.new("RGB", (8, 8), RED), "JPEG")
    upload.write_bytes(data)

    stored = store_image_file(upload)

    assert stored.path == sharded(hashlib.sha256(data).hexdigest(), "jpg")
    assert stored.mime == "image/jpeg"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(
            b"<!doctype html><html><script>alert(1)</script></html>",
            ("image_format_not_allowed", "The file is not a JPEG, PNG or WebP image."),
            id="html-named-jpg",
        ),
        pytest.param(b"", ("image_empty", "The file is empty (0 bytes)."), id="zero-bytes"),
    ],
)
def test_files_that_are_not_images_are_rejected(
    media_root: Path, tmp_path: Path, content: bytes, expected: tuple[str, str]
) -> None:
    upload = tmp_path / "photo.jpg"
    upload.write_bytes(content)

    with pytest.raises(ImageRejected) as caught:
        store_image_file(upload)

    assert (caught.value.code, caught.value.message) == expected
    assert not media_root.exists()


def test_a_file_over_max_bytes_is_rejected(
    media_root: Path, settings: Settings, tmp_path: Path
) -> None:
    settings.KD_IMAGE_MAX_BYTES = 100
    upload = tmp_path / "big.png"
    upload.write_bytes(encode(Image.new("RGB", (64, 64), RED), "PNG", compress_level=0))

    with pytest.raises(ImageRejected) as caught:
        store_image_file(upload)

    assert (caught.value.code, caught.value.message) == (
        "image_too_large_bytes",
        "The file is larger than the limit of 100 bytes.",
    )


@pytest.mark.timeout(10)
def test_an_endless_file_is_rejected_after_max_bytes_plus_one(
    media_root: Path, settings: Settings
) -> None:
    # /dev/zero never ends: reading it whole would hang until the timeout fails the test.
    settings.KD_IMAGE_MAX_BYTES = 1024

    with pytest.raises(ImageRejected) as caught:
        store_image_file(Path("/dev/zero"))

    assert caught.value.code == "image_too_large_bytes"


# --- Renditions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "kind", "expected"),
    [
        pytest.param((1600, 800), "thumbnail", (256, 128), id="thumbnail"),
        pytest.param((1600, 800), "preview", (1024, 512), id="preview"),
        pytest.param((100, 50), "thumbnail", (100, 50), id="small-thumbnail"),
        pytest.param((100, 50), "preview", (100, 50), id="small-preview"),
    ],
)
def test_renditions_fit_their_kind_and_never_upscale(
    media_root: Path, size: tuple[int, int], kind: RenditionKind, expected: tuple[int, int]
) -> None:
    stored = store_image(encode(Image.new("RGB", size, RED), "PNG"))
    sha256 = stored.sha256

    path = ensure_rendition(stored.path, kind)

    assert path == media_root / "renditions" / kind / sha256[:2] / sha256[2:4] / f"{sha256}.jpg"
    image = Image.open(path)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", expected)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_rendition_is_generated_once_and_served_from_the_cache(media_root: Path) -> None:
    stored = store_image(encode(Image.new("RGB", (600, 300), RED), "PNG"))
    first = ensure_rendition(stored.path, "thumbnail")
    os.utime(first, ns=(LONG_AGO_NS, LONG_AGO_NS))
    inode = first.stat().st_ino
    # Were the cache ignored, the next call would have to decode the stored file again.
    (media_root / stored.path).write_bytes(b"")

    second = ensure_rendition(stored.path, "thumbnail")

    assert second == first
    assert (second.stat().st_ino, second.stat().st_mtime_ns) == (inode, LONG_AGO_NS)


def test_a_rendition_of_a_kept_original_is_upright(
    media_root: Path, settings: Settings, sideways_photo: bytes
) -> None:
    settings.KD_IMAGE_KEEP_ORIGINAL = True
    stored = store_image(sideways_photo)

    image = Image.open(ensure_rendition(stored.path, "preview"))

    assert (image.size, dict(image.getexif())) == ((20, 40), {})


def test_a_kept_original_gif_still_renders_after_gifs_are_disallowed(
    media_root: Path, settings: Settings
) -> None:
    settings.KD_IMAGE_KEEP_ORIGINAL = True
    settings.KD_IMAGE_ALLOW_GIF = True
    data = two_frame_gif()
    stored = store_image(data)
    assert (stored.path, stored.mime) == (sharded(stored.sha256, "gif"), "image/gif")
    assert (media_root / stored.path).read_bytes() == data
    settings.KD_IMAGE_ALLOW_GIF = False

    image = Image.open(ensure_rendition(stored.path, "thumbnail"))

    assert (image.format, image.size) == ("JPEG", (8, 8))
    # The first frame, RED, within JPEG's rounding (the second frame is BLUE).
    colours = image.getcolors()
    assert colours is not None
    assert len(colours) == 1
    count, pixel = colours[0]
    assert count == 64
    assert isinstance(pixel, tuple)
    assert pixel[0] >= 250
    assert max(pixel[1:]) <= 5


def test_a_missing_stored_file_has_no_rendition(media_root: Path) -> None:
    sha256 = "ab" * 32

    with pytest.raises(FileNotFoundError):
        ensure_rendition(sharded(sha256, "jpg"), "thumbnail")

    assert not (media_root / "renditions").exists()


def test_an_unknown_rendition_kind_is_refused(media_root: Path) -> None:
    with pytest.raises(ValueError, match="Unknown rendition kind 'original'"):
        rendition_path(sharded("ab" * 32, "jpg"), "original")


@pytest.mark.parametrize(
    "stored_path",
    [
        pytest.param("../images/ab/ab/" + "ab" * 32 + ".jpg", id="parent-prefix"),
        pytest.param("images/ab/ab/../../../" + "ab" * 32 + ".jpg", id="parent-inside"),
        pytest.param("images/../../etc/passwd", id="etc-passwd"),
        pytest.param("/etc/passwd", id="absolute"),
        pytest.param("images\\ab\\ab\\" + "ab" * 32 + ".jpg", id="backslashes"),
        pytest.param("images/cd/ab/" + "ab" * 32 + ".jpg", id="shard-mismatch"),
        pytest.param("images/ab/ab/" + "ab" * 32 + ".html", id="foreign-extension"),
        pytest.param("images/ab/ab/" + "ab" * 32 + ".jpg\x00", id="nul"),
        pytest.param("renditions/thumbnail/ab/ab/" + "ab" * 32 + ".jpg", id="not-images"),
    ],
)
def test_stored_paths_outside_the_image_store_are_refused(
    media_root: Path, stored_path: str
) -> None:
    with pytest.raises(InvalidStoredPathError, match="is not a stored image path"):
        rendition_path(stored_path, "thumbnail")
    with pytest.raises(InvalidStoredPathError, match="is not a stored image path"):
        ensure_rendition(stored_path, "thumbnail")

    assert not media_root.exists()


def test_a_stored_path_through_a_link_leading_outside_is_refused(
    media_root: Path, tmp_path: Path
) -> None:
    sha256 = "ab" * 32
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"{sha256}.png").write_bytes(encode(Image.new("RGB", (8, 8), RED), "PNG"))
    (media_root / "images" / "ab").mkdir(parents=True)
    (media_root / "images" / "ab" / "ab").symlink_to(outside)

    with pytest.raises(InvalidStoredPathError, match="resolves outside the image store"):
        ensure_rendition(sharded(sha256, "png"), "thumbnail")

    assert not (media_root / "renditions").exists()


def test_stored_file_path_returns_the_absolute_path_of_a_stored_image(media_root: Path) -> None:
    stored = store_image(encode(Image.new("RGB", (8, 8), RED), "PNG"))

    assert stored_file_path(stored.path) == media_root / stored.path
    assert Image.open(io.BytesIO(stored_file_path(stored.path).read_bytes())).size == (8, 8)
