"""Content packages: reading (zip, directory, bare item file) and writing (zip, QTI 3.0).

A package from outside is untrusted: member names that escape the package, too many members,
too many bytes once unpacked and suspicious compression ratios (zip bombs) refuse the whole
package with QtiError. Inside an acceptable package every item stands alone: one that cannot be
imported becomes {"file", "reason"} in the report and the others still import.
"""
from __future__ import annotations

import hashlib
import io
import os
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from item_bank.model import Item
from item_bank.qti import ns
from item_bank.qti.meta import FoundMetadata, extension_element, lom_element, read_resource_metadata
from item_bank.qti.reader import ImportedItem, read_item
from item_bank.qti.safexml import DEFAULT_LIMITS, QtiError, XmlLimits, parse
from item_bank.qti.writer import MEDIA_DIR, qti_identifier, write_item
from item_bank.qti.xmlout import serialize

ITEM_RESOURCE_TYPES = {"imsqti_item_xmlv3p0": "3.0", "imsqti_item_xmlv2p1": "2.1", "imsqti_item_xmlv2p2": "2.2"}
# Resources that only hold files for others (images, stylesheets): not worth a "skipped".
SUPPORT_RESOURCE_TYPES = ("webcontent", "associatedcontent", "controlfile", "imsqti_fragment")
ITEM_ROOTS = {(ns.QTI3, "qti-assessment-item"), (ns.QTI21, "assessmentItem"), (ns.QTI22, "assessmentItem")}
MANIFEST = "imsmanifest.xml"
MediaLoader = Callable[[str], bytes]

MANIFEST_PREFIXES = {ns.LOM: "lom", ns.QTI3_METADATA: "imsqti", ns.EXT: "ib"}


@dataclass(frozen=True)
class PackageLimits:
    max_members: int = 5_000
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: int = 100                 # uncompressed / compressed, for members over ratio_floor
    ratio_floor: int = 1024 * 1024       # small members may compress well without harm
    xml: XmlLimits = DEFAULT_LIMITS


DEFAULT_PACKAGE_LIMITS = PackageLimits()


@dataclass
class ImportReport:
    items: list[ImportedItem] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)   # {"file", "reason"}
    skipped: int = 0      # resources or files that are not items (tests, stimuli, other XML)


# --- sources --------------------------------------------------------------------------------------

def _safe_name(name: str) -> str:
    if "\x00" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise QtiError(f"unsafe path in package: {name!r}")
    if ".." in name.split("/"):
        raise QtiError(f"unsafe path in package: {name!r}")
    return name


class _Zip:
    def __init__(self, data: bytes, limits: PackageLimits):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError) as exc:
            raise QtiError(f"not a readable zip file: {exc}") from None
        infos = self.zip.infolist()
        if len(infos) > limits.max_members:
            raise QtiError(f"package has {len(infos)} members (limit {limits.max_members})")
        total = 0
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = _safe_name(info.filename)
            if info.is_dir():
                continue
            total += info.file_size
            if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise QtiError(f"member {name!r} expands {info.file_size // max(info.compress_size, 1)} times "
                               f"(limit {limits.max_ratio}): refused as a possible zip bomb")
            self.infos[name] = info
        if total > limits.max_total_bytes:
            raise QtiError(f"package unpacks to {total} bytes (limit {limits.max_total_bytes})")

    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos[name]   # KeyError: absent
        if info.flag_bits & 0x1:
            raise QtiError(f"member {name!r} is encrypted")
        try:
            # zipfile stops at the declared size and checks the CRC, so a lying header cannot
            # make this read more than the limits above allowed.
            with self.zip.open(info) as member:
                return member.read()
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, zlib.error, ValueError) as exc:
            raise QtiError(f"member {name!r} cannot be read: {exc}") from None


class _Directory:
    def __init__(self, root: Path, limits: PackageLimits):
        self.root = root.resolve()
        self.limits = limits

    def names(self) -> list[str]:
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            for filename in sorted(filenames):
                out.append(Path(dirpath, filename).relative_to(self.root).as_posix())
                if len(out) > self.limits.max_members:
                    raise QtiError(f"directory has more than {self.limits.max_members} files")
        return out

    def read(self, name: str) -> bytes:
        path = (self.root / _safe_name(name)).resolve()
        if self.root not in path.parents or not path.is_file():
            raise KeyError(name)   # also symlinks that lead out of the directory
        if path.stat().st_size > self.limits.max_total_bytes:
            raise QtiError(f"file {name!r} is too large")
        return path.read_bytes()


