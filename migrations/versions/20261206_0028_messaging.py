"""Messaging and the resident's own pages.

Residents read their own conversations and their own house's announcements under their own
session, so the scope policies of 0017 on the messaging tables gain a resident clause:

- `conversations`: a resident (and any staff member) sees the conversations they are a current
  member of; house-scoped staff see their houses' conversations; a conversation naming no house
  is no longer visible to every house-scoped caller, only to its members and org-wide roles.
  Membership is read by `app_my_conversations()`, a SECURITY DEFINER function owned by
  `recoveryos_auth` (like `auth_resolve`): a policy on `conversations` that read
  `conversation_members` directly would recurse, since members follow their conversation.
  `conversation_members` and `messages` keep 0017's policy (they follow their conversation).
- `announcements`: a resident sees those to the whole org, to residents, to their current
  house and to that house's property; never those to staff only.
- `announcement_reads`: as 0017 (they follow their announcement) and, for a resident, only
  their own receipts: other residents' read state is staff's to see.
- `file_uploads`: a file attached to a message the caller can read is readable too.

`sign_in_links`: one-time sign-in links for residents (SHA-256 of the token only, expiry, use).

Revision ID: 0028_messaging
Revises: 0023_retention
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_messaging"
down_revision: str | None = "0023_retention"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUTH = "recoveryos_auth"
ORG = "(SELECT app_scope()) = 'org'"
HOUSES = "((SELECT app_scope_houses())::uuid[])"
PROPERTIES = "((SELECT app_scope_properties())::uuid[])"
RESIDENT = "(SELECT app_scope()) = 'resident'"
ME = "(SELECT app_scope_resident())"
MY_HOUSE = f"(SELECT r.current_house_id FROM residents r WHERE r.id = {ME})"

NEW: dict[str, str] = {
    "conversations": (f"{ORG} OR house_id = ANY {HOUSES} OR id IN (SELECT app_my_conversations())"),
    "announcements": (
        f"{ORG} OR house_id = ANY {HOUSES} OR property_id = ANY {PROPERTIES} "
        "OR (house_id IS NULL AND property_id IS NULL AND (SELECT app_scope()) = 'houses') "
        f"OR ({RESIDENT} AND audience <> 'staff' "
        f"AND (house_id IS NULL OR house_id = {MY_HOUSE}) "
        f"AND (property_id IS NULL OR property_id = app_house_property({MY_HOUSE})))"
    ),
    "announcement_reads": (
        f"({ORG} OR announcement_id IN (SELECT x.id FROM announcements x)) "
        f"AND (NOT {RESIDENT} OR user_id = (SELECT app_current_user()))"
    ),
    "file_uploads": (
        f"{ORG} OR resident_id IN (SELECT x.id FROM residents x) "
        "OR (resident_id IS NULL AND (SELECT app_scope()) = 'houses') "
        "OR id IN (SELECT m.file_upload_id FROM messages m WHERE m.file_upload_id IS NOT NULL)"
    ),
}

# 0017's policies, restored by downgrade.
OLD: dict[str, str] = {
    "conversations": f"{ORG} OR (house_id = ANY {HOUSES}) OR (house_id IS NULL AND (SELECT app_scope()) = 'houses')",
    "announcements": (
        f"{ORG} OR (house_id = ANY {HOUSES}) OR (property_id = ANY {PROPERTIES}) "
        "OR (house_id IS NULL AND property_id IS NULL AND (SELECT app_scope()) = 'houses')"
    ),
    "announcement_reads": (
        f"{ORG} OR (announcement_id IN (SELECT x.id FROM announcements x)) "
        "OR (announcement_id IS NULL AND (SELECT app_scope()) = 'houses')"
    ),
    "file_uploads": (
        f"{ORG} OR (resident_id IN (SELECT x.id FROM residents x)) "
        "OR (resident_id IS NULL AND (SELECT app_scope()) = 'houses')"
    ),
}


def upgrade() -> None:
    op.execute(f"""
    GRANT SELECT (org_id, conversation_id, user_id, left_at) ON conversation_members TO {AUTH};
    CREATE POLICY auth_lookup ON conversation_members FOR SELECT TO {AUTH} USING (true);
    CREATE FUNCTION app_my_conversations() RETURNS SETOF uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT m.conversation_id FROM conversation_members m
         WHERE m.org_id = app_current_org() AND m.user_id = app_current_user() AND m.left_at IS NULL
    $$;
    ALTER FUNCTION app_my_conversations() OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION app_my_conversations() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app_my_conversations() TO {APP};
    CREATE FUNCTION app_house_property(house uuid) RETURNS uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT h.property_id FROM houses h WHERE h.id = house AND h.org_id = app_current_org()
    $$;
    ALTER FUNCTION app_house_property(uuid) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION app_house_property(uuid) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION app_house_property(uuid) TO {APP};
    """)
    for table, rule in NEW.items():
        op.execute(f"DROP POLICY scope ON {table}")
        op.execute(f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({rule})")

    op.create_table(
        "sign_in_links",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f("ck_sign_in_links_channel_known")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_sign_in_links_expires_after_created")),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_sign_in_links_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sign_in_links_token_hash")),
    )
    op.create_index("ix_sign_in_links_org_user", "sign_in_links", ["org_id", "user_id"], unique=False)
    op.execute(f"""
    ALTER TABLE sign_in_links ENABLE ROW LEVEL SECURITY;
    ALTER TABLE sign_in_links FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON sign_in_links
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    GRANT SELECT, INSERT, UPDATE ON sign_in_links TO {APP};
    """)


def downgrade() -> None:
    op.drop_table("sign_in_links")
    for table, rule in OLD.items():
        op.execute(f"DROP POLICY scope ON {table}")
        op.execute(f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({rule})")
    op.execute(f"""
    DROP FUNCTION app_house_property(uuid);
    DROP FUNCTION app_my_conversations();
    DROP POLICY auth_lookup ON conversation_members;
    REVOKE SELECT (org_id, conversation_id, user_id, left_at) ON conversation_members FROM {AUTH};
    """)
