import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { whatIfRequestSchema, type WhatIfRequest, type WhatIfResult } from '@driftwatch/contracts';
import { CurrentActor, type Actor } from '../auth/access.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { WhatIfService } from './whatif.service.js';

/** `POST /api/v1/whatif` (viewer and up): see `whatifRoutes` in @driftwatch/contracts. */
@Controller('whatif')
export class WhatIfController {
  constructor(private readonly whatIf: WhatIfService) {}

  @Post()
  @HttpCode(200)
  run(@Body(new ZodPipe(whatIfRequestSchema)) body: WhatIfRequest, @CurrentActor() actor: Actor): Promise<WhatIfResult> {
    return this.whatIf.run(body, actor);
  }
}
