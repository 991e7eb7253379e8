"""decode_image accepts only fully decodable allow-listed images; encodings carry no metadata."""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from annotations.images.validation import (
    DecodedImage,
    ImageRejected,
    decode_image,
    encode_stripped,
    render_rendition,
)
from tests.annotations.images import (
    BLUE,
    GREY,
    RED,
    XMP_PACKET,
    encode,
    exif_with,
    halves,
    marked,
    noise,
    png_claiming,
    two_frame_gif,
)

NOT_ALLOWED = "The file is not a JPEG, PNG or WebP image."
TRUNCATED = "The image file is truncated: its data ends before the picture does."
UNREADABLE = (
    "The image could not be decoded: the file is damaged or uses a variant of its format "
    "that is not supported."
)
SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def decode(
    data: bytes,
    *,
    max_pixels: int = 1_000_000,
    max_bytes: int = 10_000_000,
    allow_gif: bool = False,
) -> DecodedImage:
    return decode_image(data, max_pixels=max_pixels, max_bytes=max_bytes, allow_gif=allow_gif)


def rejection(
    data: bytes,
    *,
    max_pixels: int = 1_000_000,
    max_bytes: int = 10_000_000,
    allow_gif: bool = False,
) -> tuple[str, str]:
    with pytest.raises(ImageRejected) as caught:
        decode(data, max_pixels=max_pixels, max_bytes=max_bytes, allow_gif=allow_gif)
    return caught.value.code, caught.value.message


# --- Size of the file --------------------------------------------------------------------------


def test_zero_bytes_are_rejected_as_empty() -> None:
    assert rejection(b"") == ("image_empty", "The file is empty (0 bytes).")


def test_one_byte_over_max_bytes_is_rejected_and_exactly_max_bytes_is_accepted() -> None:
    data = encode(Image.new("RGB", (8, 8), RED), "PNG")

    assert rejection(data, max_bytes=len(data) - 1) == (
        "image_too_large_bytes",
        f"The file is larger than the limit of {len(data) - 1:,} bytes.",
    )
    assert decode(data, max_bytes=len(data)).format == "PNG"


def test_limits_below_one_are_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        decode(b"x", max_pixels=0)


# --- Formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', id="svg"
        ),
        pytest.param(b"<!doctype html><html><script>alert(1)</script></html>", id="html"),
        pytest.param(encode(Image.new("RGB", (8, 8), RED), "TIFF"), id="tiff"),
        pytest.param(encode(Image.new("RGB", (8, 8), RED), "BMP"), id="bmp"),
        pytest.param(encode(Image.new("RGB", (16, 16), RED), "ICO"), id="ico"),
        pytest.param(b"8BPS\x00\x01" + b"\x00" * 64, id="psd"),
        pytest.param(two_frame_gif(), id="gif-not-allowed"),
        pytest.param(b"just some text", id="text"),
    ],
)
def test_formats_outside_the_allow_list_are_rejected(data: bytes) -> None:
    assert rejection(data) == ("image_format_not_allowed", NOT_ALLOWED)


def test_the_message_names_gif_when_it_is_allowed() -> None:
    assert rejection(b"<svg/>", allow_gif=True) == (
        "image_format_not_allowed",
        "The file is not a JPEG, PNG, WebP or GIF image.",
    )


def test_an_allowed_gif_decodes_its_first_frame_only_and_reencodes_as_png() -> None:
    decoded = decode(two_frame_gif(), allow_gif=True)

    assert (decoded.format, decoded.mime, decoded.width, decoded.height) == (
        "GIF",
        "image/gif",
        8,
        8,
    )
    assert decoded.image.mode == "RGB"
    assert decoded.image.getcolors() == [(64, RED)]

    data, extension = encode_stripped(decoded)
    assert extension == "png"
    stored = Image.open(io.BytesIO(data))
    assert (stored.format, stored.size, getattr(stored, "n_frames", 1)) == ("PNG", (8, 8), 1)
    assert stored.convert("RGB").getcolors() == [(64, RED)]


def test_a_gif_with_a_transparent_index_decodes_to_rgba() -> None:
    frame = Image.new("P", (8, 8), 1)
    frame.putpalette([0, 0, 0, *RED] + [0] * (256 * 3 - 6))
    frame.paste(0, (0, 0, 4, 8))
    decoded = decode(encode(frame, "GIF", transparency=0), allow_gif=True)

    assert decoded.image.mode == "RGBA"
    assert decoded.image.getpixel((0, 0)) == (0, 0, 0, 0)
    assert decoded.image.getpixel((7, 0)) == (*RED, 255)


