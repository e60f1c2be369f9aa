"""Participants' uploads on the campaign page: receiving files (plain form and tus),
abuse limits, cleaning and archiving, the post in the queue, receipts and withdrawal."""
