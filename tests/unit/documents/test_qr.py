"""The QR code drawn on every document (its decoding by zbar is in test_renderers)."""

from __future__ import annotations

import pytest

from documents.layout import qr_modules

URLS = ["https://lc.test/verify?code=X", "https://laborcase.example/verify/" + "Z" * 40]


@pytest.mark.parametrize("url", URLS)
def test_the_qr_matrix_is_upright_with_finders_and_dark_module_where_iso_18004_puts_them(url: str) -> None:
    modules = qr_modules(url)
    size = len(modules)
    assert all(len(row) == size for row in modules) and (size - 17) % 4 == 0
    version = (size - 17) // 4
    assert modules[4 * version + 9][8] and not modules[8][4 * version + 9]  # not transposed
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):  # the finder patterns' outer rings
        assert all(modules[top][left + i] and modules[top + 6][left + i] for i in range(7))
        assert all(modules[top + i][left] and modules[top + i][left + 6] for i in range(7))
