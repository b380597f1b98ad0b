"""The files folder: content-addressed, written atomically, the same bytes once, damage detected."""
from __future__ import annotations

import hashlib
import os
import threading

import pytest

from webapp.services.attachments import sniff_media_type
from webapp.services.files import CHANGED, MISSING, OK, FileStore, StoredFileProblem
from tests.webapp.archive_data import image_bytes, ofd_bytes, pdf_bytes


def test_filestore_stores_by_hash_once(tmp_path):
    store = FileStore(tmp_path)
    data = b"%PDF-1.4 one"
    first = store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert first.sha256 == digest and first.size == len(data)
    path = store.path(digest)
    assert path == tmp_path / digest[:2] / digest[2:4] / digest and path.read_bytes() == data
    before = os.stat(path)
    store.put(data)
    after = os.stat(path)
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)  # not written again
    assert [p.name for p in path.parent.iterdir()] == [digest]  # no temporary files left behind


def test_filestore_state_and_read_notice_missing_and_changed_files(tmp_path):
    store = FileStore(tmp_path)
    digest = store.put(b"original bytes").sha256
    assert store.state(digest) == OK and store.read(digest) == b"original bytes"
    store.path(digest).write_bytes(b"original byteZ")  # same size, one byte changed
    assert store.state(digest) == CHANGED
    with pytest.raises(StoredFileProblem, match="文件已变更"):
        store.read(digest, "测试文件")
    store.put(b"original bytes")  # the same bytes again repair the damaged copy
    assert store.state(digest) == OK
    store.path(digest).unlink()
    assert store.state(digest) == MISSING
    with pytest.raises(StoredFileProblem, match="文件缺失"):
        store.read(digest)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", "g" * 64, ""])
def test_filestore_refuses_anything_but_a_hash_as_a_name(tmp_path, bad):
    with pytest.raises(ValueError):
        FileStore(tmp_path).path(bad)


def test_filestore_concurrent_writers_of_the_same_bytes(tmp_path):
    store = FileStore(tmp_path)
    data = os.urandom(256 * 1024)
    threads = [threading.Thread(target=store.put, args=(data,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    digest = hashlib.sha256(data).hexdigest()
    assert FileStore(tmp_path).state(digest) == OK
    assert [p.name for p in store.path(digest).parent.iterdir()] == [digest]


def test_sniffing_goes_by_the_bytes_not_the_name():
    assert sniff_media_type(pdf_bytes()) == "application/pdf"
    assert sniff_media_type(image_bytes("JPEG")) == "image/jpeg"
    assert sniff_media_type(image_bytes("PNG")) == "image/png"
    assert sniff_media_type(ofd_bytes()) == "application/ofd"
    assert sniff_media_type(image_bytes("GIF")) is None
    assert sniff_media_type(b"MZ\x90\x00") is None
    import io
    import zipfile

    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert sniff_media_type(plain_zip.getvalue()) is None  # a .docx is not an OFD
