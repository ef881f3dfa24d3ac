/*
 * Copyright (c) 2026 termserv.sessions contributors
 * GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A fake wtsapi32.dll (and the two kernel32.dll functions the util uses) for Mono on Linux.
 * It serves the session table in $FAKE_WTS_FLAT (written by wts-driver from the JSON table
 * in $FAKE_WTS_TABLE), with the x64 Windows struct layouts and UTF-16 strings, and counts
 * calls, allocations and frees so that tests catch leaks and wrong free functions.
 *
 * Flat table: line 1 "now_filetime console_id own_session_id stdout_gone_after_enums
 * enum_fail_from enum_fail_count enum_fail_error disconnected_message_error", then
 * one line per session, tab-separated: id state station user domain client addr_family ipv4
 * logon last_input disconnect logoff_delay_ms logoff_error never_ends query_error
 * message_error vanish_on reuse_state reuse_user reuse_domain reuse_logon
 * disconnect_delay_ms disconnect_error processes ("pid/name/DOMAIN\user;..." , user "" = SYSTEM)
 * logon_zero_while_closing
 *
 * Hostile like Windows (tests/windows/README.md): LastInputTime is 0 in a disconnected
 * session; WTSINFOW's fixed arrays cut long names; a session can vanish in the middle of a
 * call (7022); an id can be reused by a new logon as soon as the old one ends; a message
 * to a disconnected session "succeeds" although nobody can see it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef uint16_t WCHAR;
typedef int32_t BOOL;

typedef struct {
    int32_t ExecEnvId, State, SessionId;
    WCHAR *pSessionName, *pHostName, *pUserName, *pDomainName, *pFarmName;
} WTS_SESSION_INFO_1W;

typedef struct {
    int32_t State, SessionId, IncomingBytes, OutgoingBytes, IncomingFrames, OutgoingFrames,
        IncomingCompressedBytes, OutgoingCompressedBytes;
    WCHAR WinStationName[32];
    WCHAR Domain[17];
    WCHAR UserName[21];
    int64_t ConnectTime, DisconnectTime, LastInputTime, LogonTime, CurrentTime;
} WTSINFOW;

typedef struct {
    int32_t AddressFamily;
    uint8_t Address[20];
} WTS_CLIENT_ADDRESS;

#define MAXS 4096
typedef struct {
    int id, state, family, delay_ms, logoff_error, never_ends, query_error, message_error;
    char station[128], user[128], domain[128], client[128], ipv4[64];
    int64_t logon, last_input, disconnect;
    char vanish_on[32];      /* "logoff" / "message" / "query": the session ends inside that call */
    int reuse_state;         /* -1: none; else the id comes back as a new logon when this one ends */
    char reuse_user[128], reuse_domain[128];
    int64_t reuse_logon;
    int disconnect_delay_ms, disconnect_error;
    double disconnects_at;   /* monotonic seconds when a requested disconnect completes */
    char processes[2048];
    double ends_at; /* monotonic seconds when a requested logoff completes; 0: not requested */
    int logon_zero_while_closing; /* LogonTime reads 0 between the logoff request and the end */
    int gone;
} Session;

static Session table[MAXS];
static int nsessions = -1;
static int64_t now_ft;
static int console_id, own_id;
static long allocs_ex, frees_ex, allocs, frees, bad_frees, calls_logoff, calls_message, calls_enum, calls_query;
static long messages_unseen, calls_probe, calls_disconnect, allocs_proc, frees_proc, calls_lookup;
static long stdout_gone_after_enums = -1;
/* Enumerations number enum_fail_from .. enum_fail_from + enum_fail_count - 1 (1-based) fail
 * with enum_fail_error: an RPC error (1722 RPC_S_SERVER_UNAVAILABLE, 1726
 * RPC_S_CALL_FAILED) while TermService is busy or restarting. */
static long enum_fail_from = 0, enum_fail_count = 0, enum_fail_error = 0;
/* A message to a disconnected session: WTSSendMessageW's documentation does not say what the
 * call returns; Send-RDUserMessage does not deliver to disconnected sessions (MicrosoftDocs
 * windows-powershell-docs issue 2318). 0: the call succeeds and nobody sees it; else it
 * fails with this error. Either way the message is not delivered. */
