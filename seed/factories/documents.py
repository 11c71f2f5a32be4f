"""Document rows of the demo seed."""

from __future__ import annotations

import factory

from models.documents import Document


class DocumentFactory(factory.Factory[Document]):
    """A document made from `template` (a DocumentTemplate): its type and template version."""

    class Meta:
        model = Document

    class Params:
        template = None

    template_id = factory.SelfAttribute("template.id")
    template_version = factory.SelfAttribute("template.version")
    document_type = factory.SelfAttribute("template.document_type")
