"""Checks a file must pass before anything parses it: size, what the bytes really are, a real XLSX or DOCX
package, no zip bomb.

Each failure is an `IngestError` with a reason code and a message that says what the file is and what to
do, so the file is quarantined whole and the run goes on.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pipelines.core.zipfiles import SCRATCH_PREFIX
from pipelines.ingest.register import IngestError
from pipelines.ingest.textfiles import utf16_without_bom

MAX_FORM_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # any Office package (XLSX forms, DOCX reports)
MAX_XLSX_COMPRESSION_RATIO = 200
MAX_FORM_ROWS = 2_000

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls, .doc and encrypted Office files
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_WORD_STREAM = "WordDocument".encode("utf-16-le")  # the stream a Word 97-2003 .doc keeps its text in
_WORKBOOK_STREAM = "Workbook".encode("utf-16-le")  # and an Excel 97-2003 .xls its sheets
_SNIFF_BYTES = 64 * 1024


# What machines leave beside real files: never an input, never worth a message.
_MACHINE_LEFTOVERS = re.compile(
    r"^(?:~\$.*|\.~lock\..*#|\.DS_Store|Thumbs\.db|desktop\.ini|\._.*)$", re.IGNORECASE
)


def inbox_files(folder: Path, leave_out: tuple[str, ...] = ()) -> list[Path]:
    """Every file a source folder holds, each of which gets an outcome (loaded, skipped or rejected with
    its reason), whatever its name or type: an unknown type is refused by name, never passed over in
    silence. Links are listed too (and refused unread). Left out: Office lock files and what operating
    systems leave behind, files under hidden folders, and the names in `leave_out`."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if (p.is_file() or p.is_symlink())
        and not _MACHINE_LEFTOVERS.match(p.name)
        and p.name not in leave_out
        and not any(part.startswith(".") for part in p.relative_to(folder).parts[:-1])
    )


_MAIL_MESSAGES = (".msg", ".eml")


def check_extension(path: Path, allowed: tuple[str, ...]) -> None:
    """A file of a type the source does not take is refused, saying what it is when the bytes tell (an
    old .xls, a password-protected file) and which types the source takes."""
    if path.suffix.lower() in allowed:
        return
    kind = content_kind(path) if path.stat().st_size else "empty"
    if kind == "ole2_word" and path.suffix.lower() == ".doc":  # Word 97-2003 under its own name: not taken
        error = refuse_by_content(path, kind, "", allowed[0])
        vi, en = error.message_vi, error.message_en
        raise IngestError(path, None, None, vi, en, reason="unsupported_extension")
    if path.suffix.lower() in _MAIL_MESSAGES:  # Outlook's .msg is OLE2 too: no old Office document
        raise IngestError(
            path,
            None,
            None,
            f"đây là thư điện tử ({path.suffix}), không phải báo cáo: hãy lưu tệp đính kèm của thư "
            f"rồi gửi tệp đó (chỉ nhận {', '.join(allowed)})",
            f"this is an e-mail message ({path.suffix}), not a report: save its attachment and send that",
            reason="unsupported_extension",
        )
    if kind in ("ole2", "ole2_word", "encrypted_office"):
        raise refuse_by_content(path, kind, "", allowed[0])
    if kind in ("html", "spreadsheet_xml", "rtf") and path.suffix.lower() in (".xls", ".xlsx", ".doc"):
        # what government systems call an "Excel export" or a "Word download": a web page or Excel 2003
        # XML named .xls, an e-office page or its Rich Text download saved as .doc
        what_vi, what_en = _KIND_VI[kind]
        word = path.suffix.lower() == ".doc"
        app, target = ("Word", ".docx") if word else ("Excel", ".xlsx")
        office_vi = "văn bản Word (.docx)" if word else "bảng tính Excel (.xlsx)"
        office_en = "a Word document (.docx)" if word else "an Excel workbook (.xlsx)"
        raise IngestError(
            path,
            None,
            None,
            f"đây là {what_vi} mang đuôi {path.suffix}, không phải {office_vi}: hãy mở bằng {app}, lưu "
            f"lại thành {target} rồi gửi lại",
            f"this is {what_en} named {path.suffix}, not {office_en}: open it in {app}, save it as {target} "
            "and send it again",
            reason="wrong_file_type",
        )
    listed = ", ".join(allowed)
    raise IngestError(
        path,
        None,
        None,
        f"loại tệp {path.suffix or '(không có đuôi)'} không được nhận ở đây (chỉ nhận {listed})",
        f"unsupported file type {path.suffix or '(none)'} (this source takes {listed})",
        reason="unsupported_extension",
    )