static long disconnected_message_error = 0;
static int last_error;
static void *live_ex[MAXS * 4];
static int nlive_ex;
static void *live[MAXS * 8];
static int nlive;

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void field(char **cursor, char *out, size_t size) {
    char *tab = strchr(*cursor, '\t');
    size_t len = tab ? (size_t)(tab - *cursor) : strcspn(*cursor, "\n");
    if (len >= size) len = size - 1;
    memcpy(out, *cursor, len);
    out[len] = 0;
    *cursor += len + (tab ? 1 : 0);
}

static void load(void) {
    if (nsessions >= 0) return;
    nsessions = 0;
    const char *path = getenv("FAKE_WTS_FLAT");
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    char line[4096], buf[256];
    if (fgets(line, sizeof line, f))
        sscanf(line, "%lld %d %d %ld %ld %ld %ld %ld", (long long *)&now_ft, &console_id, &own_id, &stdout_gone_after_enums,
               &enum_fail_from, &enum_fail_count, &enum_fail_error, &disconnected_message_error);
    while (nsessions < MAXS && fgets(line, sizeof line, f)) {
        Session *s = &table[nsessions];
        memset(s, 0, sizeof *s);
        char *c = line;
        field(&c, buf, sizeof buf); s->id = atoi(buf);
        field(&c, buf, sizeof buf); s->state = atoi(buf);
        field(&c, s->station, sizeof s->station);
        field(&c, s->user, sizeof s->user);
        field(&c, s->domain, sizeof s->domain);
        field(&c, s->client, sizeof s->client);
        field(&c, buf, sizeof buf); s->family = atoi(buf);
        field(&c, s->ipv4, sizeof s->ipv4);
        field(&c, buf, sizeof buf); s->logon = atoll(buf);
        field(&c, buf, sizeof buf); s->last_input = atoll(buf);
        field(&c, buf, sizeof buf); s->disconnect = atoll(buf);
        field(&c, buf, sizeof buf); s->delay_ms = atoi(buf);
        field(&c, buf, sizeof buf); s->logoff_error = atoi(buf);
        field(&c, buf, sizeof buf); s->never_ends = atoi(buf);
        field(&c, buf, sizeof buf); s->query_error = atoi(buf);
        field(&c, buf, sizeof buf); s->message_error = atoi(buf);
        field(&c, s->vanish_on, sizeof s->vanish_on);
        field(&c, buf, sizeof buf); s->reuse_state = buf[0] ? atoi(buf) : -1;
        field(&c, s->reuse_user, sizeof s->reuse_user);
        field(&c, s->reuse_domain, sizeof s->reuse_domain);
        field(&c, buf, sizeof buf); s->reuse_logon = atoll(buf);
        field(&c, buf, sizeof buf); s->disconnect_delay_ms = atoi(buf);
        field(&c, buf, sizeof buf); s->disconnect_error = atoi(buf);
        field(&c, s->processes, sizeof s->processes);
        field(&c, buf, sizeof buf); s->logon_zero_while_closing = atoi(buf);
        nsessions++;
    }
    fclose(f);
}

/* The session's logon ends. With reuse_*, Windows hands its id to a new logon at once (seen
 * with RDP ids and a respawning console): the id never disappears from the enumeration. */
static void end_session(Session *s) {
    s->ends_at = 0;
    if (s->reuse_state >= 0) {
        s->state = s->reuse_state;
        strcpy(s->user, s->reuse_user);
        strcpy(s->domain, s->reuse_domain);
        s->logon = s->reuse_logon;
        s->last_input = s->disconnect = 0;
        s->reuse_state = -1;
        s->never_ends = 0;
        s->vanish_on[0] = 0;
        return;
    }
    s->gone = 1;
}

