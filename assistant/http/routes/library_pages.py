"""The library's pages: /library (search and filters), /approaches/{key}, the source viewer
/source/{doc_id}?chunk=&quote= and /admin, with their scripts and styles.

The pages are static shells that read the JSON API with the browser's session cookie: one
``static/shell.html`` (head, site header, skip link, live region) around each page's own
``static/pages/<name>.html`` (what goes in its <main>). Two are
decided here: the source viewer is served only for a document the caller may see (404 page
otherwise, the same as for a missing one), and /admin only to an admin (a sign-in page with 403
otherwise, without any admin control).
"""

from __future__ import annotations

from functools import lru_cache
from string import Template
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse

from assistant.http.deps import AssistantDep, page_caller
from assistant.http.routes.pages import STATIC_DIR

__all__ = ["PAGE_PATHS", "PAGE_PREFIXES", "router"]

router = APIRouter(include_in_schema=False)

PAGE_PATHS = frozenset({"/library", "/admin", "/signin"})
PAGE_PREFIXES = ("/source/", "/approaches/")
_ASSETS = {
    "site.css": "text/css; charset=utf-8",
    "site.js": "text/javascript; charset=utf-8",
    "library.js": "text/javascript; charset=utf-8",
    "source.js": "text/javascript; charset=utf-8",
    "approach.js": "text/javascript; charset=utf-8",
    "admin.js": "text/javascript; charset=utf-8",
}


# page -> (its title, its own script beside site.js, or "")
_PAGES = {
    "library": ("Library", "library.js"),
    "signin": ("Sign in", "admin.js"),
    "approach": ("Approach", "approach.js"),
    "source": ("Source", "source.js"),
    "admin": ("Manage the library", "admin.js"),
    "notfound": ("Not found", ""),
}


@lru_cache(maxsize=len(_PAGES))
def _html(name: str) -> str:
    """A page: the shared shell around the page's own <main> content (read once per process)."""
    title, script = _PAGES[name]
    shell = Template((STATIC_DIR / "shell.html").read_text(encoding="utf-8"))
    return shell.substitute(
        title=title,
        scripts=f'<script src="/{script}" defer></script>\n' if script else "",
        main=(STATIC_DIR / "pages" / f"{name}.html").read_text(encoding="utf-8"),
    )


def _page(name: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_html(name), status_code=status, headers={"Cache-Control": "no-cache"})


@router.get("/library", response_class=HTMLResponse)
async def library_page() -> HTMLResponse:
    return _page("library")


@router.get("/signin", response_class=HTMLResponse)
async def signin_page() -> HTMLResponse:
    return _page("signin")


@router.get("/approaches/{key}", response_class=HTMLResponse)
async def approach_page(key: Annotated[str, PathParam(max_length=100)]) -> HTMLResponse:
    return _page("approach")


@router.get("/source/{doc_id}", response_class=HTMLResponse)
async def source_page(
    doc_id: Annotated[str, PathParam(max_length=200)], request: Request, assistant: AssistantDep
) -> HTMLResponse:
    who = page_caller(request)
    visible = await run_in_threadpool(assistant.library.can_see, doc_id, who.groups, who.admin)
    return _page("source") if visible else _page("notfound", 404)


@router.get("/admin", response_class=HTMLResponse)
async def admin_page(request: Request) -> HTMLResponse:
    who = page_caller(request)
    return _page("admin") if who.admin else _page("signin", 403)


def _asset(name: str, media_type: str) -> None:
    async def serve() -> FileResponse:
        return FileResponse(STATIC_DIR / name, media_type=media_type, headers={"Cache-Control": "no-cache"})

    router.add_api_route(f"/{name}", serve, methods=["GET"], name=f"asset_{name.replace('.', '_')}")


for _name, _type in _ASSETS.items():
    _asset(_name, _type)
