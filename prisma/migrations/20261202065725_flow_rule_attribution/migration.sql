-- Rule attribution: which rules admitted the flows of an allowed record, as `namespace/policy#ingress[0]` refs
-- (0-based rule positions in the manifest; the egress and the ingress half). Null on records written before
-- (and on records that are not allowed): the compliance report's "rules that admitted no traffic" reads it.
-- Adding a nullable column without a default changes no partition's data.

-- AlterTable
ALTER TABLE "flow_records" ADD COLUMN     "allowed_by" TEXT[];