/* A requested logoff completes once its delay has passed (unless the session never ends). */
static void settle(void) {
    double t = mono_now();
    for (int i = 0; i < nsessions; i++) {
        if (table[i].ends_at > 0 && !table[i].never_ends && t >= table[i].ends_at) end_session(&table[i]);
        if (table[i].disconnects_at > 0 && t >= table[i].disconnects_at) {
            table[i].disconnects_at = 0;
            table[i].state = 4; /* WTSDisconnected */
            table[i].disconnect = now_ft;
        }
    }
}

/* vanish_on: the session ends inside this call, which then fails as Windows' would. */
static int vanishes(Session *s, const char *call) {
    if (strcmp(s->vanish_on, call) != 0) return 0;
    end_session(s);
    errno = last_error = 7022; /* ERROR_CTX_WINSTATION_NOT_FOUND */
    return 1;
}

static Session *find(int id) {
    for (int i = 0; i < nsessions; i++)
        if (table[i].id == id && !table[i].gone) return &table[i];
    return NULL;
}

/* UTF-8 to UTF-16 (BMP and surrogate pairs), into a fixed array or a new buffer. */
static size_t utf16(const char *in, WCHAR *out, size_t cap) {
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)in;
    while (*p && n + 1 < cap) {
        uint32_t cp;
        if (*p < 0x80) cp = *p++;
        else if ((*p & 0xE0) == 0xC0) { cp = (*p++ & 0x1F) << 6; cp |= (*p++ & 0x3F); }
        else if ((*p & 0xF0) == 0xE0) { cp = (*p++ & 0x0F) << 12; cp |= (*p++ & 0x3F) << 6; cp |= (*p++ & 0x3F); }
        else { cp = (*p++ & 0x07) << 18; cp |= (*p++ & 0x3F) << 12; cp |= (*p++ & 0x3F) << 6; cp |= (*p++ & 0x3F); }
        if (cp >= 0x10000 && n + 2 < cap) { cp -= 0x10000; out[n++] = 0xD800 | (cp >> 10); out[n++] = 0xDC00 | (cp & 0x3FF); }
        else out[n++] = (WCHAR)cp;
    }
    out[n] = 0;
    return n;
}

static WCHAR *dup16(const char *in) {
    WCHAR *w = calloc(strlen(in) + 1, sizeof(WCHAR));
    utf16(in, w, strlen(in) + 1);
    return w;
}

static void track(void **list, int *n, void *p) { list[(*n)++] = p; }
static int untrack(void **list, int *n, void *p) {
    for (int i = 0; i < *n; i++)
        if (list[i] == p) { list[i] = list[--(*n)]; return 1; }
    return 0;
}

BOOL WTSEnumerateSessionsExW(void *server, uint32_t *level, uint32_t filter, WTS_SESSION_INFO_1W **out, uint32_t *count) {
    (void)server; (void)filter;
    load(); settle(); calls_enum++;
    if (!level || *level != 1) { errno = last_error = 87; return 0; }
    if (enum_fail_count > 0 && calls_enum >= enum_fail_from && calls_enum < enum_fail_from + enum_fail_count) {
        errno = last_error = (int)enum_fail_error;
        return 0;
    }
    int n = 0;
    for (int i = 0; i < nsessions; i++) if (!table[i].gone) n++;
    WTS_SESSION_INFO_1W *arr = calloc(n ? n : 1, sizeof *arr);
    int k = 0;
    for (int i = 0; i < nsessions; i++) {
        if (table[i].gone) continue;
        arr[k].SessionId = table[i].id;
        arr[k].State = table[i].state;
        arr[k].pSessionName = dup16(table[i].station);
        arr[k].pUserName = dup16(table[i].user);
        arr[k].pDomainName = dup16(table[i].domain);
        k++;
    }
    *out = arr; *count = n;
    allocs_ex++; track(live_ex, &nlive_ex, arr);
    return 1;
}

typedef struct {
    uint32_t SessionId, ProcessId;
    WCHAR *pProcessName;
    void *pUserSid;
    uint32_t NumberOfThreads, HandleCount, PagefileUsage, PeakPagefileUsage, WorkingSetSize, PeakWorkingSetSize;
    int64_t UserTime, KernelTime;
} WTS_PROCESS_INFO_EXW;

