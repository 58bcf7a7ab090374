import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { FieldIssue } from '@driftwatch/contracts';
import type { z } from 'zod';

/** The field problems of a failed parse, one per issue (`(root)` for the body or value as a whole). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
  }));
}

/**
 * Parses `input` with `schema`, or throws the one 400 every route answers:
 * `{statusCode, error, message: "invalid request: <path>: <reason>; ...", issues: [{path, message}]}`.
 */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw badRequest(fieldIssues(parsed.error));
}

/**
 * The one 400 every route answers, for problems found after parsing (a candidate's manifests, a range too large
 * to evaluate): `{statusCode, error, message: "invalid request: <path>: <reason>; ...", issues: [{path, message}]}`.
 */
export function badRequest(issues: readonly FieldIssue[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  });
}

/**
 * Validates and converts a body, query or parameter with a zod schema: 400
 * `{statusCode, error, message: "invalid request: <path>: <reason>; ...", issues: [{path, message}]}` when it fails.
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    return parseOr400(this.schema, value);
  }
}
