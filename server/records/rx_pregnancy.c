/* rx_pregnancy.c — the pregnancy-potential section (records-rx.h,
 * rx-titration.h). Valproate carries a boxed warning for fetal risk (major
 * congenital malformations, neural tube defects, lower IQ; FDA label,
 * Depakote, Boxed Warning and 5.2) and, in the UK and EU, a pregnancy
 * prevention programme (MHRA 2018, EMA 2018): contraindicated in pregnancy
 * for bipolar disorder, and for anyone who can become pregnant only with
 * the programme's conditions met (counselled on the risks within the year,
 * highly effective contraception). Other entries warn with their label's
 * words (lithium, paroxetine, ...). The per-entry data is in the catalog
 * ("pregnancy"), the patient's record in the store (reproductive.c). */
#include "server/records/records.h"

#include <string.h>

void
rx_pregnancy_facts_free (RxPregnancyFacts *facts)
{
  if (!facts)
    return;
  rx_reproductive_clear (&facts->r);
  g_free (facts);
}

static char *
date_text (const GDate *d)
{
  char buf[64];

  if (!g_date_valid (d))
    return g_strdup ("an unknown date");
  g_date_strftime (buf, sizeof buf, "%-d %b %Y", d);
  return g_strdup (buf);
}

/* Why the record says the patient can become pregnant, for sentences. */
static const char *
potential_words (const RxPregnancyFacts *p)
{
  if (!p || !p->recorded || g_strcmp0 (p->r.sex_at_birth, "unknown") == 0)
    return "no sex assigned at birth is recorded and nothing says the patient cannot become "
           "pregnant";
  return "the record does not say the patient cannot become pregnant";
}

static gboolean
counselled_recently (const RxCheckFacts *f, const RxReproductive *r)
{
  gint days;

  if (!g_date_valid (&r->counselled) || !g_date_valid (&f->today))
    return FALSE;
  days = g_date_days_between (&r->counselled, &f->today);
  return days >= 0 && days <= RX_VALPROATE_COUNSELLING_DAYS;
}

static void
check_valproate (const RxCheckFacts *f, const MedPregnancy *mp, GPtrArray *findings)
{
  const RxPregnancyFacts *p = f->pregnancy;
  const RxReproductive *r = p && p->recorded ? &p->r : NULL;
  GString *missing;

  if (r && g_strcmp0 (r->pregnancy, "pregnant") == 0) {
    g_autofree char *checked = date_text (&r->pregnancy_checked);
    rx_add (findings, RX_REFUSE, "valproate-pregnancy", "Valproate in pregnancy", mp->source,
            "Valproate is not prescribed in pregnancy for bipolar disorder: the patient is "
            "recorded as pregnant (checked %s). %s Choose another treatment with the patient; if "
            "the pregnancy status has changed, record it on the Pregnancy potential panel first.",
            checked, mp->pregnancy);
    return;
  }
  if (!rx_can_become_pregnant (r))
    return;
  missing = g_string_new (NULL);
  if (!r || !counselled_recently (f, r)) {
    g_autofree char *last = r && g_date_valid (&r->counselled) ? date_text (&r->counselled) : NULL;
    g_string_append_printf (missing,
                            "the valproate risk counselling of the pregnancy prevention "
                            "programme (its date and who gave it; within the last %d days%s%s%s)",
                            RX_VALPROATE_COUNSELLING_DAYS, last ? ", the last on record was " : "",
                            last ? last : "", last ? "" : "");
  }
  if (!r || !r->contraception || !r->highly_effective)
    g_string_append_printf (missing, "%sa highly effective contraception method%s%s%s",
                            missing->len ? " and " : "",
                            r && r->contraception ? " (the method on record, " : "",
                            r && r->contraception ? r->contraception : "",
                            r && r->contraception ? ", is not marked highly effective)" : "");
  if (missing->len)
    rx_add (findings, RX_REFUSE, "valproate-pregnancy-prevention",
            "Valproate: pregnancy prevention not documented", mp->source,
            "Valproate for a patient who can become pregnant (%s) needs, on the Pregnancy "
            "potential panel: %s. %s If the patient cannot become pregnant, record why instead.",
            potential_words (p), missing->str, mp->pregnancy);
  g_string_free (missing, TRUE);
}

static void
check_warn (const RxCheckFacts *f, const MedPregnancy *mp, GPtrArray *findings)
{
  const RxPregnancyFacts *p = f->pregnancy;
  const RxReproductive *r = p && p->recorded ? &p->r : NULL;
  g_autofree char *name = g_strdup (f->medication->name);

  name[0] = g_ascii_toupper (name[0]);
  if (r && g_strcmp0 (r->pregnancy, "pregnant") == 0 && mp->warn_pregnant) {
    rx_add (findings, RX_WARN, "pregnancy-risk", "Risk in pregnancy", mp->source,
            "%s: the patient is recorded as pregnant. %s Weigh it with the patient and record "
            "the discussion.",
            name, mp->pregnancy);
  } else if (mp->warn_potential && rx_can_become_pregnant (r) &&
             !(r && g_strcmp0 (r->pregnancy, "pregnant") == 0)) {
    rx_add (findings, RX_WARN, "pregnancy-risk", "Risk if pregnancy occurs", mp->source,
            "%s for a patient who can become pregnant (%s). %s Discuss contraception and "
            "pregnancy plans, and record them on the Pregnancy potential panel.",
            name, potential_words (p), mp->pregnancy);
  }
  if (r && g_strcmp0 (r->breastfeeding, "yes") == 0 && mp->lactation)
    rx_add (findings, RX_WARN, "lactation-risk", "Breastfeeding", mp->source,
            "%s: the patient is recorded as breastfeeding. %s", name, mp->lactation);
}

void
rx_check_pregnancy (const RxCheckFacts *f, GPtrArray *findings)
{
  const MedPregnancy *mp = f->medication->pregnancy;

  if (!mp)
    return;
  if (mp->action == MED_PREGNANCY_PREVENTION)
    check_valproate (f, mp, findings);
  else
    check_warn (f, mp, findings);
}
