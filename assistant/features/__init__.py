"""What the assistant does beyond answering a question.

intents.py      what a chat message asks for (one route() for every channel)
catalogue.py    named approaches found in the library
compare.py      a cited side-by-side matrix
plan.py         an action plan to a template, each precedent cited
plans.py        drafted plans kept for export, bound to the audiences they were drafted for
plan_export.py  Markdown and Word
citing.py       numbered, verified citations of verbatim sentences (compare and plan)
"""
