"""PROPFIND answers adjusted to the ACL: privileges and status order.

Radicale derives ``current-user-privilege-set`` from its coarse letters;
clients decide from it whether a calendar is read-only, so ours comes
from the ACL core's ``dav_privileges`` for every collection and item of
ours. Thunderbird's CardDAV code keeps only responses whose first status
is ``HTTP/1.1 200 OK``, so found properties come before missing ones.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from radicale import xmlutils
from radicale.app import propfind as radicale_propfind

from icewarp_share import acl
from icewarp_share.dav.caldav.storage import Collection, Home

PRIVILEGE_SET = xmlutils.make_clark("D:current-user-privilege-set")
_PROPSTAT = xmlutils.make_clark("D:propstat")
_STATUS = xmlutils.make_clark("D:status")
_PROP = xmlutils.make_clark("D:prop")
_ADDRESS_SET = xmlutils.make_clark("C:calendar-user-address-set")


_HOME_PRIVILEGES = frozenset(
    xmlutils.make_clark(f"D:{name}")
    for name in ("read", "bind", "read-current-user-privilege-set"))


def privileges_of(target: Any) -> frozenset[str] | None:
    """The DAV privileges (clark names) on one of our resources.

    A home may be read and may receive new collections (MKCALENDAR);
    None for the root, whose answer Radicale's stays (read).
    """
    if isinstance(target, Home):
        return _HOME_PRIVILEGES
    collection = target if isinstance(target, Collection) else \
        getattr(target, "collection", None)
    if not isinstance(collection, Collection):
        return None
    folder = collection.folder
    rights = acl.ALL_RIGHTS if folder.is_owner else folder.rights
    names = {xmlutils.make_clark(f"D:{name}")
             for name in acl.dav_privileges(rights)}
    if "r" in rights and collection.tag == "VCALENDAR":
        names.add(xmlutils.make_clark("C:read-free-busy"))
    return frozenset(names)


def _set_privileges(response: ET.Element, names: frozenset[str]) -> None:
    for element in response.iter(PRIVILEGE_SET):
        for child in list(element):
            element.remove(child)
        for name in sorted(names):
            privilege = ET.SubElement(element,
                                      xmlutils.make_clark("D:privilege"))
            ET.SubElement(privilege, name)


def _add_mailto(response: ET.Element, address: str) -> None:
    """Name the user's address in ``calendar-user-address-set`` as a
    ``mailto:`` URI (RFC 6638 2.4.1), before the principal's URL."""
    for element in response.iter(_ADDRESS_SET):
        href = ET.Element(xmlutils.make_clark("D:href"))
        href.text = f"mailto:{address}"
        element.insert(0, href)


def found_first(response: ET.Element) -> None:
    """Put the 200 propstat before the others (Thunderbird CardDAV)."""
    propstats = response.findall(_PROPSTAT)

    def rank(propstat: ET.Element) -> int:
        status = propstat.findtext(_STATUS) or ""
        return 0 if " 200 " in status else 1

    for propstat in propstats:
        response.remove(propstat)
    for propstat in sorted(propstats, key=rank):
        response.append(propstat)


def _adjusted(original: Callable[..., ET.Element]
              ) -> Callable[..., ET.Element]:
    @functools.wraps(original)
    def response(self: Any, base_prefix: str, path: str, item: Any,
                 *args: Any, **kwargs: Any) -> ET.Element:
        answer = original(self, base_prefix, path, item, *args, **kwargs)
        names = privileges_of(item)
        if names is not None:
            _set_privileges(answer, names)
        if isinstance(item, Home):
            _add_mailto(answer, item.path)
        found_first(answer)
        return answer

    response.icewarp_adjusted = True  # type: ignore[attr-defined]
    return response


def install() -> None:
    """Route Radicale's PROPFIND responses through the adjustments.

    Radicale builds each response in one module-level function; wrapping
    it once is the narrowest seam it offers.
    """
    current = radicale_propfind.xml_propfind_response
    if getattr(current, "icewarp_adjusted", False):
        return
    radicale_propfind.xml_propfind_response = _adjusted(current)
