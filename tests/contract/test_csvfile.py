"""Staging CSV files: every line is either a record (with its exact line number) or set aside."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from finecrm.contract.csvfile import detect_encoding, stage_csv


def stage(tmp_path: Path, data: bytes, **kw):
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    res = stage_csv(src, tmp_path / "out.parquet", **kw)
    return res, pq.read_table(res.path).to_pydict()


def test_clean_file_keeps_every_row_with_its_line(tmp_path):
    res, rows = stage(tmp_path, "id,name\n1,张三\n2,李四\n".encode())
    assert res.encoding == "utf-8" and res.records == 2 and not res.broken
    assert rows == {"id": ["1", "2"], "name": ["张三", "李四"], "_src_row": [2, 3]}


def test_bom_is_stripped_from_the_header(tmp_path):
    res, rows = stage(tmp_path, b"\xef\xbb\xbfid,name\n1,a\n")
    assert res.columns == ["id", "name"] and rows["id"] == ["1"]


def test_stray_quote_does_not_swallow_following_lines(tmp_path):
    data = b'id,name,amt\n1,a,10\n2,"b,5\n3,c,6\n4,d,7,8\n5,e,9\n'
    res, rows = stage(tmp_path, data)
    assert rows["id"] == ["1", "3", "5"] and rows["_src_row"] == [2, 4, 6]
    assert [(b.line, b.reason_code) for b in res.broken] == [(3, "broken_line"), (5, "broken_line")]
    assert res.read == 5


def test_quote_joining_two_lines_into_a_valid_looking_row_is_split_back(tmp_path):
    res, rows = stage(tmp_path, b'id,name,amt\n1,"abc\n2,xyz",3\n4,ok,5\n')
    assert rows["id"] == ["4"] and rows["_src_row"] == [4]
    assert [b.line for b in res.broken] == [2, 3]


def test_blank_lines_are_skipped_and_counted(tmp_path):
    res, rows = stage(tmp_path, b"id,v\n1,a\n\n2,b\n,\n3,c\n")
    assert rows["_src_row"] == [2, 4, 6] and res.blank_lines == 2 and res.records == 3


def test_truncated_last_line(tmp_path):
    res, rows = stage(tmp_path, b'id,kind,amt\n1,"x",2\n2,"PRIJE')
    assert rows["id"] == ["1"]
    assert len(res.broken) == 1 and res.broken[0].line == 3 and res.broken[0].text.startswith("2,")


def test_whole_gbk_file_is_transcoded(tmp_path):
    res, rows = stage(tmp_path, "id,name\n1,张三\n2,李四\n".encode("gbk"))
    assert res.encoding == "gbk" and rows["name"] == ["张三", "李四"]


def test_gbk_line_inside_utf8_file_is_set_aside(tmp_path):
    data = "id,name\n1,张三\n".encode() + "2,李四\n".encode("gbk") + "3,王五\n".encode()
    res, rows = stage(tmp_path, data)
    assert res.encoding == "utf-8" and rows["name"] == ["张三", "王五"] and rows["_src_row"] == [2, 4]
    assert res.broken[0].reason_code == "bad_encoding" and "GBK" in res.broken[0].reason
    assert res.broken[0].text == "2,李四"  # shown readably


def test_utf8_line_inside_gbk_file_is_set_aside(tmp_path):
    data = "id,name\n1,张三\n2,李四\n4,赵六\n".encode("gbk") + "3,王五\n".encode()
    res, rows = stage(tmp_path, data)
    assert res.encoding == "gbk" and rows["name"] == ["张三", "李四", "赵六"]
    assert [(b.line, b.reason_code) for b in res.broken] == [(5, "bad_encoding")]


def test_configured_encoding_wins(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"id\n1\n")
    assert detect_encoding(p, "gbk") == "gbk"


def test_duplicate_header_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="twice"):
        stage(tmp_path, b"id,id\n1,2\n")


def test_semicolon_delimiter(tmp_path):
    res, rows = stage(tmp_path, b'"a";"b"\n1;"x"\n', delimiter=";")
    assert res.columns == ["a", "b"] and rows["b"] == ["x"]


# -- the encoding is decided per file (charset-normalizer); lines are judged only in a mixed file ---------

def test_gbk_names_that_happen_to_be_valid_utf8_are_kept(tmp_path):
    # 钱倩霞 and 郑霞 in GBK are also valid UTF-8 bytes ("Ǯٻϼ", "֣ϼ"): they are still GBK names
    data = "staff_id,name\nS1,钱倩霞\nS2,郑霞\n".encode("gbk")
    data.decode("utf-8")  # the whole file even decodes as UTF-8
    res, rows = stage(tmp_path, data)
    assert res.encoding == "gbk" and not res.broken and rows["name"] == ["钱倩霞", "郑霞"]


def test_such_names_inside_a_gbk_file_are_never_quarantined(tmp_path):
    names = ["张三", "钱倩霞", "李四", "郑霞", "王五", "赵六"]
    data = ("staff_id,name\n" + "".join(f"S{i},{n}\n" for i, n in enumerate(names))).encode("gbk")
    res, rows = stage(tmp_path, data)
    assert res.encoding == "gbk" and not res.broken and rows["name"] == names


def test_a_mostly_gbk_file_with_many_utf8_lines_keeps_its_gbk_lines(tmp_path):
    names = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十"] * 5
    lines = [f"{i},{n}\n".encode("utf-8" if i % 4 == 0 else "gbk") for i, n in enumerate(names)]
    res, rows = stage(tmp_path, b"id,name\n" + b"".join(lines))
    assert res.encoding == "gbk"
    assert rows["name"] == [n for i, n in enumerate(names) if i % 4]
    assert {b.line for b in res.broken} == {i + 2 for i in range(len(names)) if i % 4 == 0}
    assert all(b.reason_code == "bad_encoding" for b in res.broken)


def test_detection_looks_past_the_start_of_a_big_file(tmp_path):
    p = tmp_path / "big.csv"
    filler = b"".join(b"%d,plain ascii row\n" % i for i in range(400_000))
    p.write_bytes(b"id,name\n" + filler + "1,城关支行客户经理\n".encode("gbk") + filler)
    assert p.stat().st_size > 16 * 256 * 1024
    assert detect_encoding(p) == "gbk"
