/*
** numparse.h -- strict number fields of the CSV inputs (pure layer).
**
** Owns the one rule every CSV reader (failure traces, throughput tables,
** per-op traces) applies to a numeric field: the whole field is a finite
** decimal number. strtod alone also takes leading blanks, hexadecimal
** ("0x10" = 16), "inf" and "nan". Also the UTF-8 byte-order mark that
** spreadsheets write before a CSV's first line. Also the other way: the
** text of a number in an error message. Owns no state.
*/
#ifndef DTSIM_NUMPARSE_H
#define DTSIM_NUMPARSE_H

/* 's' as a finite decimal (optional sign, digits, point, exponent) into
** *out; 0, or -1 if it is anything else (empty, blanks, hex, inf, nan,
** trailing text, out of range). */
int num_parse_decimal(const char *s, double *out);

/* Remove a leading UTF-8 byte-order mark from 'line' in place (call on the
** first line; it is invisible in error messages). */
void num_strip_bom(char *line);

/* x as %g text with the fewest digits (at least %g's 6) that read back as
** x: 10000001 is "10000001", not "1e+07", so a value just past a bound is
** never printed as the bound itself. Use as num_text(x).s in one call. */
typedef struct {
    char s[32];
} num_text_buf;
num_text_buf num_text(double x);

#endif
