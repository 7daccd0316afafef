"""Concurrent, time-sliced log streams with exactly-once checkpoints.

How a pull of ``[start, end)`` is split, and why:

* The window starts as one equal time slice per cursor, two per cursor when ordered (whole
  seconds; every slice ends in a partial page, so no more than that). When the client's rate
  gate sends the first request alone (no answer has shown the quota yet), the other cursors wait
  for its page instead of queueing behind it. Oldest first, the slices nobody has started are
  then cut again at that page's density into whole pages less a margin (``whole_page_slices``):
  their last pages are then nearly full wherever the density holds. Newest first (ordered),
  they are merged in pairs instead: each is delivered only once finished, so more slices only
  cost more partial pages. The margin starts at a quarter of a page; once pieces have finished,
  it is the one (a tenth to a quarter) that would have wasted least on them
  (``piece_margin``): steady traffic aims closer to whole pages. Traffic is rarely even (a
  phishing wave puts most of a day's clicks in one hour), so a slice is also split *while it is
  read*: the cursor cuts it at the timestamp it reached, keeps what it read, and queues the
  unread remainder as new slices. In ordered mode every slice but the one being delivered is cut
  after ``CHUNK_PAGES`` pages (that bounds memory), into up to ``concurrency`` pieces of
  ``CHUNK_PAGES`` pages less the margin at the density of the page where the cut is made, plus the
  rest as one slice that is cut again, with its own density, when it is read. Any slice is also
  cut, into one piece per idle cursor, whenever a cursor has nothing to do, and as soon as a
  page shows that it holds more than one cursor's share of the pages left (a burst would
  otherwise keep one cursor busy long after the others): into pieces of about one share, sized
  by the density where the cut is made (ordered and oldest first: pieces of at most
  ``CHUNK_PAGES`` pages next to the cut, so the helpers read what is delivered next, then the
  rest as one slice). Each piece starts with that density as its estimate. Ordered, a slice
  waiting behind the one being delivered is cut so only at 1.5 shares (it is cut after
  ``CHUNK_PAGES`` pages anyway), and the slice being delivered already once it holds four pages:
  every record read after it waits for it.
* Cursors are not tied to slices: after every page a cursor chooses again (a slice keeps its
  page token between pages), so the pieces cut off a slow slice go to the next free cursor and
  no cursor waits while holding work. Unordered, it takes the slice with the most pages left;
  ordered, the slice being delivered, else one of the next slices that still holds more than
  ``CHUNK_PAGES`` pages (so it is cut early), else the oldest. Every cursor starts at once
  (after the gate's lone first request, above), however few slices a checkpoint resumes.
* Each slice is queried with a window widened by one second on both sides and keeps only the
  records whose own timestamp falls in ``[slice.start, slice.end)``, so no record is lost or
  doubled whether the server treats from/to as inclusive or exclusive. Once a response shows a
  record stamped exactly at a widened bound, that bound is known to be inclusive and later
  queries drop its margin (in a dense second the margin is hundreds of records fetched twice at
  every cut). A cut is only made where the run of records sharing the cut timestamp lies
  entirely in the current page, so identical timestamps straddling a page boundary are neither
  lost nor doubled.
* Ordered mode delivers slices oldest first; the slice being delivered streams page by page.
  Memory is bounded by records, not pages: cursors stop fetching while ``ORDERED_BUFFER_PAGES``
  pages of records per cursor (counting a full page for each fetch in flight) wait undelivered
  (``UNORDERED_BUFFER_PAGES`` in unordered mode, where nothing is packed), with
  a quarter of that kept for the ``concurrency`` oldest slices, and a slice that could
  not be cut (a very dense second) waits once it holds ``CHUNK_PAGES`` pages. The slice being
  delivered may always fetch unless its own pages wait for the consumer. So memory is a few
  pages per cursor whatever the size of the pull. Servers that page newest first (audit events,
  archive search logs) are handled the same way: a cut keeps the newest part and queues the
  older remainder before it; each finished slice is reversed on delivery. The time order is the
  endpoint's, so a slice whose pages all share one timestamp takes the order another slice
  has shown.
* A page that waits for older slices is kept as its response body, decoded for its
  timestamps only (its records are decoded when delivered: ``packing.RawPage``). Those delivered
  next stay so within the memory of ``DECODED_PAGES`` decoded pages per cursor, and the rest are
  compressed (``packing.py``): a tenth of the memory of decoded records, for about 1 ms of CPU
  per 500-record page.
* Unordered mode delivers each page as soon as it arrives, under the same bound.
* The checkpoint lists the undelivered segments; a partly delivered segment is narrowed to its
  delivery point and carries the content hashes of the records already delivered at that exact
  timestamp, so a resume restarts at record k+1 even mid-page, mid-run and with many cursors.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import math
import operator
from collections import Counter, deque
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from .checkpoint import Checkpoint, Segment, query_fingerprint, record_hash
from .dates import format_datetime, require_aware
from .envelope import decode_envelope
from .errors import InvalidInputError, PaginationError, ResponseDecodeError
from .packing import PackedPage, RawPage, pack, unpack
from .pagination import Page, check_page_size, nested_items
from .validation import require_bool

if TYPE_CHECKING:
    from .client import MimecastClient

__all__ = [
    "CHUNK_PAGES",
    "DECODED_PAGES",
    "ORDERED_BUFFER_PAGES",
    "UNORDERED_BUFFER_PAGES",
    "LogSpec",
    "LogStream",
    "initial_segments",
]

T = TypeVar("T")

#: Pages a cursor reads from one slice before cutting it.
CHUNK_PAGES = 4
#: Memory, in decoded pages per cursor, that pages waiting for older slices may take unpacked;
#: the rest wait packed (compressed).
DECODED_PAGES = 2
#: A page kept as its response body takes at most this share of the memory of its decoded
#: records, in the budget of ``DECODED_PAGES`` (500-record pages of the emulator's logs: 0.41
#: for TTP URL, 280 KB against 680 KB, to 0.49 for audit events).
_RAW_SHARE = 0.5
#: Records that may wait undelivered, in pages per cursor. An ordered stream packs most of
#: what waits, so it may read further ahead (which keeps 2 to 4 cursors busy) than an unordered
#: one, whose pages wait decoded, and only when its consumer is slower than its cursors.
ORDERED_BUFFER_PAGES = 4 * CHUNK_PAGES
UNORDERED_BUFFER_PAGES = 2 * CHUNK_PAGES
#: A slice holding more than its share of the pages left (the pages every unfinished slice
#: holds, over the cursors) is cut before it becomes the one cursor still busy. An ordered
#: slice that is not being delivered waits for 1.5 shares: it is cut after ``CHUNK_PAGES``
#: pages anyway, and every extra piece ends in one more partial page.
_STRAGGLER = 1.0
_WAITING_STRAGGLER = 1.5
#: The smallest piece such a cut makes, in pages (each piece ends in a partial page). The slice
#: being delivered in order is cut down to smaller pieces: every record read after it waits
#: for it, so it must not be the last slice still read.
_MIN_PIECE_PAGES = 4.0
_MIN_HEAD_PIECE_PAGES = 2.0
#: Cursors of an ordered stream choose among this many of the oldest unread slices per cursor.
_CLAIM_WINDOW = 4
#: Pages aimed under a whole number per piece when a slice is cut: each piece ends in a
#: partial page, and one that runs past its last whole page costs one more request for a few
#: records. Until the pull has shown how well its density estimates hold, and at most, a
#: quarter; at least a tenth (see :func:`piece_margin`).
_MARGIN_PAGES = 0.25
#: The margins tried, in hundredths of a page.
_MARGINS = tuple(step / 100 for step in range(10, 26))
#: Size errors of the latest pieces that set the margin, and how many it takes to trust them.
_SIZE_ERRORS = 32
_MIN_SIZE_ERRORS = 8
#: A piece that misses its size by more than this share was cut across a change of density.
_TELLING_ERROR = 0.5
#: Less than this many pages left over after whole-page slices is not a slice of its own.
_REST_PAGES = 0.05
MAX_CONCURRENCY = 64
_SECOND = timedelta(seconds=1)
_ZERO = timedelta(0)
_NO_HASHES: Counter[str] = Counter()  # shared and never mutated: runs replace, not update
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class LogSpec:
    """How one log endpoint is queried and where its records and timestamps sit."""

    name: str
    path: str
    record_type: Any
    timestamp: str
    window_fields: tuple[str, str]
    collection: str | None = None
    order_field: str | None = None

    def page_types(self, record_type: Any) -> tuple[Any, Callable[[Any], list[Any]]]:
        """How to decode ``data`` items of a page into ``record_type`` records: (type, extract)."""
        if self.collection:
            return nested_items(self.collection, record_type)
        return record_type, list


@functools.lru_cache(maxsize=32)
def _stamp_type(record_type: Any, attribute: str) -> Any:
    """A struct that decodes only ``attribute`` of ``record_type`` (same wire name and type).

    None when ``record_type`` is not a struct with that field.
    """
    if not (isinstance(record_type, type) and issubclass(record_type, msgspec.Struct)):
        return None
    for info in msgspec.structs.fields(record_type):
        if info.name == attribute:
            stamp = msgspec.field(default=None, name=info.encode_name)
            return msgspec.defstruct(
                f"_{record_type.__name__}Stamp", [(attribute, info.type, stamp)], gc=False
            )
    return None


def _decoded_size(page: Page[Any] | RawPage) -> float:
    """The memory ``page`` takes, in decoded records."""
    return len(page) * _RAW_SHARE if isinstance(page, RawPage) else len(page)


def _floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _ceil_second(moment: datetime) -> datetime:
    floored = moment.replace(microsecond=0)
    return floored if floored == moment else floored + _SECOND


def split_segment(segment: Segment, pieces: int) -> list[Segment]:
    """Split ``segment`` into up to ``pieces`` equal parts on whole-second boundaries."""
    first = _ceil_second(segment.start)
    seconds = int((segment.end - first).total_seconds())
    pieces = max(1, min(pieces, seconds))
    return split_at(segment, [first + _SECOND * (seconds * i // pieces) for i in range(1, pieces)])


def split_near(
    segment: Segment, span: timedelta, pieces: int, at_end: bool, longest: timedelta | None = None
) -> list[Segment]:
    """``pieces - 1`` parts of ``span`` at one end of ``segment``, then the rest.

    The parts next to a cut are sized by the density just observed there; what lies further
    away stays one slice, cut again when it is read, with the density seen then. Parts are
    whole seconds: ``span`` rounded up, unless that makes them longer than ``longest`` (the
    time their whole pages take), then down. (Always down cost 11% more requests on a 3M-record
    pull, where a second holds most of a page; always up, spills at 100-record pages.)
    """
    seconds = span.total_seconds()
    rounded = math.ceil(seconds)
    if longest is not None and rounded > longest.total_seconds():
        rounded = math.floor(seconds)
    step = max(_SECOND, timedelta(seconds=rounded))
    bounds: list[datetime] = []
    if at_end:
        edge = _floor_second(segment.end)
        for index in range(1, pieces):
            bound = edge - step * index
            if bound <= segment.start:
                break
            bounds.insert(0, bound)
    else:
        edge = _ceil_second(segment.start)
        for index in range(1, pieces):
            bound = edge + step * index
            if bound >= segment.end:
                break
            bounds.append(bound)
    return split_at(segment, bounds)


def whole_page_slices(segment: Segment, count: int, rate: float, page_size: int) -> list[Segment]:
    """``segment`` (``count`` starting slices no cursor has read) cut again at a known density.

    Every slice ends in a partial page, so slices of equal time waste half a request each on
    average. At ``rate`` records per second, each slice here holds a whole number of pages
    less a quarter (about what ``count`` slices would hold), the last one the rest: their last
    pages are nearly full wherever the density holds.
    """
    pages = rate * (segment.end - segment.start).total_seconds() / page_size
    piece = _under_whole_pages(pages / count)
    pieces = math.floor(pages / piece)
    if pages - pieces * piece > _REST_PAGES:
        pieces += 1  # the rest, a slice of its own
    span, longest = _piece_spans(piece, rate, page_size)
    return split_near(segment, span, max(1, pieces), at_end=False, longest=longest)


def _piece_spans(pages: float, rate: float, page_size: int) -> tuple[timedelta, timedelta]:
    """The time ``pages`` take at ``rate`` records per second, and that of their whole pages."""
    seconds_per_page = page_size / rate
    return (
        timedelta(seconds=pages * seconds_per_page),
        timedelta(seconds=math.ceil(pages) * seconds_per_page),
    )


def _under_whole_pages(pages: float, errors: Sequence[float] = ()) -> float:
    """``pages`` rounded to a whole number of pages (at least one), less the margin."""
    whole = max(1.0, round(pages))
    return whole - piece_margin(errors, whole)


def piece_margin(errors: Sequence[float], pages: float) -> float:
    """Pages to aim under ``pages`` (whole) so a piece's last page is nearly full yet rarely spills.

    ``errors`` are the relative size errors (records read / records estimated - 1) of the
    pieces finished so far. A piece that stops short wastes the empty part of its last page; one
    that spills past its whole pages costs a request more for a few records. Of the margins from
    a tenth to a quarter of a page, this is the one that would have wasted least on those
    pieces, scaled to ``pages`` (the largest of equals). Pieces that missed by more than half
    were cut across a change of density: no margin helps those, so they do not count. Steady
    traffic, well estimated, then aims closer to whole pages than bursty traffic does.
    """
    usable = [error for error in errors if abs(error) <= _TELLING_ERROR]
    if len(usable) < _MIN_SIZE_ERRORS:
        return _MARGIN_PAGES

    def waste(margin: float) -> float:
        total = 0.0
        for error in usable:
            size = (pages - margin) * (1.0 + error)
            total += math.ceil(size) - size
        return total

    return min(reversed(_MARGINS), key=waste)


def split_at(segment: Segment, bounds: list[datetime]) -> list[Segment]:
    """``segment`` cut at ``bounds`` (ascending); a skip list goes to the part holding it."""
    result = []
    for low, high in itertools.pairwise([segment.start, *bounds, segment.end]):
        if high > low:
            part = Segment(low, high)
            if segment.skip_at is not None and low <= segment.skip_at < high:
                part.skip_at, part.skip = segment.skip_at, Counter(segment.skip)
            result.append(part)
    return result


def initial_segments(start: datetime, end: datetime, pieces: int) -> list[Segment]:
    """The starting slices of a pull."""
    return split_segment(Segment(start, end), pieces)


def _initial_pieces(concurrency: int, ordered: bool) -> int:
    """One slice per cursor (each extra slice ends in a partial page); ordered, two per cursor.

    An unordered cursor's slice is cut for the others as soon as it proves to hold more than
    its share. Ordered, the slices ahead of the one being delivered are cut after
    ``CHUNK_PAGES`` pages anyway, and twice as many starting points find a burst sooner.
    """
    return concurrency * (2 if ordered and concurrency > 1 else 1)


def _in_order(
    previous: datetime | None,
    stamps: list[datetime],
    compare: Callable[[datetime, datetime], bool],
) -> bool:
    """Whether ``compare`` holds for every neighbouring pair of ``previous`` then ``stamps``."""
    if previous is None:
        return all(map(compare, stamps, itertools.islice(stamps, 1, None)))
    return all(map(compare, itertools.chain((previous,), stamps), stamps))


PENDING, RUNNING, FINISHED = 0, 1, 2


class _Slot:
    """One segment in flight: what was fetched and not yet delivered, and what was delivered."""

    __slots__ = (
        "chunks",
        "direction",
        "high",
        "item",
        "kept",
        "last_stamp",
        "left",
        "low",
        "pages_read",
        "planned",
        "rate",
        "reversed",
        "run",
        "run_at",
        "run_hashes",
        "seen",
        "segment",
        "skip_left",
        "state",
        "token",
    )

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.state = PENDING
        # reading state: a slot is read one page at a time, by whichever cursor claims it next
        self.item: dict[str, Any] | None = None  # the request item, fixed at the first page
        self.low = self.high = segment.start  # the window asked for (set with ``item``)
        self.token: str | None = None
        self.seen: set[str] = set()
        self.pages_read = 0
        self.kept = 0
        self.last_stamp: datetime | None = None
        self.rate: float | None = None  # records per second at its latest page
        self.left = 0.0  # pages left at that rate (set with ``rate``)
        self.planned = 0.0  # pages it was cut to hold, while it is not cut again
        self.chunks: deque[Page[Any] | PackedPage | RawPage] = deque()  # see packing.py
        self.direction = 0  # +1 oldest first, -1 newest first, 0 not known yet
        self.reversed = False
        self.run_at: datetime | None = None
        self.run: list[Any] = []
        self.run_hashes: Counter[str] = _NO_HASHES  # hashes of older records of the run
        self.skip_left = Counter(segment.skip)

    def remaining(self, ascending_delivery: bool) -> list[Segment]:
        """The part of this slot not yet delivered, as new checkpoint segments.

        Usually one segment. Two when this slot was resumed with records already delivered at
        one timestamp (its segment's skip list) and this run has delivered records at another
        one from the other end (a resume that switched ``ordered``, or a newest-first slice
        delivered oldest first): each skip list keeps a segment of its own.
        """
        segment = self.segment
        old_at = segment.skip_at
        if self.run_at is None:
            return [Segment(segment.start, segment.end, old_at, Counter(segment.skip))]
        run_at = self.run_at
        hashes = Counter(record_hash(record) for record in self.run) + self.run_hashes
        if old_at == run_at:
            hashes += segment.skip
        direction = 1 if ascending_delivery else self.direction
        low, high = segment.start, segment.end
        if direction > 0:
            low = run_at
        elif direction < 0:
            high = run_at + _TICK
        if old_at is None or old_at == run_at or not low <= old_at < high:
            return [Segment(low, high, run_at, hashes)]
        # both skip lists still apply: cut between their timestamps, one in each part
        first_at, first, second_at, second = (
            (run_at, hashes, old_at, Counter(segment.skip))
            if run_at < old_at
            else (old_at, Counter(segment.skip), run_at, hashes)
        )
        return [
            Segment(low, second_at, first_at, first),
            Segment(second_at, high, second_at, second),
        ]


class _Signal:
    """Wake every waiter when anything changes."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    async def wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def fire(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class LogStream(Generic[T]):
    """An async iterator over one log query, fanned out over concurrent cursors.

    ``async for record in stream`` yields typed records (oldest first when ``ordered``);
    ``stream.pages()`` yields :class:`Page` objects; ``stream.checkpoint`` is valid after any
    record. A stream is iterated once; break out of it (or cancel the consumer) and every cursor
    is cancelled. Use ``async with contextlib.aclosing(stream.__aiter__())`` or ``await
    stream.aclose()`` for deterministic cleanup.
    """

    def __init__(
        self,
        client: MimecastClient,
        spec: LogSpec,
        filters: Mapping[str, Any],
        *,
        start: datetime,
        end: datetime | None = None,
        page_size: int = 500,
        concurrency: int = 8,
        ordered: bool = True,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        self._client = client
        self.spec = spec
        self._filters = dict(filters)
        self.start = require_aware(start, "start").astimezone(timezone.utc)
        now = datetime.now(timezone.utc)
        self.end = (require_aware(end, "end") if end is not None else now).astimezone(timezone.utc)
        if self.end <= self.start:
            raise InvalidInputError("end", end, "must be after start")
        self.page_size = check_page_size(page_size)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise InvalidInputError("concurrency", concurrency, "must be an integer")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise InvalidInputError("concurrency", concurrency, f"must be 1..{MAX_CONCURRENCY}")
        self.concurrency = concurrency
        self.ordered = require_bool("ordered", ordered)
        self.query = query_fingerprint(
            spec.path,
            {
                "filters": self._filters,
                "start": self.start.isoformat(),
                "end": end and self.end.isoformat(),
            },
        )
        if checkpoint is not None:
            if not isinstance(checkpoint, Checkpoint):
                raise InvalidInputError("checkpoint", checkpoint, "must be a Checkpoint")
            if checkpoint.kind != spec.name or checkpoint.query != self.query:
                raise InvalidInputError(
                    "checkpoint",
                    checkpoint,
                    "was taken from a different query (endpoint, filters or window)",
                )
            segments = list(checkpoint.segments)
        else:
            segments = initial_segments(
                self.start, self.end, _initial_pieces(concurrency, self.ordered)
            )
        self._timestamp = operator.attrgetter(spec.timestamp)
        self._decode_type, self._extract = spec.page_types(spec.record_type)
        # ordered, a page that waits is kept as its response body, decoded only for the
        # timestamps the schedule needs (packing.py): the decode type and extractor for those
        stamp_type = _stamp_type(spec.record_type, spec.timestamp) if self.ordered else None
        self._stamps_only = None if stamp_type is None else spec.page_types(stamp_type)
        self._order: list[_Slot] = [_Slot(segment) for segment in segments]
        self._signal = _Signal()
        self._ready: deque[_Slot] = deque()  # unordered delivery queue, one entry per chunk
        self._workers: list[asyncio.Task[None]] = []
        self._idle = 0  # cursors with nothing to claim
        self._blocked = 0  # cursors with work the buffering bound does not let them fetch yet
        self._undelivered = 0  # fetched records not yet delivered
        self._in_flight = 0  # pages being fetched (each may bring page_size records)
        self._inclusive_low = self._inclusive_high = False  # learnt from responses
        self._seen_records = 0  # records in the pages read so far, and the seconds they span:
        self._seen_seconds = 0.0  # the density assumed for a slice before its first page
        self._direction = 0  # the endpoint's order once any slot has shown it (+1 / -1)
        # how far the pieces cut so far missed their estimated size (see piece_margin)
        self._size_errors: deque[float] = deque(maxlen=_SIZE_ERRORS)
        # the bound on buffered records
        buffer_pages = ORDERED_BUFFER_PAGES if self.ordered else UNORDERED_BUFFER_PAGES
        self._max_undelivered = buffer_pages * concurrency * self.page_size
        # of the pages that wait for older slices, this many records stay decoded
        self._max_decoded_waiting = DECODED_PAGES * concurrency * self.page_size
        # how many of the oldest unread slots an ordered cursor may choose from
        self._window = _CLAIM_WINDOW * concurrency
        self._failure: BaseException | None = None
        # set at the start when the client's gate lets one request go alone: one cursor reads
        # the first page while the others wait, then the slices nobody started are sized by it
        self._first_page = False
        self._packing_scheduled = False
        self._started = False
        self._closed = False
        # the chunk being yielded record by record, and the iterator over it (how far it got)
        self._current: tuple[_Slot, list[Any], Iterator[Any]] | None = None
        self.pages_fetched = 0
        self.records_delivered = 0

    # -- public ----------------------------------------------------------------------------

    @property
    def checkpoint(self) -> Checkpoint:
        """Where delivery stands now: resume with ``checkpoint=`` to continue at the next record."""
        segments = []
        current = self._current
        for slot in self._order:
            if current is not None and current[0] is slot:
                records, remaining = current[1], current[2]
                delivered = len(records) - operator.length_hint(remaining)
                saved = slot.run_at, slot.run, slot.run_hashes
                self._advance_run(slot, records[:delivered])
                segments += slot.remaining(self.ordered)
                slot.run_at, slot.run, slot.run_hashes = saved
            else:
                segments += slot.remaining(self.ordered)
        return Checkpoint(kind=self.spec.name, query=self.query, segments=segments)

    async def __aiter__(self) -> AsyncIterator[T]:
        async with contextlib.aclosing(self._deliveries()) as deliveries:
            async for slot, records in deliveries:
                remaining = iter(records)
                self._current = (slot, records, remaining)
                for record in remaining:
                    yield record
                self._finish_chunk(slot, records)
                # free this page before the next is decoded, so that one reuses its memory
                del records, remaining

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Yield pages (in delivery order); the checkpoint covers a page once it is yielded."""
        async with contextlib.aclosing(self._deliveries(with_pages=True)) as deliveries:
            async for slot, records, page in deliveries:
                self._finish_chunk(slot, records)
                yield Page(records, page.next_token, page.token, page.rate_limit, page.request_id)
                del slot, records, page  # not held while the next page is decoded

    async def to_list(self) -> list[T]:
        """Every record of the window (beware of memory on large pulls)."""
        return [record async for record in self]

    async def aclose(self) -> None:
        """Cancel every cursor still running.

        A consumer still reading the stream in another task gets PaginationError at its next
        page instead of waiting for cursors that are gone; ``checkpoint`` still says what was
        not delivered.
        """
        self._closed = True
        if self._failure is None:
            self._failure = PaginationError(
                "this stream was closed by aclose(); resume from its checkpoint"
            )
        await self._stop_workers()
        self._signal.fire()

    # -- delivery ----------------------------------------------------------------------------

    def _finish_chunk(self, slot: _Slot, records: list[Any]) -> None:
        self._advance_run(slot, records)
        self.records_delivered += len(records)
        self._current = None
        if slot.state == FINISHED and not slot.chunks:
            with contextlib.suppress(ValueError):
                self._order.remove(slot)
        self._signal.fire()

    def _advance_run(self, slot: _Slot, records: list[Any]) -> None:
        """Remember the delivered records that share the latest delivered timestamp.

        A run longer than a page (thousands of records can share one second) keeps only the
        content hashes of its older records, so a dense second costs no memory per record.
        """
        if not records:
            return
        stamp = self._timestamp
        last = stamp(records[-1])
        index = len(records) - 1
        while index > 0 and stamp(records[index - 1]) == last:
            index -= 1
        if index == 0 and slot.run_at == last:
            if len(slot.run) >= self.page_size:
                folded = Counter(record_hash(record) for record in slot.run)
                slot.run_hashes = slot.run_hashes + folded  # a new Counter: checkpoint restores
                slot.run = list(records)
            else:
                slot.run = slot.run + records
        else:
            slot.run_at, slot.run, slot.run_hashes = last, records[index:], _NO_HASHES

    async def _deliveries(self, with_pages: bool = False) -> AsyncGenerator[Any, None]:
        if self._started or self._closed:
            raise PaginationError("this stream was already iterated or closed; create a new one")
        self._started = True
        self._first_page = self.concurrency > 1 and self._client.engine.gate.admits_one
        self._workers = [asyncio.ensure_future(self._worker()) for _ in range(self.concurrency)]
        try:
            while True:
                if self._failure is not None:
                    raise self._failure
                delivery = self._next_delivery()
                if delivery is not None:
                    slot, page = delivery
                    del delivery
                    if with_pages:
                        yield slot, page.items, page
                    else:
                        yield slot, page.items
                    del slot, page  # not held while waiting: see __aiter__
                    # let the event loop read responses and send requests between pages: a
                    # consumer fed a run of buffered pages would otherwise hold every cursor
                    await asyncio.sleep(0)
                    continue
                if not self._order:
                    return
                await self._signal.wait()
        finally:
            await self._stop_workers()

    def _next_delivery(self) -> tuple[_Slot, Page[Any]] | None:
        if not self.ordered:
            while self._ready:
                slot = self._ready.popleft()
                if slot.chunks:
                    page = self._unpack(slot.chunks.popleft())
                    self._undelivered -= len(page.items)
                    self._signal.fire()
                    return slot, page
            return None
        while self._order:
            head = self._order[0]
            if head.direction == 0:
                head.direction = self._direction
            if head.chunks and (head.direction > 0 or head.state == FINISHED):
                if head.direction < 0 and not head.reversed:
                    head.chunks = deque(
                        Page(
                            page.items[::-1],
                            page.next_token,
                            page.token,
                            page.rate_limit,
                            page.request_id,
                        )
                        for page in (self._unpack(chunk) for chunk in reversed(head.chunks))
                    )
                    head.reversed = True
                page = self._unpack(head.chunks.popleft())
                self._undelivered -= len(page.items)
                self._signal.fire()
                return head, page
            if head.state == FINISHED and not head.chunks:
                self._order.pop(0)
                self._signal.fire()
                continue
            return None
        return None

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.cancel()
        if workers:
            await asyncio.gather(*workers, return_exceptions=True)

    # -- cursors -----------------------------------------------------------------------------

    def _claim(self) -> tuple[_Slot | None, bool]:
        """The slot a free cursor should read next, marked running, or (None, starved).

        ``starved``: no slot waits for a cursor at all (else the buffering bound holds it back).

        Backpressure counts the records fetched and not yet delivered plus a full page for each
        fetch in flight. Unordered, the slot with the most pages left goes first: a burst, once
        a page shows it, is cut and its pieces read by every free cursor. Ordered, the slot
        being delivered goes first and may always fetch (unless its own pages wait for the
        consumer); of the next ``_CLAIM_WINDOW x concurrency`` slots still to be read, one
        holding more than ``CHUNK_PAGES`` pages goes next (so it is cut early, while the other
        cursors are busy), else the oldest. The next ``concurrency - 1`` slots may fill the
        bound, younger ones stop at three quarters of it: that reserve is what lets the pieces
        cut off a slow head slot be read at once instead of waiting behind data that cannot be
        delivered before them.
        """
        buffered = self._undelivered + self._in_flight * self.page_size
        if not self.ordered:
            pending = [slot for slot in self._order if slot.state == PENDING]
            if not pending or buffered >= self._max_undelivered:
                return None, not pending
            best = max(pending, key=self._pages_left)
            best.state = RUNNING
            return best, False
        near_room = buffered < self._max_undelivered
        far_room = buffered < self._max_undelivered * 3 // 4
        starved = True
        allowed_slots = []
        for position, slot in self._window_slots():  # oldest first
            if slot.state != PENDING:
                continue
            starved = False
            if position == 0:
                if near_room or self._head_may_fetch(slot):
                    slot.state = RUNNING
                    return slot, False
            elif len(slot.chunks) >= CHUNK_PAGES:
                continue  # could not be cut (a very dense second): waits its turn
            elif far_room if position >= self.concurrency else near_room:
                allowed_slots.append(slot)
        if not allowed_slots:
            return None, starved
        largest = max(allowed_slots, key=self._pages_left)
        chosen = largest if self._pages_left(largest) > CHUNK_PAGES else allowed_slots[0]
        chosen.state = RUNNING
        return chosen, False

    def _window_slots(self) -> Iterator[tuple[int, _Slot]]:
        """(position, slot) of the oldest slots an ordered cursor may choose from.

        That is the first ``_CLAIM_WINDOW x concurrency`` slots still to be read (finished ones
        waiting for delivery do not count: a burst cut into many small pieces would otherwise
        hide the work behind them while the buffer has room).
        """
        unread = 0
        for position, slot in enumerate(self._order):
            if slot.state != FINISHED:
                unread += 1
                if unread > self._window:
                    return
            yield position, slot

    def _helpers(self, slot: _Slot) -> int:
        """Cursors that could read a piece of ``slot`` now if it were cut.

        Idle cursors help any slot. Cursors held back by the bound help the slot being
        delivered: its pieces come next, so the bound lets them be read, and a dense stretch
        at the head of an ordered pull is then read by every cursor instead of one.
        """
        if self.ordered and self._blocked and self._order and self._order[0] is slot:
            return self._idle + self._blocked
        return self._idle

    @staticmethod
    def _head_may_fetch(head: _Slot) -> bool:
        """The slot being delivered fetches past the bound unless its pages await the consumer.

        A slot that is not known to run oldest first is delivered only once finished (it is
        reversed first), so it always fetches; it is cut after ``CHUNK_PAGES`` pages anyway.
        """
        return head.direction <= 0 or not head.chunks

    def _busy(self) -> bool:
        return any(slot.state != FINISHED for slot in self._order)

    async def _worker(self) -> None:
        """A cursor: read one page of the oldest slot it may, then choose again.

        Choosing after every page keeps cursors on the oldest work (the slices cut off a slow
        slice go to the next free cursor) and never leaves a cursor holding a slice it may not
        fetch for. A cursor with nothing to claim counts as idle, and running slots cut to
        feed it; one held back by the buffering bound makes only the slot being delivered cut.
        """
        try:
            while True:
                if self._first_page and self._in_flight:
                    # the gate sends one request until an answer shows the quota: rather than
                    # queue behind it with slices of equal time, wait for its page's density
                    await self._signal.wait()
                    continue
                slot, starved = self._claim()
                if slot is None:
                    if not self._busy():
                        return
                    # a cursor with nothing to claim makes running slots cut for it; one held
                    # back by the bound helps only the slot being delivered (see _helpers)
                    self._idle += starved
                    self._blocked += not starved
                    try:
                        await self._signal.wait()
                    finally:
                        self._idle -= starved
                        self._blocked -= not starved
                    continue
                self._in_flight += 1
                try:
                    await self._read_page(slot)
                finally:
                    self._in_flight -= 1
                    if slot.state == RUNNING:
                        slot.state = PENDING
                self._signal.fire()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # surfaced to the consumer, which stops every cursor
            if self._failure is None:
                self._failure = error
            self._signal.fire()

    def _request_item(self, slot: _Slot) -> dict[str, Any]:
        """The query for ``slot``: its window widened to whole seconds, plus a margin.

        The margin (one second each side) covers a server that treats a bound as exclusive;
        once a response shows a record stamped exactly at a bound we asked for, that bound is
        known to be inclusive and later queries drop its margin (in a dense second the margin
        is hundreds of records fetched twice at every cut).
        """
        item = dict(self._filters)
        low_field, high_field = self.spec.window_fields
        segment = slot.segment
        slot.low = _floor_second(segment.start) - (_ZERO if self._inclusive_low else _SECOND)
        slot.high = _ceil_second(segment.end) + (_ZERO if self._inclusive_high else _SECOND)
        item[low_field] = format_datetime(slot.low)
        item[high_field] = format_datetime(slot.high)
        if self.spec.order_field:
            item[self.spec.order_field] = True
        return item

    def _learn_inclusive(self, slot: _Slot, stamps: list[datetime]) -> None:
        # a page is in time order (checked by _learn_direction), so its ends are its extremes
        first, last = stamps[0], stamps[-1]
        if first > last:
            first, last = last, first
        if first == slot.low:
            self._inclusive_low = True
        if last == slot.high:
            self._inclusive_high = True

    async def _fetch(
        self, item: dict[str, Any], token: str | None, stamps_only: bool
    ) -> tuple[Page[Any], bytes]:
        """The next page, and its body when ``stamps_only`` (records hold only a timestamp)."""
        pagination: dict[str, Any] = {"pageSize": self.page_size}
        if token:
            pagination["pageToken"] = token
        decode_type, extract = self._decode_type, self._extract
        if stamps_only and self._stamps_only is not None:
            decode_type, extract = self._stamps_only
        response = await self._client.engine.call(
            self.spec.path,
            [item],
            {"pagination": pagination},
            item_type=decode_type,
            keep_body=stamps_only,
        )
        self.pages_fetched += 1
        page = Page(
            extract(response.envelope.data),
            response.envelope.next_token,
            token,
            response.rate_limit,
            response.request_id,
        )
        return page, response.body

    def _decode_body(self, body: bytes) -> list[Any]:
        """The records of a response body kept by :meth:`_fetch`."""
        return self._extract(decode_envelope(body, self._decode_type, path=self.spec.path).data)

    async def _read_page(self, slot: _Slot) -> None:
        """Fetch the next page of ``slot``; mark it finished when nothing is left to fetch."""
        if slot.item is None:
            slot.item = self._request_item(slot)
        token = slot.token
        # a page that will wait is kept as its body (see packing.py); a slice resumed with
        # records delivered already needs their content to skip them, so it decodes them all
        stamps_only = self._stamps_only is not None and self._waits(slot) and not slot.segment.skip
        page, body = await self._fetch(slot.item, token, stamps_only)
        slot.pages_read += 1
        stamps = self._stamps(page.items)
        if stamps:
            slot.last_stamp = self._learn_direction(slot, slot.last_stamp, stamps)
            seconds = max(abs((stamps[-1] - stamps[0]).total_seconds()), 1.0)
            slot.rate = len(stamps) / seconds
            slot.left = self._span_pages(slot, slot.rate)
            self._seen_records += len(stamps)
            self._seen_seconds += seconds
            if not (self._inclusive_low and self._inclusive_high):
                self._learn_inclusive(slot, stamps)
        if self._first_page:
            self._first_page = False
            rate = self._first_density(slot, stamps, finished=not page.next_token)
            if rate:
                self._size_unread(rate)
            elif slot.direction < 0 and self.ordered:
                self._merge_unread()
        records = self._owned(slot, page.items, stamps)
        next_token = page.next_token
        segment = slot.segment
        if next_token and stamps and slot.direction:
            last = stamps[-1]
            if (slot.direction > 0 and last >= segment.end) or (
                slot.direction < 0 and last < segment.start
            ):
                next_token = None  # the rest of the server's window is outside this slice
        if next_token and records:
            must_bound = slot.pages_read >= CHUNK_PAGES and self._must_bound(slot)
            if must_bound or self._helpers(slot) or self._balance_pieces(slot) > 1:
                cut = self._cut(slot, records, slot.kept + len(records), must_bound)
                if cut is not None:
                    records, next_token = cut, None
        slot.kept += len(records)
        if records:
            chunk: Page[Any] | RawPage
            if stamps_only:
                # the records kept are a run of the page (a slice's records, in time order)
                first = next(index for index, item in enumerate(page.items) if item is records[0])
                meta = page.next_token, token, page.rate_limit, page.request_id
                chunk = RawPage(body, False, first, first + len(records), *meta)
            else:
                chunk = Page(records, page.next_token, token, page.rate_limit, page.request_id)
            slot.chunks.append(chunk)
            if self._waits(slot):
                self._schedule_packing()
            self._undelivered += len(records)
            if not self.ordered:  # the unordered delivery queue; ordered mode reads _order
                self._ready.append(slot)
        if next_token is None:
            slot.state = FINISHED
            self._learn_size(slot, slot.kept / self.page_size)
            delivering = self._current is not None and self._current[0] is slot
            if not self.ordered and not slot.chunks and not delivering:
                self._order.remove(slot)  # nothing left to deliver from it
            return
        if next_token == token or next_token in slot.seen:
            raise PaginationError(
                f"{self.spec.path} returned the page token {next_token[:16]}... twice"
            )
        slot.seen.add(next_token)
        slot.token = next_token

    def _first_density(self, slot: _Slot, stamps: list[datetime], finished: bool) -> float | None:
        """Records per second shown by the stream's first page, to size the slices by.

        That of a full page, or of the whole slice if the page finished it. None newest first:
        those slices are delivered once finished, reversed, and sized so they measured slower
        (virtual ordered search, 100k records, page 100, seed 3: 475 rounds instead of 386).
        """
        if slot.direction <= 0 or not stamps:
            return None
        if len(stamps) == self.page_size:
            return slot.rate
        if finished:
            span = (slot.segment.end - slot.segment.start).total_seconds()
            return len(stamps) / max(span, 1.0)
        return None

    def _size_unread(self, rate: float) -> None:
        """Cut the starting slices no cursor has read again, into whole pages at ``rate``.

        Oldest first, their last pages are then nearly full: see :func:`whole_page_slices`.
        """
        self._recut_unread(
            lambda whole, count: self._new_slots(
                whole_page_slices(whole, count, rate, self.page_size), rate
            )
        )

    def _merge_unread(self) -> None:
        """Newest first and ordered: the starting slices no cursor has read, half as many.

        Such a slice is delivered only once finished and reversed, so every slice after the
        oldest waits whole; one per cursor (not two) costs fewer partial pages and rounds
        (virtual ordered pulls of search and audit logs, 16 of them at pages of 20 to 500:
        the rounds over the ideal summed 26.1, and 23.8 with half as many slices).
        """
        self._recut_unread(
            lambda whole, count: [
                _Slot(part) for part in split_segment(whole, math.ceil(count / 2))
            ]
        )

    def _recut_unread(self, recut: Callable[[Segment, int], list[_Slot]]) -> None:
        """Cut the starting slices no cursor has read again, by what the first page showed.

        Each run of two or more adjacent such slices (a resumed checkpoint may leave gaps; a
        lone slice would only gain a slice) is replaced by ``recut(run's segment, run length)``.
        """
        order: list[_Slot] = []
        run: list[_Slot] = []

        def flush() -> None:
            if len(run) > 1:
                order.extend(recut(Segment(run[0].segment.start, run[-1].segment.end), len(run)))
            else:
                order.extend(run)
            run.clear()

        for slot in self._order:
            fresh = (
                slot.state == PENDING
                and slot.item is None
                and slot.segment.skip_at is None
                and not slot.chunks
            )
            if not fresh or (run and run[-1].segment.end != slot.segment.start):
                flush()
            if fresh:
                run.append(slot)
            else:
                order.append(slot)
        flush()
        self._order[:] = order

    def _new_slots(self, parts: list[Segment], rate: float) -> list[_Slot]:
        """Slots for ``parts``, each assumed ``rate`` records per second until its first page."""
        slots = [_Slot(part) for part in parts]
        for slot in slots:
            slot.rate = rate
            slot.left = slot.planned = self._span_pages(slot, rate)
        return slots

    def _learn_size(self, slot: _Slot, pages: float) -> None:
        """Note how far a piece's size (``pages``, read or estimated) missed what it was cut to.

        Only pieces of a page or more that were cut to a size and not cut again count, and not
        those resumed with records delivered already (they skip some).
        """
        if slot.planned >= 1.0 and slot.segment.skip_at is None:
            self._size_errors.append(pages / slot.planned - 1.0)
        slot.planned = 0.0

    def _waits(self, slot: _Slot) -> bool:
        """Whether the pages of ``slot`` wait for older slices (and may be packed).

        Only ordered streams hold pages back: every slice but the one being delivered waits (a
        newest-first slice until it is finished and reversed). Unordered pages are delivered as
        they come, so packing one would only add CPU when the consumer is already the slow side.
        """
        if not self.ordered:
            return False
        if self._order[0] is not slot:
            return True
        return slot.direction <= 0 and not slot.reversed  # newest first: waits until finished

    def _schedule_packing(self) -> None:
        """Pack waiting pages beyond the budget once this cursor has sent its next request.

        Packing costs about a millisecond of CPU per page; done in the cursor, it would delay
        that cursor's next request (and every response read meanwhile) by as much.
        """
        if not self._packing_scheduled:
            self._packing_scheduled = True
            asyncio.get_running_loop().call_soon(self._pack_scheduled)

    def _pack_scheduled(self) -> None:
        self._packing_scheduled = False
        self._pack_beyond_budget()

    def _pack_beyond_budget(self) -> None:
        """Pack waiting pages, youngest first, until the unpacked ones fit their budget.

        The pages to be delivered next stay unpacked (they are read soon anyway); those that
        will wait longest are packed.
        """
        unpacked = [
            (slot.chunks, index, chunk)
            for slot in self._order
            if self._waits(slot)
            for index, chunk in enumerate(slot.chunks)
            if isinstance(chunk, Page) or (isinstance(chunk, RawPage) and not chunk.packed)
        ]
        records = sum(map(_decoded_size, (chunk for _, _, chunk in unpacked)))
        while records > self._max_decoded_waiting:
            chunks, index, page = unpacked.pop()
            records -= _decoded_size(page)
            chunks[index] = pack(page)

    def _unpack(self, chunk: Page[Any] | PackedPage | RawPage) -> Page[Any]:
        return unpack(chunk, self.spec.record_type, self._decode_body)

    def _pages_left(self, slot: _Slot) -> float:
        """Pages ``slot`` still holds if the density of its latest page holds.

        Kept on the slot (it is read for every slot on every claim); a slice with no density of
        its own yet is assumed as dense as everything read so far.
        """
        if slot.rate is None:
            return self._span_pages(slot, self._seen_records / max(self._seen_seconds, 1.0))
        return slot.left

    def _span_pages(self, slot: _Slot, rate: float) -> float:
        """Pages the unread part of ``slot`` holds at ``rate`` records per second."""
        segment = slot.segment
        last = slot.last_stamp
        if last is None:
            seconds = (segment.end - segment.start).total_seconds()
        elif slot.direction < 0:
            seconds = (last - segment.start).total_seconds()
        else:
            seconds = (segment.end - last).total_seconds()
        return max(0.0, seconds) * rate / self.page_size

    def _balance_pieces(self, slot: _Slot) -> int:
        """Pieces to cut ``slot`` into so that it does not finish long after the others.

        A slice is read by one cursor at a time, so one that holds more than its share of the
        pages left (a burst of traffic in a quiet day) would keep one cursor busy while the rest
        idle: it is cut, as soon as its density shows it, into pieces of about one share. In
        ordered mode the slice being delivered matters most (everything read after it waits
        for it, and is delivered in one rush at the end if it finishes last), so it is cut into
        smaller pieces when it streams oldest first; a slice waiting behind it (or a newest-first
        head, delivered only once finished) only once it holds 1.5 shares.
        """
        if self.concurrency == 1:
            return 1
        straggler, min_piece = _STRAGGLER, _MIN_PIECE_PAGES
        if self._waits(slot):
            # behind the slice being delivered, or a newest-first head (delivered only once
            # finished, its pieces before it; measured: cutting it sooner costs rounds)
            straggler = _WAITING_STRAGGLER
        elif self.ordered:
            min_piece = _MIN_HEAD_PIECE_PAGES
        estimate = self._pages_left(slot)
        if estimate < 2 * min_piece:
            return 1
        left = estimate + sum(
            self._pages_left(other)
            for other in self._order
            if other is not slot and other.state != FINISHED
        )
        share = left / self.concurrency
        if estimate <= straggler * share:
            return 1
        return min(self.concurrency, max(2, round(estimate / share)), int(estimate / min_piece))

    def _must_bound(self, slot: _Slot) -> bool:
        """Whether ``slot`` must be cut to keep ordered buffering bounded.

        Every slot but the one being delivered buffers what it reads, and a newest-first slot
        can only be delivered (reversed) once finished; the ascending head slot streams straight
        to the consumer, so it is cut only to feed idle cursors, like every unordered slot.
        """
        if not self.ordered:
            return False
        return slot.direction < 0 or not self._order or self._order[0] is not slot

    def _stamps(self, records: list[Any]) -> list[datetime]:
        try:
            stamps = list(map(self._timestamp, records))
        except AttributeError:
            raise ResponseDecodeError(
                f"{self.spec.path} records lack {self.spec.timestamp}"
            ) from None
        if None in stamps:
            raise ResponseDecodeError(
                f"a {self.spec.name} record has no {self.spec.timestamp}", path=self.spec.path
            )
        # one check per page: a page mixing offsets and none fails in _learn_direction
        if stamps and stamps[0].tzinfo is None:
            raise ResponseDecodeError(
                f"{self.spec.path} returned a timestamp without a UTC offset", path=self.spec.path
            )
        return stamps

    def _learn_direction(
        self, slot: _Slot, previous: datetime | None, stamps: list[datetime]
    ) -> datetime:
        """Find (or check) whether the server pages oldest or newest first.

        The order is the endpoint's, so a slot whose pages so far all share one timestamp (a
        very dense second) takes the order another slot has shown, and can stream at once.
        """
        if slot.direction == 0:
            slot.direction = self._direction
        try:
            # one pass over the page once the order is known, a second only to name a fault
            if slot.direction < 0:
                descending = _in_order(previous, stamps, operator.ge)
                ascending = not descending and _in_order(previous, stamps, operator.le)
            else:
                ascending = _in_order(previous, stamps, operator.le)
                descending = (slot.direction == 0 or not ascending) and _in_order(
                    previous, stamps, operator.ge
                )
        except TypeError:
            raise ResponseDecodeError(
                f"{self.spec.path} returned a timestamp without a UTC offset", path=self.spec.path
            ) from None
        if not ascending and not descending:
            raise PaginationError(f"{self.spec.path} returned records out of time order")
        if slot.direction == 0 and ascending != descending:
            slot.direction = 1 if ascending else -1
        elif (slot.direction > 0 and not ascending) or (slot.direction < 0 and not descending):
            raise PaginationError(f"{self.spec.path} changed its time order mid-stream")
        if self._direction == 0:
            self._direction = slot.direction
        return stamps[-1]

    def _owned(self, slot: _Slot, records: list[Any], stamps: list[datetime]) -> list[Any]:
        """Keep the records whose timestamp lies in the slot (minus those already delivered)."""
        if not records:
            return []
        low, high = slot.segment.start, slot.segment.end
        first, last = stamps[0], stamps[-1]
        if not slot.skip_left and low <= min(first, last) and max(first, last) < high:
            return records
        skip_at, skip = slot.segment.skip_at, slot.skip_left
        kept = []
        for record, stamp in zip(records, stamps, strict=False):
            if not low <= stamp < high:
                continue
            if skip and stamp == skip_at:
                digest = record_hash(record)
                if skip[digest] > 0:
                    skip[digest] -= 1
                    continue
            kept.append(record)
        return kept

    def _cut(
        self, slot: _Slot, records: list[Any], kept: int, must_bound: bool
    ) -> list[Any] | None:
        """Finish this slot at the current page and queue the unread remainder as new slices.

        Returns the records of this page that stay in the slot, or None when no clean cut exists
        (the run at the cut timestamp started on an earlier page, e.g. a very dense second) or,
        for a cut made only to feed idle cursors, when the remainder is too small to share.
        """
        stamp = self._timestamp
        first, last = stamp(records[0]), stamp(records[-1])
        if first == last:
            return None
        segment = slot.segment
        if slot.direction > 0:
            done_span = (last - segment.start).total_seconds()
            rest_span = (segment.end - last).total_seconds()
        else:
            done_span = (segment.end - last).total_seconds()
            rest_span = (last - segment.start).total_seconds()
        # density where the cut is made (this page), and the slot's average as a floor
        page_span = abs((last - first).total_seconds())
        rate = max(len(records) / max(page_span, 1.0), kept / max(done_span, 1.0))
        estimate = rate * rest_span / self.page_size  # pages left if that density holds
        shared = max(
            min(self._helpers(slot) + 1, math.ceil(estimate)),  # a page or more per helper
            self._balance_pieces(slot),
        )
        if not must_bound and shared < 2:
            return None
        # cut short, it still shows how well it was sized: what it read, plus what is left
        self._learn_size(slot, kept / self.page_size + estimate)
        if slot.direction > 0:
            keep = [record for record in records if stamp(record) < last]
            remainder = Segment(last, segment.end)
            segment.end = last
        else:
            keep = [record for record in records if stamp(record) > last]
            remainder = Segment(segment.start, last + _TICK)
            segment.start = last + _TICK
        if segment.skip_at is not None and remainder.start <= segment.skip_at < remainder.end:
            # records already delivered (a resumed checkpoint) lie in the remainder: none of
            # them were kept here (the kept records are all on this side of the cut), so the
            # remainder takes the whole skip list and reads those records again
            remainder.skip_at, remainder.skip = segment.skip_at, segment.skip
            segment.skip_at, segment.skip = None, Counter()
        chunk_piece_pages = _under_whole_pages(CHUNK_PAGES, self._size_errors)
        wanted = math.ceil(estimate / chunk_piece_pages)
        position = self._order.index(slot)
        if must_bound and wanted > shared:
            # up to one piece per cursor of a little under CHUNK_PAGES pages (so that each
            # one's last page is nearly full), then the rest as one slice
            piece_pages, pieces = chunk_piece_pages, min(wanted, self.concurrency + 1)
        else:
            # a whole number of pages each, less the margin, as for CHUNK_PAGES pieces
            piece_pages = _under_whole_pages(estimate / shared, self._size_errors)
            pieces = shared
            if self.ordered and slot.direction > 0 and piece_pages > chunk_piece_pages:
                # ordered oldest first, no bigger than CHUNK_PAGES pieces next to the cut, then
                # the rest as one slice: the helpers read the records delivered next, instead of
                # records spread over the window that would wait (packed) for them. (Newest
                # first, the pieces next to the cut are delivered last: even pieces.)
                piece_pages, pieces = chunk_piece_pages, shared + 1
        # pieces sized by the density where the cut is made; the last one takes the rest and
        # is cut again, with its own density, if it turns out to hold more
        span, longest = _piece_spans(piece_pages, rate, self.page_size)
        parts = split_near(remainder, span, pieces, at_end=slot.direction < 0, longest=longest)
        new_slots = self._new_slots(parts, rate)
        if slot.direction > 0:
            self._order[position + 1 : position + 1] = new_slots
        else:
            self._order[position:position] = new_slots
        return keep
