"""CSV/TSV reader: dialects, encodings, row numbers as a spreadsheet shows them, Hootsuite."""

from pathlib import Path

import pytest

from calendar_sched.load.sources import read
from calendar_sched.load.sources.csv import sniff_delimiter


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _rows(path: Path) -> list[tuple[int | None, dict[str, object]]]:
    loaded = read(path)
    return [(r.position.row, r.cells) for r in loaded.records]


CALENDAR = (
    "id{d}publish_at{d}channels{d}text\n"
    "a1{d}2026-12-01T09:00{d}x{d}Hello\n"
    "a2{d}2026-12-02T12:30{d}linkedin-page:acme-inc{d}Bye\n"
)
EXPECTED = [
    (2, {"id": "a1", "publish_at": "2026-12-01T09:00", "channels": "x", "text": "Hello"}),
    (
        3,
        {
            "id": "a2",
            "publish_at": "2026-12-02T12:30",
            "channels": "linkedin-page:acme-inc",
            "text": "Bye",
        },
    ),
]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = _write(tmp_path, "cal.csv", CALENDAR.format(d=delimiter))
    loaded = read(path)
    assert loaded.problems == []
    assert loaded.format == ("tsv" if delimiter == "\t" else "csv")
    assert _rows(path) == EXPECTED


def test_sniffer_prefers_the_consistent_delimiter_over_commas_in_text() -> None:
    text = "id;text;channels\n1;Hello, world, again;x\n2;One, two;x\n3;none;x\n"
    assert sniff_delimiter(text) == ";"
    assert sniff_delimiter("text\nhello\n") == ","
    assert sniff_delimiter("text\nhello\n", default="\t") == "\t"


@pytest.mark.parametrize("name", ["cal.tsv", "cal.txt"])
def test_tsv_and_txt_extensions(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, CALENDAR.format(d="\t"))
    assert _rows(path) == EXPECTED


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ],
)
def test_unicode_encodings(tmp_path: Path, encoding: str, bom: bytes) -> None:
    text = "id,text,channels\nk1,Café ☕ déjà vu,x\n"
    path = tmp_path / "cal.csv"
    path.write_bytes(bom + text.encode(encoding))
    loaded = read(path)
    assert loaded.problems == []
    assert loaded.records[0].cells == {"id": "k1", "text": "Café ☕ déjà vu", "channels": "x"}


def test_cp1252_fallback_is_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path, "cal.csv", "id,text\nk1,Crème brûlée – 5 €\n", "cp1252")
    loaded = read(path)
    assert [(p.code, p.severity) for p in loaded.problems] == [("encoding-fallback", "warning")]
    assert "CSV UTF-8" in loaded.problems[0].message
    assert loaded.records[0].cells["text"] == "Crème brûlée – 5 €"


def test_multiline_cells_and_blank_rows_keep_spreadsheet_numbering(tmp_path: Path) -> None:
    text = (
        "id,text\n"  # row 1
        'a,"line one\nline two\nline three"\n'  # row 2 (three physical lines)
        "\n"  # row 3, blank
        ",\n"  # row 4, blank cells
        "b,after\n"  # row 5
        'c,"x\r\ny"\r\n'  # row 6
        "d,last\n"  # row 7
    )
    path = _write(tmp_path, "cal.csv", text)
    assert _rows(path) == [
        (2, {"id": "a", "text": "line one\nline two\nline three"}),
        (5, {"id": "b", "text": "after"}),
        (6, {"id": "c", "text": "x\r\ny"}),
        (7, {"id": "d", "text": "last"}),
    ]


def test_empty_cells_are_absent_and_values_are_strings(tmp_path: Path) -> None:
    path = _write(tmp_path, "cal.csv", "id,text,media,tags\n007, hi ,,  \n")
    assert _rows(path) == [(2, {"id": "007", "text": " hi "})]


def test_unknown_columns_warn_once_and_are_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, "cal.csv", "text,Notes,status\na,n1,s\nb,n2,s\n")
    loaded = read(path)
    assert [(p.code, p.row, p.field) for p in loaded.problems] == [
        ("unknown-column", 1, "Notes"),
        ("unknown-column", 1, "status"),
    ]
    assert [r.cells for r in loaded.records] == [{"text": "a"}, {"text": "b"}]


def test_cells_beyond_the_header_warn_once(tmp_path: Path) -> None:
    path = _write(tmp_path, "cal.csv", "text,channels\na,x,oops\nb,x,again\nc,x\n")
    loaded = read(path)
    assert [(p.code, p.row) for p in loaded.problems] == [("unknown-column", 2)]
    assert [r.cells for r in loaded.records][0] == {"text": "a", "channels": "x"}