def _read_or_error(source: Any, name: str) -> bytes:
    try:
        return source.read(name)
    except KeyError:
        raise QtiError("file listed in the manifest is missing from the package") from None


# --- reading --------------------------------------------------------------------------------------

def _import(source: Any, path: str, found: FoundMetadata | None, defaults: Mapping[str, Any] | None,
            limits: PackageLimits, report: ImportReport, seen: dict[str, str]) -> None:
    try:
        data = _read_or_error(source, path)
        imported = read_item(data, file=path, read_file=source.read, found=found, defaults=defaults,
                             limits=limits.xml)
        identifier = imported.item.identifier
        if identifier in seen:
            raise QtiError(f"identifier {identifier!r} already used by {seen[identifier]}")
        seen[identifier] = path
        report.items.append(imported)
    except QtiError as exc:
        report.errors.append({"file": path, "reason": exc.reason})
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, RecursionError) as exc:
        # A file we did not foresee must not stop the others: report it like any bad item.
        report.errors.append({"file": path, "reason": f"cannot be read ({type(exc).__name__}: {exc})"})


def _read_manifest(source: Any, manifest_path: str, defaults: Mapping[str, Any] | None,
                   limits: PackageLimits) -> ImportReport:
    root = parse(source.read(manifest_path), limits.xml)
    if ns.local(root.tag) != "manifest":
        raise QtiError(f"{manifest_path}: root element is {ns.local(root.tag)!r}, not manifest")
    base = posixpath.dirname(manifest_path)
    report, seen = ImportReport(), {}
    for resource in root.iter():
        if not isinstance(resource.tag, str) or ns.local(resource.tag) != "resource":
            continue
        kind = resource.get("type", "")
        if kind not in ITEM_RESOURCE_TYPES:
            if not kind.startswith(SUPPORT_RESOURCE_TYPES):
                report.skipped += 1
            continue
        href = resource.get("href") or next(
            (f.get("href") for f in resource if isinstance(f.tag, str) and ns.local(f.tag) == "file"), None)
        if not href:
            report.errors.append({"file": resource.get("identifier", "?"), "reason": "item resource without href"})
            continue
        try:
            path = _safe_name(posixpath.normpath(posixpath.join(base, resource.get(f"{{{ns.XML}}}base", ""),
                                                                unquote(href))))
        except QtiError as exc:
            report.errors.append({"file": href, "reason": exc.reason})
            continue
        metadata = next((m for m in resource if isinstance(m.tag, str) and ns.local(m.tag) == "metadata"), None)
        _import(source, path, read_resource_metadata(metadata), defaults, limits, report, seen)
    return report


def _scan(source: Any, names: Iterable[str], defaults: Mapping[str, Any] | None,
          limits: PackageLimits) -> ImportReport:
    """No manifest: every XML file that is a QTI item is imported, other XML is skipped."""
    report, seen = ImportReport(), {}
    for name in names:
        if not name.lower().endswith(".xml"):
            continue
        try:
            root = parse(source.read(name), limits.xml)
        except QtiError as exc:
            report.errors.append({"file": name, "reason": exc.reason})
            continue
        if ns.split(root.tag) not in ITEM_ROOTS:
            report.skipped += 1
            continue
        _import(source, name, None, defaults, limits, report, seen)
    return report


def _read_source(source: Any, defaults: Mapping[str, Any] | None, limits: PackageLimits) -> ImportReport:
    names = source.names()
    manifests = sorted((n for n in names if posixpath.basename(n) == MANIFEST), key=lambda n: n.count("/"))
    if manifests:
        # Some tools zip the package's folder rather than its content, so a manifest one folder
        # down still describes the whole package, as long as nothing lies beside that folder.
        base = posixpath.dirname(manifests[0])
        if not base or all(n.startswith(base + "/") for n in names):
            return _read_manifest(source, manifests[0], defaults, limits)
    return _scan(source, names, defaults, limits)


