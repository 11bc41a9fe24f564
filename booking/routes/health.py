"""Process liveness and readiness, outside the versioned API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from booking.deps import DatabaseDep
from booking.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def read_health() -> Health:
    """The process is up and answering."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def read_readiness(db: DatabaseDep) -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    from ops.migrate import is_at_head

    try:  # reading the schema's revision is also the connectivity check
        at_head = is_at_head(db.engine)
    except Exception:  # any failure to reach it means "not ready"; the reason stays generic
        body = Readiness(status="not ready", database="unreachable", migrations="unknown")
        return JSONResponse(body.model_dump(), status_code=503)
    if not at_head:
        body = Readiness(status="not ready", database="ok", migrations="behind: run migrate")
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Readiness(status="ready", database="ok", migrations="at head").model_dump())
