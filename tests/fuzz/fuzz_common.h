/* fuzz_common.h — shared by the libFuzzer targets: a GLib critical (a
 * g_return_if_fail tripped by some input) or error is a bug, so it aborts
 * (SIGABRT, which libFuzzer catches and saves the input for; GLib's own
 * fatal path raises SIGTRAP, which it does not). Other messages are
 * dropped: they would only slow the fuzzer down. */
#pragma once

#include <glib.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  (void) data;
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    for (gsize i = 0; i < n_fields; i++)
      if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
        fprintf (stderr, "fuzz: GLib critical: %s\n", (const char *) fields[i].value);
    abort ();
  }
  return G_LOG_WRITER_HANDLED;
}

static inline void
fuzz_fatal_criticals (void)
{
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}
