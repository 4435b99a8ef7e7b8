"""Download the released MapKD checkpoints (Google Drive or a mirror), resumable and checksummed.

Only the standard library does the HTTP work (``urllib``); ``tqdm`` draws the progress bar.

- Partial downloads are kept as ``<file>.part`` and resumed with an HTTP ``Range`` request. If the
  server ignores ``Range`` (replies 200) or answers with a different range, the download restarts
  cleanly from byte 0.
- Google Drive's "can't scan this file for viruses" page for large files is followed: its download
  form (``drive.usercontent.google.com/download?id=...&confirm=...&uuid=...``), an old-style
  ``confirm=`` link, or a ``download_warning`` cookie.
- The SHA-256 of a file is recorded in ``<dir>/checksums.json`` the first time it is downloaded and
  checked on every later run (and against the recorded value when re-downloading, e.g. from a
  mirror). A file that does not match is renamed ``<file>.corrupt`` and never used.
- The finished file appears at its final name only once complete and verified (atomic rename).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import html.parser
import http.client
import http.cookiejar
import json
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

DRIVE_DOWNLOAD_URL = 'https://drive.usercontent.google.com/download?id={file_id}&export=download&confirm=t'
USER_AGENT = 'mapkd-download/1.0 (python urllib)'
CHUNK_SIZE = 1 << 20
MAX_HTML_PAGES = 3          # confirmation pages followed before giving up
MAX_PAGE_BYTES = 1 << 20    # an HTML page is read up to this size
CHECKSUM_FILE = 'checksums.json'


@dataclass(frozen=True)
class ReleasedCheckpoint:
    """One released file: its Google Drive id and the name it gets on disk."""

    name: str
    drive_id: str
    filename: str
    description: str
    sha256: str | None = None  # published checksum, if one is known; otherwise trust on first use


RELEASED_CHECKPOINTS: dict[str, ReleasedCheckpoint] = {
    'teacher': ReleasedCheckpoint(
        'teacher', '1htDzMVEi9BOYATLTSsijbK3hAmrssm34', 'mapkd_teacher.pt',
        'MapKD teacher (P-MapNet camera + LiDAR + SD + HD prior, 60x30 m)'),
    'coach': ReleasedCheckpoint(
        'coach', '1bmvH8yCWBBzwArIYObCSw-8_U4hA3d3F', 'mapkd_coach.pt',
        'MapKD coach (camera + simulated LiDAR + SD prior, 60x30 m)'),
}
# Second Drive link for the teacher. Whether it holds the same bytes is unknown, so it gets its own
# file name (and checksum entry).
ALTERNATIVE_CHECKPOINTS: dict[str, ReleasedCheckpoint] = {
    'teacher': ReleasedCheckpoint(
        'teacher', '1YHy4XvmvDvBJBuOVWXWR5h24zMm_2ZSB', 'mapkd_teacher_alternative.pt',
        'MapKD teacher, alternative Google Drive link'),
}


class DownloadError(RuntimeError):
    """A download that could not be completed (network, HTTP, unexpected page)."""


class ChecksumMismatchError(DownloadError):
    """A file whose SHA-256 differs from the recorded / published one."""


class _TransferInterrupted(Exception):
    """The connection broke during the body; the ``.part`` file keeps what arrived."""


class _RangeNotSatisfiable(Exception):
    def __init__(self, total: int | None) -> None:
        super().__init__(total)
        self.total = total


# ----------------------------------------------------------------------------- URLs
def drive_download_url(file_id: str) -> str:
    """Direct-download URL of a Google Drive file id."""
    return DRIVE_DOWNLOAD_URL.format(file_id=urllib.parse.quote(file_id))


def drive_file_id(url: str) -> str | None:
    """The file id of a Google Drive share / download URL, or None for any other URL."""
    parsed = urllib.parse.urlparse(url)
    if not parsed.netloc.endswith(('drive.google.com', 'drive.usercontent.google.com', 'docs.google.com')):
        return None
    match = re.search(r'/file/d/([A-Za-z0-9_-]+)', parsed.path)
    if match:
        return match.group(1)
    ids = urllib.parse.parse_qs(parsed.query).get('id')
    return ids[0] if ids else None


def resolve_url(url: str) -> str:
    """Turn a Drive share link (``.../file/d/ID/view``) into its direct-download URL."""
    file_id = drive_file_id(url)
    if file_id is not None and '/file/d/' in urllib.parse.urlparse(url).path:
        return drive_download_url(file_id)
    return url


class _DownloadPageParser(html.parser.HTMLParser):
    """Collects forms (action + inputs), links and the title of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self.links: list[str] = []
        self.title = ''
        self._in_form = False
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or '' for k, v in attrs}
        if tag == 'form':
            self.forms.append((attributes, []))
            self._in_form = True
        elif tag == 'input' and self._in_form and attributes.get('name'):
            self.forms[-1][1].append((attributes['name'], attributes.get('value', '')))
        elif tag == 'a' and attributes.get('href'):
            self.links.append(attributes['href'])
        elif tag == 'title':
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == 'form':
            self._in_form = False
        elif tag == 'title':
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def confirm_url_from_page(page: str, page_url: str, cookies: http.cookiejar.CookieJar | None = None) -> str | None:
    """The URL a Google Drive "large file" confirmation page points to, or None if there is none."""
    parser = _DownloadPageParser()
    parser.feed(page)
    for attributes, inputs in parser.forms:
        names = {name for name, _ in inputs}
        if attributes.get('id') == 'download-form' or {'id', 'confirm'} <= names:
            action = urllib.parse.urljoin(page_url, attributes.get('action') or page_url)
            return f'{action.split("?")[0]}?{urllib.parse.urlencode(inputs)}'
    for href in parser.links:
        if 'confirm=' in href and ('export=download' in href or '/download' in href or '/uc' in href):
            return urllib.parse.urljoin(page_url, href.replace('&amp;', '&'))
    for cookie in cookies or []:
        if cookie.name.startswith('download_warning'):
            parts = urllib.parse.urlparse(page_url)
            query = dict(urllib.parse.parse_qsl(parts.query))
            query['confirm'] = cookie.value
            return urllib.parse.urlunparse(parts._replace(query=urllib.parse.urlencode(query)))
    return None