static void *live_proc[MAXS];
static int nlive_proc;

/* Accounts seen in process tables: a process's SID is S-1-5-21-1-2-3-(1000+index). */
static char accounts[256][128];
static int naccounts;

static void make_sid(uint8_t *sid, const char *account) {
    /* SYSTEM (no account) is S-1-5-18; others S-1-5-21-1-2-3-RID */
    memset(sid, 0, 28);
    sid[0] = 1; sid[7] = 5;
    if (!account[0]) { sid[1] = 1; uint32_t v = 18; memcpy(sid + 8, &v, 4); return; }
    int k = 0;
    while (k < naccounts && strcmp(accounts[k], account) != 0) k++;
    if (k == naccounts && naccounts < 256) strcpy(accounts[naccounts++], account);
    uint32_t sub[5] = {21, 1, 2, 3, 1000 + (uint32_t)k};
    sid[1] = 5; memcpy(sid + 8, sub, sizeof sub);
}

/* Level 1 only; sessionId WTS_ANY_SESSION (0xFFFFFFFE) or one session. */
BOOL WTSEnumerateProcessesExW(void *server, uint32_t *level, uint32_t session_id, WTS_PROCESS_INFO_EXW **out, uint32_t *count) {
    (void)server;
    load(); settle();
    if (!level || *level != 1) { errno = last_error = 87; return 0; }
    int n = 0;
    WTS_PROCESS_INFO_EXW *arr = calloc(512, sizeof *arr);
    for (int i = 0; i < nsessions; i++) {
        Session *s = &table[i];
        if (s->gone || (session_id != 0xFFFFFFFEu && (uint32_t)s->id != session_id)) continue;
        char list[2048];
        strcpy(list, s->processes);
        for (char *save = NULL, *p = strtok_r(list, ";", &save); p && n < 512; p = strtok_r(NULL, ";", &save)) {
            char name[256] = "", account[128] = "";
            int pid = 0;
            sscanf(p, "%d/%255[^/]/%127[^;]", &pid, name, account);
            arr[n].SessionId = (uint32_t)s->id;
            arr[n].ProcessId = (uint32_t)pid;
            arr[n].pProcessName = dup16(name);
            arr[n].pUserSid = calloc(1, 28);
            make_sid(arr[n].pUserSid, account);
            n++;
        }
    }
    *out = arr; *count = (uint32_t)n;
    allocs_proc++; live_proc[nlive_proc++] = arr;
    return 1;
}

BOOL LookupAccountSidW(const WCHAR *system, const uint8_t *sid, WCHAR *name, uint32_t *cch_name,
                       WCHAR *domain, uint32_t *cch_domain, int *use) {
    (void)system;
    calls_lookup++;
    uint32_t v[5];
    memcpy(v, sid + 8, sizeof v);
    const char *account = NULL;
    if (sid[1] == 1 && v[0] == 18) account = "NT AUTHORITY\\SYSTEM";
    else if (sid[1] == 5 && v[4] >= 1000 && v[4] - 1000 < (uint32_t)naccounts) account = accounts[v[4] - 1000];
    if (!account) { errno = last_error = 1332; return 0; } /* ERROR_NONE_MAPPED */
    const char *slash = strchr(account, '\\');
    char d[128] = "", u[128];
    if (slash) { memcpy(d, account, (size_t)(slash - account)); d[slash - account] = 0; strcpy(u, slash + 1); }
    else strcpy(u, account);
    if (*cch_name < strlen(u) + 1 || *cch_domain < strlen(d) + 1) {
        *cch_name = strlen(u) + 1; *cch_domain = strlen(d) + 1;
        errno = last_error = 122; /* ERROR_INSUFFICIENT_BUFFER */
        return 0;
    }
    utf16(u, name, *cch_name); utf16(d, domain, *cch_domain);
    *cch_name = strlen(u); *cch_domain = strlen(d);
    if (use) *use = 1; /* SidTypeUser */
    return 1;
}

