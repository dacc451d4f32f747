"""Views of the email channel: support-address settings, the mail log, spam, and the HTTP
inbound endpoint mail services post to."""
