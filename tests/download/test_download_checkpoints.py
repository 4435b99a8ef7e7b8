"""tools/download_checkpoints.py against a local HTTP server (no real network)."""
import hashlib
import http.cookiejar
import json
import os
import socket
import subprocess
import sys

import pytest

from mapkd.cli import run_cli
from mapkd.utils.download import (ChecksumMismatchError, DownloadError, ReleasedCheckpoint,
                                  confirm_url_from_page, download_file, drive_download_url,
                                  drive_file_id, fetch_checkpoint, main, resolve_url)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CKPT = ReleasedCheckpoint('coach', 'DRIVEID_coach', 'mapkd_coach.pt', 'test coach')
QUIET = dict(progress=False, log=lambda msg: None, chunk_size=64 * 1024)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_full_download_records_checksum_then_verifies_without_network(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    path = fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), **QUIET)
    assert read(path) == payload
    assert not (tmp_path / 'mapkd_coach.pt.part').exists()
    record = json.loads((tmp_path / 'checksums.json').read_text())['mapkd_coach.pt']
    assert record['sha256'] == sha(payload) and record['size'] == len(payload)
    assert record['source'] == server.url('/m.pt')

    requests_before = len(server.state.requests)
    messages = []
    fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), progress=False, log=messages.append)
    assert len(server.state.requests) == requests_before          # verified locally, not fetched
    assert any('sha256 OK' in m for m in messages)


def test_progress_bar_path(server, payload, tmp_path, capsys):
    server.state.files['/m.pt'] = payload
    download_file(server.url('/m.pt'), tmp_path / 'x.pt', progress=True, log=lambda m: None)
    assert read(tmp_path / 'x.pt') == payload
    assert 'x.pt' in capsys.readouterr().err                    # tqdm drew its bar on stderr


def test_interrupted_transfer_resumes_with_range(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    server.state.drop_after, server.state.drops_left = 300_000, 1
    with pytest.raises(DownloadError, match='interrupted.*run the command again to resume'):
        fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), retries=0, **QUIET)
    part = tmp_path / 'mapkd_coach.pt.part'
    assert part.stat().st_size == 300_000 and read(part) == payload[:300_000]
    assert not (tmp_path / 'mapkd_coach.pt').exists()
    assert not (tmp_path / 'checksums.json').exists()

    path = fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), retries=0, **QUIET)
    assert server.state.requests[-1] == ('/m.pt', 'bytes=300000-')
    assert read(path) == payload
    assert json.loads((tmp_path / 'checksums.json').read_text())['mapkd_coach.pt']['sha256'] == sha(payload)


def test_automatic_retries_resume_within_one_call(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    server.state.drop_after, server.state.drops_left = 200_000, 2
    digest = download_file(server.url('/m.pt'), tmp_path / 'x.pt', retries=2, **QUIET)
    assert digest == sha(payload) and read(tmp_path / 'x.pt') == payload
    assert [r for _, r in server.state.requests] == [None, 'bytes=200000-', 'bytes=400000-']


def test_server_ignoring_range_restarts_cleanly(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    server.state.honor_range = False
    (tmp_path / 'x.pt.part').write_bytes(b'\xff' * 5000)        # stale bytes that must not survive
    messages = []
    download_file(server.url('/m.pt'), tmp_path / 'x.pt', progress=False, log=messages.append)
    assert read(tmp_path / 'x.pt') == payload
    assert server.state.requests[-1] == ('/m.pt', 'bytes=5000-')
    assert any('ignored the resume request' in m for m in messages)


def test_server_answering_another_range_restarts_cleanly(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    server.state.wrong_range = True
    (tmp_path / 'x.pt.part').write_bytes(payload[:1000])
    download_file(server.url('/m.pt'), tmp_path / 'x.pt', **QUIET)
    assert read(tmp_path / 'x.pt') == payload
    assert [r for _, r in server.state.requests] == ['bytes=1000-', None]


def test_complete_part_file_and_416(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    (tmp_path / 'x.pt.part').write_bytes(payload)
    download_file(server.url('/m.pt'), tmp_path / 'x.pt', **QUIET)
    assert read(tmp_path / 'x.pt') == payload
    assert len(server.state.requests) == 1


def test_corrupted_file_is_rejected_and_set_aside_then_redownloaded(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    path = fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), **QUIET)
    corrupted = bytearray(payload)
    corrupted[123456] ^= 0x01
    path.write_bytes(bytes(corrupted))
    with pytest.raises(ChecksumMismatchError, match=f'expected sha256 {sha(payload)}'):
        fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), **QUIET)
    assert not path.exists()                                      # the bad file cannot be used
    assert read(tmp_path / 'mapkd_coach.pt.corrupt') == bytes(corrupted)
    fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), **QUIET)
    assert read(path) == payload