BOOL WTSFreeMemoryExW(int type, void *memory, uint32_t entries) {
    if (type == 1) { /* WTSTypeProcessInfoLevel1 */
        if (!untrack(live_proc, &nlive_proc, memory)) { bad_frees++; return 0; }
        WTS_PROCESS_INFO_EXW *procs = memory;
        for (uint32_t i = 0; i < entries; i++) { free(procs[i].pProcessName); free(procs[i].pUserSid); }
        free(memory);
        frees_proc++;
        return 1;
    }
    if (type != 2 || !untrack(live_ex, &nlive_ex, memory)) { bad_frees++; return 0; }
    WTS_SESSION_INFO_1W *arr = memory;
    for (uint32_t i = 0; i < entries; i++) { free(arr[i].pSessionName); free(arr[i].pUserName); free(arr[i].pDomainName); }
    free(memory);
    frees_ex++;
    return 1;
}

void WTSFreeMemory(void *memory) {
    if (!untrack(live, &nlive, memory)) { bad_frees++; return; }
    free(memory);
    frees++;
}

BOOL WTSQuerySessionInformationW(void *server, uint32_t id, int infoclass, void **out, uint32_t *bytes) {
    (void)server;
    load(); settle(); calls_query++;
    Session *s = find((int)id);
    if (!s) { errno = last_error = 7022; return 0; } /* ERROR_CTX_WINSTATION_NOT_FOUND */
    if (infoclass == 24 && vanishes(s, "query")) return 0;
    if (s->query_error) { errno = last_error = s->query_error; return 0; }
    void *buf = NULL;
    if (infoclass == 24) { /* WTSSessionInfo */
        WTSINFOW *info = calloc(1, sizeof *info);
        info->State = s->state;
        info->SessionId = s->id;
        utf16(s->station, info->WinStationName, 32);
        utf16(s->domain, info->Domain, 17);
        utf16(s->user, info->UserName, 21);
        /* During teardown WTSINFOW's LogonTime can read 0 while the session is still listed. */
        info->LogonTime = s->logon_zero_while_closing && s->ends_at > 0 ? 0 : s->logon;
        /* Windows resets LastInputTime to 0 when a session disconnects. */
        info->LastInputTime = s->state == 4 ? 0 : s->last_input;
        info->DisconnectTime = s->disconnect;
        info->CurrentTime = now_ft;
        buf = info; *bytes = sizeof *info;
    } else if (infoclass == 10) { /* WTSClientName */
        buf = dup16(s->client); *bytes = (strlen(s->client) + 1) * 2;
    } else if (infoclass == 14) { /* WTSClientAddress */
        WTS_CLIENT_ADDRESS *a = calloc(1, sizeof *a);
        a->AddressFamily = s->family;
        unsigned b[4] = {0, 0, 0, 0};
        /* AF_INET: the 4 bytes at offset 2; AF_INET6 (23): the 16 bytes from offset 0
         * (WTS_CLIENT_ADDRESS documentation). */
        if (s->family == 23) inet_pton(AF_INET6, s->ipv4, a->Address);
        else if (sscanf(s->ipv4, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) == 4)
            for (int i = 0; i < 4; i++) a->Address[2 + i] = (uint8_t)b[i];
        buf = a; *bytes = sizeof *a;
    } else { errno = last_error = 87; return 0; }
    *out = buf;
    allocs++; track(live, &nlive, buf);
    return 1;
}

