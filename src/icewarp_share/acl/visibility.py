"""Which folders appear in a viewer's folder list, under which names.

IMAP LIST, the DAV homes and the web pages all ask ``visible_folders``, so
a folder shows up in one client exactly when it shows up in the others.
Own folders always appear. Another account's folder appears once the
viewer may look it up and has subscribed to it or to the whole account.
A group's public folders appear for the group's members without a
subscription.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .decide import Decision, effective_rights
from .model import (
    FolderFacts,
    FolderKind,
    OwnerKind,
    Viewer,
    address_key,
    is_owner,
)
from .naming import Prefixes, display_name


@dataclass(frozen=True)
class Subscription:
    """A viewer's wish to see another owner's folder, or all of them.

    ``path`` None subscribes the whole account: every folder of it the
    viewer may look up, including folders shared later.
    """

    owner: str
    path: str | None


class Via(StrEnum):
    """Why a folder is in the list.

    ``GRANT`` marks a folder shared with the viewer but not subscribed,
    listed only when ``subscribed_only`` is False ("shared with me").
    """

    OWN = "own"
    SUBSCRIPTION = "subscription"
    ACCOUNT_SUBSCRIPTION = "account subscription"
    GROUP_MEMBER = "group member"
    GRANT = "grant"


@dataclass(frozen=True)
class VisibleFolder:
    """One folder of the list, with its name for this viewer.

    ``subscribed`` is True when the folder belongs in the viewer's folder
    tree (own, subscribed, or a public folder of one of their groups).
    """

    folder: FolderFacts
    name: str
    decision: Decision
    subscribed: bool
    via: Via


def is_member(viewer: Viewer, group_address: str) -> bool:
    """Whether the viewer belongs to the group, directly or by domain."""
    key = address_key(group_address)
    return any(address_key(group) == key for group in viewer.groups)


def _subscription_via(folder: FolderFacts,
                      subscriptions: Collection[Subscription]) -> Via | None:
    """The subscription that covers the folder, folder before account."""
    owner = address_key(folder.owner)
    paths = {s.path for s in subscriptions if address_key(s.owner) == owner}
    if folder.path in paths:
        return Via.SUBSCRIPTION
    if None in paths:
        return Via.ACCOUNT_SUBSCRIPTION
    return None


def _shared_via(viewer: Viewer, folder: FolderFacts,
                subscriptions: Collection[Subscription]) -> Via | None:
    """Why another owner's folder belongs in the tree, if it does."""
    member = (folder.owner_kind is OwnerKind.GROUP
              and is_member(viewer, folder.owner))
    if member:
        return Via.GROUP_MEMBER
    return _subscription_via(folder, subscriptions)


def _entry(viewer: Viewer, folder: FolderFacts,
           subscriptions: Collection[Subscription],
           subscribed_only: bool) -> tuple[Decision, bool, Via] | None:
    """Decide one candidate: its decision and why it is listed, or None."""
    decision = effective_rights(viewer, folder)
    if is_owner(viewer, folder):
        return decision, True, Via.OWN
    if folder.virtual or "l" not in decision.rights:
        return None
    via = _shared_via(viewer, folder, subscriptions)
    if via is not None:
        return decision, True, via
    if subscribed_only:
        return None
    return decision, False, Via.GRANT


def visible_folders(
        viewer: Viewer,
        candidates: Iterable[FolderFacts],
        subscriptions: Iterable[Subscription],
        prefixes: Prefixes,
        *,
        kinds: Collection[FolderKind] | None = None,
        subscribed_only: bool = True) -> list[VisibleFolder]:
    """The folders the viewer sees, named for them and sorted by name.

    Another owner's folder needs the lookup right ``l``; virtual folders
    of others never appear. With ``subscribed_only`` False, folders shared
    with the viewer but not subscribed are listed too (``Via.GRANT``), as
    the "shared with me" page needs. ``kinds`` limits the folder kinds.
    """
    subscribed = tuple(subscriptions)
    listed: list[VisibleFolder] = []
    for folder in candidates:
        if kinds is not None and folder.kind not in kinds:
            continue
        entry = _entry(viewer, folder, subscribed, subscribed_only)
        if entry is None:
            continue
        decision, in_tree, via = entry
        name = display_name(viewer.address, folder.owner,
                            folder.owner_kind, folder.path, prefixes)
        listed.append(VisibleFolder(folder, name, decision, in_tree, via))
    return sorted(listed, key=lambda visible: visible.name)
