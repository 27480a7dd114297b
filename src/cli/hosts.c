/* followd hosts add|remove: one marked block in the hosts file that sends X's
 * host names (core/xhosts.h) to followd's intercept listeners. Every byte
 * outside the block stays as it was; adding twice or removing twice changes
 * nothing. The file is rewritten in place (an /etc/hosts bind-mounted by a
 * container cannot be replaced by rename). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/xhosts.h"

#define HOSTS_MAX (16u << 20) /* a hosts file larger than this is not one */
#define BEGIN_LINE "# BEGIN followd intercept (managed by 'followd hosts'; 'followd hosts remove' deletes it)\n"
#define END_LINE "# END followd intercept\n"

static const char hosts_usage[] =
    "usage: followd hosts add [--address IP] [--hosts-file PATH]\n"
    "       followd hosts remove [--hosts-file PATH]\n"
    "  add           add (or update) one marked block mapping api.x.com, api.twitter.com, x.com,\n"
    "                twitter.com, upload.twitter.com, upload.x.com, developer.x.com to IP\n"
    "                (default 127.0.0.1), for serve --intercept; needs write access (root)\n"
    "  remove        delete that block; every other line stays byte for byte\n"
    "  --address IP  the address of followd's intercept listeners (IPv4 or IPv6)\n"
    "  --hosts-file PATH  the file to edit (default /etc/hosts)\n";

/* Where the block starts and ends in s (line-aligned), or -1 when absent. */
static int find_block(const char *s, size_t n, size_t *start, size_t *end)
{
    size_t bl = strlen(BEGIN_LINE), el = strlen(END_LINE);
    bool in = false;
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t next = nl ? (size_t)(nl - s) + 1 : n;
        if (!in && next - i == bl && memcmp(s + i, BEGIN_LINE, bl) == 0) {
            in = true;
            *start = i;
        } else if (in && next - i == el && memcmp(s + i, END_LINE, el) == 0) {
            *end = next;
            return 0;
        }
        i = next;
    }
    return in ? -2 : -1; /* -2: a begin marker without its end, do not guess */
}

static void put_block(fw_buf *b, const char *addr)
{
    fw_buf_puts(b, BEGIN_LINE);
    fw_buf_puts(b, addr);
    for (const char *const *h = fw_x_hosts; *h; h++) {
        fw_buf_putc(b, ' ');
        fw_buf_puts(b, *h);
    }
    fw_buf_putc(b, '\n');
    fw_buf_puts(b, END_LINE);
}

static int read_all(int fd, fw_buf *b)
{
    char tmp[8192];
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (b->len + (size_t)n > HOSTS_MAX) {
            errno = EFBIG;
            return -1;
        }
        fw_buf_append(b, tmp, (size_t)n);
    }
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int fw_cli_hosts(int argc, char **argv)
{
    int u = fw_cli_usage(argc, argv, hosts_usage);
    if (u >= 0)
        return u;
    bool add = !strcmp(argv[1], "add");
    if (!add && strcmp(argv[1], "remove")) {
        fw_cli_err("unknown hosts command '%s'", argv[1]);
        fputs(hosts_usage, stderr);
        return 2;
    }
    enum { O_FILE = 1, O_ADDR };
    static const struct option opts[] = {
        {"hosts-file", required_argument, 0, O_FILE},
        {"address", required_argument, 0, O_ADDR},
        {0, 0, 0, 0},
    };
    const char *path = "/etc/hosts", *addr = "127.0.0.1";
    bool addr_given = false;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_FILE: path = optarg; break;
        case O_ADDR: addr = optarg; addr_given = true; break;
        default: fputs(hosts_usage, stderr); return 2;
        }
    }
    if (fw_cli_extra_args(argc, argv))
        return 2;
    unsigned char sa[16];
    if (inet_pton(AF_INET, addr, sa) != 1 && inet_pton(AF_INET6, addr, sa) != 1) {
        fw_cli_err("--address takes an IPv4 or IPv6 address, not '%s'", addr);
        return 2;
    }
    if (!add && addr_given) {
        fw_cli_err("--address belongs to 'hosts add'");
        return 2;
    }
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        fw_cli_err("cannot edit %s: %s%s", path, strerror(e),
                   e == EACCES || e == EPERM || e == EROFS ? " (editing the hosts file needs root: sudo followd hosts ...)"
                                                           : "");
        return 1;
    }
    fw_buf old, neu;
    fw_buf_init(&old, 4096);
    fw_buf_init(&neu, 4096);
    int rc = 1;
    if (read_all(fd, &old) != 0) {
        fw_cli_err("cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    size_t bs = 0, be = 0;
    int found = find_block(old.data, old.len, &bs, &be);
    if (found == -2) {
        fw_cli_err("%s has a followd BEGIN line without its END line; fix it by hand", path);
        goto out;
    }
    if (found == 0) {
        fw_buf_append(&neu, old.data, bs);
        if (add)
            put_block(&neu, addr);
        fw_buf_append(&neu, old.data + be, old.len - be);
    } else {
        fw_buf_append(&neu, old.data, old.len);
        if (add) {
            if (old.len && old.data[old.len - 1] != '\n')
                fw_buf_putc(&neu, '\n'); /* the block starts on a line of its own */
            put_block(&neu, addr);
        }
    }
    if (neu.len == old.len && memcmp(neu.data, old.data, old.len) == 0) {
        printf("followd: %s already %s\n", path, add ? "has the followd block" : "has no followd block");
        rc = 0;
        goto out;
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || write_all(fd, neu.data, neu.len) != 0 || ftruncate(fd, (off_t)neu.len) != 0 ||
        fsync(fd) != 0) {
        fw_cli_err("cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    if (add)
        printf("followd: %s now sends X's host names to %s (followd hosts remove undoes it)\n", path, addr);
    else
        printf("followd: removed the followd block from %s\n", path);
    rc = 0;
out:
    close(fd);
    fw_buf_free(&old);
    fw_buf_free(&neu);
    return rc;
}
