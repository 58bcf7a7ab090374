-- The per-key rate limit's counts, shared by every API process on this database: one row per throttler key (and
-- limit and window length), holding the current fixed window. UNLOGGED: a count need not survive a crash (it is
-- at most a minute of requests), and no WAL is written for the statement every counted request runs. A crash
-- empties the table; replicas do not stream it (a failover starts every key with a fresh window).
-- blocked_until is set when a window's count goes over the limit: requests are refused until then, and the first
-- one after starts a new window. Expired rows are deleted by the API once a minute (a timer in each process).

-- CreateTable
CREATE UNLOGGED TABLE "rate_limit_counters" (
    "blocked_until" TIMESTAMPTZ(6),
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "hits" INTEGER NOT NULL,
    "key" TEXT NOT NULL,

    CONSTRAINT "rate_limit_counters_pkey" PRIMARY KEY ("key")
);
