"""The access-control core: rights, grants, visibility, privacy, names.

Pure decisions over plain values, with no I/O and no framework types, so
that IMAP, CalDAV, CardDAV, WebDAV and the web pages all get the same
answer from one place and the rules can be tested without a server.
"""

from .decide import (
    Decision,
    Operation,
    Source,
    applicable_grants,
    dav_privileges,
    effective_rights,
    may,
    required_rights,
)
from .model import (
    ANYONE_NAME,
    FolderFacts,
    FolderKind,
    Grant,
    Grantee,
    GranteeError,
    GranteeKind,
    MailMode,
    OwnerKind,
    Viewer,
    address_key,
    is_owner,
)
from .naming import (
    DELIMITER,
    INBOX,
    FolderNameError,
    ParsedName,
    Prefixes,
    check_path,
    display_name,
    namespace_roots,
    parse_name,
)
from .privacy import (
    PLACEHOLDER_PROPERTIES,
    REDACTED_SUMMARY,
    ItemClass,
    Treatment,
    class_of,
    counts_as_busy,
    matches_queries,
    may_write_class,
    treatment,
    write_refusal_reason,
)
from .rights import (
    ALL_RIGHTS,
    FOLDER_LETTERS,
    ITEM_LETTERS,
    LETTERS,
    NO_RIGHTS,
    PRESETS,
    Rights,
    RightsError,
    describe,
)
from .visibility import (
    Subscription,
    Via,
    VisibleFolder,
    is_member,
    visible_folders,
)

__all__ = [
    "check_path",
    "ALL_RIGHTS", "ANYONE_NAME", "DELIMITER", "FOLDER_LETTERS", "INBOX",
    "ITEM_LETTERS", "LETTERS", "NO_RIGHTS", "PLACEHOLDER_PROPERTIES",
    "PRESETS", "REDACTED_SUMMARY",
    "Decision", "FolderFacts", "FolderKind", "FolderNameError", "Grant",
    "Grantee", "GranteeError", "GranteeKind", "ItemClass", "MailMode",
    "Operation", "OwnerKind", "ParsedName", "Prefixes", "Rights",
    "RightsError", "Source", "Subscription", "Treatment", "Via", "Viewer",
    "VisibleFolder",
    "address_key", "applicable_grants", "class_of", "counts_as_busy",
    "dav_privileges", "describe", "display_name", "effective_rights",
    "is_member", "is_owner", "matches_queries", "may", "may_write_class",
    "namespace_roots", "parse_name", "required_rights", "treatment",
    "visible_folders", "write_refusal_reason",
]
