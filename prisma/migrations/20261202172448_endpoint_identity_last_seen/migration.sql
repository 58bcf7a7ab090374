-- When an endpoint identity was last pointed at, so that retention can prune identities no record kept can point
-- at any more (labels churn: every rollout's pod-template-hash makes a new identity). last_seen is the latest flow
-- time of the records written to point at it, to within an hour: collectors queue an identity again once the
-- flows that use it are an hour past the time last queued, and the writer moves it forward only when it is more
-- than an hour behind (never back), so an identity in steady use costs one row update an hour.
-- Rows stored before get the time of this migration: no record written before it is later than that.

-- AlterTable (a constant default: no rewrite of the table)
ALTER TABLE "endpoint_identities" ADD COLUMN     "last_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex (retention finds the identities to prune by it, without reading the whole table every hour)
CREATE INDEX "endpoint_identities_last_seen_idx" ON "endpoint_identities"("last_seen");
