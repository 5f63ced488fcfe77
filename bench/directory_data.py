"""A generated directory: accounts, groups, folders and grants at scale.

Rows are produced as plain tuples in a fixed, seeded order and loaded in
bulk (COPY on PostgreSQL, executemany on SQLite) into a database migrated
by the project's own migrations, so the directory queries run against the
real schema and indexes.

Shape, for N accounts: 10 domains; N / 100 groups, every account a direct
member of two and one group in 20 holding a whole domain; one group in 100
with public folders; the 10 standard folders of each account; two grants
per folder (mostly to accounts, some to groups, a few to domains and to
anyone). Account 1, the viewer, is given extra grants on every folder of
enough owners to see about ``visible`` folders of others in all.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from icewarp_share import acl
from icewarp_share.store.directory import ACCOUNT_FOLDERS, GROUP_FOLDERS

DOMAINS = 10
CREATED = datetime(2026, 1, 1, tzinfo=UTC)
RIGHTS = tuple(acl.Rights.of(t).letters
               for t in ("lr", "lrs", "lrswi", "lrswitekx"))
# Shared by every generated account: nothing here logs in.
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"


@dataclass(frozen=True)
class Shape:
    """How big the generated directory is."""

    accounts: int
    visible: int = 5000

    @property
    def groups(self) -> int:
        """One group per hundred accounts, at least ten."""
        return max(10, self.accounts // 100)

    @property
    def folders(self) -> int:
        """The standard folders of every account."""
        return self.accounts * len(ACCOUNT_FOLDERS)

    @property
    def label(self) -> str:
        """A short size label: 1k, 100k..."""
        n = self.accounts
        return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def address(account: int) -> str:
    """The address of generated account number ``account`` (from 1)."""
    return f"u{account}@{domain(account % DOMAINS)}"


def domain(index: int) -> str:
    """The name of generated domain number ``index`` (from 0)."""
    return f"d{index}.bench.example"


def group_address(group: int) -> str:
    """The address of generated group number ``group`` (from 1)."""
    return f"g{group}@{domain(group % DOMAINS)}"


def folder_id(account: int, index: int) -> int:
    """Id of the ``index``-th standard folder of an account."""
    return (account - 1) * len(ACCOUNT_FOLDERS) + index + 1


class Generator:
    """Rows of one directory shape, table by table, always the same."""

    def __init__(self, shape: Shape, seed: int = 9) -> None:
        self.shape = shape
        self.seed = seed
        per_owner = len(ACCOUNT_FOLDERS)
        self.viewer_owners = range(
            2, 2 + min(shape.accounts - 1, shape.visible // per_owner))

    def domains(self) -> Iterator[tuple[object, ...]]:
        """(id, name, groupware)."""
        for i in range(DOMAINS):
            yield (i + 1, domain(i), True)

    def accounts(self) -> Iterator[tuple[object, ...]]:
        """(id, address, domain_id, password_hash, display_name,
        mail_mode, groupware, is_admin, created)."""
        for a in range(1, self.shape.accounts + 1):
            yield (a, address(a), a % DOMAINS + 1, PASSWORD_HASH,
                   f"User {a}", "imap", True, False, CREATED)

    def groups(self) -> Iterator[tuple[object, ...]]:
        """(id, address, domain_id, display_name, public_folder,
        deliver_to_folder, gal)."""
        for g in range(1, self.shape.groups + 1):
            yield (g, group_address(g), g % DOMAINS + 1, f"Group {g}",
                   g % 100 == 0, False, False)

    def members(self) -> Iterator[tuple[object, ...]]:
        """(id, group_id, account_id, domain_id)."""
        rng = random.Random(self.seed)
        row = 0
        for a in range(1, self.shape.accounts + 1):
            for g in rng.sample(range(1, self.shape.groups + 1), 2):
                row += 1
                yield (row, g, a, None)
        for g in range(20, self.shape.groups + 1, 20):
            row += 1
            yield (row, g, None, g % DOMAINS + 1)

    def folders(self) -> Iterator[tuple[object, ...]]:
        """(id, account_id, group_id, path, kind, virtual, gal, map_dir,
        map_recursive, display_name, color, uidvalidity, uidnext, modseq,
        created)."""
        for a in range(1, self.shape.accounts + 1):
            for i, (path, kind) in enumerate(ACCOUNT_FOLDERS):
                yield (folder_id(a, i), a, None, path, kind.value, False,
                       False, None, False, path, "", 1, 1, 1, CREATED)
        next_id = self.shape.folders
        for g in self._public_groups():
            for path, kind in GROUP_FOLDERS:
                next_id += 1
                yield (next_id, None, g, path, kind.value, False, False,
                       None, False, path, "", 1, 1, 1, CREATED)

    def _public_groups(self) -> range:
        return range(100, self.shape.groups + 1, 100)

    def grants(self) -> Iterator[tuple[object, ...]]:
        """(id, folder_id, grantee_kind, grantee_name, rights, created)."""
        rng = random.Random(self.seed + 1)
        row = 0
        for fid, owner, grantees in self._grant_plan(rng):
            for kind, name in grantees:
                row += 1
                yield (row, fid, kind, name, rng.choice(RIGHTS), CREATED)
        fid = self.shape.folders
        for g in self._public_groups():
            for _ in GROUP_FOLDERS:
                fid += 1
                row += 1
                yield (row, fid, "group", group_address(g),
                       acl.PRESETS["read"].letters, CREATED)

    def _grant_plan(self, rng: random.Random
                    ) -> Iterator[tuple[int, int, list[tuple[str, str]]]]:
        """Each account folder with its two (or three) grantees."""
        n = self.shape.accounts
        for a in range(1, n + 1):
            for i in range(len(ACCOUNT_FOLDERS)):
                taken = {a, 1}
                first = _other_account(rng, n, taken)
                grantees = [("account", address(first)),
                            self._second(rng, n, taken | {first})]
                if a in self.viewer_owners:
                    grantees.append(("account", address(1)))
                yield folder_id(a, i), a, grantees

    def _second(self, rng: random.Random, n: int,
                taken: set[int]) -> tuple[str, str]:
        roll = rng.random()
        if roll < 0.001:
            return ("domain", domain(rng.randrange(DOMAINS)))
        if roll < 0.0012:
            return ("anyone", "")
        if roll < 0.05:
            return ("group",
                    group_address(rng.randrange(1, self.shape.groups + 1)))
        return ("account", address(_other_account(rng, n, taken)))


def _other_account(rng: random.Random, n: int, taken: set[int]) -> int:
    """A random account number not in ``taken`` (n must exceed it)."""
    while True:
        pick = rng.randrange(1, n + 1)
        if pick not in taken:
            return pick


TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("domains", ("id", "name", "groupware"), "domains"),
    ("accounts", ("id", "address", "domain_id", "password_hash",
                  "display_name", "mail_mode", "groupware", "is_admin",
                  "created"), "accounts"),
    ("groups", ("id", "address", "domain_id", "display_name",
                "public_folder", "deliver_to_folder", "gal"), "groups"),
    ("group_members", ("id", "group_id", "account_id", "domain_id"),
     "members"),
    ("folders", ("id", "account_id", "group_id", "path", "kind", "virtual",
                 "gal", "map_dir", "map_recursive", "display_name",
                 "color", "uidvalidity", "uidnext", "modseq", "created"),
     "folders"),
    ("grants", ("id", "folder_id", "grantee_kind", "grantee_name",
                "rights", "created"), "grants"),
)
"""Each table in load order: its columns and the generator method."""
