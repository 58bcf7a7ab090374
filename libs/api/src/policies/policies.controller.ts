import type { IncomingMessage } from 'node:http';
import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  createPolicyRevisionBody, createPolicyRevisionQuery, policyDiffParams, policyDocument, policyListQuery, policyRevisionParams,
  POLICY_UPLOAD_DEFAULT_NAME,
} from '@driftwatch/contracts';
import { z } from 'zod';
import { CurrentActor, RequireRole, type Actor } from '../auth/access.js';
import { parseOr400 } from '../validation/zod.pipe.js';
import { PolicyRevisionsService } from './policy-revisions.service.js';
import { bodyKind, yamlText } from './yaml-body.js';

/** A JSON upload takes no query: `name` and `activate` are for a YAML body (JSON carries `activate` itself). */
const yamlOnly = z.undefined({ error: 'is only for a YAML body; a JSON body carries activate in the body and names in documents' });
const noQuery = z.object({ name: yamlOnly.optional(), activate: yamlOnly.optional() });

/**
 * `/api/v1/policies`: policy revisions. Any key reads (revisions are cluster-wide configuration, not traffic, so a
 * namespace-scoped key reads them too); an operator uploads; an admin activates (also `activate: true` on upload).
 * An upload is JSON `{documents: [{name, text}], activate?}` or the YAML itself (`application/yaml`,
 * `text/yaml`; `?name=` and `?activate=`), which the app's parser (`configureHttp`) reads as bytes with its own
 * 8 MiB limit, apart from the JSON body limit.
 */
@Controller('policies')
export class PoliciesController {
  constructor(private readonly revisions: PolicyRevisionsService) {}

  @Get()
  list(@Query() query: unknown) {
    const { limit, cursor } = parseOr400(policyListQuery, query);
    return this.revisions.list(limit, cursor);
  }

  @Get(':rev')
  get(@Param() params: unknown) {
    const { rev } = parseOr400(policyRevisionParams, params);
    return this.revisions.detail(Number(rev));
  }

  @Get(':rev/diff/:other')
  diff(@Param() params: unknown) {
    const { rev, other } = parseOr400(policyDiffParams, params);
    return this.revisions.diff(Number(rev), Number(other));
  }

  /** 201 with a new revision, 200 with the existing one of the same content hash. */
  @Post()
  @RequireRole('operator')
  async create(
    @Req() request: IncomingMessage,
    @Body() body: unknown,
    @Query() query: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) response: { status(code: number): unknown },
  ) {
    const options = parseOr400(createPolicyRevisionQuery, query);
    let documents: { name: string; text: string }[];
    let activate: boolean;
    if (bodyKind(request) === 'yaml') {
      documents = [parseOr400(policyDocument, { name: options.name ?? POLICY_UPLOAD_DEFAULT_NAME, text: yamlText(body) })];
      activate = options.activate ?? false;
    } else {
      if (options.name !== undefined || options.activate !== undefined) parseOr400(noQuery, query);
      ({ documents, activate } = parseOr400(createPolicyRevisionBody, body));
    }
    const result = await this.revisions.upload(documents, activate, actor);
    response.status(result.created ? 201 : 200);
    return result;
  }

  @Post(':rev/activate')
  @RequireRole('admin')
  @HttpCode(200)
  activate(@Param() params: unknown, @CurrentActor() actor: Actor) {
    const { rev } = parseOr400(policyRevisionParams, params);
    return this.revisions.activate(Number(rev), actor);
  }
}
