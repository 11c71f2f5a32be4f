"""The resident's own pages (`/me/...`): sign-in by password or one-time link, then home,
statements, messages and announcements. Server-rendered, no script, mobile first."""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.resident import house, pages, signin

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)
router.include_router(pages.router)
router.include_router(house.router)
