/* Progress lines for long commands; see cli.h. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fw_cli_progress_init(fw_cli_progress *p, const char *cmd)
{
    memset(p, 0, sizeof(*p));
    p->cmd = cmd;
    p->tty = isatty(STDERR_FILENO);
    p->start_ms = p->phase_ms = mono_ms();
}

void fw_cli_progress_update(fw_cli_progress *p, const char *phase, uint64_t done, uint64_t total, const char *unit)
{
    int64_t now = mono_ms();
    bool new_phase = strncmp(p->phase, phase, sizeof(p->phase) - 1) != 0;
    if (new_phase) {
        snprintf(p->phase, sizeof(p->phase), "%s", phase);
        p->phase_ms = now;
        if (!p->tty)
            p->last_ms = now;
    }
    bool finished = total && done >= total;
    /* A terminal shows each phase as it starts and then 5 times a second; a log
     * gets a phase's line when it finishes, or every 10 s while it runs. */
    if (p->tty ? !new_phase && !finished && now - p->last_ms < 200
               : !finished && now - p->last_ms < 10000)
        return;
    p->last_ms = now;
    double secs = (double)(now - p->phase_ms) / 1000.0;
    double rate = secs > 0 ? (double)done / secs : 0;
    char eta[32] = "";
    if (total && done && done < total && rate > 0) {
        long left = (long)((double)(total - done) / rate);
        snprintf(eta, sizeof(eta), ", ETA %ld:%02ld", left / 60, left % 60);
    }
    char pct[16] = "", bar[32] = "";
    if (total)
        snprintf(pct, sizeof(pct), " %3u%%", (unsigned)(done * 100 / total));
    if (total && p->tty) { /* a bar only where it is redrawn in place */
        unsigned w = 20, fill = (unsigned)((done > total ? total : done) * w / total);
        bar[0] = ' ', bar[1] = '[';
        for (unsigned i = 0; i < w; i++)
            bar[2 + i] = i < fill ? '#' : '.';
        bar[2 + w] = ']', bar[3 + w] = 0;
    }
    char cnt[48];
    if (total)
        snprintf(cnt, sizeof(cnt), "%" PRIu64 "/%" PRIu64, done, total);
    else
        snprintf(cnt, sizeof(cnt), "%" PRIu64, done);
    char rs[32] = "";
    if (secs >= 0.05)
        snprintf(rs, sizeof(rs), ", %.0f/s", rate);
    fprintf(stderr, "%s%s: %s%s%s %s %s%s%s%s", p->tty ? "\r" : "", p->cmd, phase, bar, pct, cnt, unit, rs, eta,
            p->tty ? "\033[K" : "\n");
    fflush(stderr);
}

void fw_cli_progress_done(fw_cli_progress *p, const char *msg)
{
    if (p->tty && p->last_ms)
        fputc('\n', stderr);
    fprintf(stderr, "%s: %s (%.1f s)\n", p->cmd, msg, (double)(mono_ms() - p->start_ms) / 1000.0);
}
