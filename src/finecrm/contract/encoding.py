"""Which text encoding a CSV export is in: UTF-8 (BOM allowed) or GBK (read as GB18030, its superset).

The encoding is decided **per file**, by charset-normalizer over a sample of the file's non-ASCII
lines (from its start, middle and end), choosing between the two encodings Chinese core systems
export. Its statistical judgement is what tells a GBK file whose every name happens to be valid UTF-8
byte soup (钱倩霞 in GBK reads as UTF-8 "Ǯٻϼ") from a real UTF-8 file. The sample's lines also vote: one
that decodes in only one encoding counts for it, one that decodes in both counts for the one whose
reading is plausible Chinese text (see :func:`plausible`). The detector rules an encoding out at its
first undecodable byte, so for a really mixed file (or one the detector rejects in both) the
majority of the lines decides.

A line is judged on its own only where a file is really mixed, and then only when it is clearly in the
other encoding:

* a line that does not decode in the file's encoding is set aside (``bad_encoding``, shown decoded in
  the other encoding when that works, so a person can read it);
* in a GBK file, a line that decodes cleanly as GB18030 is still set aside when its UTF-8 reading is
  plausible Chinese and its GBK reading is not (UTF-8 Chinese read as GBK is a string of rare
  characters: 王五 → 鐜嬩簲) — a UTF-8 line pasted into a GBK export;
* every other line that decodes in the file's encoding is kept. A row is never quarantined merely
  because its bytes would also decode in another encoding.
"""

from __future__ import annotations

import codecs
from pathlib import Path

BOM = codecs.BOM_UTF8
ENCODINGS = ("utf-8", "gbk")
#: the Python codec each encoding is decoded with
CODEC = {"utf-8": "utf-8", "gbk": "gb18030"}

_CHUNKS = 16
_CHUNK = 256 << 10
_SAMPLE_LINES = 4000


def decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _is_han(o: int) -> bool:
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


def _is_cjk_punctuation(o: int) -> bool:
    # CJK symbols (、。「」), fullwidth forms (，：（）), general punctuation (“”…—), ¥ · × °
    return 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F or o in (0xA5, 0xB7, 0xD7, 0xB0)


def plausible(text: str) -> bool:
    """Could ``text`` be what a Chinese bank exported? Its non-ASCII characters are all Chinese
    characters and punctuation, and at least 90% of the characters are common ones (in GB 2312's 6,763).

    Mis-decoded text fails it: GBK read as UTF-8 gives Latin, Greek, Hebrew or Arabic letters, UTF-8
    read as GBK gives mostly rare characters outside GB 2312.
    """
    han = common = 0
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            continue
        if _is_han(o):
            han += 1
            try:
                ch.encode("gb2312")
                common += 1
            except UnicodeEncodeError:
                pass
        elif not _is_cjk_punctuation(o):
            return False
    return common >= 0.9 * han


def clearly_utf8(body: bytes, gbk_text: str) -> bool:
    """In a GBK file: is this line (which decoded as ``gbk_text``) really UTF-8?"""
    if body.isascii() or not decodes(body, "utf-8"):
        return False
    return plausible(body.decode("utf-8")) and not plausible(gbk_text)


def _vote(line: bytes) -> str | None:
    u, g = decodes(line, "utf-8"), decodes(line, "gb18030")
    if u != g:
        return "utf-8" if u else "gbk"
    if not u:
        return None
    pu, pg = plausible(line.decode("utf-8")), plausible(line.decode("gb18030"))
    if pu != pg:
        return "utf-8" if pu else "gbk"
    return None


def sample_lines(path: Path) -> list[bytes]:
    """Up to a few thousand non-ASCII lines, from chunks spread evenly over the file."""
    size = path.stat().st_size
    starts = sorted({int(size * i / _CHUNKS) for i in range(_CHUNKS)}) if size > _CHUNK * _CHUNKS else [0]
    length = _CHUNK if size > _CHUNK * _CHUNKS else size
    lines: list[bytes] = []
    with path.open("rb") as fh:
        for start in starts:
            fh.seek(start)
            block = fh.read(length)
            if start == 0 and block.startswith(BOM):
                block = block[len(BOM):]
            parts = block.split(b"\n")
            if start > 0:
                parts = parts[1:]  # a line cut by the chunk's start
            if start + length < size:
                parts = parts[:-1]  # a line cut by the chunk's end
            lines += [p.rstrip(b"\r") for p in parts if not p.isascii()]
            if len(lines) >= _SAMPLE_LINES:
                break
        if not lines and len(starts) > 1:
            # none in the sampled chunks: look through the whole file (ASCII blocks are skipped fast)
            fh.seek(0)
            rest = b""
            while (block := fh.read(_CHUNK * 4)) and len(lines) < _SAMPLE_LINES:
                block = rest + block
                cut = block.rfind(b"\n") + 1
                block, rest = block[:cut], block[cut:]
                if not block.isascii():
                    lines += [p.rstrip(b"\r") for p in block.split(b"\n") if not p.isascii()]
            if rest and not rest.isascii():
                lines.append(rest.rstrip(b"\r"))
    return [x.removeprefix(BOM) for x in lines[:_SAMPLE_LINES]]


def detect_encoding(path: Path, configured: str = "auto") -> str:
    """``utf-8`` or ``gbk`` for the file as a whole; see the module doc."""
    if configured in ENCODINGS:
        return configured
    lines = sample_lines(path)
    if not lines:
        return "utf-8"
    from charset_normalizer import from_bytes

    votes = [v for v in map(_vote, lines) if v]
    for_gbk, for_utf8 = votes.count("gbk"), votes.count("utf-8")
    best = from_bytes(b"\n".join(lines), cp_isolation=["utf_8", "gb18030"]).best()
    if best is None:  # too mixed for the detector: the lines decide
        return "gbk" if for_gbk > for_utf8 else "utf-8"
    guess = "gbk" if best.encoding == "gb18030" else "utf-8"
    # The detector rules out an encoding at its first undecodable byte, so one GBK line makes a small
    # UTF-8 sample "GBK". Where most lines say otherwise, they win: the odd ones are then set aside.
    if guess == "gbk" and for_utf8 > for_gbk:
        return "utf-8"
    if guess == "utf-8" and for_gbk > for_utf8:
        return "gbk"
    return guess
