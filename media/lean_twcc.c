/* lean_twcc.c — placeholder: transport-wide feedback (lean-private.h). */
#include "media/lean-private.h"

struct _LeanTwcc {
  int unused;
};

LeanTwcc *
lean_twcc_new (void)
{
  return g_new0 (LeanTwcc, 1);
}

void
lean_twcc_free (LeanTwcc *twcc)
{
  g_free (twcc);
}

void
lean_twcc_record (LeanTwcc *twcc, guint16 seq, gint64 arrival_us)
{
  (void) twcc, (void) seq, (void) arrival_us;
}

gsize
lean_twcc_build (LeanTwcc *twcc, guint32 sender_ssrc, guint32 media_ssrc, guint8 *buf, gsize cap)
{
  (void) twcc, (void) sender_ssrc, (void) media_ssrc, (void) buf, (void) cap;
  return 0;
}
