"""Whether SES says an inbound mail is authentic and clean enough to reach the pipeline (pure).

SES puts a verdict on every received mail (mail NOTES §2.1): ``spfVerdict``, ``dkimVerdict``,
``dmarcVerdict``, ``spamVerdict``, ``virusVerdict``, each ``PASS | FAIL | GRAY | PROCESSING_FAILED`` (and
``DISABLED`` when the receipt rule does not scan). The rules, and why:

- virus ``FAIL`` or ``PROCESSING_FAILED``: never hand possible malware to the pipeline (a scan that failed is
  no clean bill).
- DMARC ``FAIL``: the From domain did not authenticate; a relay-looking From is exactly what an attacker
  forges, so the mail is rejected whatever SPF and DKIM say.
- SPF and DKIM: at least one must ``PASS``. Amazon's relay signs with DKIM and sends from SPF-covered hosts,
  so a real relay mail always passes one of them; two FAILs, or nothing better than GRAY (no record, not
  signed), PROCESSING_FAILED, DISABLED or a missing verdict, mean nothing vouches for the sender. A DMARC
  ``GRAY`` (no policy published) or ``PROCESSING_FAILED`` alone does not reject: SPF/DKIM decide then.
- spam ``FAIL`` rejects; spam ``GRAY`` and ``PROCESSING_FAILED`` do not: a buyer's complaint full of links or
  capitals is easily graded "maybe spam", and dropping it would miss Amazon's 24-hour clock, while the
  authentication verdicts above already stop forged senders.

A rejected mail is never dropped: ingest keeps it on the rejected topic (sealed) with this reason.
"""

from __future__ import annotations

from services.ingest.parse.envelopes import SesMetadata

__all__ = ["PASS", "authentication_failure"]

PASS = "PASS"
_FAIL = "FAIL"
_UNSCANNED = "PROCESSING_FAILED"


def _status(value: str | None) -> str:
    return (value or "MISSING").strip().upper()[:32] or "MISSING"


def authentication_failure(ses: SesMetadata) -> str | None:
    """Why SES's verdicts rule this mail out (the rejected topic's reason), or None when it may pass."""
    virus, spam = _status(ses.virus_verdict), _status(ses.spam_verdict)
    spf, dkim, dmarc = _status(ses.spf_verdict), _status(ses.dkim_verdict), _status(ses.dmarc_verdict)
    if virus in (_FAIL, _UNSCANNED):
        return f"SES virus verdict {virus}"
    if dmarc == _FAIL:
        return f"SES DMARC verdict FAIL (spf={spf}, dkim={dkim})"
    if PASS not in (spf, dkim):
        return f"SES could not authenticate the sender: spf={spf}, dkim={dkim}, dmarc={dmarc}"
    if spam == _FAIL:
        return "SES spam verdict FAIL"
    return None