BOOL WTSSendMessageW(void *server, uint32_t id, WCHAR *title, uint32_t title_bytes, WCHAR *msg, uint32_t msg_bytes,
                     uint32_t style, uint32_t timeout, uint32_t *response, BOOL wait) {
    (void)server; (void)title; (void)msg; (void)style; (void)timeout; (void)wait;
    load(); settle(); calls_message++;
    Session *s = find((int)id);
    if (!s) { errno = last_error = 7022; return 0; }
    if (vanishes(s, "message")) return 0;
    if (s->message_error) { errno = last_error = s->message_error; if (s->message_error == 7022) end_session(s); return 0; }
    /* Lengths are in bytes: a length in characters would not match the strings given. */
    size_t tl = 0, ml = 0;
    while (title[tl]) tl++;
    while (msg[ml]) ml++;
    if (title_bytes != tl * 2 || msg_bytes != ml * 2) { errno = last_error = 87; return 0; }
    FILE *log = getenv("FAKE_WTS_MESSAGES") ? fopen(getenv("FAKE_WTS_MESSAGES"), "a") : NULL;
    /* vanish_on "message-disconnect": the client drops as the message arrives. */
    if (strcmp(s->vanish_on, "message-disconnect") == 0) { s->state = 4; s->disconnect = now_ft; s->vanish_on[0] = 0; }
    /* A disconnected session has no desktop: nobody sees the message (see above). */
    int seen = s->state != 4;
    if (!seen && disconnected_message_error) {
        if (log) fclose(log);
        errno = last_error = (int)disconnected_message_error;
        return 0;
    }
    if (!seen) messages_unseen++;
    if (log) { fprintf(log, "%d %u %u %d\n", s->id, title_bytes, msg_bytes, seen); fclose(log); }
    if (response) *response = 32001; /* IDASYNC */
    return 1;
}

BOOL WTSLogoffSession(void *server, uint32_t id, BOOL wait) {
    (void)server;
    load(); settle(); calls_logoff++;
    Session *s = find((int)id);
    if (!s) { errno = last_error = 7022; return 0; }
    if (vanishes(s, "logoff")) return 0;
    /* 7007 ERROR_CTX_CLOSE_PENDING ("a close operation is pending on the session") and 7024
     * ERROR_CTX_WINSTATION_BUSY (busy with a connect, disconnect, reset or delete): a
     * logoff is already under way (the user logged off himself): the call fails and the
     * session still ends, logoff_delay_ms later. */
    if (s->logoff_error == 7007 || s->logoff_error == 7024) {
        if (s->ends_at == 0) s->ends_at = mono_now() + s->delay_ms / 1000.0;
        errno = last_error = s->logoff_error;
        return 0;
    }
    if (s->logoff_error) { errno = last_error = s->logoff_error; if (s->logoff_error == 7022) end_session(s); return 0; }
    s->ends_at = mono_now() + s->delay_ms / 1000.0;
    if (wait) { /* as Windows: blocks until the session has ended, for ever if it never does */
        if (s->never_ends) { for (;;) sleep(3600); }
        usleep((useconds_t)s->delay_ms * 1000);
        settle();
    }
    return 1;
}

/* Non-blocking with wait=FALSE: the session is disconnected disconnect_delay_ms later. */
BOOL WTSDisconnectSession(void *server, uint32_t id, BOOL wait) {
    (void)server;
    load(); settle(); calls_disconnect++;
    Session *s = find((int)id);
    if (!s) { errno = last_error = 7022; return 0; }
    if (vanishes(s, "disconnect")) return 0;
    /* 7007: the session is closing (it ends logoff_delay_ms later); 7024: busy with another
     * connect or disconnect (the session is disconnected disconnect_delay_ms later). */
    if (s->disconnect_error == 7007 || s->disconnect_error == 7024) {
        if (s->disconnect_error == 7007 && s->ends_at == 0) s->ends_at = mono_now() + s->delay_ms / 1000.0;
        if (s->disconnect_error == 7024 && s->disconnects_at == 0)
            s->disconnects_at = mono_now() + s->disconnect_delay_ms / 1000.0;
        errno = last_error = s->disconnect_error;
        return 0;
    }
    if (s->disconnect_error) { errno = last_error = s->disconnect_error; if (s->disconnect_error == 7022) end_session(s); return 0; }
    if (s->state == 4) return 1; /* already disconnected: Windows answers success */
    s->disconnects_at = mono_now() + s->disconnect_delay_ms / 1000.0;
    if (wait) { usleep((useconds_t)s->disconnect_delay_ms * 1000); settle(); }
    return 1;
}

int WTSGetActiveConsoleSessionId(void) { load(); return console_id; }

BOOL ProcessIdToSessionId(uint32_t pid, uint32_t *session) { (void)pid; load(); *session = (uint32_t)own_id; return 1; }

