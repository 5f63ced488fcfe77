"""Radicale's rights plugin: the ACL core's answer as Radicale letters.

Radicale asks per path with letters: ``R``/``W`` for plain collections
(the root and homes), ``r``/``w`` for calendars and address books. Its
``w`` is coarse (any write); the application checks the exact right of
each write (insert, change, delete, class) before Radicale runs it.
"""

from __future__ import annotations

from typing import Any

from radicale.rights import BaseRights

from icewarp_share import acl
from icewarp_share.dav.caldav.places import PlaceKind, Places
from icewarp_share.dav.caldav.request import current

_WRITES = (acl.Operation.WRITE_ITEM, acl.Operation.CREATE_ITEM,
           acl.Operation.REMOVE_ITEM)


class Rights(BaseRights):
    """Letters for a path, from the viewer's effective rights."""

    def __init__(self, configuration: Any, places: Places) -> None:
        super().__init__(configuration)
        self.places = places

    def authorization(self, user: str, user_groups: Any, path: str) -> str:
        state = current()
        if state is None or not user or user != state.account:
            return ""
        place = self.places.resolve(state, path.strip("/"))
        if place is None:
            return self._missing(state.account, path)
        if place.kind in (PlaceKind.ROOT, PlaceKind.HOME):
            return "R"
        folder = place.folder
        assert folder is not None
        letters = ""
        if folder.allows(acl.Operation.READ):
            letters += "r"
        if any(folder.allows(operation) for operation in _WRITES):
            letters += "w"
        return letters

    @staticmethod
    def _missing(account: str, path: str) -> str:
        """Letters for a path that leads nowhere the viewer may look.

        Below the viewer's own home a missing path is reported missing
        (404), and a new collection may be made right below it; anywhere
        else the answer is the same refusal whether the folder exists or
        not, so nothing can be learnt from it.
        """
        home, _, rest = path.strip("/").partition("/")
        if home != account:
            return ""
        return "r" if "/" in rest else "rw"
