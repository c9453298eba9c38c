"""Reasons made by the library in English are shown in the interface language.

Each reason is produced by the library itself (a refused upload, a file ingest cannot read, the
writer lock, a rule tag), so a change of its wording that the app no longer recognises fails
here instead of leaking English into the Spanish interface.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterkb.app.i18n import translate
from clusterkb.app.reasons import error_reason, file_reason, tag_reason
from ingest.errors import IngestError
from ingest.loaders import load_document, size_reason
from ingest.uploads import UploadRejected, save_upload, stored_name
from kb.config import Settings
from kb.storage.lock import WriterBusyError, writer_lock
from kb.tags.tagger import rule_tags


def _refusal(call: object) -> str:
    with pytest.raises((IngestError, UploadRejected)) as caught:
        call()  # type: ignore[operator]
    exc = caught.value
    return exc.reason if isinstance(exc, IngestError) else str(exc)


def library_reasons(tmp_path: Path) -> dict[str, str]:
    """Reason made by the library -> the key it must be said with."""
    settings = Settings(home=tmp_path / "home")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    fake_pdf = tmp_path / "report.pdf"
    fake_pdf.write_text("plain words, not a PDF", encoding="utf-8")
    odd = tmp_path / "table.xyz"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    return {
        _refusal(lambda: stored_name("macro.exe")): "reason_unsupported",
        _refusal(lambda: load_document(odd, settings)): "reason_unsupported",
        _refusal(lambda: save_upload("a.txt", b"", settings)): "reason_empty",
        _refusal(lambda: load_document(empty, settings)): "reason_empty",
        _refusal(lambda: load_document(tmp_path / "gone.txt", settings)): "reason_not_found",
        _refusal(lambda: load_document(tmp_path, settings)): "reason_not_a_file",
        _refusal(lambda: load_document(fake_pdf, settings)): "reason_not_pdf",
        size_reason(30 * 1024 * 1024, 25): "reason_too_large",
    }


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_refusal_of_a_file_is_said_in_the_interface_language(
    tmp_path: Path, language: str
) -> None:
    for reason, key in library_reasons(tmp_path).items():
        shown = file_reason(reason, language)
        # Said with its key (its details filled in), not passed through as written.
        template = translate(key, language)
        head = template.split("{", 1)[0]
        assert shown.startswith(head), (reason, shown)
        assert shown != reason


def test_details_of_a_refusal_are_kept() -> None:
    shown = file_reason(size_reason(30 * 1024 * 1024, 25), "es")
    assert shown == "El archivo pesa 30 MB, más que el límite de 25 MB"
    assert ".exe" in file_reason(_refusal(lambda: stored_name("macro.exe")), "es")


def test_an_unknown_reason_is_shown_as_written() -> None:
    assert file_reason("the disk caught fire", "es") == "the disk caught fire"
    assert file_reason("", "es") == ""


def test_the_writer_lock_is_said_without_a_folder_or_process(tmp_path: Path) -> None:
    with writer_lock(tmp_path), pytest.raises(WriterBusyError) as caught, writer_lock(tmp_path):
        pass
    assert str(tmp_path) in str(caught.value)  # what the CLI prints
    for language in ("es", "en"):
        shown = error_reason(caught.value, language)
        assert str(tmp_path) not in shown
        assert not any(ch.isdigit() for ch in shown), shown
    assert error_reason(caught.value, "es").startswith("Otra ingesta está escribiendo")


def test_a_rule_tag_says_what_matched_in_the_interface_language() -> None:
    tags = rule_tags("Los costos de coordinación entre empresas del clúster fueron altos.")
    rules = [tag for tag in tags if tag.origin == "rule"]
    assert rules, tags
    for tag in rules:
        assert tag_reason(tag.reason, "es").startswith("coincide con «")
        assert tag_reason(tag.reason, "en").startswith("matches «")