def _page_title(page: str) -> str:
    parser = _DownloadPageParser()
    parser.feed(page)
    return ' '.join(parser.title.split()) or '(untitled page)'


# ----------------------------------------------------------------------------- checksums
def sha256_of(path: str | os.PathLike, chunk_size: int = CHUNK_SIZE) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk_size), b''):
            digest.update(block)
    return digest.hexdigest()


class ChecksumStore:
    """``checksums.json`` of a checkpoint folder: ``{filename: {sha256, size, source, recorded}}``."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def load(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise DownloadError(f'{self.path} is not valid JSON ({exc}); fix or delete it') from exc
        if not isinstance(data, dict):
            raise DownloadError(f'{self.path} must hold a JSON object mapping file names to checksums')
        return data

    def get(self, filename: str) -> str | None:
        entry = self.load().get(filename)
        if entry is None:
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get('sha256'), str):
            raise DownloadError(f'{self.path}: entry {filename!r} has no "sha256" string')
        return entry['sha256']

    def record(self, filename: str, sha256: str, size: int, source: str) -> None:
        data = self.load()
        data[filename] = dict(sha256=sha256, size=size, source=source,
                              recorded=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds'))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + '.', suffix='.tmp', dir=self.path.parent)
        try:
            with os.fdopen(fd, 'w') as f:
                json.dump(data, f, indent=2, sort_keys=True)
                f.write('\n')
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


# ----------------------------------------------------------------------------- HTTP
def _build_opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _open_body(opener: urllib.request.OpenerDirector, jar: http.cookiejar.CookieJar, url: str,
               offset: int, timeout: float) -> tuple[http.client.HTTPResponse, str]:
    """Open ``url`` (from byte ``offset``), following Drive confirmation pages; returns (response, url)."""
    for _ in range(MAX_HTML_PAGES + 1):
        headers = {'User-Agent': USER_AGENT}
        if offset:
            headers['Range'] = f'bytes={offset}-'
        try:
            response = opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset:
                total = _total_from_content_range(exc.headers.get('Content-Range', ''))
                exc.close()
                raise _RangeNotSatisfiable(total) from exc
            raise DownloadError(f'HTTP error {exc.code} ({exc.reason}) from {url}') from exc
        except urllib.error.URLError as exc:
            raise DownloadError(f'network error while connecting to {url}: {exc.reason}') from exc
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f'network error while connecting to {url}: {exc}') from exc
        if 'text/html' not in response.headers.get('Content-Type', ''):
            return response, url
        page_url = response.geturl()
        try:
            page = response.read(MAX_PAGE_BYTES).decode('utf-8', 'replace')
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f'network error while reading the page at {page_url}: {exc}') from exc
        finally:
            response.close()
        next_url = confirm_url_from_page(page, page_url, jar)
        if next_url is None:
            raise DownloadError(
                f'{page_url} returned an HTML page ("{_page_title(page)}") instead of the file; '
                'the link may be private, removed, or over its download quota; try again later '
                'or pass --url of a mirror')
        url = next_url
    raise DownloadError(f'gave up after {MAX_HTML_PAGES} confirmation pages, last at {url}')


def _total_from_content_range(value: str) -> int | None:
    match = re.search(r'/(\d+)\s*$', value)
    return int(match.group(1)) if match else None


def _start_from_content_range(value: str) -> int | None:
    match = re.match(r'\s*bytes\s+(\d+)-\d+/', value)
    return int(match.group(1)) if match else None


def _transfer_once(url: str, part: Path, timeout: float, progress: bool, chunk_size: int,
                   log: Callable[[str], None]) -> str:
    """One attempt: open (resuming ``part`` if it exists), append the body. Returns the final URL."""
    opener, jar = _build_opener()
    offset = part.stat().st_size if part.exists() else 0
    try:
        response, final_url = _open_body(opener, jar, url, offset, timeout)
    except _RangeNotSatisfiable as exc:
        if exc.total is not None and exc.total == offset:
            return url  # the partial file is already complete
        log(f'server cannot resume from byte {offset}; restarting the download')
        part.unlink()
        offset = 0
        response, final_url = _open_body(opener, jar, url, 0, timeout)

    with response:
        length = response.headers.get('Content-Length')
        length = int(length) if length and length.isdigit() else None
        if offset and response.status == 206:
            start = _start_from_content_range(response.headers.get('Content-Range', ''))
            if start != offset:
                log(f'server answered with a different range (start {start}, asked {offset}); restarting')
                response.close()
                part.unlink()
                return _transfer_once(url, part, timeout, progress, chunk_size, log)
        elif offset:
            log(f'server ignored the resume request (HTTP {response.status}); restarting from byte 0')
            offset = 0
        total = None if length is None else offset + length
        mode = 'ab' if offset else 'wb'
        with open(part, mode) as f, tqdm(total=total, initial=offset, unit='B', unit_scale=True,
                                          unit_divisor=1024, desc=part.name[:-len('.part')],
                                          disable=not progress, file=sys.stderr) as bar:
            try:
                for block in iter(lambda: response.read(chunk_size), b''):
                    f.write(block)
                    bar.update(len(block))
            except (OSError, http.client.HTTPException) as exc:
                raise _TransferInterrupted(f'{type(exc).__name__}: {exc}') from exc
            finally:
                f.flush()
                os.fsync(f.fileno())
        size = part.stat().st_size
        if total is not None and size != total:
            raise _TransferInterrupted(f'connection closed after {size} of {total} bytes')
    return final_url


def download_file(url: str, dest: str | os.PathLike, *, expected_sha256: str | None = None,
                  progress: bool = True, retries: int = 2, timeout: float = 60.0,
                  chunk_size: int = CHUNK_SIZE, log: Callable[[str], None] = print) -> str:
    """Download ``url`` to ``dest`` through ``dest.part`` (resumed if present); return its SHA-256.

    A broken connection is retried ``retries`` times, each time resuming from the bytes already
    on disk; after that a :class:`DownloadError` is raised and the ``.part`` file is kept so a later
    call resumes. If ``expected_sha256`` is given and differs, the data is moved to
    ``dest.corrupt`` and :class:`ChecksumMismatchError` is raised; ``dest`` is only created (by
    an atomic rename) when the download is complete and verified.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + '.part')
    if part.exists():
        log(f'resuming {part} ({part.stat().st_size} bytes already there)')
    attempt = 0
    while True:
        try:
            _transfer_once(url, part, timeout, progress, chunk_size, log)
            break
        except _TransferInterrupted as exc:
            kept = part.stat().st_size if part.exists() else 0
            if attempt >= retries:
                raise DownloadError(
                    f'download of {url} interrupted ({exc}); {kept} bytes kept in {part}, '
                    'run the command again to resume') from None
            attempt += 1
            log(f'connection lost ({exc}); resuming from byte {kept} (retry {attempt}/{retries})')
    digest = sha256_of(part)
    if expected_sha256 is not None and digest != expected_sha256.lower():
        corrupt = dest.with_name(dest.name + '.corrupt')
        os.replace(part, corrupt)
        raise ChecksumMismatchError(
            f'checksum mismatch for {dest.name} downloaded from {url}: expected sha256 {expected_sha256}, '
            f'got {digest}; the data was moved to {corrupt} and not used')
    os.replace(part, dest)
    return digest


