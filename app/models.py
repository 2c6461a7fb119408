"""Import every domain's models so that metadata (and Alembic) sees all tables."""

from app.accounts.models import RevokedToken, User
from app.members.models import InviteCode, Member
from app.org.models import Enterprise, Organization, OrgRole

__all__ = ["Enterprise", "InviteCode", "Member", "OrgRole", "Organization", "RevokedToken", "User"]
