"""GET /v1/templates and POST /v1/templates/{id}/preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from services.responder.api import templates_service as service
from services.responder.api.deps import ReadSessionDep, RuntimeDep, requires
from services.responder.api.schemas.common import error_responses
from services.responder.api.schemas.replies import PreviewOut, PreviewRequest, TemplateOut
from services.responder.api.security import TEMPLATES_READ, Principal

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["templates"])
TemplatesReaderDep = Annotated[Principal, Depends(requires(TEMPLATES_READ))]


@router.get(
    "/templates",
    response_model=list[TemplateOut],
    summary="List reply templates",
    responses=error_responses(401, 403, 429),
)
async def list_templates(caller: TemplatesReaderDep) -> list[TemplateOut]:
    """Every repo template with its version and source."""
    return service.templates()


@router.post(
    "/templates/{template_id:path}/preview",
    response_model=PreviewOut,
    summary="Render a template and lint it",
    responses=error_responses(401, 403, 404, 422, 429),
)
async def preview_template(
    template_id: Annotated[str, Path(max_length=100, examples=["email/not_received/en"])],
    body: PreviewRequest,
    caller: TemplatesReaderDep,
    session: ReadSessionDep,
    runtime: RuntimeDep,
) -> PreviewOut:
    """With ticket_id (tickets:read): the ticket's order and subject fill the variables; else sample values."""
    return await service.preview(
        session, template_id=template_id, request=body, caller=caller, cipher=runtime.cipher
    )
