/*
 * format.h: the output formats of the read side's commands.
 */
#ifndef SCRAPER_FORMAT_H
#define SCRAPER_FORMAT_H

enum out_format { FMT_DEFAULT, FMT_TABLE, FMT_CSV, FMT_JSON, FMT_JSONL };

#endif
