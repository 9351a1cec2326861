/*
 * The kernel's floor for serving bytes over loopback TCP: CPU seconds per GB that a sender spends pushing a
 * page-cached file to a reader that discards it, for a given write size and way of writing. No JVM, no protocol:
 * what any server (mariadbd, the proxy) pays at least, to set its CPU per GB against (bench/run-floor.sh).
 *
 *   loopback-send MODE FILE [EVENT_BYTES] [WRITE_BYTES]
 *     write     write() of WRITE_BYTES at a time from a mapping of FILE
 *     pread     pread() into a buffer, then write() it (what a server with a read cache does)
 *     framed    each EVENT_BYTES of the file framed with a 5-byte header by copying into a WRITE_BYTES buffer
 *     writev    header + view of the mapping per event, gathered up to WRITE_BYTES per writev()
 *     sendfile  sendfile() of the whole file
 * Prints the sender's and the reader's user and system CPU per GB.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

static void write_all(int s, const char *p, long n) {
    while (n > 0) {
        ssize_t w = write(s, p, n);
        if (w <= 0) { perror("write"); exit(2); }
        p += w; n -= w;
    }
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s write|pread|framed|writev|sendfile FILE [EVENT] [WRITE]\n", argv[0]); return 1; }
    const char *mode = argv[1];
    long ev = argc > 3 ? atol(argv[3]) : 8192, chunk = argc > 4 ? atol(argv[4]) : 65536;
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) { perror(argv[2]); return 1; }
    off_t size = lseek(fd, 0, SEEK_END);
    double gb = size / 1073741824.0;

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x7f000001);
    socklen_t alen = sizeof a;
    if (bind(ls, (void *) &a, sizeof a) || listen(ls, 1) || getsockname(ls, (void *) &a, &alen)) { perror("listen"); return 1; }
    pid_t reader = fork();
    if (reader == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(s, (void *) &a, sizeof a)) { perror("connect"); _exit(1); }
        char *b = malloc(1 << 20);
        long total = 0, n;
        while ((n = read(s, b, 1 << 20)) > 0) total += n;
        struct rusage r;
        getrusage(RUSAGE_SELF, &r);
        printf("  reader: user %.3f, system %.3f s/GB\n", seconds(r.ru_utime) / gb, seconds(r.ru_stime) / gb);
        fflush(stdout);
        _exit(total < size);
    }
    int s = accept(ls, 0, 0);
    // mapped and faulted in before the clock starts: the floor is the send, not the page faults
    char *m = mmap(0, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    off_t o = 0;
    if (!strcmp(mode, "sendfile")) {
        while (o < size) if (sendfile(s, fd, &o, size - o) <= 0) { perror("sendfile"); return 2; }
    } else if (!strcmp(mode, "write")) {
        for (; o < size; o += chunk) write_all(s, m + o, size - o < chunk ? size - o : chunk);
    } else if (!strcmp(mode, "pread")) {
        char *b = malloc(chunk);
        long n;
        while ((n = pread(fd, b, chunk, o)) > 0) { write_all(s, b, n); o += n; }
    } else if (!strcmp(mode, "framed")) {
        char *b = malloc(chunk + ev + 5);
        long used = 0;
        while (o < size) {
            long k = size - o < ev ? size - o : ev;
            memset(b + used, 0, 5);
            memcpy(b + used + 5, m + o, k);
            used += 5 + k; o += k;
            if (used + 5 + ev > chunk || o >= size) { write_all(s, b, used); used = 0; }
        }
    } else if (!strcmp(mode, "writev")) {
        static char header[5];
        struct iovec iov[1024];
        while (o < size) {
            int k = 0;
            long bytes = 0;
            while (o < size && k < 1022 && bytes + 5 + ev <= chunk) {
                long e = size - o < ev ? size - o : ev;
                iov[k].iov_base = header; iov[k++].iov_len = 5;
                iov[k].iov_base = m + o; iov[k++].iov_len = e;
                o += e; bytes += 5 + e;
            }
            struct iovec *p = iov;
            while (k > 0) {
                ssize_t n = writev(s, p, k);
                if (n <= 0) { perror("writev"); return 2; }
                while (k > 0 && n >= (ssize_t) p->iov_len) { n -= p->iov_len; p++; k--; }
                if (k > 0) { p->iov_base = (char *) p->iov_base + n; p->iov_len -= n; }
            }
        }
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 1;
    }
    shutdown(s, SHUT_WR);
    close(s);
    int status;
    waitpid(reader, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    getrusage(RUSAGE_SELF, &r1);
    double user = seconds(r1.ru_utime) - seconds(r0.ru_utime), sys = seconds(r1.ru_stime) - seconds(r0.ru_stime);
    printf("%-8s event %ld B, writes of %ld B: %.2f s; sender user %.3f, system %.3f = %.3f s/GB\n", mode, ev, chunk,
           (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, user / gb, sys / gb, (user + sys) / gb);
    fflush(stdout);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 3;
}
