"""A minimal writer of Compound File Binary containers (MS-CFB, version 3, 512-byte sectors).

Password-protected Office files are such containers: an encrypted XLSX is a CFB whose streams
are ``EncryptionInfo`` and ``EncryptedPackage`` (plus a ``\\x06DataSpaces`` storage), and a
legacy XLS is a CFB whose ``Workbook`` stream holds BIFF records. ``msoffcrypto-tool`` and
``olefile`` are not dependencies of the project, so the corpus writes these containers itself
with this writer (about a hundred lines): enough for any reader to open the container and find
the streams by name. Streams shorter than 4096 bytes go to the mini stream, as the format
requires; storages may be nested; the directory is a balanced tree, all nodes black.

The writer is checked against calamine in the corpus's own tests: a BIFF ``Workbook`` stream
wrapped by it (in the mini stream and in regular sectors) reads back as the workbook it is.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT, ENDOFCHAIN, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    start: int = ENDOFCHAIN
    size: int = 0
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM


def _tree(streams: dict[str, bytes]) -> _Entry:
    root = _Entry("Root Entry", 5)
    for path, data in streams.items():
        node = root
        *folders, leaf = path.split("/")
        for folder in folders:
            found = next((c for c in node.children if c.name == folder), None)
            if found is None:
                found = _Entry(folder, 1)
                node.children.append(found)
            node = found
        node.children.append(_Entry(leaf, 2, data))
    return root


def _chain(fat: list[int], first: int, count: int) -> None:
    for i in range(count):
        fat[first + i] = first + i + 1 if i < count - 1 else ENDOFCHAIN


def write_cfb(streams: dict[str, bytes]) -> bytes:
    """The bytes of a compound file holding ``streams`` ({"Storage/Stream": bytes, ...})."""
    root = _tree(streams)
    entries: list[_Entry] = []

    def number(node: _Entry) -> None:
        entries.append(node)
        for child in node.children:
            number(child)

    number(root)
    index = {id(e): i for i, e in enumerate(entries)}

    def link(node: _Entry) -> None:  # children: a balanced binary tree in CFB name order
        ordered = sorted(node.children, key=lambda e: (len(e.name), e.name.upper()))

        def build(items: list[_Entry]) -> int:
            if not items:
                return NOSTREAM
            middle = len(items) // 2
            item = items[middle]
            item.left, item.right = build(items[:middle]), build(items[middle + 1 :])
            return index[id(item)]

        node.child = build(ordered)
        for child in node.children:
            link(child)

    link(root)

    mini = bytearray()
    mini_fat: list[int] = []
    big: list[_Entry] = []
    for e in entries:
        if e.kind != 2:
            continue
        e.size = len(e.data)
        if not e.data:
            e.start = ENDOFCHAIN
        elif len(e.data) < MINI_CUTOFF:
            count = -(-len(e.data) // MINI_SECTOR)
            e.start = len(mini_fat)
            mini_fat.extend([0] * count)
            _chain(mini_fat, e.start, count)
            mini += e.data.ljust(count * MINI_SECTOR, b"\0")
        else:
            big.append(e)

    dir_sectors = -(-len(entries) * 128 // SECTOR)
    minifat_sectors = -(-len(mini_fat) * 4 // SECTOR)
    ministream_sectors = -(-len(mini) // SECTOR)
    stream_sectors = sum(-(-len(e.data) // SECTOR) for e in big)
    other = dir_sectors + minifat_sectors + ministream_sectors + stream_sectors
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + other:
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("too large for a CFB without DIFAT sectors (about 7 MB)")
    total = fat_sectors + other
    fat = [FREESECT] * (fat_sectors * SECTOR // 4)
    for i in range(fat_sectors):
        fat[i] = FATSECT
    position = fat_sectors
    dir_start = position
    _chain(fat, position, dir_sectors)
    position += dir_sectors
    minifat_start = position if minifat_sectors else ENDOFCHAIN
    _chain(fat, position, minifat_sectors)
    position += minifat_sectors
    root.start = position if ministream_sectors else ENDOFCHAIN
    root.size = len(mini)
    _chain(fat, position, ministream_sectors)
    position += ministream_sectors
    body = bytearray()
    for e in big:
        count = -(-len(e.data) // SECTOR)
        e.start = position
        _chain(fat, position, count)
        position += count
        body += e.data.ljust(count * SECTOR, b"\0")
    assert position == total

    header = bytearray(MAGIC)
    header += b"\0" * 16
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
    header += b"\0" * 6
    header += struct.pack(
        "<IIIIIIIII",
        0,
        fat_sectors,
        dir_start,
        0,
        MINI_CUTOFF,
        minifat_start,
        minifat_sectors,
        ENDOFCHAIN,
        0,
    )
    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    header += struct.pack("<109I", *difat)
    assert len(header) == SECTOR

    directory = bytearray()
    for e in entries:
        name = e.name.encode("utf-16-le")
        if len(name) > 62:
            raise ValueError(f"CFB names have at most 31 characters: {e.name!r}")
        directory += name.ljust(64, b"\0")
        directory += struct.pack("<HBB", len(name) + 2, e.kind, 1)
        directory += struct.pack("<III", e.left, e.right, e.child)
        directory += b"\0" * 16 + b"\0" * 4 + b"\0" * 16
        directory += struct.pack("<IQ", e.start if e.kind != 1 else 0, e.size)
    unused = b"\0" * 68 + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) + b"\0" * 48
    while len(directory) < dir_sectors * SECTOR:
        directory += unused
    minifat = struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(minifat_sectors * SECTOR, b"\xff")
    return bytes(
        header
        + struct.pack(f"<{len(fat)}I", *fat)
        + directory
        + minifat
        + bytes(mini).ljust(ministream_sectors * SECTOR, b"\0")
        + body
    )