def test_mirror_with_different_bytes_is_rejected(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    server.state.files['/bad.pt'] = payload[::-1]
    fetch_checkpoint(CKPT, tmp_path, server.url('/m.pt'), **QUIET)
    os.remove(tmp_path / 'mapkd_coach.pt')
    with pytest.raises(ChecksumMismatchError, match='checksum mismatch for mapkd_coach.pt'):
        fetch_checkpoint(CKPT, tmp_path, server.url('/bad.pt'), **QUIET)
    assert not (tmp_path / 'mapkd_coach.pt').exists()
    assert not (tmp_path / 'mapkd_coach.pt.part').exists()


def test_published_checksum_is_enforced(server, payload, tmp_path):
    server.state.files['/m.pt'] = payload
    published = ReleasedCheckpoint('coach', 'x', 'c.pt', 'c', sha256='0' * 64)
    with pytest.raises(ChecksumMismatchError):
        fetch_checkpoint(published, tmp_path, server.url('/m.pt'), **QUIET)
    assert not (tmp_path / 'c.pt').exists()


def test_drive_confirmation_page_flow(server, payload, tmp_path):
    server.state.drive_files['FILEID'] = payload
    path = fetch_checkpoint(CKPT, tmp_path, server.url('/uc?export=download&id=FILEID'), **QUIET)
    assert read(path) == payload
    paths = [p for p, _ in server.state.requests]
    assert paths[0] == '/uc?export=download&id=FILEID'
    assert paths[1].startswith('/download?') and 'confirm=t' in paths[1] and 'uuid=test-uuid-1234' in paths[1]


def test_drive_flow_resumes_after_interruption(server, payload, tmp_path):
    server.state.drive_files['FILEID'] = payload
    server.state.drop_after, server.state.drops_left = 100_000, 1
    download_file(server.url('/uc?export=download&id=FILEID'), tmp_path / 'x.pt', retries=1, **QUIET)
    assert read(tmp_path / 'x.pt') == payload
    assert server.state.requests[-1][1] == 'bytes=100000-'


def test_html_page_without_download_form_is_a_clear_error(server, tmp_path):
    with pytest.raises(DownloadError, match='HTML page \\("Google Drive - Quota exceeded"\\)'):
        download_file(server.url('/quota'), tmp_path / 'x.pt', **QUIET)
    assert not (tmp_path / 'x.pt').exists()


def test_http_error_is_clear(server, tmp_path):
    with pytest.raises(DownloadError, match='HTTP error 404'):
        download_file(server.url('/missing.pt'), tmp_path / 'x.pt', **QUIET)


def test_connection_refused_is_clear(tmp_path):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()                                                   # nothing listens there now
    with pytest.raises(DownloadError, match='network error while connecting'):
        download_file(f'http://127.0.0.1:{port}/m.pt', tmp_path / 'x.pt', timeout=5, **QUIET)


def test_confirm_url_variants():
    old_style = ('<html><body><a id="uc-download-link" '
                 'href="/uc?export=download&amp;confirm=AbC1&amp;id=XYZ">Download anyway</a></body></html>')
    assert confirm_url_from_page(old_style, 'https://drive.google.com/uc?export=download&id=XYZ') == \
        'https://drive.google.com/uc?export=download&confirm=AbC1&id=XYZ'

    jar = http.cookiejar.CookieJar()
    jar.set_cookie(http.cookiejar.Cookie(0, 'download_warning_123', 'tok9', None, False, 'drive.google.com',
                                         True, False, '/', True, False, None, False, None, None, {}))
    url = confirm_url_from_page('<html>nothing</html>', 'https://drive.google.com/uc?export=download&id=XYZ', jar)
    assert url == 'https://drive.google.com/uc?export=download&id=XYZ&confirm=tok9'
    assert confirm_url_from_page('<html><title>Sign in</title></html>', 'https://x/y') is None


def test_drive_url_helpers():
    share = 'https://drive.google.com/file/d/1bmvH8yCWBBzwArIYObCSw-8_U4hA3d3F/view?usp=drive_link'
    assert drive_file_id(share) == '1bmvH8yCWBBzwArIYObCSw-8_U4hA3d3F'
    assert resolve_url(share) == drive_download_url('1bmvH8yCWBBzwArIYObCSw-8_U4hA3d3F')
    assert drive_download_url('ID').startswith('https://drive.usercontent.google.com/download?id=ID&')
    assert drive_file_id('https://example.org/file/d/abc/view') is None
    assert resolve_url('https://example.org/m.pt') == 'https://example.org/m.pt'


def test_cli_downloads_and_reports_errors_in_one_line(server, payload, tmp_path, capsys):
    server.state.files['/t.pt'] = payload
    rc = run_cli(main, ['teacher', '--dir', str(tmp_path), '--url', server.url('/t.pt'), '--no-progress'])
    assert rc == 0 and read(tmp_path / 'mapkd_teacher.pt') == payload
    capsys.readouterr()

    for argv, pattern in [
        (['student', '--dir', str(tmp_path)], "unknown checkpoint name(s) 'student'; choose from teacher, coach"),
        (['coach', '--alternative', '--dir', str(tmp_path)], 'no alternative link for coach'),
        (['teacher', 'coach', '--url', server.url('/t.pt')], '--url gives one file'),
        (['coach', '--dir', str(tmp_path), '--url', server.url('/nope.pt'), '--no-progress'], 'HTTP error 404'),
    ]:
        assert run_cli(main, argv) == 2
        err = capsys.readouterr().err
        assert pattern in err and err.count('\n') == 1 and err.startswith('error: '), err


def test_cli_help_runs():
    result = subprocess.run([sys.executable, os.path.join(REPO, 'tools', 'download_checkpoints.py'), '--help'],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert '--alternative' in result.stdout and '--url' in result.stdout and 'teacher, coach' in result.stdout
