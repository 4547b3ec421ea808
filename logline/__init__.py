"""What a log line is, for every part of devlogs: its levels (levels.py), how its times are read
(timestamps.py), and the envelope that carries lines from ingest through the queue to the store
(envelope.py; the format is docs/queue-message.md). It depends on nothing else of devlogs; ingest,
processing, logs and shippers depend on it, not on each other's insides (docs/architecture.md).
"""
