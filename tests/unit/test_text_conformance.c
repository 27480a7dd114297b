/* twitter-text conformance suite, read from where it lives:
 * $FOLLOWD_SHARED/ref/twitter-text-conformance/{extract,tlds}.yml, with
 * FOLLOWD_SHARED defaulting to ../shared (run from the repo root).
 * Prints TAP. Without the suite every section reports as skipped. Sections
 * that are not entity extraction ("replies": reply detection) are skipped by
 * name; any unknown section fails so that new suite content is not ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"
#include "text/entities.h"

static int g_n, g_fail;

static void tap(int ok, const char *sec, const char *desc, const char *skip)
{
    g_n++;
    if (!ok) g_fail++;
    printf("%s %d - %s: %s", ok ? "ok" : "not ok", g_n, sec, desc);
    if (skip) printf(" # SKIP %s", skip);
    printf("\n");
}

/* ---- a few helpers over libyaml's document tree ---- */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static size_t scalar_len(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? n->data.scalar.length : 0;
}

/* ---- what each section expects, as a canonical string ---- */
enum shape { S_LIST, S_INDICES, S_LISTS_INDICES };

typedef struct section {
    const char *name;
    unsigned mask;   /* kinds extracted together (overlaps resolved among them) */
    uint8_t kind;    /* kind reported */
    enum shape shape;
    const char *key; /* value key for indexed items */
    int mentions_only; /* drop @user/list items (extractMentions) */
} section;

static const section k_sections[] = {
    {"mentions", FW_ENT_BIT(FW_ENT_MENTION), FW_ENT_MENTION, S_LIST, NULL, 1},
    {"mentions_with_indices", FW_ENT_BIT(FW_ENT_MENTION), FW_ENT_MENTION, S_INDICES, "screen_name", 1},
    {"mentions_or_lists_with_indices", FW_ENT_BIT(FW_ENT_MENTION), FW_ENT_MENTION, S_LISTS_INDICES, "screen_name", 0},
    {"urls", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_LIST, NULL, 0},
    {"urls_with_indices", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_INDICES, "url", 0},
    {"urls_with_directional_markers", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_INDICES, "url", 0},
    {"tco_urls_with_params", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_LIST, NULL, 0},
    {"hashtags", FW_ENT_BIT(FW_ENT_URL) | FW_ENT_BIT(FW_ENT_HASHTAG), FW_ENT_HASHTAG, S_LIST, NULL, 0},
    {"hashtags_from_astral", FW_ENT_BIT(FW_ENT_URL) | FW_ENT_BIT(FW_ENT_HASHTAG), FW_ENT_HASHTAG, S_LIST, NULL, 0},
    {"hashtags_with_indices", FW_ENT_BIT(FW_ENT_URL) | FW_ENT_BIT(FW_ENT_HASHTAG), FW_ENT_HASHTAG, S_INDICES, "hashtag", 0},
    {"cashtags", FW_ENT_BIT(FW_ENT_CASHTAG), FW_ENT_CASHTAG, S_LIST, NULL, 0},
    {"cashtags_with_indices", FW_ENT_BIT(FW_ENT_CASHTAG), FW_ENT_CASHTAG, S_INDICES, "cashtag", 0},
    /* tlds.yml */
    {"country", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_LIST, NULL, 0},
    {"generic", FW_ENT_BIT(FW_ENT_URL), FW_ENT_URL, S_LIST, NULL, 0},
};

static const char *const k_not_entities[] = {"replies"};

/* The value an item reports: the URL text, or the name after the sign
 * (without the /list part, which goes to list_slug). */
static void item_value(const char *text, const fw_entity *e, fw_buf *val, fw_buf *slug)
{
    const char *p = text + e->byte_start, *end = text + e->byte_end;
    if (e->kind != FW_ENT_URL) p += (*p & 0x80) ? 3 : 1;
    const char *slash = e->kind == FW_ENT_MENTION ? memchr(p, '/', (size_t)(end - p)) : NULL;
    fw_buf_append(val, p, (size_t)((slash ? slash : end) - p));
    if (slug && slash) fw_buf_append(slug, slash, (size_t)(end - slash));
}

static void actual(const section *sec, const char *text, size_t len, fw_buf *out)
{
    fw_entity ents[256];
    int n = fw_text_extract_kinds(text, len, sec->mask, ents, 256);
    if (n < 0) { fw_buf_puts(out, "<invalid>"); return; }
    if (n > 256) n = 256;
    for (int i = 0; i < n; i++) {
        const fw_entity *e = &ents[i];
        if (e->kind != sec->kind) continue;
        fw_buf val = FW_BUF_INIT, slug = FW_BUF_INIT;
        item_value(text, e, &val, &slug);
        if (sec->mentions_only && slug.len) { fw_buf_free(&val); fw_buf_free(&slug); continue; }
        fw_buf_append(out, val.data ? val.data : "", val.len);
        if (sec->shape == S_LISTS_INDICES) { fw_buf_puts(out, "|"); fw_buf_append(out, slug.data ? slug.data : "", slug.len); }
        if (sec->shape != S_LIST) fw_buf_printf(out, "@%u,%u", e->start, e->end);
        fw_buf_puts(out, "\n");
        fw_buf_free(&val);
        fw_buf_free(&slug);
    }
}