/* The module's stdout, as kernel32 and ntdll would show it: a pipe whose reader (sshd,
 * winrshost) goes away after stdout_gone_after_enums enumerations (-1: the reader stays).
 * - WriteFile: the pipe carries what is written, a zero-byte write too, which the reader gets
 *   as a zero-byte read (ReadFile documentation); Ansible's become wrapper reads with
 *   StreamReader.ReadToEnd(), which takes that for the end of the stream (stats
 *   stdout_zero_writes counts them: the util must never make one). After the reader is gone
 *   WriteFile fails with 232 (ERROR_NO_DATA, "the pipe is being closed").
 * - NtQueryInformationFile(FilePipeLocalInformation = 24): FILE_PIPE_LOCAL_INFORMATION (ten
 *   ULONGs), NamedPipeState 3 (FILE_PIPE_CONNECTED_STATE) while the reader is there, 4
 *   (FILE_PIPE_CLOSING_STATE) once it has closed its end. */
#define FAKE_STDOUT ((void *)0x5717)
static long stdout_zero_writes;
static int reader_gone(void) { return stdout_gone_after_enums >= 0 && calls_enum >= stdout_gone_after_enums; }
void *GetStdHandle(int32_t which) { load(); return which == -11 ? FAKE_STDOUT : NULL; }
uint32_t GetFileType(void *handle) { return handle == FAKE_STDOUT ? 3 /* FILE_TYPE_PIPE */ : 0; }
BOOL WriteFile(void *handle, const void *buf, uint32_t n, uint32_t *written, void *overlapped) {
    (void)buf; (void)overlapped;
    load();
    if (written) *written = 0;
    if (handle != FAKE_STDOUT) { errno = last_error = 6; return 0; } /* ERROR_INVALID_HANDLE */
    if (reader_gone()) { errno = last_error = 232; return 0; }
    if (n == 0) stdout_zero_writes++; /* the reader sees a zero-byte read: "end of stream" */
    if (written) *written = n;
    return 1;
}

typedef struct { void *status_or_pointer; uintptr_t information; } IO_STATUS_BLOCK;

int32_t NtQueryInformationFile(void *handle, IO_STATUS_BLOCK *iosb, void *info, uint32_t length, int32_t klass) {
    load(); calls_probe++;
    if (handle != FAKE_STDOUT) return (int32_t)0xC0000008;                 /* STATUS_INVALID_HANDLE */
    if (klass != 24) return (int32_t)0xC0000003;                           /* STATUS_INVALID_INFO_CLASS */
    if (length < 40) return (int32_t)0xC0000004;                           /* STATUS_INFO_LENGTH_MISMATCH */
    uint32_t *pipe = info;
    memset(pipe, 0, 40);
    pipe[0] = 0; pipe[1] = 1; pipe[2] = 1; pipe[3] = 1;  /* byte stream, inbound, one instance */
    pipe[8] = reader_gone() ? 4 : 3;                     /* NamedPipeState */
    pipe[9] = 0;                                         /* FILE_PIPE_CLIENT_END: the write end */
    if (iosb) { iosb->status_or_pointer = NULL; iosb->information = 40; }
    return 0;
}

/* Test hooks (not Windows API). */
int FakeWtsLastError(void) { return last_error; }
int FakeWtsSizes(int which) {
    return which == 0 ? (int)sizeof(WTS_SESSION_INFO_1W) : which == 1 ? (int)sizeof(WTSINFOW)
         : which == 2 ? (int)sizeof(WTS_CLIENT_ADDRESS) : (int)sizeof(WTS_PROCESS_INFO_EXW);
}
void FakeWtsStats(long *out) {
    out[0] = allocs_ex; out[1] = frees_ex; out[2] = allocs; out[3] = frees; out[4] = bad_frees;
    out[5] = calls_enum; out[6] = calls_query; out[7] = calls_message; out[8] = calls_logoff;
    out[9] = messages_unseen; out[10] = calls_probe; out[11] = calls_disconnect;
    out[12] = allocs_proc; out[13] = frees_proc; out[14] = calls_lookup; out[15] = stdout_zero_writes;
}
