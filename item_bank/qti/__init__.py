"""QTI import and export of items (1EdTech QTI 3.0 out; QTI 3.0 and 2.1 in).

Public API (what the exam server calls):

    read_package(source, defaults=None, limits=...) -> ImportReport(items, errors, skipped)
        source: path of a .zip package, a package directory or a bare item .xml, or zip/XML bytes.
        ImportReport.items: [ImportedItem(item: Item, media: {"<sha>.<ext>": bytes}, file)]
        ImportReport.errors: [{"file", "reason"}] -- the other items still import.
        Raises QtiError(reason) only for a package that is unusable as a whole.
    write_package(items, media_loader) -> bytes (zip)
        media_loader("<sha>.<ext>") -> bytes for every /media/ image the items show.
    read_item(xml, file=..., read_file=..., found=..., defaults=...) / write_item(item): one document.

Format of our export
--------------------
A QTI 3.0 content package (IMS CP 1.2 as QTI 3.0 profiles it):
    imsmanifest.xml                 one resource of type imsqti_item_xmlv3p0 per item
    items/<identifier>.xml          standard qti-assessment-item documents
    items/media/<sha256>.<ext>      images, referenced from items as media/<sha256>.<ext>

The item documents are plain QTI 3.0 that any player can run: correct responses, SCORE, and
response processing that scores the way our item types do (see rp.py). Only HTML classes mark
our layout (div.ib-stem, div.ib-answer, span.ib-unit, table.ib-rubric in the scorer's rubric
block, match interaction class ib-true-false-cluster), which other tools ignore.

Our own data lives in the manifest, in each item resource's <metadata>, in the namespace
urn:exam-platform:item-bank:qti-extension:v1 (prefix ib), next to standard IEEE LOM:

    <ib:item-bank version="1">
      <ib:item-type>true_false_cluster</ib:item-type>     exact type (T/F cluster vs matching)
      <ib:identifier>...</ib:identifier>                  only if the QTI identifier differs
      <ib:subject/> <ib:grade/> <ib:topic/> <ib:learning-outcome/> <ib:cognitive-level/>
      <ib:difficulty/> <ib:tag/>* <ib:author/> <ib:source/> <ib:language/>
      <ib:scoring/> <ib:text-match/> <ib:tolerance-mode/> <ib:expected-words/>   type settings
      <ib:choice-id qti="_1" bank="1"/>*                 choice ids QTI could not take as they are
    </ib:item-bank>

Why the manifest and not the item: QTI 3.0 has no slot for foreign elements in an item, while CP
metadata is open to any namespace; the item files stay schema-valid. On import our extension wins,
then LOM (title, language, keywords, author, difficulty, classification as subject and grade),
then the caller's defaults. Items made by other tools (TAO, Moodle...) are read from their
standard QTI alone; subject and grade must then come from LOM or the defaults.

Every imported item goes through item_bank.types.validate_item (sanitising HTML, checking LaTeX
and keys); one that fails is an error entry for its file. XML is parsed with defusedxml under size
and depth limits (safexml.py); zips are checked for unsafe names and bombs (package.py).
"""
from item_bank.qti.package import ImportReport, PackageLimits, read_package, write_package
from item_bank.qti.reader import ImportedItem, read_item
from item_bank.qti.safexml import QtiError, XmlLimits
from item_bank.qti.writer import WrittenItem, write_item

__all__ = ["ImportReport", "ImportedItem", "PackageLimits", "QtiError", "WrittenItem", "XmlLimits",
           "read_item", "read_package", "write_item", "write_package"]