def check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise IngestError(
            path,
            None,
            None,
            "tệp rỗng (0 byte): hãy gửi lại tệp có số liệu",
            "empty file (0 bytes)",
            reason="empty_file",
        )
    if size > limit:
        raise IngestError(
            path,
            None,
            None,
            f"tệp quá lớn ({size:,} byte, giới hạn {limit:,})".replace(",", "."),
            f"file too large ({size} bytes, limit {limit})",
            reason="file_too_large",
        )


def content_kind(path: Path) -> str:
    """What the bytes are, whatever the name says: zip, encrypted_office, ole2, pdf, gzip, rtf,
    spreadsheet_xml, html, text, binary.

    An encrypted Office file (a workbook or document saved with a password) is an OLE2 compound file
    holding an `EncryptedPackage` stream; a legacy .xls/.doc is OLE2 without one."""
    with open(path, "rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head.startswith(_OLE2):
            handle.seek(0)
            whole = head + handle.read(8 * 1024 * 1024)  # the directory sits near the start in practice
            if _ENCRYPTED_STREAM in whole:
                return "encrypted_office"
            return "ole2_word" if _WORD_STREAM in whole and _WORKBOOK_STREAM not in whole else "ole2"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"  # a download the web server compressed, saved under the name it announced
    for magic, kind in _MAGIC_NUMBERS:
        if head.startswith(magic):
            return kind
    if head[4:8] == b"ftyp":  # ISO media: a phone's HEIC photo or MP4 video
        return "phone_media"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "rtf"  # WordPad's Rich Text, renamed .docx
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "spreadsheet_xml"  # Excel 2003's XML Spreadsheet, which personnel systems export as .xls
    if lowered.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<html" in lowered[:1024]:
        return "html"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_like_text(head):
        return "text"
    return "binary"


# Images and archives people send instead of the file (a photo of the form, a folder zipped by a chat app),
# by the bytes every file of the kind starts with
_MAGIC_NUMBERS = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
)
# the kinds above: what a reader of text or of an Office package refuses as the wrong file, naming it
IMAGE_AND_ARCHIVE_KINDS = frozenset({kind for _, kind in _MAGIC_NUMBERS} | {"phone_media"})


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    if utf16_without_bom(head):
        return True
    # a block of NUL bytes at the end (a write cut short, a pre-allocated file) does not make text binary
    head = head.rstrip(b"\x00") or head
    if head[:4096].count(0) > len(head[:4096]) // 8:
        return False
    # tab, line feed, form feed (a page break Word writes into text) and carriage return are text
    controls = sum(1 for b in head[:4096] if b < 32 and b not in (9, 10, 12, 13))
    return controls <= len(head[:4096]) // 100


def _first_line_is_a_table(path: Path) -> bool:
    """Some line among the first ones has two delimiters or more (a title line may come first)."""
    with open(path, "rb") as handle:
        lines = handle.read(8192).replace(b"\x00", b"").splitlines()[:10]
    return any(line.count(d) >= 2 for line in lines for d in (b",", b";", b"\t"))


_KIND_VI = {
    "text": ("tệp văn bản thuần (text)", "a plain-text file"),
    "pdf": ("tệp PDF", "a PDF file"),
    "html": ("trang web HTML (xuất từ trình duyệt)", "an HTML page"),
    "spreadsheet_xml": (
        "bảng tính XML của Excel 2003 (XML Spreadsheet 2003)",
        "an Excel 2003 XML Spreadsheet",
    ),
    "binary": ("tệp nhị phân không rõ loại", "an unknown binary file"),
    "gzip": ("tệp nén gzip (.gz): hãy giải nén trước khi gửi", "a gzip-compressed file: decompress it first"),
    "rtf": ("văn bản RTF (Rich Text Format, của WordPad)", "a Rich Text Format (RTF) document"),
    "jpeg": ("ảnh chụp (JPEG): hãy gửi chính tệp, không gửi ảnh chụp", "a photo (JPEG)"),
    "png": ("hình ảnh (PNG): hãy gửi chính tệp, không gửi ảnh chụp màn hình", "an image (PNG)"),
    "gif": ("hình ảnh (GIF)", "an image (GIF)"),
    "tiff": ("ảnh quét (TIFF): hãy gửi chính tệp, không gửi bản quét", "a scanned image (TIFF)"),
    "phone_media": ("ảnh hoặc video chụp bằng điện thoại (HEIC, MP4)", "a phone photo or video (HEIC, MP4)"),
    "7z": ("tệp nén 7-Zip (.7z): hãy giải nén và gửi từng tệp", "a 7-Zip archive: extract it first"),
    "rar": ("tệp nén RAR (.rar): hãy giải nén và gửi từng tệp", "a RAR archive: extract it first"),
}


