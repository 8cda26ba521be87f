"""File attachments: uploads by visitors and agents, stored by a random key, sent with messages."""
