# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Right-to-left paragraphs for Debian's wkhtmltopdf (unpatched Qt).

Its QtWebKit shifts right-to-left text runs and never wraps them: a long Arabic
line runs off the page. It does lay out inline blocks right, and Arabic letters
only join inside a word, so each word of an Arabic text run goes in its own
inline block (its trailing punctuation in another: together they overlap).
Paragraphs then wrap and read right with this build and with the patched one.
"""

import re

from lxml import etree, html

ARABIC = re.compile(
    "[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]"
)
TRAILING_PUNCTUATION = re.compile(r"^(.*?)([.,،؛:;!?؟)\]»\"']*)$", re.S)
SKIP_TAGS = {"script", "style", "head", "title", "textarea", "svg"}
WORD_CLASS = "o_fu_word"
WORD_STYLE = "display: inline-block; white-space: nowrap;"


def _span(text):
    span = etree.Element("span", {"class": WORD_CLASS, "style": WORD_STYLE})
    span.text = text
    return span


def _word_nodes(text):
    """Leading spaces and the inline-block spans of ``text``, spaces kept as tails."""
    nodes = []
    leading = text[: len(text) - len(text.lstrip())]
    for word, space in re.findall(r"(\S+)(\s*)", text):
        core, punctuation = TRAILING_PUNCTUATION.match(word).groups()
        if core:
            nodes.append(_span(core))
        if punctuation:
            nodes.append(_span(punctuation))
        nodes[-1].tail = space or None
    return leading, nodes


def _needs_wrap(text):
    """An Arabic run of several words, or one word with trailing punctuation
    (a label such as "الهاتف:" before a left-to-right value is shifted too)."""
    if not text or not ARABIC.search(text):
        return False
    words = text.split()
    return len(words) > 1 or (
        len(words) == 1 and bool(TRAILING_PUNCTUATION.match(words[0]).group(2))
    )


def wrap_rtl_words(document):
    """Return the HTML ``document`` (bytes or str) with every Arabic text run
    of more than one word split into inline-block words."""
    text = document if isinstance(document, str) else (document or b"").decode()
    if not text or not ARABIC.search(text):
        return document
    root = html.document_fromstring(text)
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.tag in SKIP_TAGS:
            continue
        if WORD_CLASS in (element.get("class") or ""):
            continue
        if _needs_wrap(element.text):
            leading, nodes = _word_nodes(element.text)
            element.text = leading
            for index, node in enumerate(nodes):
                element.insert(index, node)
        for child in list(element):
            if _needs_wrap(child.tail):
                leading, nodes = _word_nodes(child.tail)
                child.tail = leading
                position = element.index(child) + 1
                for offset, node in enumerate(nodes):
                    element.insert(position + offset, node)
    result = html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")
    return result.encode() if isinstance(document, bytes) else result
