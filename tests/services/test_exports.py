"""Excel exports write text as text: nothing a user typed becomes a formula in the bank's spreadsheets."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from finecrm.services.exports import FORMULA_STARTS, list_workbook

RISKY = ['=HYPERLINK("http://127.0.0.1/x","点击")', "+86 138", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def test_text_that_looks_like_a_formula_is_stored_as_text():
    rows = [{"customer_id": f"C{i}", "note": text, "amount": -5.5 + i} for i, text in enumerate(RISKY)]
    content = list_workbook("名单 list", ["customer_id", "note", "amount"], rows, build_id="B1",
                            exported_by="ana", about=[["客群 audience", "=HYPERLINK(\"x\")"]])
    wb = load_workbook(io.BytesIO(content))
    note_cells = [r[1] for r in wb["名单 list"].iter_rows(min_row=2)]
    about = [r[1] for r in wb["说明 about"].iter_rows() if r[0].value == "客群 audience"]
    assert [c.data_type for c in note_cells + about] == ["s"] * (len(RISKY) + 1)  # text, never "f" (formula)
    # Kept as typed (XML turns a carriage return into a line feed when the file is read back).
    assert [c.value for c in note_cells] == [v.replace("\r", "\n") for v in RISKY]
    assert all(v.startswith(FORMULA_STARTS) for v in RISKY)
    amounts = [r[2].value for r in wb["名单 list"].iter_rows(min_row=2)]
    assert amounts == [-5.5 + i for i in range(len(RISKY))]  # numbers stay numbers
