"""One router per file; ``assistant.http.app`` includes them all.

chat.py       POST /api/chat (JSON, or SSE with Accept: text/event-stream)
compare.py    POST /api/compare
plans.py      POST /api/plan, GET /api/plans/{id}.docx
sources.py    GET /api/sources, GET /api/sources/{doc_id}
feedback.py   POST /api/feedback
health.py     GET /healthz, /readyz
pages.py      GET /, /widget.js, /page.css
"""