def test_settings_text_and_thread_columns(tmp_path: Path) -> None:
    text = (
        "Content,Text.X,Comment,Comment 2,"
        "settings.instagram.post_type,Settings.TikTok.autoAddMusic\n"
        "long,short,c1,c2,post,no\n"
    )
    path = _write(tmp_path, "cal.csv", text)
    assert _rows(path)[0][1] == {
        "text": "long",
        "text.x": "short",
        "thread.1": "c1",
        "thread.2": "c2",
        "settings.instagram.post_type": "post",
        "settings.tiktok.autoAddMusic": "no",
    }


def test_header_only_file_has_no_records(tmp_path: Path) -> None:
    loaded = read(_write(tmp_path, "cal.csv", "id,text\n"))
    assert loaded.records == []
    assert loaded.problems == []


def test_leading_blank_lines_before_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "cal.csv", "\n\ntext,channels\nhi,x\n")
    assert _rows(path) == [(4, {"text": "hi", "channels": "x"})]


def test_headless_hootsuite_layout(tmp_path: Path) -> None:
    text = (
        '12/01/2026 09:00,"Fresh beans, fresh week",https://acme.test/beans\n'
        "12/02/2026 17:30,Grinder tips\n"
        "\n"
        "12/04/2026 12:00,Friday!,\n"
    )
    path = _write(tmp_path, "hoot.csv", text)
    loaded = read(path)
    assert loaded.layout == "hootsuite"
    assert loaded.problems == []
    assert _rows(path) == [
        (
            1,
            {
                "publish_at": "12/01/2026 09:00",
                "text": "Fresh beans, fresh week",
                "link": "https://acme.test/beans",
            },
        ),
        (2, {"publish_at": "12/02/2026 17:30", "text": "Grinder tips"}),
        (4, {"publish_at": "12/04/2026 12:00", "text": "Friday!"}),
    ]


def test_headed_hootsuite_layout(tmp_path: Path) -> None:
    path = _write(tmp_path, "hoot.csv", "Date,Message,Link\n31/12/2026 23:55,Bye 2026,\n")
    loaded = read(path)
    assert loaded.layout == "hootsuite"
    assert _rows(path) == [(2, {"publish_at": "31/12/2026 23:55", "text": "Bye 2026"})]


def test_ordinary_calendar_is_not_hootsuite(tmp_path: Path) -> None:
    loaded = read(_write(tmp_path, "cal.csv", CALENDAR.format(d=",")))
    assert loaded.layout == "calendar-sched"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "rename it to .xlsx"),
        (b"t\x00e\x00x\x00t\x00", "NUL"),
        (b"\xff\xfe\x00\xd8", "byte-order mark"),
    ],
)
def test_unreadable_csv(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "cal.csv"
    path.write_bytes(content)
    loaded = read(path)
    assert loaded.records == []
    assert [p.code for p in loaded.problems] == ["unreadable-file"]
    assert fragment in loaded.problems[0].message
    assert loaded.problems[0].file == str(path)


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-32-be", b"\x00\x00\xfe\xff"),
    ],
)
def test_large_files_read_in_pieces_read_as_a_whole(
    tmp_path: Path, encoding: str, bom: bytes
) -> None:
    """The reader decodes a megabyte at a time: characters split across two pieces, a
    quoted cell across them and the sniffer's sample all read as the whole text would."""
    rows = [f'r{n},2026-12-01T09:00,x,"Café ☕ 🚀 {n}\nline two"\n' for n in range(40_000)]
    text = "id,publish_at,channels,text\n" + "".join(rows)
    path = tmp_path / "big.csv"
    path.write_bytes(bom + text.encode(encoding))
    assert len(path.read_bytes()) > 2 * 1024 * 1024  # spans several pieces
    loaded = read(path)
    assert not loaded.problems
    assert len(loaded.records) == 40_000
    last = loaded.records[-1]
    assert last.position.row == 40_001
    assert last.cells["text"] == "Café ☕ 🚀 39999\nline two"
    assert [r.cells["text"] for r in loaded.records[::997]] == [
        f"Café ☕ 🚀 {n}\nline two" for n in range(0, 40_000, 997)
    ]


def test_bad_utf8_after_the_first_megabyte_falls_back_naming_its_byte(tmp_path: Path) -> None:
    head = "id,publish_at,channels,text\n" + "a,2026-12-01T09:00,x,Hello\n" * 50_000
    data = head.encode() + b"z,2026-12-02T09:00,x,caf\xe9\n"
    (tmp_path / "c.csv").write_bytes(data)
    loaded = read(tmp_path / "c.csv")
    assert [p.code for p in loaded.problems] == ["encoding-fallback"]
    assert f"byte {len(data) - 2}" in loaded.problems[0].message
    assert loaded.records[-1].cells["text"] == "café"


def test_nul_after_the_first_megabyte_is_refused(tmp_path: Path) -> None:
    data = ("id,publish_at,channels,text\n" + "a,2026-12-01T09:00,x,Hello\n" * 50_000).encode()
    (tmp_path / "c.csv").write_bytes(data + b"b,2026-12-01T09:00,x,\x00\n")
    loaded = read(tmp_path / "c.csv")
    assert not loaded.records
    assert "NUL" in loaded.problems[0].message