def refuse_by_content(path: Path, kind: str, expected_vi: str, expected_ext: str) -> IngestError:
    """The rejection of a file whose bytes are not what its name says, naming what it is and what to do."""
    if kind == "encrypted_office":
        return IngestError(
            path,
            None,
            None,
            "tệp được đặt mật khẩu: hãy gỡ mật khẩu rồi gửi lại",
            "the file is password-protected: send it without a password",
            reason="password_protected",
        )
    if kind == "ole2_word":
        return IngestError(
            path,
            None,
            None,
            f"đây là tệp Word cũ (Word 97-2003, .doc): hãy mở và lưu lại thành {expected_ext} rồi gửi lại",
            f"this is an old Word document (Word 97-2003, .doc), not {expected_ext}: save it as "
            f"{expected_ext} and send it again",
            reason="wrong_file_type",
        )
    if kind == "ole2":
        return IngestError(
            path,
            None,
            None,
            f"tệp ở định dạng Office cũ (.xls/.doc): hãy mở và lưu lại thành {expected_ext} rồi gửi lại",
            f"legacy binary Office file (.xls/.doc): save it as {expected_ext} and send it again",
            reason="legacy_xls",
        )
    if kind == "text" and expected_ext == ".xlsx" and _first_line_is_a_table(path):
        return IngestError(
            path,
            None,
            None,
            "đây là tệp văn bản CSV mang đuôi .xlsx: hãy đổi đuôi thành .csv hoặc lưu lại thành .xlsx",
            "this is a CSV (text) file with an .xlsx name: rename it .csv or save it as .xlsx",
            reason="csv_named_xlsx",
        )
    if kind == "zip" and expected_ext == ".csv":
        return IngestError(
            path,
            None,
            None,
            "đây là tệp nén hoặc bảng tính Excel mang đuôi .csv: hãy đổi đuôi thành .xlsx",
            "this is a zip package (an Excel workbook?) with a .csv name: rename it .xlsx",
            reason="wrong_file_type",
        )
    what_vi, what_en = _KIND_VI.get(kind, (f"tệp loại {kind}", f"a {kind} file"))
    if kind == "zip":
        what_vi, what_en = _package_kind(path)
    return IngestError(
        path,
        None,
        None,
        f"đây là {what_vi}, không phải {expected_vi} ({expected_ext}): hãy gửi đúng tệp",
        f"this is {what_en}, not {expected_ext}: send the right file",
        reason=_content_reason(kind, expected_ext),
    )


