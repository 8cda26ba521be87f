"""CRM endpoints: webhook subscriptions and the delivery log (admins), and the CRM's
signed inbound sync of contact attributes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from pydantic import ValidationError

from app.agents.models import Agent, Role
from app.contacts.schemas import ContactOut
from app.contacts.service import outs
from app.crm import repository as repo
from app.crm import service
from app.crm.events import EVENT_TYPES
from app.crm.outbox import enqueue_test
from app.crm.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryOut,
    ReplayOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from app.db import SessionDep
from app.deps import current_agent
from app.errors import Forbidden, InvalidInput

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
inbound_router = APIRouter(prefix="/api/v1/crm", tags=["crm"])

MAX_INBOUND_BYTES = 64 * 1024


async def _admin(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
    if agent.role != Role.admin:
        raise Forbidden("Only admins can manage webhooks.")
    return agent


Admin = Annotated[Agent, Depends(_admin)]


@router.get("/event-types", response_model=list[str])
async def event_types(admin: Admin) -> list[str]:
    """The event types a subscription can filter on."""
    return list(EVENT_TYPES)


@router.get("/subscriptions", response_model=list[SubscriptionOut])
async def list_subscriptions(
    admin: Admin, session: SessionDep, site_id: int | None = None
) -> list[SubscriptionOut]:
    """Subscriptions with their secrets and delivery counts."""
    return [await service.out(session, s) for s in await repo.subscriptions(session, site_id)]


@router.post("/subscriptions", response_model=SubscriptionOut, status_code=status.HTTP_201_CREATED)
async def create_subscription(
    body: SubscriptionIn, admin: Admin, session: SessionDep
) -> SubscriptionOut:
    """Subscribe a URL to a site's events; the response carries the signing secret."""
    return await service.out(session, await service.create(session, body))


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
async def get_subscription(
    subscription_id: int, admin: Admin, session: SessionDep
) -> SubscriptionOut:
    """One subscription."""
    return await service.out(session, await service.get(session, subscription_id))


@router.patch("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
async def update_subscription(
    subscription_id: int, body: SubscriptionPatch, admin: Admin, session: SessionDep
) -> SubscriptionOut:
    """Change a subscription; a paused one keeps its pending deliveries for later."""
    sub = await service.patch(session, await service.get(session, subscription_id), body)
    return await service.out(session, sub)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_subscription(subscription_id: int, admin: Admin, session: SessionDep) -> None:
    """Remove a subscription and its delivery log."""
    sub = await service.get(session, subscription_id)
    await session.delete(sub)
    await session.flush()


@router.post("/subscriptions/{subscription_id}/rotate-secret", response_model=SubscriptionOut)
async def rotate_secret(subscription_id: int, admin: Admin, session: SessionDep) -> SubscriptionOut:
    """A new signing secret for this subscription."""
    sub = await service.rotate_secret(session, await service.get(session, subscription_id))
    return await service.out(session, sub)


@router.post(
    "/subscriptions/{subscription_id}/test",
    response_model=DeliveryOut,
    status_code=status.HTTP_201_CREATED,
)
async def send_test(subscription_id: int, admin: Admin, session: SessionDep) -> DeliveryOut:
    """Queue a ``webhook.test`` event to check the receiver and its signature check."""
    return DeliveryOut.of(await enqueue_test(session, await service.get(session, subscription_id)))


@router.post("/subscriptions/{subscription_id}/replay-dead", response_model=ReplayOut)
async def replay_dead(subscription_id: int, admin: Admin, session: SessionDep) -> ReplayOut:
    """Send every dead delivery of the subscription again (same webhook-ids)."""
    sub = await service.get(session, subscription_id)
    return ReplayOut(replayed=await service.replay_dead(session, sub))


@router.get("/deliveries", response_model=DeliveryList)
async def list_deliveries(
    admin: Admin,
    session: SessionDep,
    subscription_id: int | None = None,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(pending|delivered|dead)$")
    ] = None,
    conversation_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> DeliveryList:
    """The delivery log, newest first."""
    rows, total = await repo.deliveries(
        session,
        subscription_id=subscription_id,
        status=status_,
        conversation_id=conversation_id,
        limit=limit,
        offset=offset,
    )
    return DeliveryList(items=[DeliveryOut.of(d) for d in rows], total=total)


@router.get("/deliveries/{delivery_pk}", response_model=DeliveryDetail)
async def get_delivery(delivery_pk: int, admin: Admin, session: SessionDep) -> DeliveryDetail:
    """A delivery with its payload and every attempt."""
    return await service.delivery_detail(session, await service.get_delivery(session, delivery_pk))


@router.post("/deliveries/{delivery_pk}/replay", response_model=DeliveryOut)
async def replay(delivery_pk: int, admin: Admin, session: SessionDep) -> DeliveryOut:
    """Send a dead or delivered delivery again, with the same webhook-id."""
    d = await service.replay(session, await service.get_delivery(session, delivery_pk))
    return DeliveryOut.of(d)


@inbound_router.post("/inbound/{subscription_id}/contacts", response_model=ContactOut)
async def inbound_contact(
    subscription_id: int, request: Request, session: SessionDep
) -> ContactOut:
    """The CRM sets a contact's attributes (e.g. plan, vip), signed like our webhooks
    (webhook-id, webhook-timestamp, webhook-signature with the subscription's secret).

    Routing rules and the bot's escalation policy see the new attributes at once.
    """
    raw = await request.body()
    if len(raw) > MAX_INBOUND_BYTES:
        raise InvalidInput(f"The body is larger than {MAX_INBOUND_BYTES // 1024} KB.")
    try:
        contact, _, _ = await service.inbound_contact(
            session, subscription_id, dict(request.headers), raw
        )
    except ValidationError as exc:
        errors = [{"loc": list(e.get("loc", [])), "msg": e.get("msg", "")} for e in exc.errors()]
        raise InvalidInput(errors) from exc
    return (await outs(session, [contact]))[0]
