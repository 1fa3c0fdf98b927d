#!/usr/bin/env python3
"""Rebuilds WenQuanYiMicroHeiMono-CJK.ttf: the CJK part of "WenQuanYi Micro
Hei Mono" (Debian package fonts-wqy-microhei), for forkscope's PNG export.

Kept: every glyph of the face that DejaVu Sans Mono (the primary font) lacks,
i.e. all CJK Unified Ideographs U+4E00-9FFF, CJK symbols and punctuation,
kana, bopomofo, enclosed and compatibility CJK, full-width forms, except
Hangul syllables (U+AC00-D7AF, 11k glyphs, 2 MB). Hinting is dropped (resvg
does not hint). Names are unchanged, so an SVG that asks for
"WenQuanYi Micro Hei Mono" finds the full font where it is installed.

Needs fonttools (Debian: fonttools) and fonts-wqy-microhei, fonts-dejavu-core:
    /usr/bin/python3 assets/fonts/subset.py
"""
from fontTools.ttLib import TTCollection, TTFont
from fontTools import subset
import os

here = os.path.dirname(os.path.abspath(__file__))
wqy_path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
dejavu = set(TTFont(os.path.join(here, "DejaVuSansMono.ttf")).getBestCmap())
face = TTCollection(wqy_path).fonts[1]
assert face["name"].getDebugName(1) == "WenQuanYi Micro Hei Mono"
cmap = face.getBestCmap()
keep = sorted(u for u in cmap if (0x4E00 <= u <= 0x9FFF or u not in dejavu) and not 0xAC00 <= u <= 0xD7AF)
opts = subset.Options()
opts.name_IDs = ["*"]
opts.name_languages = ["*"]
opts.hinting = False
opts.layout_features = ["*"]
opts.notdef_outline = True
opts.glyph_names = False
s = subset.Subsetter(opts)
s.populate(unicodes=keep)
s.subset(face)
out = os.path.join(here, "WenQuanYiMicroHeiMono-CJK.ttf")
face.save(out)
print(f"{out}: {len(keep)} characters, {os.path.getsize(out)} bytes")
