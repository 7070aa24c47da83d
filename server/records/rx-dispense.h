/* rx-dispense.h — the dispensing section of records-rx.h: refills by DEA
 * schedule, the prescriber's DEA registration, the PDMP check. */
#pragma once

#if !defined(TH_RECORDS_H_INSIDE)
#error "include server/records/records.h, not rx-dispense.h"
#endif

struct _RxDispenseFacts {
  gboolean known; /* placeholder until the section lands */
};

void rx_dispense_facts_free (RxDispenseFacts *facts);
void rx_check_dispense (const RxCheckFacts *f, GPtrArray *findings);
