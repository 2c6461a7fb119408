"""The phones and browsers a member is logged in on, and the tokens each was given.

Every token issued to a member carries the device id (`dev` claim) and is recorded by its jti,
so revoking a device — the member's own "log out that phone", or a new binding replacing the
old ones — revokes each of its unexpired tokens through the ordinary revocation list, and
requests pay nothing extra.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import delete, select

from app.accounts.models import DEVICE_KIND_LABELS, DeviceToken, MemberDevice
from app.auth import is_revoked, revoke_token
from app.errors import APIError, not_found
from app.extensions import db

# one WeChat account per member: one row that every re-login reuses
REUSED_KINDS = frozenset({"wechat", "oa"})


def _record(device: MemberDevice, token: str) -> None:
    claims = decode_token(token)
    db.session.add(
        DeviceToken(
            device_id=device.id,
            jti=claims["jti"],
            token_type=claims["type"],
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )
    )


def _device_for(member_id: int, kind: str, label: str, now: datetime) -> MemberDevice:
    device = None
    if kind in REUSED_KINDS:
        device = db.session.scalar(
            select(MemberDevice).where(
                MemberDevice.member_id == member_id,
                MemberDevice.kind == kind,
                MemberDevice.revoked_at.is_(None),
            )
        )
    if device is None:
        device = MemberDevice(
            member_id=member_id,
            kind=kind,
            label=(label or DEVICE_KIND_LABELS[kind])[:120],
            created_at=now,
            last_seen_at=now,
        )
        db.session.add(device)
        db.session.flush()
    device.last_seen_at = now
    return device


def issue_for_member(member_id: int, kind: str, label: str, now: datetime) -> dict[str, Any]:
    """A token pair for the member on a device (a new browser, or their one WeChat row)."""
    device = _device_for(member_id, kind, label, now)
    claims = {"dev": device.id}
    identity = f"m:{member_id}"
    access = create_access_token(identity=identity, additional_claims=claims)
    refresh = create_refresh_token(identity=identity, additional_claims=claims)
    _record(device, access)
    _record(device, refresh)
    db.session.flush()
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer"}


def refresh_access(claims: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new access token for a refresh token; a device's token is recorded on the device."""
    device_id = claims.get("dev")
    if not isinstance(device_id, int):
        return {"access_token": create_access_token(identity=claims["sub"]), "token_type": "Bearer"}
    device = db.session.get(MemberDevice, device_id)
    if device is None or device.revoked_at is not None:
        raise APIError(401, "auth.token_revoked", "登录凭证已注销，请重新登录")
    access = create_access_token(identity=claims["sub"], additional_claims={"dev": device_id})
    # expired rows can never be revoked again: drop them so a 30-day device stays small
    db.session.execute(
        delete(DeviceToken).where(DeviceToken.device_id == device_id, DeviceToken.expires_at <= now)
    )
    _record(device, access)
    device.last_seen_at = now
    return {"access_token": access, "token_type": "Bearer"}


def revoke_device(device: MemberDevice, now: datetime, reason: str) -> None:
    """Revoke the device and every unexpired token it holds."""
    if device.revoked_at is None:
        device.revoked_at = now
        device.revoke_reason = reason
    rows = db.session.scalars(
        select(DeviceToken).where(DeviceToken.device_id == device.id, DeviceToken.expires_at > now)
    )
    for row in rows:
        if not is_revoked(row.jti):
            revoke_token(
                {
                    "jti": row.jti,
                    "type": row.token_type,
                    "sub": f"m:{device.member_id}",
                    "exp": int(row.expires_at.timestamp()) + 1,
                }
            )
    db.session.flush()


def revoke_all(member_id: int, now: datetime, reason: str) -> int:
    """Revoke every device of a member (a new binding replaces the old ones); how many."""
    devices = db.session.scalars(
        select(MemberDevice).where(
            MemberDevice.member_id == member_id, MemberDevice.revoked_at.is_(None)
        )
    ).all()
    for device in devices:
        revoke_device(device, now, reason)
    return len(devices)


def list_devices(member_id: int, current: int | None) -> list[MemberDevice]:
    """The member's devices still logged in, newest first; the caller's own is marked."""
    devices = db.session.scalars(
        select(MemberDevice)
        .where(MemberDevice.member_id == member_id, MemberDevice.revoked_at.is_(None))
        .order_by(MemberDevice.last_seen_at.desc(), MemberDevice.id.desc())
    ).all()
    for device in devices:
        device.kind_label = DEVICE_KIND_LABELS.get(device.kind, device.kind)
        device.current = device.id == current
    return list(devices)


def revoke_mine(member_id: int, device_id: int, now: datetime) -> None:
    """The member logs one of their own devices out (another member's device is a 404)."""
    device = db.session.get(MemberDevice, device_id)
    if device is None or device.member_id != member_id or device.revoked_at is not None:
        raise not_found("登录设备")
    revoke_device(device, now, "member")


def forget_on_logout(claims: dict[str, Any], now: datetime) -> None:
    """Logging out on a device removes it from the member's list (its tokens die with it)."""
    device_id = claims.get("dev")
    if isinstance(device_id, int) and claims.get("sub", "").startswith("m:"):
        device = db.session.get(MemberDevice, device_id)
        if device is not None and f"m:{device.member_id}" == claims["sub"]:
            revoke_device(device, now, "logout")