static int expected(yaml_document_t *doc, const section *sec, yaml_node_t *exp, fw_buf *out)
{
    if (!exp || (exp->type == YAML_SCALAR_NODE && scalar_len(exp) == 0)) return 0; /* none */
    if (exp->type != YAML_SEQUENCE_NODE) return -1;
    for (yaml_node_item_t *it = exp->data.sequence.items.start; it < exp->data.sequence.items.top; it++) {
        yaml_node_t *n = yaml_document_get_node(doc, *it);
        if (sec->shape == S_LIST) {
            if (!scalar(n)) return -1;
            fw_buf_append(out, scalar(n), scalar_len(n));
        } else {
            yaml_node_t *v = map_get(doc, n, sec->key), *ix = map_get(doc, n, "indices");
            if (!scalar(v) || !ix || ix->type != YAML_SEQUENCE_NODE ||
                ix->data.sequence.items.top - ix->data.sequence.items.start != 2)
                return -1;
            fw_buf_append(out, scalar(v), scalar_len(v));
            if (sec->shape == S_LISTS_INDICES) {
                yaml_node_t *sl = map_get(doc, n, "list_slug");
                fw_buf_puts(out, "|");
                if (scalar(sl)) fw_buf_append(out, scalar(sl), scalar_len(sl));
            }
            const char *a = scalar(yaml_document_get_node(doc, ix->data.sequence.items.start[0]));
            const char *b = scalar(yaml_document_get_node(doc, ix->data.sequence.items.start[1]));
            if (!a || !b) return -1;
            fw_buf_printf(out, "@%s,%s", a, b);
        }
        fw_buf_puts(out, "\n");
    }
    return 0;
}

static void run_section(yaml_document_t *doc, const char *name, yaml_node_t *cases)
{
    const section *sec = NULL;
    for (size_t i = 0; i < sizeof k_sections / sizeof k_sections[0]; i++)
        if (strcmp(k_sections[i].name, name) == 0) sec = &k_sections[i];
    const char *skip = NULL;
    for (size_t i = 0; i < sizeof k_not_entities / sizeof k_not_entities[0]; i++)
        if (strcmp(k_not_entities[i], name) == 0) skip = "reply detection is not entity extraction";
    if (!cases || cases->type != YAML_SEQUENCE_NODE) { tap(0, name, "section is not a list", NULL); return; }
    for (yaml_node_item_t *it = cases->data.sequence.items.start; it < cases->data.sequence.items.top; it++) {
        yaml_node_t *c = yaml_document_get_node(doc, *it);
        const char *desc = scalar(map_get(doc, c, "description"));
        yaml_node_t *text = map_get(doc, c, "text");
        if (!desc) desc = "(no description)";
        if (skip) { tap(1, name, desc, skip); continue; }
        if (!sec) { tap(0, name, desc, NULL); printf("#   unknown section\n"); continue; }
        fw_buf want = FW_BUF_INIT, got = FW_BUF_INIT;
        int ok = scalar(text) && expected(doc, sec, map_get(doc, c, "expected"), &want) == 0;
        if (ok) {
            actual(sec, scalar(text), scalar_len(text), &got);
            ok = want.len == got.len && (want.len == 0 || memcmp(want.data, got.data, want.len) == 0);
        }
        tap(ok, name, desc, NULL);
        if (!ok)
            printf("#   text:     %s\n#   expected: %s\n#   got:      %s\n", scalar(text) ? scalar(text) : "?",
                   want.data ? want.data : "", got.data ? got.data : "");
        fw_buf_free(&want);
        fw_buf_free(&got);
    }
}

static void run_file(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        char why[4200];
        snprintf(why, sizeof why, "conformance suite not found (%s)", path);
        tap(1, file, "all cases", why);
        return;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    if (!yaml_parser_load(&parser, &doc)) {
        tap(0, file, "parse YAML", NULL);
        yaml_parser_delete(&parser);
        fclose(f);
        return;
    }
    yaml_node_t *tests = map_get(&doc, yaml_document_get_root_node(&doc), "tests");
    if (!tests || tests->type != YAML_MAPPING_NODE) {
        tap(0, file, "has a tests mapping", NULL);
    } else {
        for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++)
            run_section(&doc, scalar(yaml_document_get_node(&doc, p->key)), yaml_document_get_node(&doc, p->value));
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
}

int main(void)
{
    const char *shared = getenv("FOLLOWD_SHARED");
    if (!shared || !*shared) shared = "../shared";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/ref/twitter-text-conformance", shared);
    run_file(dir, "extract.yml");
    run_file(dir, "tlds.yml");
    printf("1..%d\n", g_n);
    return g_fail ? 1 : 0;
}
