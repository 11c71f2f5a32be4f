"""The role matrix in the README is the one the API enforces."""

from pathlib import Path

from core.permissions import ROLE_PERMISSIONS, Perm, role_table_markdown
from models.enums import UserRole


def test_readme_role_table_matches_the_enforced_permissions() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert role_table_markdown() in readme


def test_there_are_nine_roles_and_only_residents_have_self_service() -> None:
    assert len(UserRole) == 9 and set(ROLE_PERMISSIONS) == set(UserRole)
    assert [r for r, p in ROLE_PERMISSIONS.items() if Perm.SELF_SERVICE in p] == [UserRole.RESIDENT]
    assert ROLE_PERMISSIONS[UserRole.RESIDENT] == {Perm.SELF_SERVICE}
