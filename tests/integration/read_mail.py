#!/usr/bin/python3
"""read_mail.py: one received email as JSON, its calendar invitation parsed
with python3-icalendar (Debian), for the outbox tests.

  read_mail.py FILE.eml   prints {subject, to, from, message_id, mime_version, date, text,
                          ics: null | {method, uid, sequence, dtstart,
                          dtstart_tzid, dtend, summary, description, url,
                          status, organizer, vtimezone_tzids}}

Times are ISO 8601 with the offset of their zone (dtstart_tzid says which).
"""
import email
import email.policy
import json
import sys

import icalendar


def parse_ics(data):
    cal = icalendar.Calendar.from_ical(data)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    if len(events) != 1:
        raise SystemExit(f"expected one VEVENT, found {len(events)}")
    ev = events[0]
    start = ev.get("DTSTART")
    return {
        "method": str(cal.get("METHOD")),
        "uid": str(ev.get("UID")),
        "sequence": int(ev.get("SEQUENCE")),
        "dtstart": start.dt.isoformat(),
        "dtstart_tzid": start.params.get("TZID"),
        "dtend": ev.get("DTEND").dt.isoformat(),
        "summary": str(ev.get("SUMMARY")),
        "description": str(ev.get("DESCRIPTION", "")),
        "url": str(ev.get("URL", "")) or None,
        "status": str(ev.get("STATUS", "")),
        "organizer": str(ev.get("ORGANIZER", "")),
        "vtimezone_tzids": [str(c.get("TZID")) for c in cal.walk() if c.name == "VTIMEZONE"],
    }


def main():
    with open(sys.argv[1], "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    text = None
    ics = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/plain" and text is None:
            text = part.get_content()
        elif ctype == "text/calendar":
            ics = parse_ics(part.get_payload(decode=True))
            ics["content_type"] = part.get("Content-Type")
    print(json.dumps({
        "subject": str(msg["Subject"]),
        "to": str(msg["To"]),
        "from": str(msg["From"]),
        "message_id": str(msg["Message-ID"]),
        "mime_version": str(msg["MIME-Version"]),
        "date": str(msg["Date"]),
        "text": text,
        "ics": ics,
    }))


if __name__ == "__main__":
    main()