@pytest.mark.parametrize(
    ("data", "expected_format", "expected_mime"),
    [
        (encode(Image.new("RGB", (8, 4), (10, 20, 30)), "PNG"), "PNG", "image/png"),
        (
            encode(Image.new("RGB", (8, 4), (10, 20, 30)), "WEBP", lossless=True),
            "WEBP",
            "image/webp",
        ),
    ],
)
def test_png_and_webp_are_accepted(data: bytes, expected_format: str, expected_mime: str) -> None:
    decoded = decode(data)

    assert (decoded.format, decoded.mime, decoded.width, decoded.height) == (
        expected_format,
        expected_mime,
        8,
        4,
    )
    assert decoded.image.getcolors() == [(32, (10, 20, 30))]


# --- Pixel limits ------------------------------------------------------------------------------


def test_an_image_over_max_pixels_is_rejected_and_one_at_the_limit_is_accepted() -> None:
    assert rejection(encode(Image.new("RGB", (100, 100), RED), "PNG"), max_pixels=5000) == (
        "image_too_many_pixels",
        "The image is 100x100 pixels (10,000 in all), over the limit of 5,000 pixels.",
    )
    decoded = decode(encode(Image.new("RGB", (100, 50), RED), "PNG"), max_pixels=5000)
    assert (decoded.width, decoded.height) == (100, 50)


def test_a_header_claiming_huge_dimensions_is_rejected_before_decoding() -> None:
    # 10^10 pixels: decoding would need 30 GB. Pillow raises DecompressionBombError at open().
    assert rejection(png_claiming(100_000, 100_000), max_pixels=5000) == (
        "image_too_many_pixels",
        "The image has more than 5,000 pixels.",
    )


def test_a_header_claiming_huge_dimensions_under_our_limit_is_rejected_by_our_check() -> None:
    # 40,000 pixels claimed, no pixel data: only the explicit size check stops it before load().
    assert rejection(png_claiming(200, 200), max_pixels=5000) == (
        "image_too_many_pixels",
        "The image is 200x200 pixels (40,000 in all), over the limit of 5,000 pixels.",
    )


def test_pillows_decompression_bomb_warning_is_an_error_not_a_warning() -> None:
    # 10^8 pixels is above Pillow's global limit (89,478,485) but under twice it, where Pillow
    # only warns. Our limit is higher still, so Pillow's own ceiling is what rejects it.
    assert Image.MAX_IMAGE_PIXELS == 89_478_485
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert rejection(png_claiming(10_000, 10_000), max_pixels=200_000_000) == (
            "image_too_many_pixels",
            "The image has more than 89,478,485 pixels.",
        )
    assert [str(warning.message) for warning in caught] == []


def test_decoding_leaves_pillows_global_limits_as_they_were() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)

    rejection(encode(Image.new("RGB", (100, 100), RED), "PNG"), max_pixels=5000)
    decode(encode(Image.new("RGB", (100, 100), RED), "PNG"), max_pixels=200_000_000)

    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    assert after == before == (89_478_485, False)


# --- Truncated and damaged files ---------------------------------------------------------------


def test_a_truncated_jpeg_that_passes_verify_is_rejected_as_truncated() -> None:
    data = encode(noise((64, 64)), "JPEG", quality=90)
    cut = data[: len(data) // 2]

    # The trap this guards against: Pillow's verify() accepts the cut file.
    Image.open(io.BytesIO(cut), formats=["JPEG"]).verify()
    assert rejection(cut) == ("image_truncated", TRUNCATED)


def test_a_jpeg_cut_inside_its_header_is_rejected_as_truncated() -> None:
    data = encode(noise((64, 64)), "JPEG", quality=90)

    # Byte 300 falls inside the Huffman tables, which Pillow reads while opening the file.
    assert data.index(b"\xff\xc4") < 300 < data.index(b"\xff\xda")
    assert rejection(data[:300]) == ("image_truncated", TRUNCATED)


def test_a_truncated_png_is_rejected_as_truncated() -> None:
    data = encode(noise((64, 64)), "PNG")

    assert rejection(data[: len(data) // 2]) == ("image_truncated", TRUNCATED)


def test_a_png_with_damaged_pixel_data_is_unreadable() -> None:
    data = bytearray(encode(noise((64, 64)), "PNG"))
    start = data.index(b"IDAT") + 4 + 40
    data[start : start + 20] = b"\x00" * 20

    assert rejection(bytes(data)) == ("image_unreadable", UNREADABLE)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xd8\xff" + b"not a jpeg" * 10, id="jpeg-signature-then-garbage"),
        pytest.param(b"RIFF\x10\x00\x00\x00WEBPVP8 garbage", id="webp-signature-then-garbage"),
    ],
)
def test_a_damaged_file_of_an_allowed_format_is_unreadable_not_disallowed(data: bytes) -> None:
    assert rejection(data) == ("image_unreadable", UNREADABLE)


# --- Modes -------------------------------------------------------------------------------------


def test_rgba_png_keeps_its_alpha() -> None:
    decoded = decode(encode(Image.new("RGBA", (4, 4), (10, 20, 30, 40)), "PNG"))

    assert decoded.image.mode == "RGBA"
    assert decoded.image.getcolors() == [(16, (10, 20, 30, 40))]


def test_palette_png_decodes_to_rgb() -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, *RED] + [0] * (256 * 3 - 6))

    decoded = decode(encode(image, "PNG"))

    assert decoded.image.mode == "RGB"
    assert decoded.image.getcolors() == [(16, RED)]