def read_package(source: str | os.PathLike[str] | bytes, defaults: Mapping[str, Any] | None = None,
                 limits: PackageLimits = DEFAULT_PACKAGE_LIMITS) -> ImportReport:
    """Import a QTI package (zip path or bytes), a package directory, or a bare item file.

    `defaults` fill metadata the package does not carry, e.g. {"subject": "math", "grade": 12}.
    Raises QtiError only when the package as a whole is unusable (unsafe zip, bad manifest)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
            return _read_source(_Zip(data, limits), defaults, limits)
        report, seen = ImportReport(), {}
        _import(_Memory({"item.xml": data}), "item.xml", None, defaults, limits, report, seen)
        return report
    path = Path(source)
    if path.is_dir():
        return _read_source(_Directory(path, limits), defaults, limits)
    if not path.is_file():
        raise QtiError(f"{path}: no such file or directory")
    if path.stat().st_size > limits.max_total_bytes:
        raise QtiError(f"{path}: larger than {limits.max_total_bytes} bytes")
    if zipfile.is_zipfile(path):
        return _read_source(_Zip(path.read_bytes(), limits), defaults, limits)
    # A bare item file: its images are looked up next to it.
    report, seen = ImportReport(), {}
    _import(_Directory(path.parent, limits), path.name, None, defaults, limits, report, seen)
    return report


class _Memory:
    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def names(self) -> list[str]:
        return list(self.files)

    def read(self, name: str) -> bytes:
        return self.files[name]


# --- writing --------------------------------------------------------------------------------------

def _cp(parent: ET.Element | None, name: str, text: str | None = None, **attrib: str) -> ET.Element:
    tag = f"{{{ns.CP3}}}{name}"
    element = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
    if text is not None:
        element.text = text
    return element


def _qti_metadata(interaction: str) -> ET.Element:
    box = ET.Element(f"{{{ns.QTI3_METADATA}}}qtiMetadata")
    for name, value in (("timeDependent", "false"), ("interactionType", interaction),
                        ("feedbackType", "none"), ("solutionAvailable", "true"), ("toolName", "exam-platform")):
        ET.SubElement(box, f"{{{ns.QTI3_METADATA}}}{name}").text = value
    return box


MANIFEST_SCHEMA_LOCATION = " ".join([
    f"{ns.CP3} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
    f"{ns.LOM} https://purl.imsglobal.org/spec/md/v1p3/schema/xsd/imsmd_loose_v1p3p2.xsd",
    f"{ns.QTI3_METADATA} https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_metadatav3p0_v1p0.xsd",
])


def write_package(items: Iterable[Item], media_loader: MediaLoader) -> bytes:
    """A QTI 3.0 content package (zip bytes) of the items: imsmanifest.xml, items/<identifier>.xml
    and items/media/<sha>.<ext>, whose bytes `media_loader("<sha>.<ext>")` supplies."""
    files: dict[str, bytes] = {}
    resources: list[ET.Element] = []
    seen: set[str] = set()
    originals: set[str] = set()
    for item in items:
        if item.identifier in originals:
            raise QtiError(f"two items have the identifier {item.identifier!r}")
        originals.add(item.identifier)
        # Identifiers made QTI-safe may collide ("a b" and "a_b"); the original is in our extension.
        identifier, n = qti_identifier(item.identifier), 1
        while identifier in seen:
            n += 1
            identifier = f"{qti_identifier(item.identifier)}_{n}"
        seen.add(identifier)
        written = write_item(item, identifier)
        href = f"items/{written.identifier}.xml"
        files[href] = written.xml
        resource = _cp(None, "resource", identifier=f"RES-{written.identifier}", type="imsqti_item_xmlv3p0",
                       href=href)
        metadata = _cp(resource, "metadata")
        metadata.append(lom_element(item))
        metadata.append(_qti_metadata(written.interaction))
        metadata.append(extension_element(item, written.settings, written.id_map, written.identifier))
        _cp(resource, "file", href=href)
        for name in written.media:
            media_href = f"items/{MEDIA_DIR}/{name}"
            if media_href not in files:
                files[media_href] = media_loader(name)
            _cp(resource, "file", href=media_href)
        resources.append(resource)
    digest = hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest()[:16]
    manifest = _cp(None, "manifest", identifier=f"MANIFEST-{digest}")
    manifest.set(f"{{{ns.XSI}}}schemaLocation", MANIFEST_SCHEMA_LOCATION)
    package_metadata = _cp(manifest, "metadata")
    _cp(package_metadata, "schema", "QTI Package")
    _cp(package_metadata, "schemaversion", "3.0.0")
    _cp(manifest, "organizations")
    box = _cp(manifest, "resources")
    box.extend(resources)
    ET.indent(manifest)
    manifest_xml = serialize(manifest, ns.CP3, MANIFEST_PREFIXES)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        # Fixed timestamps: the same items give the same bytes (diffable, cacheable exports).
        for name, data in [(MANIFEST, manifest_xml), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return out.getvalue()
