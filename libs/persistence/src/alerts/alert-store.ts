import { AuditLogRepository } from '../audit/audit-log.repository.js';
import { connectSql, type Sql } from '../flows/sql-client.js';
import { FlowStatsChannel } from '../flows/flow-stats.channel.js';
import { PolicyRevisionRepository } from '../flows/policy-revision.repository.js';
import { ApiKeyRepository } from '../keys/api-key.repository.js';
import { AlertEventFeed, AlertEventRepository } from './alert-event.repository.js';
import { AlertLifecycleRepository } from './alert-lifecycle.repository.js';
import { AlertRepository } from './alert.repository.js';
import type { AlertEventRecord } from './alert.types.js';
import type { Logger } from '@driftwatch/common';

/**
 * The repositories of alerts, API keys, the audit log and policy revisions over one postgres.js pool (for the
 * detector in `collect`, the `keys` command and the API). Close it when done.
 */
export class AlertStore {
  readonly alerts: AlertRepository;
  readonly lifecycle: AlertLifecycleRepository;
  readonly events: AlertEventRepository;
  readonly keys: ApiKeyRepository;
  readonly audit: AuditLogRepository;
  readonly revisions: PolicyRevisionRepository;
  /** Live per-namespace flow counts (NOTIFY only), published by collectors and followed by the API. */
  readonly flowStats: FlowStatsChannel;

  constructor(private readonly sql: Sql) {
    this.alerts = new AlertRepository(sql);
    this.lifecycle = new AlertLifecycleRepository(sql);
    this.events = new AlertEventRepository(sql);
    this.keys = new ApiKeyRepository(sql);
    this.audit = new AuditLogRepository(sql);
    this.revisions = new PolicyRevisionRepository(sql);
    this.flowStats = new FlowStatsChannel(sql);
  }

  /** Opens a pool on `url` (`max` connections). */
  static open(url: string, max = 4): AlertStore {
    return new AlertStore(connectSql(url, max));
  }

  /** Follows committed alert events (see {@link AlertEventFeed}); it uses one more connection while it runs. */
  follow(onEvents: (events: readonly AlertEventRecord[]) => void, log?: Logger): Promise<AlertEventFeed> {
    return AlertEventFeed.start(this.sql, onEvents, log);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
