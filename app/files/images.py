"""Images are re-encoded before they are stored: no EXIF (GPS position, camera, owner),
no XMP or comments, the orientation applied to the pixels, and nothing but pixels left
for a browser to misread. A small WebP thumbnail is made for previews.

Pillow does the work (decoding is also the proof that the file is the image it claims).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

# Larger images are refused: decoding them would take too much memory (decompression bombs).
MAX_PIXELS = 50_000_000
# Animated images: at most this many pixels over all frames are re-encoded.
MAX_ANIMATION_PIXELS = 200_000_000
THUMB_SIZE = (320, 320)

_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


class BadImage(Exception):
    """The bytes are not a usable image of the detected type."""


@dataclass(frozen=True)
class Processed:
    """The clean image's size in pixels, and whether a thumbnail was made."""

    width: int
    height: int
    thumb: bool


def clean(src: Path, dest: Path, thumb: Path, content_type: str) -> Processed:
    """Write ``src`` to ``dest`` without metadata and a thumbnail to ``thumb``."""
    fmt = _FORMATS[content_type]
    try:
        with Image.open(src) as im:
            # Phones write multi-picture JPEGs (MPO): the first picture is the photo.
            if im.format != fmt and not (fmt == "JPEG" and im.format == "MPO"):
                raise BadImage(f"The file is not a valid {fmt} image.")
            width, height = im.size
            frames = getattr(im, "n_frames", 1) if fmt in ("GIF", "WEBP") else 1
            if width * height > MAX_PIXELS or width * height * frames > MAX_ANIMATION_PIXELS:
                raise BadImage(
                    f"The image is too large ({width}×{height} pixels); "
                    f"the limit is {MAX_PIXELS // 1_000_000} megapixels."
                )
            out = _animated(im, dest, fmt) if frames > 1 else _still(im, dest, fmt)
            return Processed(*out.size, thumb=_thumbnail(out, thumb))
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
    ) as exc:
        raise BadImage("The image could not be read; it may be damaged.") from exc


def _still(im: Image.Image, dest: Path, fmt: str) -> Image.Image:
    # exif_transpose turns the pixels as the camera meant and returns a copy without EXIF.
    im = ImageOps.exif_transpose(im) or im
    im.load()
    _strip(im)
    if fmt == "JPEG":
        if im.mode not in ("RGB", "L", "CMYK"):
            im = im.convert("RGB")
        im.save(dest, "JPEG", quality=90, optimize=True)
    elif fmt == "PNG":
        im.save(dest, "PNG")
    elif fmt == "WEBP":
        im.save(dest, "WEBP", quality=90)
    else:  # a GIF with one frame
        im.save(dest, "GIF")
    return im


def _animated(im: Image.Image, dest: Path, fmt: str) -> Image.Image:
    frames, durations = [], []
    for f in ImageSequence.Iterator(im):
        durations.append(f.info.get("duration", im.info.get("duration", 100)))
        frames.append(_strip(f.copy()))
    first = frames[0]
    options = {"save_all": True, "append_images": frames[1:], "loop": im.info.get("loop", 0)}
    if fmt == "WEBP":
        first.save(dest, "WEBP", duration=durations, quality=90, **options)
    else:
        first.save(dest, "GIF", duration=durations, disposal=2, **options)
    return first


def _strip(im: Image.Image) -> Image.Image:
    """Drop EXIF, XMP and comments; keep only the colour profile, which is not about anyone."""
    icc = im.info.get("icc_profile")
    transparency = im.info.get("transparency")
    im.info.clear()
    if icc:
        im.info["icc_profile"] = icc
    if transparency is not None:
        im.info["transparency"] = transparency
    return im


def _thumbnail(im: Image.Image, thumb: Path) -> bool:
    """A preview is a nicety: an image whose mode will not convert is stored without one."""
    try:
        t = im.copy()
        if t.mode not in ("RGB", "RGBA", "L", "LA"):
            t = t.convert("RGBA" if "transparency" in im.info or t.mode == "P" else "RGB")
        t.thumbnail(THUMB_SIZE)
        t.save(thumb, "WEBP", quality=80)
    except (OSError, ValueError):
        thumb.unlink(missing_ok=True)
        return False
    return True
