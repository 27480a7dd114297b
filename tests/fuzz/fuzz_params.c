/* libFuzzer target: query parameter validation (fw_params_parse).
 *
 * The first 4 bytes are the operation's allowed parameter set, the next 4 the
 * path parameters already given; the rest is the raw query string. Whatever
 * the query, the problem entries must form valid JSON (as the 400 body embeds
 * them) and follow the cap of api/params.h: one entry per problem up to
 * FW_PARAM_ERRORS_MAX, then exactly one summary entry (empty "parameters")
 * for the 17th, where checking stops, so entries = min(problems, 17) and
 * parse itself never counts past 17. A problem reported after the parse (as
 * the path checks do) is counted and, past the cap, not written. The decoded
 * values must stay inside their bounds. Build and run with scripts/fuzz.sh. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    uint32_t allowed, given;
    memcpy(&allowed, data, 4);
    memcpy(&given, data + 4, 4);
    fw_str query = {(const char *)data + 8, size - 8};
    static fw_params p; /* large: kept off the stack */
    fw_buf errs = FW_BUF_INIT;
    unsigned n = fw_params_parse(query, allowed, given, &p, &errs);
    if (n != p.nerrors || n > FW_PARAM_ERRORS_MAX + 1 || (n == 0) != (errs.len == 0))
        abort();
    if (p.token_len > FW_PARAM_TOKEN_MAX || p.nlist > FW_PARAM_LIST_MAX)
        abort();
    if (given & 1) /* a late problem (a bad path id): counted, written only under the cap */
        fw_params_add_error(&p, &errs, "id", (fw_str){(const char *)data, 1}, "late");
    if (p.nerrors != n + (given & 1))
        abort();
    if (p.nerrors) {
        size_t want = p.nerrors < FW_PARAM_ERRORS_MAX + 1 ? p.nerrors : FW_PARAM_ERRORS_MAX + 1;
        fw_buf arr = FW_BUF_INIT;
        fw_buf_putc(&arr, '[');
        fw_buf_append(&arr, errs.data, errs.len);
        fw_buf_putc(&arr, ']');
        json_error_t je;
        json_t *j = json_loadb(arr.data, arr.len, JSON_ALLOW_NUL, &je) /* \u0000 is valid JSON */;
        if (!j || !json_is_array(j) || json_array_size(j) != want)
            abort();
        for (size_t i = 0; i < want; i++) {
            json_t *e = json_array_get(j, i);
            json_t *params = json_object_get(e, "parameters");
            if (!json_is_string(json_object_get(e, "message")) || !json_is_object(params))
                abort();
            /* the summary, and only it, names no parameter; it is the 17th entry */
            if ((json_object_size(params) == 0) != (i == FW_PARAM_ERRORS_MAX))
                abort();
        }
        json_decref(j);
        fw_buf_free(&arr);
    }
    fw_buf_free(&errs);
    return 0;
}
