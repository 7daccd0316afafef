"""What reading slices from both ends would save: a model in rounds of requests (not the SDK).

Issue 7's open target (ordered c=8 at >= 80% of the ideal bound) is limited by the requests the
SDK spends beyond ``records / page_size``: every time slice read one way ends in a partial page.
This script models another scheduler on the emulator's own TTP URL timestamps, to size the gain
before anyone rewrites ``fanout.py``:

* cursors work in pairs: one reads a stretch oldest first from its start, the other newest
  first from its end (TTP logs take ``oldestFirst``), and they stop where they meet, so a pair
  ends in one partial page instead of two;
* when the gap left between a pair looks smaller than a page, only one of them fetches it;
* idle cursors go to the widest gap (estimated from the densities the pair has seen): two of
  them start a new pair in its middle, one alone reads back from the far end of a stretch
  that only one cursor reads.

It ignores ordered delivery, memory bounds and runs of equal timestamps (all of which the SDK
must handle), so it is an optimistic bound for this design. Every request takes one round.

    python benchmarks/meet_sim.py            # c = 4, 8, 16 on 100k/500 and 20k/100, seed 1
"""

from __future__ import annotations

import argparse
import bisect
from dataclasses import dataclass, field

from mimecast_async.testing import MimecastEmulator
from mimecast_async.testing.logdata import build_sources

SPLIT_PAGES = 3.0  # the smallest gap, in pages, worth giving to idle cursors
ONE_FETCH = 0.9  # a gap estimated below this many pages is fetched by one cursor of the pair


def timestamps(records: int, seed: int) -> list[int]:
    """The emulator's TTP URL record seconds, in order."""
    emulator = MimecastEmulator(seed=seed, records=records)
    start, end = emulator.time_range
    first = int(start.timestamp())
    sources = build_sources(seed, records, first, int((end - start).total_seconds()))
    timeline = sources["ttp_url"].timeline
    return [timeline.second(index) for index in range(records)]


@dataclass(eq=False)
class Reader:
    """One cursor's token chain over record indices ``[low, high)``, in one direction."""

    ascending: bool
    low: int
    high: int
    position: int
    partner: Reader | None = None
    rate: float = 0.0  # records per second of its latest page
    last: int | None = None  # the timestamp it has reached
    done: bool = False

    def fetch(self, times: list[int], page: int) -> None:
        if self.ascending:
            first, stop = self.position, min(self.position + page, self.high)
            self.position = stop
        else:
            first, stop = max(self.position - page, self.low), self.position
            self.position = first
        if stop > first:
            self.rate = (stop - first) / max(times[stop - 1] - times[first], 1)
            self.last = times[stop - 1] if self.ascending else times[first]

    def gap(self, times: list[int]) -> float:
        """Records this reader (with its partner) still has to read, as it can estimate them."""
        other = self.partner
        if self.last is None:
            return 0.0
        if other is not None and not other.done:
            if other.last is None:
                return 0.0
            return max(other.last - self.last, 0) * (self.rate + other.rate) / 2
        edge = times[self.high - 1] if self.ascending else times[self.low]
        return abs(edge - self.last) * self.rate if self.high > self.low else 0.0


@dataclass
class Pull:
    times: list[int]
    concurrency: int
    page: int
    readers: list[Reader] = field(default_factory=list)

    def pair(self, low: int, high: int) -> tuple[Reader, Reader]:
        up = Reader(True, low, high, low)
        down = Reader(False, low, high, high, partner=up)
        up.partner = down
        self.readers += [up, down]
        return up, down

    def run(self) -> tuple[int, int]:
        """(rounds, requests) to read every record."""
        times = self.times
        pairs = max(1, self.concurrency // 2)
        first, span = times[0], times[-1] + 1 - times[0]
        # equal stretches of time (the client knows no counts), as index bounds
        bounds = [bisect.bisect_left(times, first + span * part // pairs) for part in range(pairs)]
        for low, high in zip(bounds, [*bounds[1:], len(times)], strict=True):
            self.pair(low, high)
        rounds = requests = 0
        while live := [reader for reader in self.readers if not reader.done]:
            waiting = {
                reader.partner
                for reader in live
                if reader.ascending
                and reader.partner is not None
                and reader.last is not None
                and reader.partner.last is not None
                and reader.gap(times) < ONE_FETCH * self.page
            }
            fetching = [reader for reader in live if reader not in waiting][: self.concurrency]
            rounds += 1
            requests += len(fetching)
            for reader in fetching:
                reader.fetch(times, self.page)
            for reader in live:
                other = reader.partner
                if reader.done:
                    continue  # met its partner earlier in this loop
                if other is not None and not other.done:
                    if reader.ascending and reader.position >= other.position:
                        reader.done = other.done = True
                elif reader.ascending:
                    reader.done = reader.position >= reader.high
                else:
                    reader.done = reader.position <= reader.low
            self.feed_idle([reader for reader in self.readers if not reader.done])
        return rounds, requests

    def feed_idle(self, live: list[Reader]) -> None:
        idle = self.concurrency - len(live)
        while idle > 0:
            candidates = [reader for reader in live if reader.ascending or reader.partner is None]
            widest = max(candidates, key=lambda reader: reader.gap(self.times), default=None)
            if widest is None or widest.gap(self.times) < SPLIT_PAGES * self.page:
                return
            other = widest.partner
            if other is None or other.done:  # read back from the far end of its stretch
                helper = Reader(not widest.ascending, widest.low, widest.high, 0, partner=widest)
                helper.position = widest.high if widest.ascending else widest.low
                widest.partner = helper
                self.readers.append(helper)
                live.append(helper)
                idle -= 1
                continue
            room = int(widest.gap(self.times) / (2 * SPLIT_PAGES * self.page))
            pairs = max(1, min(idle // 2, room))
            if idle == 1:  # one helper meets `widest`; its old partner now ends where it starts
                middle = self.middle(widest, other, 1, 0)
                helper = Reader(False, widest.low, middle, middle, partner=widest)
                widest.partner, other.partner, other.low = helper, None, middle
                self.readers.append(helper)
                live.append(helper)
                idle -= 1
                continue
            left = widest
            for number in range(pairs):
                middle = self.middle(widest, other, pairs, number)
                down = Reader(False, widest.low, middle, middle, partner=left)
                up = Reader(True, middle, other.high, middle)
                left.partner = down
                self.readers += [down, up]
                live += [down, up]
                left = up
                idle -= 2
            left.partner, other.partner = other, left

    def middle(self, up: Reader, down: Reader, parts: int, number: int) -> int:
        """Index of the ``number``-th of ``parts`` evenly spaced seconds between two readers."""
        assert up.last is not None and down.last is not None
        span = down.last - up.last
        second = max(up.last + 1, min(down.last, up.last + span * (number + 1) // (parts + 1)))
        return bisect.bisect_left(self.times, second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for records, page in ((100_000, 500), (20_000, 100)):
        times = timestamps(records, args.seed)
        for concurrency in (4, 8, 16):
            rounds, requests = Pull(times, concurrency, page).run()
            ideal = records / page / concurrency
            print(
                f"{records // 1000}k/{page} c={concurrency}: {rounds} rounds "
                f"(ideal {ideal:.1f}), {requests} requests (pages {records // page})"
            )


if __name__ == "__main__":
    main()
