-- Endpoint identities: what the engine judged a pod side by beyond namespace and workload (the labels its flows
-- carried), kept once per distinct identity and pointed at from flow_records, so that a what-if judges stored
-- records again exactly. Id = the first 8 bytes of the sha-256 of the identity's canonical form (a signed int8);
-- 0 in flow_records means "judged as an external peer, by its address" and has no row. Null on records written
-- before: a what-if judges those from the candidate's inventory and counts them as approximate.
-- No foreign key: flow_records is partitioned and written in bulk; the writer inserts identities first, in the
-- same transaction, and a record whose identity is missing is judged as approximate.

-- AlterTable
ALTER TABLE "flow_records" ADD COLUMN     "dst_identity" BIGINT,
ADD COLUMN     "src_identity" BIGINT;

-- CreateTable
CREATE TABLE "endpoint_identities" (
    "first_seen" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "id" BIGINT NOT NULL,
    "labels" JSONB,
    "namespace" TEXT NOT NULL,
    "namespace_labels" JSONB,

    CONSTRAINT "endpoint_identities_pkey" PRIMARY KEY ("id")
);
