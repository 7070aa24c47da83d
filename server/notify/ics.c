/* ics.c — the visit as a calendar invitation (RFC 5545 with the iTIP
 * methods of RFC 5546), made with libical rather than by hand: one
 * VCALENDAR with METHOD REQUEST (booked, moved) or CANCEL, the patient's
 * time zone as a VTIMEZONE (libical's built-in zones, from the system's
 * tz database) and one VEVENT whose UID stays the same for the visit and
 * whose SEQUENCE rises with each change, so a calendar updates the one
 * entry instead of adding another. */
#define G_LOG_DOMAIN "th-notify"

#include "server/notify/notify-private.h"

#include <libical/ical.h>

static GQuark
ics_error_quark (void)
{
  return g_quark_from_static_string ("th-notify-ics");
}

/* The zone's VTIMEZONE with its TZID set to the IANA name itself (libical
 * prefixes its own path), so DTSTART;TZID=America/New_York names it. */
static icalcomponent *
vtimezone_for (icaltimezone *tz, const char *name)
{
  icalcomponent *vtz = icalcomponent_new_clone (icaltimezone_get_component (tz));
  icalproperty *tzid = icalcomponent_get_first_property (vtz, ICAL_TZID_PROPERTY);

  if (tzid)
    icalproperty_set_tzid (tzid, name);
  else
    icalcomponent_add_property (vtz, icalproperty_new_tzid (name));
  return vtz;
}

/* A local time in `tz` with TZID=name. */
static icalproperty *
local_time_property (icalproperty *(*make) (struct icaltimetype), gint64 ms, icaltimezone *tz,
                     const char *name)
{
  struct icaltimetype t = icaltime_from_timet_with_zone ((time_t) (ms / 1000), 0, tz);
  icalproperty *p;

  if (tz == icaltimezone_get_utc_timezone ())
    return make (t);
  t.zone = NULL; /* written as floating text; the TZID parameter names the zone */
  p = make (t);
  icalproperty_add_parameter (p, icalparameter_new_tzid (name));
  return p;
}

static icalcomponent *
build_event (const NotifyIcs *in, icaltimezone *tz, const char *zone_name)
{
  icalcomponent *ev = icalcomponent_new (ICAL_VEVENT_COMPONENT);
  g_autofree char *organizer = g_strconcat ("mailto:", in->organizer_email, NULL);
  icalproperty *org = icalproperty_new_organizer (organizer);
  gint64 end_ms = in->start_ms + (gint64) in->minutes * 60000;

  icalcomponent_add_property (ev, icalproperty_new_uid (in->uid));
  icalcomponent_add_property (ev,
                              icalproperty_new_dtstamp (
                                icaltime_from_timet_with_zone ((time_t) (in->stamp_ms / 1000), 0,
                                                               icaltimezone_get_utc_timezone ())));
  icalcomponent_add_property (ev, local_time_property (icalproperty_new_dtstart, in->start_ms, tz,
                                                       zone_name));
  icalcomponent_add_property (ev,
                              local_time_property (icalproperty_new_dtend, end_ms, tz, zone_name));
  icalcomponent_add_property (ev, icalproperty_new_sequence ((int) in->sequence));
  icalcomponent_add_property (ev, icalproperty_new_summary (in->summary));
  if (in->description)
    icalcomponent_add_property (ev, icalproperty_new_description (in->description));
  if (in->url) {
    icalcomponent_add_property (ev, icalproperty_new_url (in->url));
    icalcomponent_add_property (ev, icalproperty_new_location (in->url));
  }
  icalproperty_add_parameter (org, icalparameter_new_cn (in->organizer_name));
  icalcomponent_add_property (ev, org);
  if (in->attendee_email) {
    g_autofree char *mailto = g_strconcat ("mailto:", in->attendee_email, NULL);
    icalproperty *att = icalproperty_new_attendee (mailto);
    icalproperty_add_parameter (att, icalparameter_new_role (ICAL_ROLE_REQPARTICIPANT));
    icalproperty_add_parameter (att, icalparameter_new_partstat (ICAL_PARTSTAT_NEEDSACTION));
    icalcomponent_add_property (ev, att);
  }
  icalcomponent_add_property (ev, icalproperty_new_status (in->cancel ? ICAL_STATUS_CANCELLED
                                                                      : ICAL_STATUS_CONFIRMED));
  icalcomponent_add_property (ev, icalproperty_new_transp (ICAL_TRANSP_OPAQUE));
  return ev;
}

char *
notify_ics_build (const NotifyIcs *in, GError **error)
{
  const char *zone_name = in->time_zone ? in->time_zone : "UTC";
  icaltimezone *tz = NULL;
  icalcomponent *cal;
  char *text;

  if (g_strcmp0 (zone_name, "UTC") == 0 || g_strcmp0 (zone_name, "Etc/UTC") == 0)
    tz = icaltimezone_get_utc_timezone ();
  else
    tz = icaltimezone_get_builtin_timezone (zone_name);
  if (!tz) {
    g_set_error (error, ics_error_quark (), 0,
                 "the patient's time zone is not one the calendar library knows");
    return NULL;
  }
  cal = icalcomponent_new (ICAL_VCALENDAR_COMPONENT);
  icalcomponent_add_property (cal, icalproperty_new_prodid ("-//telehealthd//visits//EN"));
  icalcomponent_add_property (cal, icalproperty_new_version ("2.0"));
  icalcomponent_add_property (cal, icalproperty_new_calscale ("GREGORIAN"));
  icalcomponent_add_property (cal, icalproperty_new_method (in->cancel ? ICAL_METHOD_CANCEL
                                                                       : ICAL_METHOD_REQUEST));
  if (tz != icaltimezone_get_utc_timezone ())
    icalcomponent_add_component (cal, vtimezone_for (tz, zone_name));
  icalcomponent_add_component (cal, build_event (in, tz, zone_name));
  text = g_strdup (icalcomponent_as_ical_string (cal));
  icalcomponent_free (cal);
  return text;
}