def test_palette_png_with_a_transparent_index_decodes_to_rgba() -> None:
    image = Image.new("P", (4, 4), 1)
    image.putpalette([0, 0, 0, *RED] + [0] * (256 * 3 - 6))
    image.putpixel((0, 0), 0)

    decoded = decode(encode(image, "PNG", transparency=0))

    assert decoded.image.mode == "RGBA"
    assert decoded.image.getpixel((0, 0)) == (0, 0, 0, 0)
    assert decoded.image.getpixel((1, 0)) == (*RED, 255)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        pytest.param(Image.new("L", (4, 4), 77), ("RGB", (77, 77, 77)), id="grayscale"),
        pytest.param(Image.new("LA", (4, 4), (77, 9)), ("RGBA", (77, 77, 77, 9)), id="gray-alpha"),
        pytest.param(Image.new("1", (4, 4), 1), ("RGB", (255, 255, 255)), id="bilevel"),
        # 60000 / 256 = 234.4: scaled, not clipped to 255 as Pillow's direct conversion would.
        pytest.param(Image.new("I;16", (4, 4), 60000), ("RGB", (234, 234, 234)), id="16-bit"),
    ],
)
def test_grayscale_pngs_decode_to_rgb_or_rgba(
    image: Image.Image, expected: tuple[str, tuple[int, ...]]
) -> None:
    decoded = decode(encode(image, "PNG"))

    assert (decoded.image.mode, decoded.image.getpixel((0, 0))) == expected


