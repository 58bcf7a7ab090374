import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** One problem of a request, with the path of the field (`namespaces.0`; empty for the body as a whole). */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Parses `input` with `schema`, or throws a 400 whose JSON lists every problem with its field path, and whose
 * message names them in one line: `{"statusCode":400,"error":"Bad Request","message":"url: must be ...","problems":[...]}`.
 */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const problems: FieldProblem[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message,
  }));
  const message = problems.map((p) => `${p.path || where}: ${p.message}`).join('; ');
  throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message, problems });
}