# ----------------------------------------------------------------------------- released checkpoints
def verify_file(path: Path, expected_sha256: str) -> None:
    """Raise :class:`ChecksumMismatchError` (and move the file to ``.corrupt``) if it does not match."""
    digest = sha256_of(path)
    if digest != expected_sha256.lower():
        corrupt = path.with_name(path.name + '.corrupt')
        os.replace(path, corrupt)
        raise ChecksumMismatchError(
            f'checksum mismatch for {path}: expected sha256 {expected_sha256}, got {digest}; '
            f'moved it to {corrupt} so it is not used; run the command again to download a fresh copy')


def fetch_checkpoint(checkpoint: ReleasedCheckpoint, directory: str | os.PathLike = 'checkpoints',
                     url: str | None = None, *, force: bool = False, progress: bool = True,
                     retries: int = 2, timeout: float = 60.0, chunk_size: int = CHUNK_SIZE,
                     log: Callable[[str], None] = print) -> Path:
    """Make ``<directory>/<checkpoint.filename>`` present and verified; return its path.

    An existing file is checked against the recorded checksum (``checksums.json``) and the
    published one, if any. A new download is checked against them too; when no checksum is known
    yet, the new file's SHA-256 is recorded. ``url`` replaces the Google Drive link (a mirror);
    ``force`` downloads again even if the file is present and valid.
    """
    directory = Path(directory)
    dest = directory / checkpoint.filename
    store = ChecksumStore(directory / CHECKSUM_FILE)
    recorded = store.get(checkpoint.filename)
    if checkpoint.sha256 and recorded and recorded != checkpoint.sha256:
        raise ChecksumMismatchError(
            f'{store.path} records sha256 {recorded} for {checkpoint.filename}, but the published checksum '
            f'is {checkpoint.sha256}; delete that entry (and the file) and download again')
    expected = checkpoint.sha256 or recorded

    if dest.exists() and not force:
        if expected is None:
            digest = sha256_of(dest)
            store.record(checkpoint.filename, digest, dest.stat().st_size, f'existing file {dest}')
            log(f'{dest} already present; no checksum was known, recorded sha256 {digest}')
        else:
            verify_file(dest, expected)
            log(f'{dest} already present, sha256 OK')
        return dest

    source = resolve_url(url) if url else drive_download_url(checkpoint.drive_id)
    log(f'downloading the {checkpoint.description} from {source}')
    digest = download_file(source, dest, expected_sha256=expected, progress=progress, retries=retries,
                           timeout=timeout, chunk_size=chunk_size, log=log)
    if expected is None:
        store.record(checkpoint.filename, digest, dest.stat().st_size, source)
        log(f'saved {dest}; recorded sha256 {digest} in {store.path}')
    else:
        log(f'saved {dest}; sha256 OK ({digest})')
    return dest