def test_cmyk_jpeg_decodes_to_rgb() -> None:
    decoded = decode(encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG"))

    assert decoded.image.mode == "RGB"
    assert decoded.image.getcolors() == [(256, RED)]


# --- Orientation -------------------------------------------------------------------------------

# Where the stored first row's first (RED) and last (BLUE) pixels must appear, per the EXIF
# specification's meaning of each Orientation value (which side holds the stored row 0 and
# which holds column 0), written out independently of Pillow's transpose table.
CORNERS_BY_ORIENTATION = {
    1: ("top-left", "top-right"),
    2: ("top-right", "top-left"),
    3: ("bottom-right", "bottom-left"),
    4: ("bottom-left", "bottom-right"),
    5: ("top-left", "bottom-left"),
    6: ("top-right", "bottom-right"),
    7: ("bottom-right", "top-right"),
    8: ("bottom-left", "top-left"),
}


@pytest.mark.parametrize("orientation", sorted(CORNERS_BY_ORIENTATION))
def test_every_exif_orientation_is_applied(orientation: int) -> None:
    data = encode(marked((4, 2)), "PNG", exif=exif_with(orientation))

    decoded = decode(data)

    width, height = (4, 2) if orientation <= 4 else (2, 4)
    assert (decoded.width, decoded.height) == (width, height)
    assert decoded.image.size == (width, height)
    corners = {
        "top-left": decoded.image.getpixel((0, 0)),
        "top-right": decoded.image.getpixel((width - 1, 0)),
        "bottom-left": decoded.image.getpixel((0, height - 1)),
        "bottom-right": decoded.image.getpixel((width - 1, height - 1)),
    }
    red_corner, blue_corner = CORNERS_BY_ORIENTATION[orientation]
    assert corners.pop(red_corner) == RED
    assert corners.pop(blue_corner) == BLUE
    assert list(corners.values()) == [GREY, GREY]


def test_decoded_image_carries_no_metadata() -> None:
    data = encode(halves((40, 20)), "JPEG", exif=exif_with(6, with_gps=True), xmp=XMP_PACKET)

    decoded = decode(data)

    assert decoded.image.info == {}
    assert (decoded.width, decoded.height) == (20, 40)


# --- Stripped encoding -------------------------------------------------------------------------


def test_stripped_jpeg_is_upright_and_has_no_exif_gps_or_xmp() -> None:
    data = encode(halves((40, 20)), "JPEG", exif=exif_with(6, with_gps=True), xmp=XMP_PACKET)
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(ExifTags.IFD.GPSInfo) != {}
    assert "xmp" in source.info

    stripped, extension = encode_stripped(decode(data))

    assert extension == "jpg"
    image = Image.open(io.BytesIO(stripped))
    assert (image.format, image.size) == ("JPEG", (20, 40))
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert sorted(image.info) == ["jfif", "jfif_density", "jfif_unit", "jfif_version"]
    assert b"Exif" not in stripped
    assert b"creator-secret" not in stripped
    # Rotated a quarter turn clockwise: the stored left (RED) half is now on top. JPEG is lossy,
    # so compare the dominant channel well inside each half.
    top = image.getpixel((10, 5))
    bottom = image.getpixel((10, 35))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 200
    assert top[2] < 60
    assert bottom[0] < 60
    assert bottom[2] > 200


def test_stripped_png_keeps_alpha_and_drops_text_chunks() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "creator-secret")
    data = encode(Image.new("RGBA", (4, 4), (10, 20, 30, 40)), "PNG", pnginfo=text)

    stripped, extension = encode_stripped(decode(data))

    assert extension == "png"
    image = Image.open(io.BytesIO(stripped))
    assert (image.format, image.mode, image.info) == ("PNG", "RGBA", {})
    assert image.getcolors() == [(16, (10, 20, 30, 40))]
    assert b"creator-secret" not in stripped


def test_stripped_webp_stays_webp_without_exif() -> None:
    data = encode(Image.new("RGB", (8, 4), RED), "WEBP", exif=exif_with(6, with_gps=True))

    stripped, extension = encode_stripped(decode(data))

    assert extension == "webp"
    image = Image.open(io.BytesIO(stripped))
    assert (image.format, image.size, dict(image.getexif())) == ("WEBP", (4, 8), {})
    assert b"EXIF" not in stripped


def test_an_rgb_colour_profile_is_kept_and_a_grey_images_profile_is_dropped() -> None:
    rgb = decode(encode(Image.new("RGB", (4, 4), RED), "JPEG", icc_profile=SRGB_PROFILE))
    grey = decode(encode(Image.new("L", (4, 4), 77), "PNG", icc_profile=SRGB_PROFILE))

    assert rgb.icc_profile == SRGB_PROFILE
    assert Image.open(io.BytesIO(encode_stripped(rgb)[0])).info["icc_profile"] == SRGB_PROFILE
    assert grey.icc_profile is None
    assert "icc_profile" not in Image.open(io.BytesIO(encode_stripped(grey)[0])).info


# --- Renditions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        pytest.param((1600, 800), 256, (256, 128), id="wide-thumbnail"),
        pytest.param((800, 1600), 1024, (512, 1024), id="tall-preview"),
        pytest.param((100, 50), 256, (100, 50), id="small-not-upscaled"),
        pytest.param((256, 256), 256, (256, 256), id="exactly-the-limit"),
    ],
)
def test_renditions_fit_the_longest_side_and_never_upscale(
    size: tuple[int, int], max_side: int, expected: tuple[int, int]
) -> None:
    decoded = decode(encode(Image.new("RGB", size, RED), "PNG"), max_pixels=2_000_000)

    rendition = Image.open(io.BytesIO(render_rendition(decoded, max_side=max_side)))

    assert (rendition.format, rendition.mode, rendition.size) == ("JPEG", "RGB", expected)


def test_rendition_flattens_transparency_on_white_for_a_bare_image() -> None:
    transparent = Image.new("RGBA", (64, 64), (0, 0, 0, 0))

    rendition = Image.open(io.BytesIO(render_rendition(transparent, max_side=32)))

    assert (rendition.mode, rendition.size) == ("RGB", (32, 32))
    assert rendition.getcolors() == [(1024, (255, 255, 255))]


def test_rendition_refuses_a_max_side_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        render_rendition(Image.new("RGB", (4, 4)), max_side=0)
