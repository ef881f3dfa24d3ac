# Copyright (c) 2026 termserv.sessions contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A snapshot's indexes give what scanning the whole table gives, and are built once.

Issue 14 item 4: a logoff of 500 sessions polled their members by scanning the whole
process table once per session per poll (0.34 s a poll at 2500 processes, on the CPU the
exiting sessions need). The indexes must change nothing but that.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.termserv.sessions.plugins.module_utils import _linux_logoff, _procfs


@st.composite
def tables(draw):
    """Random process tables: any parent, any session id, some zombies, some stale ppids."""
    pids = draw(st.lists(st.integers(2, 60), min_size=1, max_size=40, unique=True))
    table = {}
    for pid in pids:
        table[pid] = _procfs.Proc(pid=pid, ppid=draw(st.sampled_from([1, *pids])),
                                  sid=draw(st.sampled_from([1, *pids])), tty_nr=0,
                                  state=draw(st.sampled_from("SRZ")), starttime=draw(st.integers(0, 5)))
    return table


def brute_descendants(roots, table):
    found, todo = set(), [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += [p.pid for p in table.values() if p.ppid == pid]
    return found


@given(table=tables(), data=st.data())
def test_descendants_from_the_index_are_the_scan_s(table, data):
    roots = data.draw(st.lists(st.sampled_from(sorted(table)), max_size=3))
    assert _procfs.descendants(roots, _procfs.Table(table)) == brute_descendants(roots, table)
    assert _procfs.descendants(roots, table) == brute_descendants(roots, table)


@given(table=tables(), data=st.data())
@settings(max_examples=200)
def test_a_session_s_members_are_the_same_with_and_without_the_index(table, data):
    """The same members, the same newcomers, the same live session ids, either way."""
    leader = data.draw(st.sampled_from(sorted(table)))
    entry = table[leader]

    def track():
        return _linux_logoff.Tracked(target={"id": "pts/1"}, hup=[entry], keys={entry.key},
                                     sids={entry.sid: entry.starttime}, live_sids={entry.sid})

    plain, fast = track(), track()
    seen_plain = _linux_logoff._alive_members(plain, table, {1})
    seen_fast = _linux_logoff._alive_members(fast, _procfs.Table(table), {1})
    assert sorted(p.key for p in seen_plain) == sorted(p.key for p in seen_fast)
    assert (plain.keys, plain.live_sids) == (fast.keys, fast.live_sids)


class CountingTable(_procfs.Table):
    scans = 0

    def values(self):
        type(self).scans += 1
        return super().values()


def test_one_poll_over_many_sessions_scans_the_table_a_fixed_number_of_times():
    table = CountingTable()
    tracks = []
    for n in range(50):
        login, shell = 1000 + 2 * n, 1001 + 2 * n
        table[login] = _procfs.Proc(login, 1, login, 0, "S", 10)
        table[shell] = _procfs.Proc(shell, login, shell, 0, "S", 11)
        tracks.append(_linux_logoff.Tracked(target={"id": f"pts/{n}"}, hup=[table[login]],
                                            keys={table[login].key, table[shell].key},
                                            sids={shell: 11}, live_sids={shell}))
    CountingTable.scans = 0
    found = [_linux_logoff._alive_members(track, table, {1}) for track in tracks]
    assert all(len(members) == 2 for members in found)
    # One scan per index (children, session ids), not one or two per session.
    assert CountingTable.scans <= 2