def _package_kind(path: Path) -> tuple[str, str]:
    """What a zip package is, by the part every Office file of its kind has."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        names = set()
    if "word/document.xml" in names:
        return "văn bản Word (DOCX)", "a Word document (DOCX)"
    if "xl/workbook.xml" in names:
        return "bảng tính Excel (XLSX)", "an Excel workbook (XLSX)"
    if "xl/workbook.bin" in names:  # Excel Binary Workbook, saved under an .xlsx name
        return (
            "bảng tính Excel dạng nhị phân (XLSB): hãy lưu lại thành Excel Workbook (.xlsx)",
            "an Excel Binary Workbook (XLSB)",
        )
    if "FixedDocSeq.fdseq" in names or any(n.endswith(".fdseq") for n in names):
        return (
            "tệp XPS (bản in ra máy in Microsoft XPS Document Writer), không đọc được số liệu",
            "an XPS document (printed to Microsoft's XPS Document Writer)",
        )
    if "mimetype" in names:  # OpenDocument (LibreOffice): the first member names the kind
        with suppress(zipfile.BadZipFile, OSError, KeyError), zipfile.ZipFile(path) as archive:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace")
            if mimetype.startswith("application/vnd.oasis.opendocument."):
                kind = mimetype.rsplit(".", 1)[-1]
                what = {"text": "ODT", "spreadsheet": "ODS"}.get(kind, kind)
                return (
                    f"tệp OpenDocument {what} (LibreOffice): hãy lưu lại theo định dạng Microsoft Office",
                    f"an OpenDocument {what} file (LibreOffice)",
                )
    return "tệp nén (zip)", "a zip archive"


def _content_reason(kind: str, expected_ext: str) -> str:
    """Plain text or unknown bytes under an .xlsx name are simply not a workbook; unknown bytes under
    another Office name are a damaged file; a known kind under the wrong name is the wrong file."""
    if kind in ("binary", "text") and expected_ext == ".xlsx":
        return "not_xlsx"
    if kind == "binary" and expected_ext in (".csv", ".txt"):
        return "unreadable_text"
    return "corrupt_file" if kind == "binary" else "wrong_file_type"


def check_package(path: Path, name_vi: str) -> set[str]:
    """An Office file (XLSX, DOCX) is a zip that reads without error and does not expand to something
    enormous; returns its member names. `name_vi` names the kind in messages ("Excel", "Word")."""
    kind = content_kind(path)
    extension = ".xlsx" if name_vi == "Excel" else ".docx"
    if kind != "zip":
        raise refuse_by_content(path, kind, f"tệp {name_vi}", extension)
    if not zipfile.is_zipfile(path):  # starts like a zip but its directory at the end is missing
        raise IngestError(
            path,
            None,
            None,
            f"tệp {name_vi} bị cắt cụt (không trọn vẹn, có thể tải lên chưa xong): hãy gửi lại tệp",
            f"the {name_vi} file is cut off (an incomplete zip): send it again",
            reason="truncated_file",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("CRC mismatch")
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError) as error:
        raise IngestError(
            path,
            None,
            None,
            f"tệp {name_vi} bị hỏng, không đọc được: hãy mở lại trên máy, lưu lại và gửi lại",
            f"corrupt {name_vi} package: {error}",
            reason="corrupt_file",
        ) from error
    expanded = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if expanded > MAX_XLSX_UNCOMPRESSED_BYTES or expanded / packed > MAX_XLSX_COMPRESSION_RATIO:
        raise IngestError(
            path,
            None,
            None,
            f"tệp {name_vi} giải nén quá lớn (nghi ngờ tệp độc hại)",
            f"{name_vi} package expands to {expanded} bytes (ratio {expanded / packed:.0f})",
            reason="zip_bomb",
        )
    names = {i.filename for i in infos}
    if name_vi == "Excel" and "xl/workbook.xml" not in names:
        other_vi, other_en = _package_kind(path)
        raise IngestError(
            path,
            None,
            None,
            f"đây là {other_vi}, không phải bảng tính Excel: hãy gửi đúng tệp .xlsx",
            f"this is {other_en}, without xl/workbook.xml",
            reason="wrong_file_type",  # a zip archive is a known kind too (a folder a chat app zipped)
        )
    # Word for the web names a document's main part `word/document2.xml` (the package's relationship finds it)
    if name_vi == "Word" and not any(_WORD_MAIN.fullmatch(n) for n in names):
        other_vi, other_en = _package_kind(path)
        raise IngestError(
            path,
            None,
            None,
            f"đây là {other_vi}, không phải văn bản Word (.docx): hãy gửi đúng tệp",
            f"this is {other_en}, without word/document.xml",
            reason="wrong_file_type",
        )
    return names


_WORD_MAIN = re.compile(r"word/document\d*\.xml")
_STRICT = re.compile(rb"http://purl\.oclc\.org/ooxml/(\w+)/(\w+)")


@contextmanager
def transitional(path: Path) -> Iterator[Path]:
    """The workbook or document to read: itself, or a copy the readers take:
    - one saved as "Strict Open XML" (which openpyxl and python-docx do not read) with the Strict namespaces
      written as the usual ones (the same names under other addresses: `purl.oclc.org/ooxml/spreadsheetml/
      main` is `…/spreadsheetml/2006/main`);
    - a template (`.dotx`, `.xltx`: the Department's outline filled in and renamed) with its main part
      declared as a document or workbook, which is all a template differs by (python-docx refuses it)."""
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        main = next((n for n in ("xl/workbook.xml", "word/document.xml") if n in names), None)
        strict = main is not None and b"purl.oclc.org/ooxml/" in archive.read(main)[:4096]
        types = archive.read(CONTENT_TYPES) if CONTENT_TYPES in names else b""
        template = any(t in types for t in _TEMPLATE_TYPES)
        if not (strict or template):
            yield path
            return
        with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX) as folder:
            copy = Path(folder) / path.name
            with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
                for item in archive.infolist():
                    data = archive.read(item)
                    if strict and item.filename.endswith((".xml", ".rels")):
                        data = _STRICT.sub(rb"http://schemas.openxmlformats.org/\1/2006/\2", data)
                    if item.filename == CONTENT_TYPES:
                        for template_type, document_type in _TEMPLATE_TYPES.items():
                            data = data.replace(template_type, document_type)
                    out.writestr(item, data)
            yield copy


CONTENT_TYPES = "[Content_Types].xml"
# A template's main part, and what the same part is in a document or workbook.
_TEMPLATE_TYPES = {
    b"wordprocessingml.template.main+xml": b"wordprocessingml.document.main+xml",
    b"spreadsheetml.template.main+xml": b"spreadsheetml.sheet.main+xml",
}


def check_xlsx(path: Path) -> None:
    """A real XLSX is a zip holding xl/workbook.xml and at least one worksheet."""
    names = check_package(path, "Excel")
    if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
        raise IngestError(
            path,
            None,
            None,
            "tệp Excel không có trang tính (sheet) nào chứa số liệu",
            "workbook has no worksheet",
            reason="missing_sheet",
        )
