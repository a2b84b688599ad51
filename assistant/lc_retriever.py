"""The knowledge base as a LangChain retriever, for a council's own LangChain code.

    from assistant.lc_retriever import NbhdRetriever
    retriever = NbhdRetriever.from_settings(get_settings(), k=4)
    docs = retriever.invoke("How many Neighbourhood Action Teams does Nottingham have?")
    docs[0].metadata["doc_id"], docs[0].metadata["page"], docs[0].metadata["score"]

The same hybrid retrieval the assistant uses (dense + BM25, filters, audience groups);
each ``Document`` carries our metadata: doc_id, title, page, section, year, place,
doc_type, score, chunk_id (plus url, publisher, page_end when known).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval import Query, Retriever
from assistant.types import Filters, Passage

if TYPE_CHECKING:
    from assistant.config import Settings

__all__ = ["NbhdRetriever", "to_document"]


def to_document(passage: Passage) -> Document:
    chunk = passage.chunk
    metadata: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "title": chunk.title,
        "page": chunk.page_start,
        "page_end": chunk.page_end,
        "section": chunk.section,
        "year": chunk.year,
        "place": chunk.place,
        "doc_type": chunk.doc_type,
        "publisher": chunk.publisher,
        "url": chunk.url,
        "score": passage.score,
        "chunk_id": chunk.id,
    }
    return Document(page_content=chunk.text, metadata=metadata, id=chunk.id)


class NbhdRetriever(BaseRetriever):
    """A LangChain ``BaseRetriever`` over our ``Retriever``."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 6
    groups: tuple[str, ...] = ("public",)
    filters: Filters = Filters()

    @classmethod
    def from_settings(cls, settings: Settings, **kwargs: Any) -> NbhdRetriever:
        from assistant.knowledge import KnowledgeBase

        kwargs.setdefault("k", settings.top_k)
        return cls(retriever=Retriever(KnowledgeBase(settings)), **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        passages = self.retriever.retrieve(Query(query, self.filters, self.groups), k=self.k)
        return [to_document(p) for p in passages]
