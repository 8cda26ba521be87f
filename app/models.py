"""Imports every table so SQLModel.metadata (and Alembic) sees the whole schema."""

from app.agents.models import Agent, Role
from app.articles.models import Article, ArticleVersion
from app.bot.models import BotJob
from app.contacts.models import Contact
from app.conversations.models import Conversation, ConversationEvent, Message, Sender, Status
from app.sites.models import Site
from app.triggers.models import Trigger, TriggerStat
from app.visitors.models import PageView, VisitorSession

__all__ = [
    "Agent",
    "Article",
    "ArticleVersion",
    "BotJob",
    "Contact",
    "Conversation",
    "ConversationEvent",
    "Message",
    "PageView",
    "Role",
    "Sender",
    "Site",
    "Status",
    "Trigger",
    "TriggerStat",
    "VisitorSession",
]
