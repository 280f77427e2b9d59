# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""How many SMS segments a text takes (3GPP TS 23.038 / 23.040).

A text made only of GSM-7 characters travels in 7-bit septets: 160 in a single
message, 153 per part of a multipart one (the user data header takes 7); the
characters of the extension table ``^{}[]~|\\€`` and form feed take two septets
and are never split across parts. Any other character (Arabic letters, emoji...)
switches the whole message to UCS-2: 70 UTF-16 code units in a single message,
67 per part, a surrogate pair (emoji) never split.
"""

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = "^{}\\[~]|€\f"
_GSM7_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_GSM7_EXTENDED = frozenset(GSM7_EXTENDED)

LIMITS = {
    # encoding: (single message, per part of a multipart message)
    "gsm7": (160, 153),
    "ucs2": (70, 67),
}


def sms_encoding(text):
    """'gsm7' when every character is in the GSM 03.38 alphabet, else 'ucs2'."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENDED for char in text or ""):
        return "gsm7"
    return "ucs2"


def _units(text, encoding):
    """Size of each character in the encoding's units (septets or UTF-16 units)."""
    if encoding == "gsm7":
        return [2 if char in _GSM7_EXTENDED else 1 for char in text]
    return [len(char.encode("utf-16-le")) // 2 for char in text]


def sms_segments(text):
    """Describe how ``text`` is sent by SMS.

    :returns: dict with ``encoding`` ('gsm7' | 'ucs2'), ``length`` (septets or
        UTF-16 code units), ``segments`` (number of messages billed, 0 for an
        empty text), ``per_segment`` (capacity of one part) and ``remaining``
        (units left in the last part).
    """
    text = text or ""
    encoding = sms_encoding(text)
    single, part = LIMITS[encoding]
    units = _units(text, encoding)
    length = sum(units)
    if not length:
        return {
            "encoding": encoding,
            "length": 0,
            "segments": 0,
            "per_segment": single,
            "remaining": single,
        }
    if length <= single:
        return {
            "encoding": encoding,
            "length": length,
            "segments": 1,
            "per_segment": single,
            "remaining": single - length,
        }
    # multipart: fill parts without splitting a two-unit character
    segments, used = 1, 0
    for size in units:
        if used + size > part:
            segments += 1
            used = 0
        used += size
    return {
        "encoding": encoding,
        "length": length,
        "segments": segments,
        "per_segment": part,
        "remaining": part - used,
    }