# ----------------------------------------------------------------------------- command line
def build_parser() -> argparse.ArgumentParser:
    names = ', '.join(RELEASED_CHECKPOINTS)
    parser = argparse.ArgumentParser(
        prog='tools/download_checkpoints.py',
        description='Download the released MapKD checkpoints from Google Drive (or a mirror) with resume '
                    'and SHA-256 verification. The checksum of each file is recorded in '
                    f'DIR/{CHECKSUM_FILE} on first download and checked on every later run.')
    parser.add_argument('names', nargs='+', metavar='NAME', help=f'checkpoint(s) to fetch: {names}')
    parser.add_argument('--dir', default='checkpoints', help='destination folder (default: checkpoints/)')
    parser.add_argument('--url', help='download from this URL (a mirror) instead of Google Drive; '
                                      'only with a single NAME')
    parser.add_argument('--alternative', action='store_true',
                        help='use the alternative Google Drive link (teacher only); saved as '
                             f'{ALTERNATIVE_CHECKPOINTS["teacher"].filename}')
    parser.add_argument('--force', action='store_true', help='download again even if the file is present')
    parser.add_argument('--retries', type=int, default=2,
                        help='times a broken connection is resumed automatically (default: 2)')
    parser.add_argument('--timeout', type=float, default=60.0, help='socket timeout in seconds (default: 60)')
    parser.add_argument('--no-progress', action='store_true', help='do not draw a progress bar')
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tools/download_checkpoints.py``; errors are raised as ``CLIError``."""
    from mapkd.cli import CLIError

    args = build_parser().parse_args(argv)
    unknown = [n for n in args.names if n not in RELEASED_CHECKPOINTS]
    if unknown:
        raise CLIError(f'unknown checkpoint name(s) {", ".join(map(repr, unknown))}; '
                       f'choose from {", ".join(RELEASED_CHECKPOINTS)}')
    if args.url and len(args.names) > 1:
        raise CLIError('--url gives one file: pass a single checkpoint name with it')
    if args.retries < 0 or args.timeout <= 0:
        raise CLIError('--retries must be >= 0 and --timeout > 0')
    table = ALTERNATIVE_CHECKPOINTS if args.alternative else RELEASED_CHECKPOINTS
    missing = [n for n in args.names if n not in table]
    if missing:
        raise CLIError(f'no alternative link for {", ".join(missing)}; --alternative exists only for '
                       f'{", ".join(ALTERNATIVE_CHECKPOINTS)}')
    for name in args.names:
        try:
            fetch_checkpoint(table[name], args.dir, args.url, force=args.force, progress=not args.no_progress,
                             retries=args.retries, timeout=args.timeout)
        except DownloadError as exc:
            raise CLIError(str(exc)) from exc
    return 0
