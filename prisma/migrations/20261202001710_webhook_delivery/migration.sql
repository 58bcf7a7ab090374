-- DropIndex
DROP INDEX "webhook_deliveries_webhook_id_idx";

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "event_type" TEXT,
ADD COLUMN     "payload" JSONB,
ALTER COLUMN "alert_event_id" DROP NOT NULL;

-- hand-written: existing deliveries take their event's type before the column becomes NOT NULL.
UPDATE "webhook_deliveries" d SET "event_type" = e."type" FROM "alert_events" e WHERE e."id" = d."alert_event_id";
ALTER TABLE "webhook_deliveries" ALTER COLUMN "event_type" SET NOT NULL;

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN     "disabled_reason" TEXT,
ADD COLUMN     "event_types" TEXT[] DEFAULT ARRAY['*']::TEXT[],
ADD COLUMN     "previous_secret" TEXT,
ADD COLUMN     "previous_secret_expires_at" TIMESTAMPTZ(6),
ALTER COLUMN "min_severity" SET DEFAULT 'medium';

-- CreateTable
CREATE TABLE "webhook_attempts" (
    "at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempt" INTEGER NOT NULL,
    "delivery_id" BIGINT NOT NULL,
    "error" TEXT,
    "id" BIGSERIAL NOT NULL,
    "latency_ms" INTEGER NOT NULL,
    "status" INTEGER,
    "webhook_id" INTEGER NOT NULL,

    CONSTRAINT "webhook_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "webhook_attempts_delivery_id_idx" ON "webhook_attempts"("delivery_id");

-- CreateIndex
CREATE INDEX "webhook_attempts_webhook_id_idx" ON "webhook_attempts"("webhook_id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhook_id_id_idx" ON "webhook_deliveries"("webhook_id", "id");

-- CreateIndex
CREATE INDEX "webhook_deliveries_webhook_id_status_next_attempt_at_idx" ON "webhook_deliveries"("webhook_id", "status", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_webhook_id_fkey" FOREIGN KEY ("webhook_id") REFERENCES "webhooks"("id") ON DELETE CASCADE ON UPDATE CASCADE;
