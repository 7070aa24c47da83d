/* clinical-fixture.h — what the clinical unit tests share. TH_CATALOG_PATH
 * (set by meson) is the shipped config/medications.json. */
#pragma once

#include <glib.h>
#include "server/records/records.h"

static inline MedCatalog *
load_shipped (void)
{
  GError *error = NULL;
  MedCatalog *c = med_catalog_load (TH_CATALOG_PATH, &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  return c;
}
