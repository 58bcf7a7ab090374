-- Connections per hour: the flows of flow_records summed per hour (UTC) and edge (source and destination as
-- namespace, workload and, when the workload is not known, address; port; protocol), per label and drift kind,
-- with the records summed and the last time seen. GET /api/v1/connections reads the whole hours of its range from
-- here and only the partial hours at either end from flow_records. The writer keeps it in the statement that
-- inserts a batch of records (so both commit together); retention prunes it with the records.
-- Needs PostgreSQL 15 or later: the key treats nulls as equal (NULLS NOT DISTINCT), so that a side without a
-- workload, a record without a label or kind, is one key that ON CONFLICT finds.

-- CreateTable
CREATE TABLE "connection_hours" (
    "cluster" TEXT NOT NULL,
    "drift_kind" "drift_kind",
    "dst_ip" INET,
    "dst_namespace" TEXT,
    "dst_port" INTEGER,
    "dst_workload" TEXT,
    "flows" BIGINT NOT NULL,
    "hour" TIMESTAMPTZ(6) NOT NULL,
    "label" "flow_label",
    "last_seen" TIMESTAMPTZ(6) NOT NULL,
    "protocol" TEXT NOT NULL,
    "records" BIGINT NOT NULL,
    "source" TEXT NOT NULL,
    "src_ip" INET,
    "src_namespace" TEXT,
    "src_workload" TEXT
);

-- CreateIndex
CREATE INDEX "connection_hours_src_namespace_hour_idx" ON "connection_hours"("src_namespace", "hour");

-- CreateIndex
CREATE INDEX "connection_hours_dst_namespace_hour_idx" ON "connection_hours"("dst_namespace", "hour");

-- CreateIndex (hand-written: NULLS NOT DISTINCT). Led by the hour, it also serves the range scans of the reader.
CREATE UNIQUE INDEX "connection_hours_key" ON "connection_hours"("hour", "source", "cluster", "src_namespace", "src_workload", "src_ip", "dst_namespace", "dst_workload", "dst_ip", "dst_port", "protocol", "label", "drift_kind") NULLS NOT DISTINCT;

-- hand-written: how many distinct edges the columns of an edge make together, so that the planner sums the edges
-- of a range in a hash table (from the columns alone it expects nearly a group per row, and sorts them all).
CREATE STATISTICS "connection_hours_edges" (ndistinct) ON "src_namespace", "src_workload", "src_ip", "dst_namespace", "dst_workload", "dst_ip", "dst_port", "protocol" FROM "connection_hours";

-- hand-written: the rollup of the records stored before. Writers of flow_records wait (SHARE lock, until this
-- migration commits) so that no record is left out; from then on every writer keeps the rollup.
LOCK TABLE "flow_records" IN SHARE MODE;
INSERT INTO "connection_hours" ("hour", "source", "cluster", "src_namespace", "src_workload", "src_ip", "dst_namespace",
    "dst_workload", "dst_ip", "dst_port", "protocol", "label", "drift_kind", "flows", "records", "last_seen")
SELECT date_trunc('hour', "window_start", 'UTC'), "source", "cluster", "src_namespace", "src_workload",
    CASE WHEN "src_workload" IS NULL THEN "src_ip" END, "dst_namespace", "dst_workload",
    CASE WHEN "dst_workload" IS NULL THEN "dst_ip" END, "dst_port", "protocol", "label", "drift_kind",
    sum("flow_count"), count(*), max("last_seen")
FROM "flow_records"
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13;
ANALYZE "connection_hours";
