/* regions.c — where a patient is for a visit: the states, the District and
 * the territories of the United States, as the US Postal Service writes
 * them (USPS Publication 28, Appendix B), which are also the subdivision
 * part of their ISO 3166-2 codes ("US-NY"). Prescribing a controlled
 * substance by telemedicine depends on the state the patient is in, so the
 * region is one of these or nothing. Pure: a table and two look-ups. */
#include "server/records/records.h"

#include <string.h>

static const RegionInfo kRegions[] = {
  { "AL", "Alabama" },
  { "AK", "Alaska" },
  { "AZ", "Arizona" },
  { "AR", "Arkansas" },
  { "CA", "California" },
  { "CO", "Colorado" },
  { "CT", "Connecticut" },
  { "DE", "Delaware" },
  { "DC", "District of Columbia" },
  { "FL", "Florida" },
  { "GA", "Georgia" },
  { "HI", "Hawaii" },
  { "ID", "Idaho" },
  { "IL", "Illinois" },
  { "IN", "Indiana" },
  { "IA", "Iowa" },
  { "KS", "Kansas" },
  { "KY", "Kentucky" },
  { "LA", "Louisiana" },
  { "ME", "Maine" },
  { "MD", "Maryland" },
  { "MA", "Massachusetts" },
  { "MI", "Michigan" },
  { "MN", "Minnesota" },
  { "MS", "Mississippi" },
  { "MO", "Missouri" },
  { "MT", "Montana" },
  { "NE", "Nebraska" },
  { "NV", "Nevada" },
  { "NH", "New Hampshire" },
  { "NJ", "New Jersey" },
  { "NM", "New Mexico" },
  { "NY", "New York" },
  { "NC", "North Carolina" },
  { "ND", "North Dakota" },
  { "OH", "Ohio" },
  { "OK", "Oklahoma" },
  { "OR", "Oregon" },
  { "PA", "Pennsylvania" },
  { "RI", "Rhode Island" },
  { "SC", "South Carolina" },
  { "SD", "South Dakota" },
  { "TN", "Tennessee" },
  { "TX", "Texas" },
  { "UT", "Utah" },
  { "VT", "Vermont" },
  { "VA", "Virginia" },
  { "WA", "Washington" },
  { "WV", "West Virginia" },
  { "WI", "Wisconsin" },
  { "WY", "Wyoming" },
  { "AS", "American Samoa" },
  { "GU", "Guam" },
  { "MP", "Northern Mariana Islands" },
  { "PR", "Puerto Rico" },
  { "VI", "U.S. Virgin Islands" },
};

const RegionInfo *
region_table (guint *n)
{
  *n = G_N_ELEMENTS (kRegions);
  return kRegions;
}

const RegionInfo *
region_lookup (const char *text)
{
  char code[3];

  if (!text)
    return NULL;
  /* The ISO 3166-2 form names the country first. */
  if (g_ascii_strncasecmp (text, "US-", 3) == 0)
    text += 3;
  if (strlen (text) != 2)
    return NULL;
  code[0] = g_ascii_toupper (text[0]);
  code[1] = g_ascii_toupper (text[1]);
  code[2] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (kRegions); i++)
    if (strcmp (kRegions[i].code, code) == 0)
      return &kRegions[i];
  return NULL;
}
