"""Paragraph layout: the same text in the same style and width is broken once per process."""

from __future__ import annotations

from documents.flowables import Para, Span, Style

TEXT = (
    "劳动者在用人单位连续工作满十年的，劳动者提出或者同意续订、订立劳动合同的，应当订立无固定期限劳动合同。"
    * 3
)


def test_the_same_paragraph_in_another_document_reuses_its_layout() -> None:
    first, again = Para(TEXT), Para([TEXT])
    assert first.wrap(300, 1000) == again.wrap(300, 1000)
    assert again._layout(300) is first._layout(300)  # shared, not broken again


def test_another_width_style_or_text_is_laid_out_on_its_own() -> None:
    base = Para(TEXT)
    narrow, bold, other = Para(TEXT), Para(TEXT, Style(bold=True)), Para([TEXT, Span("（附件）")])
    _, tall = narrow.wrap(200, 1000)
    assert tall > base.wrap(300, 1000)[1]
    assert bold._layout(300) is not base._layout(300)
    assert other._layout(300) is not base._layout(300)
    assert "".join(s.text for line in other._layout(300) for s in line.segments).endswith("（附件）")
