"""The package surface other layers import from."""

from __future__ import annotations

import importlib

from icewarp_share import acl

_MODULES = ("rights", "model", "decide", "naming", "visibility", "privacy")


def test_every_public_name_is_re_exported() -> None:
    """Front ends import from the package, never from its modules."""
    for module_name in _MODULES:
        module = importlib.import_module(f"icewarp_share.acl.{module_name}")
        public = {name for name in vars(module)
                  if not name.startswith("_")
                  and getattr(vars(module)[name], "__module__",
                              module.__name__) == module.__name__
                  and not isinstance(vars(module)[name], type(acl))}
        public -= {"annotations"}
        assert public <= set(acl.__all__), module_name


def test_all_names_exist() -> None:
    assert all(hasattr(acl, name) for name in acl.__all__)
    assert len(acl.__all__) == len(set(acl.__all__))


def test_core_imports_nothing_of_the_project() -> None:
    """DESIGN: acl/ imports nothing of the project and no framework."""
    import ast
    import pathlib

    root = pathlib.Path(acl.__file__).parent
    for source in root.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module is not None
                assert not node.module.startswith("icewarp_share"), source
                assert node.module.split(".")[0] in _STDLIB, source
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name.split(".")[0] in _STDLIB, source


_STDLIB = {"__future__", "collections", "dataclasses", "enum", "types",
           "unicodedata", "typing"}
