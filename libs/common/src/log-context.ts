import { AsyncLocalStorage } from 'node:async_hooks';

/** Fields of a log line besides its time, level and message. */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

const context = new AsyncLocalStorage<LogFields>();

/**
 * Runs `task` with `fields` on every log line written inside it, synchronously or in anything it awaits or
 * schedules (an HTTP request's id, a job's name). Nested calls add to the fields of the enclosing one.
 */
export function withLogContext<T>(fields: LogFields, task: () => T): T {
  const outer = context.getStore();
  return context.run(outer ? { ...outer, ...fields } : fields, task);
}

/** The fields of the {@link withLogContext} call the caller runs in, if any. */
export function currentLogContext(): LogFields | undefined {
  return context.getStore();
}
