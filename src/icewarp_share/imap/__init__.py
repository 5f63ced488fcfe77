"""IMAP4rev1 front end and LMTP delivery over the mail store.

``listeners.start`` opens the configured sockets; ``protocol.Session`` is
one IMAP connection, ``lmtp.Delivery`` one LMTP connection. Every
decision about rights comes from the ACL core through ``access``.
"""
