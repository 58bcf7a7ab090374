import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { API_ROUTES } from '@driftwatch/contracts';
import { chromium, type BrowserContext } from 'playwright-core';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

const CHROMIUM = '/usr/bin/chromium';

/**
 * The docs page in a real browser, under the app's real Content-Security-Policy: it must render every operation
 * with nothing refused by the CSP and no request leaving the app's origin. Needs Debian's chromium (STACK.md §9);
 * without it the test is skipped, saying so.
 */
describe.skipIf(!existsSync(CHROMIUM))('the docs page in chromium', { timeout: 60_000 }, () => {
  let app: INestApplication;
  let base: string;
  let browser: BrowserContext;
  const profile = mkdtempSync(join(tmpdir(), 'driftwatch-chromium-'));
  beforeAll(async () => {
    const started = await startApi(databaseUrl);
    app = started.app;
    base = started.url;
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  it('renders every operation, with no CSP violation and no request to another origin', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (message) => {
      if ((message.type() === 'error' && !/^Failed to load resource/.test(message.text())) || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    await page.goto(`${base}/api/v1/docs`);
    const operations = API_ROUTES.length + 1; // and the one webhook (`alertEvent`)
    await page.waitForFunction(`document.querySelectorAll('.opblock').length >= ${operations}`, undefined, { timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBe(operations);
    expect(await page.locator('.info .title').innerText()).toContain('Driftwatch API');
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  });
});
