"""The CJK TrueType font the seal's lettering is drawn with.

reportlab embeds TrueType (glyf) fonts only, so Debian's fonts-noto-cjk (CFF/OpenType) will not do;
the default is WenQuanYi Zen Hei from the Debian package `fonts-wqy-zenhei`.  Another font can be
named with `LABORCASE_CJK_FONT=/path/font.ttc` (append `#N` to pick a face of a collection).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from workflows.errors import SealingError

CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian fonts-wqy-microhei
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # Debian fonts-arphic-uming
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # Debian fonts-droid-fallback
)
INSTALL_HINT = "install a CJK TrueType font: apt-get install fonts-wqy-zenhei (or set LABORCASE_CJK_FONT)"

_lock = threading.Lock()
_registered: dict[tuple[str, int], str] = {}


def find_cjk_font(spec: str | None = None) -> tuple[Path, int]:
    """The font file (and face index) to use: `spec`, `LABORCASE_CJK_FONT`, or the first installed."""
    spec = spec or os.environ.get("LABORCASE_CJK_FONT")
    if spec:
        file, _, face = spec.partition("#")
        if not Path(file).is_file():
            raise SealingError(f"CJK font {file} not found ({INSTALL_HINT})")
        return Path(file), int(face or 0)
    for path, index in CANDIDATES:
        if Path(path).is_file():
            return Path(path), index
    raise SealingError(f"no CJK TrueType font found: {INSTALL_HINT}")


def register_cjk_font(spec: str | None = None) -> str:
    """Register the font with reportlab once per process; returns its reportlab name."""
    path, index = find_cjk_font(spec)
    key = (str(path), index)
    with _lock:
        name = _registered.get(key)
        if name is None:
            name = f"LaborcaseSealCJK{len(_registered)}"
            try:
                pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=index))
            except TTFError as e:
                raise SealingError(f"cannot use {path} for the seal lettering ({e}); {INSTALL_HINT}") from e
            _registered[key] = name
        return name
