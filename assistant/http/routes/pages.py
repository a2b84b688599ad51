"""The full-page chat (/), the embeddable widget (/widget.js) and the page's styles."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["STATIC_DIR", "router"]

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"

router = APIRouter(include_in_schema=False)


def _static(name: str, media_type: str, cache: str = "public, max-age=300") -> FileResponse:
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": cache})


@router.get("/", response_class=HTMLResponse)
async def index_page() -> FileResponse:
    return _static("index.html", "text/html; charset=utf-8", cache="no-cache")


@router.get("/widget.js")
async def widget_js() -> FileResponse:
    return _static("widget.js", "text/javascript; charset=utf-8")


@router.get("/page.css")
async def page_css() -> FileResponse:
    return _static("page.css", "text/css; charset=utf-8")
