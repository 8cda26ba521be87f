"""Imports every table so SQLModel.metadata (and Alembic) sees the whole schema."""

from app.agents.models import Agent, Availability, Role
from app.articles.models import Article, ArticleVersion
from app.bot.models import BotJob
from app.canned.models import CannedResponse
from app.contacts.models import Contact, ContactNote
from app.conversations.models import Conversation, ConversationEvent, Message, Sender, Status
from app.crm.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.evals.models import EvalReport, EvalRun
from app.files.models import Attachment
from app.lifecycle.models import SiteLifecycle
from app.routing.models import Assignment, RoutingRule
from app.sites.models import Site
from app.teams.models import Team, TeamMember
from app.triggers.models import Trigger, TriggerStat
from app.visitors.models import PageView, VisitorSession

__all__ = [
    "Agent",
    "Article",
    "ArticleVersion",
    "Assignment",
    "Attachment",
    "Availability",
    "BotJob",
    "CannedResponse",
    "Contact",
    "ContactNote",
    "Conversation",
    "ConversationEvent",
    "EvalReport",
    "EvalRun",
    "Message",
    "PageView",
    "Role",
    "RoutingRule",
    "Sender",
    "Site",
    "SiteLifecycle",
    "Status",
    "Team",
    "TeamMember",
    "Trigger",
    "TriggerStat",
    "VisitorSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
